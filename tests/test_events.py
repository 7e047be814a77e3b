"""Event kinds as types: the store writes only known kinds with valid payloads, and decodes them."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from support_events import erased_record

from refurb import events
from refurb.env import Env
from refurb.errors import InvalidInput, Refused, StoreError
from refurb.store import open_store
from refurb.wipe.verdict import erased_shortfalls

DISK = {"name": "sda", "serial": "S2ABC", "model": "SAMSUNG MZ7LN256", "size_bytes": 1_000_000}


def _wipe(status: str = "erased", **record: Any) -> dict[str, Any]:
    disk = record.pop("disk", DISK)  # the event's disk (its size counts when the record has none)
    return {
        "wipe_id": "w1",
        "disk": disk,
        "status": status,
        "record": {**erased_record(1_000_000), **record},
    }


@pytest.fixture
def store():
    with open_store(Env()) as opened:
        yield opened


@pytest.fixture
def asset(store) -> str:
    return store.intake({"donor": "KBC"}).asset_id


def _kinds(store, asset: str) -> list[str]:
    return [e.kind for e in store.events(asset)]


def test_unknown_kind_is_refused_and_nothing_written(store, asset):
    with pytest.raises(InvalidInput, match="unknown event kind 'sold'") as caught:
        store.append(asset, "sold", {"price": 20})
    assert "known kinds:" in caught.value.hint and "probe" in caught.value.hint
    assert _kinds(store, asset) == ["intake"]
    assert store.check_chain()[1] == []


@pytest.mark.parametrize(
    ("kind", "payload", "field"),
    [
        ("grade", {"grade": "Z"}, "grade"),
        ("grade", {"profile": "school"}, "grade"),
        ("status", {"from": "intake", "to": "sold"}, "to"),
        ("wipe", {"wipe_id": "w1", "status": "erased", "record": {}}, "disk"),
        ("wipe", {**_wipe(), "status": "clean"}, "status"),
        ("wipe_started", {"wipe_id": "w1", "disk": {"model": "X"}}, "disk"),
        ("probe", {"probe": {"disks": "sda"}}, "probe"),
        ("label", {"template": "t", "copies": 2}, "copies"),  # a new key needs a new version
        ("note", {"text": 5}, "text"),
        ("os_install", {"version": "22.1"}, "image"),
    ],
)
def test_malformed_payload_is_refused_naming_the_field(store, asset, kind, payload, field):
    with pytest.raises(InvalidInput, match=f"event {kind}, field {field}: "):
        store.append(asset, kind, payload)
    assert _kinds(store, asset) == ["intake"]


@pytest.mark.parametrize(
    ("record", "why"),
    [
        ({"verification": {"mode": "full", "result": "failed"}}, "the verification failed"),
        ({"verification": {"mode": "off", "result": "not done"}}, "no verification passed"),
        ({"verification": {}}, "no verification passed"),
        ({"bytes_written": 999_424}, "999424 of 1000000 bytes written"),
        ({"bytes_written": None}, "0 of 1000000 bytes written"),
        (
            {"device_size_bytes": None, "media": {}, "disk": {**DISK, "size_bytes": None}},
            "does not say the disk's size",
        ),
        ({"device_size_bytes": None, "media": {}, "bytes_written": 10}, "10 of 1000000 bytes"),
        ({"errors": [{"op": "write", "offset": 4096}], "error_count": 1}, "1 I/O error recorded"),
        ({"error_count": 3, "errors": []}, "3 I/O errors recorded"),
    ],
)
def test_erased_needs_a_record_that_proves_it(store, asset, record, why):
    with pytest.raises(Refused, match="cannot be recorded as erased") as caught:
        store.append(asset, "wipe", _wipe(**record))
    assert why in caught.value.message
    assert _kinds(store, asset) == ["intake"]
    # The same record is fine as what it is: a failed erasure.
    store.append(asset, "wipe", _wipe("failed", **record))
    assert store.get_device(asset).erasure == "failed"


def test_a_proving_record_is_erased(store, asset):
    store.append(asset, "wipe", _wipe())
    device = store.get_device(asset)
    assert device.erasure == "erased" and device.erasure_method == "prng"


def test_erasure_rule_reads_firmware_and_nwipe_records():
    firmware = {
        "method": "firmware",
        "bytes_written": 0,
        "errors": [],
        "error_count": 0,
        "verification": {"result": "passed"},
    }
    assert erased_shortfalls(firmware) == []
    assert erased_shortfalls({**firmware, "verification": {"result": "failed"}}) != []
    nwipe = {
        "method": "nwipe",
        "media": {"size_bytes": 512},
        "bytes_written": 1024,  # two passes
        "errors": [],
        "verification": {"mode": "full", "passed": True},
    }
    assert erased_shortfalls(nwipe) == []
    assert erased_shortfalls({**nwipe, "verification": {"passed": False}}) == [
        "the verification failed"
    ]


def test_append_many_checks_every_payload_before_writing(store, asset):
    with pytest.raises(InvalidInput, match="event label, field template: is missing"):
        store.append_many([(asset, "note", {"text": "fine"}), (asset, "label", {})])
    assert _kinds(store, asset) == ["intake"]


def test_a_payload_object_is_accepted_and_events_come_back_decoded(store, asset):
    written = store.append(asset, "grade", events.Grade(grade="B", reasons=["scratches"]))
    store.append(asset, "status", {"from": "in_progress", "to": "quarantine", "reason": None})
    intake, grade, status = store.events(asset)
    assert isinstance(intake.payload, events.Intake) and intake.payload.donor == "KBC"
    assert isinstance(grade.payload, events.Grade) and grade.payload.reasons == ["scratches"]
    assert grade.id == written.id and grade.hash == written.hash
    assert status.payload.from_ == "in_progress" and status.payload.data()["from"] == "in_progress"
    with pytest.raises(InvalidInput, match="got a grade payload"):
        store.append(asset, "note", events.Grade(grade="A"))


def test_stored_text_carries_the_version_and_the_hash_covers_it(store, asset):
    store.append(asset, "note", {"text": "hello"})
    row = store.event_rows(asset)[-1]
    assert row.payload == '{"text":"hello","v":1}'
    assert store.check_chain() == (2, [])


def test_an_event_stored_without_a_version_still_decodes(store, asset, monkeypatch):
    # Events written before payloads carried a version: the payload text has no "v".
    with monkeypatch.context() as m:
        m.setattr(events, "encode", lambda payload: payload.data())
        store.append(asset, "grade", {"grade": "C", "profile": "basic"})
        store.set_status(asset, "quarantine", "dropped")
    rows = store.event_rows(asset)
    assert '"v"' not in rows[1].payload and '"v"' not in rows[2].payload
    _intake, grade, status = store.events(asset)
    assert grade.payload.grade == "C" and status.payload.to == "quarantine"
    assert store.check_chain() == (3, [])
    assert store.rebuild() == 1
    assert store.get_device(asset).grade == "C"


class _Sticker(events.Payload):
    """A test-only kind at version 2: version 1 had ``colour`` where version 2 has ``colours``."""

    KIND: ClassVar[str] = "test_sticker"
    VERSION: ClassVar[int] = 2
    colours: list[str]


@pytest.fixture
def sticker_kind():
    events.register(_Sticker)
    events.upcaster("test_sticker", 1)(lambda data: {"colours": [data.pop("colour")], **data})
    yield _Sticker
    events._KINDS.pop("test_sticker")
    events._UPCASTERS.pop(("test_sticker", 1))


def test_old_versions_are_upcast_when_read(sticker_kind):
    old = events.decode("test_sticker", '{"colour":"red"}')
    assert isinstance(old, _Sticker) and old.colours == ["red"]
    assert events.decode("test_sticker", '{"colours":["a","b"],"v":2}').colours == ["a", "b"]
    with pytest.raises(StoreError, match="newer than this refurb knows"):
        events.decode("test_sticker", '{"colours":[],"v":3}')
    with pytest.raises(InvalidInput, match="version 1 given, version 2 is current"):
        events.make("test_sticker", {"colour": "red", "v": 1})
    assert events.encode(events.make("test_sticker", {"colours": ["b"]})) == {
        "colours": ["b"],
        "v": 2,
    }


def test_registering_a_kind_twice_is_a_programming_error():
    class Other(events.Payload):
        KIND: ClassVar[str] = "note"
        text: str

    with pytest.raises(TypeError, match="already Note"):
        events.register(Other)


def test_every_kind_in_the_docs_is_registered():
    from pathlib import Path

    table = (Path(__file__).parents[1] / "docs" / "architecture.md").read_text()
    for kind in events.kinds():
        assert f"| `{kind}` |" in table, kind


def _eraser(*, written: int, size: int, verification: Any):
    from types import SimpleNamespace as NS

    disk = NS(
        vendor="ATA",
        model="SAMSUNG MZ7LN256",
        serial="S2ABC",
        media_type="ssd",
        bus="sata",
        protocol="ATA",
        size_bytes=size,
        logical_sector_size=512,
        physical_sector_size=4096,
        firmware="MVT0",
        wwn=None,
        rotational=False,
        removable=False,
        path="/dev/sda",
        backing_file=None,
    )
    plan = NS(
        disk=disk,
        method="prng",
        nist_method="Clear",
        technique="Overwrite",
        passes=1,
        verify="full",
        requested="prng",
        chunk_size=1 << 20,
        fallback_reason=None,
        notes=[],
        commands=[],
        hidden=None,
    )
    ctx = NS(
        wipe_id="w1",
        asset_id="RF-X",
        actor="ann",
        workstation="ws",
        site=None,
        discovery_commands=[],
    )
    return NS(
        plan=plan,
        ctx=ctx,
        device_size=size,
        errors=[],
        verification=verification,
        extra_checks=None,
        pattern=None,
        runner=NS(history=[]),
        bytes_written=written,
        write_seconds=1.0,
        direct=True,
        request=1 << 20,
        depth=2,
        queue_limits={},
    )


class _Passed:
    def to_dict(self, size: int) -> dict[str, Any]:
        return {"mode": "full", "result": "passed", "bytes_verified": size}


@pytest.mark.parametrize(
    ("written", "verification", "why"),
    [
        (1 << 20, None, "no verification passed"),
        ((1 << 20) - 4096, _Passed(), "1044480 of 1048576 bytes written"),
    ],
)
def test_the_engine_record_overrules_an_unproven_erased(written, verification, why):
    from datetime import UTC, datetime

    from refurb.wipe.record import build_record

    now = datetime(2026, 12, 1, tzinfo=UTC)
    eraser = _eraser(written=written, size=1 << 20, verification=verification)
    record = build_record(
        eraser=eraser, status="erased", reason=None, started=now, ended=now, seconds=1.0
    )
    assert record["status"] == "failed" and why in record["reason"]
    assert record["exceptions"] == [record["reason"]]
    proved = build_record(
        eraser=_eraser(written=1 << 20, size=1 << 20, verification=_Passed()),
        status="erased",
        reason=None,
        started=now,
        ended=now,
        seconds=1.0,
    )
    assert proved["status"] == "erased" and proved["reason"] is None


def test_an_nwipe_log_that_does_not_show_every_byte_written_is_not_erased(
    run_cli, initialized, tmp_path
):
    from support_certs import FIXTURES

    text = (FIXTURES / "nwipe" / "zero.log").read_text()
    lines = [line for line in text.splitlines(keepends=True) if "bytes written to" not in line]
    assert len(lines) < len(text.splitlines())
    log = tmp_path / "no-byte-counts.log"
    log.write_text("".join(lines))
    asset = run_cli("intake", "new", "--json", expect=0).json["asset_id"]
    done = run_cli("wipe", "import-nwipe", str(log), "--asset", asset, "--json", expect=0).json
    (item,) = done["imported"]
    assert item["status"] == "erased_with_exceptions"
    assert any("0 of 67108864 bytes written" in e for e in item["exceptions"])
    assert run_cli("show", asset, "--json", expect=0).json["device"]["erasure"] != "erased"


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ('{"grade":"Z","v":1}', "event grade, field grade: must be one of"),
        ("not json", "event grade: its payload is not JSON"),
        ('{"grade":"B","v":9}', "event grade is version 9, newer than this refurb knows"),
    ],
)
def test_a_stored_event_that_no_longer_decodes_is_one_line(
    run_cli, initialized, refurb_home, payload, message
):
    import sqlite3

    asset = run_cli("intake", "new", "--json", expect=0).json["asset_id"]
    with open_store(Env()) as store:
        store.append(asset, "grade", {"grade": "B"})
    db = sqlite3.connect(refurb_home / "refurb.db")
    db.execute("UPDATE events SET payload = ? WHERE kind = 'grade'", (payload,))
    db.commit()
    db.close()
    for args in (("show", asset), ("admin", "rebuild")):
        result = run_cli(*args)
        assert result.exit_code == 1 and message in result.stderr, result
        assert "Traceback" not in result.stderr
    assert run_cli("admin", "check").exit_code == 1  # and the chain says it was changed

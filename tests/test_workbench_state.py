"""The workbench's state: which steps are done, skipped or to do again, read from the events
(`refurb.workbench.state`), and the flow through the CLI runner without a terminal."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from refurb.errors import InvalidInput
from refurb.workbench import next_step, progress
from refurb.workbench.state import wipe_state

E480 = Path(__file__).parent / "fixtures" / "probe" / "thinkpad-e480"


@dataclass
class Ev:
    kind: str
    payload: dict[str, Any]


def _states(events: list[Any], keys: list[str] | None = None) -> dict[str, tuple[str, Any]]:
    return {s.step: (s.state, s.detail) for s in progress(events, keys)}


@pytest.fixture
def asset(run_cli, initialized) -> str:
    return run_cli("intake", "new", "--serial", "PF-WB-1", "--json", expect=0).json["asset_id"]


def _store_events(asset: str) -> list[Any]:
    from refurb.env import Env
    from refurb.store import open_store

    with open_store(Env()) as store:
        return store.events(asset)


def _append(asset: str, kind: str, payload: dict[str, Any]) -> None:
    from refurb.env import Env
    from refurb.store import open_store

    with open_store(Env()) as store:
        store.append(asset, kind, payload)


def test_a_new_device_starts_with_the_probe(asset):
    states = _states(_store_events(asset))
    assert {s for s, _d in states.values()} == {"todo"}
    assert next_step(progress(_store_events(asset))) == "probe"


def test_steps_done_by_their_own_commands_count(run_cli, asset, tmp_path):
    run_cli("probe", "--from", str(E480), "--save", asset, expect=0)
    run_cli("os", "record", asset, "--image", "Linux Mint", "--version", "22.1", expect=0)
    run_cli("grade", asset, "--cosmetic", "B", expect=0)
    states = _states(_store_events(asset))
    assert states["probe"] == ("done", None)
    assert states["os"] == ("done", "Linux Mint 22.1")
    assert states["grade"][0] == "done"
    assert states["wipe"][0] == "todo" and states["wipe"][1]  # the E480's own disk, by serial
    assert states["label"] == ("todo", None)
    assert next_step(progress(_store_events(asset))) == "wipe"
    run_cli("label", asset, "--out", str(tmp_path / "label.png"), expect=0)
    assert _states(_store_events(asset))["label"][0] == "done"
    run_cli("grade", asset, "--cosmetic", "C", expect=0)  # a new grade: the label is outdated
    assert _states(_store_events(asset))["label"][0] == "todo"


def test_a_skip_is_recorded_with_its_reason_until_the_step_is_done(run_cli, asset):
    _append(asset, "step_skipped", {"step": "os", "reason": "Windows key missing"})
    assert _states(_store_events(asset))["os"] == ("skipped", "Windows key missing")
    run_cli("os", "record", asset, "--image", "Linux Mint", "--version", "22.1", expect=0)
    assert _states(_store_events(asset))["os"][0] == "done"
    shown = run_cli("show", asset, "--json", expect=0).json
    assert [e["kind"] for e in shown["events"]].count("step_skipped") == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"step": "coffee", "reason": "x"}, "step"), ({"step": "os", "reason": ""}, "reason")],
)
def test_a_skip_needs_a_known_step_and_a_reason(asset, payload, field):
    with pytest.raises(InvalidInput, match=f"event step_skipped, field {field}"):
        _append(asset, "step_skipped", payload)


def _wipe(kind: str, serial: str | None, status: str | None = None, name: str = "sda") -> Ev:
    payload: dict[str, Any] = {"wipe_id": "w", "disk": {"name": name, "serial": serial}}
    if status:
        payload["status"] = status
    return Ev(kind, payload)


PROBE = Ev(
    "probe",
    {
        "probe": {
            "disks": [
                {"name": "nvme0n1", "serial": "S1", "protocol": "NVMe", "hotplug": False},
                {"name": "sdb", "serial": "USB1", "protocol": "USB", "hotplug": True},
            ]
        }
    },
)


def test_the_wipe_needs_every_own_disk_of_the_probe_erased():
    assert wipe_state([]).state == "todo"
    assert wipe_state([PROBE]).state == "todo"
    assert wipe_state([PROBE]).detail == "S1"  # the USB stick is not the laptop's own
    assert wipe_state([PROBE, _wipe("wipe", "USB1", "erased")]).state == "todo"
    assert wipe_state([PROBE, _wipe("wipe", "S1", "erased")]).state == "done"


@pytest.mark.parametrize(
    "events",
    [
        [PROBE, _wipe("wipe_started", "S1")],  # killed: no end
        [PROBE, _wipe("wipe", "S1", "interrupted")],
        [PROBE, _wipe("wipe", "S1", "failed")],
        [PROBE, _wipe("wipe", "S1", "erased"), _wipe("wipe", "S1", "interrupted")],
    ],
)
def test_an_erasure_that_did_not_finish_is_offered_again(events):
    assert wipe_state(events).state == "again"
    assert _states(events)["wipe"][0] == "again"
    assert next_step(progress(events)) == "wipe"
    assert wipe_state(events).detail == "S1"


def test_the_disks_named_on_the_command_line_decide():
    loop = _wipe("wipe", None, "erased", name="loop7")
    assert wipe_state([PROBE, loop], ["dev:loop7"]).state == "done"
    assert wipe_state([PROBE, loop]).state == "todo"  # the probe's own disk is still pending


def test_a_returned_loan_goes_through_the_bench_again():
    done = [PROBE, _wipe("wipe", "S1", "erased"), Ev("os_install", {"image": "Mint"})]
    assert _states(done)["os"][0] == "done"
    back = [*done, Ev("loan_return", {"loan_id": "L", "condition": "ok"})]
    assert {s for s, _d in _states(back).values()} == {"todo"}


def test_without_a_terminal_the_flow_reads_lines_and_records_each_skip(run_cli, asset):
    lines = [
        "",  # Enter: start with the probe
        "s",  # wipe: --no-wipe, no log: skip
        "",  # the reason offered
        "s",  # OS: skip...
        "no licence key yet",  # ...with this reason
        "s",  # checks: skip
        "",
    ]
    result = run_cli("workbench", asset, "--no-wipe", input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result
    events = _store_events(asset)
    skips = [e.payload.data() for e in events if e.kind == "step_skipped"]
    assert [s["step"] for s in skips] == ["wipe", "os", "grade", "label"]
    assert skips[0]["reason"] == "erased elsewhere (--no-wipe), no log imported"
    assert skips[1]["reason"] == "no licence key yet"
    assert "label_printer" in skips[3]["reason"]  # no printer set: skipped, with the reason
    assert "no shared inventory is set" in " ".join(result.stdout.split())
    assert next_step(progress(events)) is None
    again = run_cli("workbench", asset, "--no-wipe", input="\n")
    assert again.exit_code == 0 and "Every step is done" in again.stdout
    assert len(_store_events(asset)) == len(events)


def test_q_stops_and_keeps_what_was_done(run_cli, asset):
    result = run_cli("workbench", asset, "--no-wipe", input="q\n")
    assert result.exit_code == 0, result
    assert "To go on: refurb workbench " + asset in result.stdout
    assert [e.kind for e in _store_events(asset)] == ["intake"]


def test_input_that_ends_stops_with_an_error(run_cli, asset):
    result = run_cli("workbench", asset, "--no-wipe", input="")
    assert result.exit_code == 1
    assert "Stopped" in result.stdout

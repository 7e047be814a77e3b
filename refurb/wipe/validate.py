"""A second person's check of an erasure (NIST SP 800-88's validation): re-read a sample.

``validate(env, store, asset, operator)`` finds each disk the device's records say was erased
(``erased`` / ``erased_with_exceptions``, the latest record per disk), looks for it among the
disks attached now (by serial, else by a loop device's backing file), reads a fresh random sample
(>= 1 %, plus the first and last MiB) and compares it with what the record says was written: the
zero or AES-CTR pattern regenerated from the record. A firmware erase wrote nothing refurb can
regenerate, so there the sample must read without error. Each disk gets a ``wipe_validation``
event with the validator's name and the outcome: ``passed``, ``failed``, ``not_attached``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from refurb.errors import InvalidInput
from refurb.i18n import _
from refurb.wipe.blockio import MiB, open_device
from refurb.wipe.discovery import Disk, assess, gather
from refurb.wipe.patterns import AesCtrPattern, ZeroPattern
from refurb.wipe.record import payload_of as event_payload
from refurb.wipe.verdict import OK_STATUSES
from refurb.wipe.verify import new_seed, sample_spans, snapshot, verify_pattern

if TYPE_CHECKING:
    from refurb.env import Env
    from refurb.store import Store

KIND = "wipe_validation"
FRACTION = 0.01


def erased_records(events: list[Any]) -> list[tuple[str, dict[str, Any]]]:
    """(wipe id, record) of the latest erasure of each disk whose status claims it erased."""
    latest: dict[str, tuple[str, dict[str, Any]]] = {}
    for event in events:
        if getattr(event, "kind", None) != "wipe":
            continue
        payload = event_payload(event)
        record = payload.get("record") or {}
        media = record.get("media") or {}
        key = media.get("serial") or media.get("backing_file") or media.get("device") or ""
        latest[str(key)] = (str(payload.get("wipe_id")), record)
    return [(w, r) for w, r in latest.values() if r.get("status") in OK_STATUSES]


def _attached(media: dict[str, Any], disks: list[Disk]) -> Disk | None:
    for disk in disks:
        if media.get("serial") and disk.serial and disk.serial == media["serial"]:
            return disk
        if media.get("backing_file") and disk.backing_file == media["backing_file"]:
            return disk
    return None


def _pattern(record: dict[str, Any]) -> ZeroPattern | AesCtrPattern | None:
    pattern = (record.get("sanitization") or {}).get("pattern") or {}
    if pattern.get("pattern") == "zero":
        return ZeroPattern()
    if str(pattern.get("pattern", "")).startswith("aes-"):
        return AesCtrPattern.from_record(pattern)
    return None


def check_disk(
    disk: Disk, record: dict[str, Any], *, progress: Callable[[int], None] = lambda n: None
) -> dict[str, Any]:
    """Read a fresh sample of ``disk`` and compare it with what ``record`` says was written."""
    dev = open_device(disk.path, sector=disk.logical_sector_size, write=False)
    try:
        size = dev.size - dev.size % dev.sector
        seed = new_seed()
        blocks = sample_spans(
            size, fraction=FRACTION, block=MiB, align=max(4096, dev.sector), seed=seed
        )
        pattern = _pattern(record)
        never = lambda: False  # noqa: E731 - a validation is short and not interruptible
        if pattern is not None:
            result = verify_pattern(
                dev, pattern, blocks, mode="validation", progress=progress, should_stop=never
            )
            passed, read_errors = result.passed, len(result.read_errors)
            mismatched, verified = result.mismatched_bytes, result.bytes_verified
            compared = pattern.describe()["pattern"]
        else:
            snap = snapshot(dev, blocks, progress=progress, should_stop=never)
            read_errors = sum(1 for d in snap.digests if d is None)
            passed, mismatched, verified = read_errors == 0, 0, snap.blocks.total
            compared = None
    finally:
        dev.close()
    return {
        "outcome": "passed" if passed else "failed",
        "compared_with": compared,
        "bytes_read": verified,
        "fraction": round(verified / size, 6) if size else 0.0,
        "sample_seed": seed,
        "mismatched_bytes": mismatched,
        "read_errors": read_errors,
        "statement": (
            "a fresh sample (>= 1 %, first and last MiB) matched the recorded pattern"
            if pattern is not None
            else "a firmware erase leaves nothing refurb can regenerate: the fresh sample "
            "was only read, without error"
        )
        if passed
        else "the fresh sample did not read back as recorded",
    }


def validate(
    env: Env,
    store: Store,
    asset: str,
    operator: str,
    *,
    progress: Callable[[int], None] = lambda n: None,
) -> list[dict[str, Any]]:
    """Validate every erased disk of ``asset`` that is attached; one event per disk."""
    from refurb.wipe.session import own_paths

    asset_id = store.get_device(asset).asset_id
    records = erased_records(store.events(asset_id))
    if not records:
        raise InvalidInput(
            _("{asset} has no erased disk to validate").format(asset=asset_id),
            _("see: refurb show {asset}").format(asset=asset_id),
        )
    who = operator.strip()
    if not who:
        raise InvalidInput(_("name the person who validates: --operator NAME"))
    lsblk_text, facts, _cmds = gather(env.runner, own_paths=own_paths(env))
    disks, _warnings = assess(lsblk_text, facts)
    out = []
    for wipe_id, record in records:
        media = record.get("media") or {}
        erased_by = (record.get("operator") or {}).get("name")
        if erased_by and erased_by.casefold() == who.casefold():
            raise InvalidInput(
                _("{name} erased this disk: a validation needs a second person").format(
                    name=erased_by
                ),
                _("let another operator run it with --operator THEIR-NAME"),
            )
        disk = _attached(media, disks)
        payload: dict[str, Any] = {
            "wipe_id": wipe_id,
            "disk": {k: media.get(k) for k in ("model", "serial", "size_bytes", "backing_file")},
            "operator": who,
            "erased_by": erased_by,
            "at": env.now().isoformat(timespec="seconds"),
        }
        if disk is None:
            payload.update(outcome="not_attached", device=None)
        else:
            payload.update(device=disk.path, **check_disk(disk, record, progress=progress))
        store.append(asset_id, KIND, payload)
        out.append(payload)
    return out

"""Erasure records from nwipe / ShredOS logs, recorded as ``wipe`` events of a device."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from refurb.certificates import ERASED, RECORD_SCHEMA, WITH_EXCEPTIONS, _event_dict
from refurb.errors import InvalidInput, NotFound
from refurb.i18n import _


def nwipe_records(path: Path, *, actor: str, only: Iterable[str] = ()) -> list[dict[str, Any]]:
    """``wipe`` event payloads for every device of an nwipe log (or the ``only`` ones).

    The status never claims more than the log proves: ``erased`` needs nwipe's "Erased" *and* a
    successful verification; erased without verification is ``erased_with_exceptions``; a
    failed, aborted or unfinished wipe is ``failed`` / ``interrupted``. A file that is not an
    nwipe log raises :class:`InvalidInput` naming the first line that is not nwipe's.
    """
    from refurb.parsers import nwipe_log

    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotFound(_("no such nwipe log: {path}").format(path=path)) from None
    except OSError as exc:
        raise InvalidInput(
            _("cannot read {path}: {why}").format(path=path, why=exc.strerror or exc)
        ) from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidInput(
            _("{path}, line {line}: not text (byte {byte}): this is not an nwipe log").format(
                path=path, line=line, byte=exc.start
            )
        ) from None
    parsed = nwipe_log.parse(text)
    if parsed["unrecognized"]:
        lineno, content = parsed["unrecognized"][0]
        raise InvalidInput(
            _("{path}, line {line}: not an nwipe log line: {text}").format(
                path=path, line=lineno, text=repr(content[:60])
            ),
            hint=_("pass the file nwipe wrote with -l/--logfile, unedited"),
        )
    if not parsed["devices"] or parsed["first_timestamp"] is None:
        raise InvalidInput(
            _("{path}, line 1: no device wiped in this log").format(path=path),
            hint=_("pass the file nwipe wrote with -l/--logfile"),
        )
    sha256 = hashlib.sha256(data).hexdigest()
    lines = text.replace("\r\n", "\n").split("\n")
    wanted = {w.rsplit("/", 1)[-1] for w in only}
    payloads = []
    for dev in parsed["devices"]:
        if wanted and dev["name"] not in wanted:
            continue
        payloads.append(_nwipe_payload(parsed, dev, path, sha256, lines, actor))
    if wanted and not payloads:
        names = ", ".join(d["device"] for d in parsed["devices"])
        raise NotFound(
            _("{path}: the log has no device {wanted} (it has {names})").format(
                path=path, wanted=", ".join(sorted(wanted)), names=names
            )
        )
    return payloads


def _nwipe_payload(
    parsed: dict[str, Any],
    dev: dict[str, Any],
    path: Path,
    sha256: str,
    lines: list[str],
    actor: str,
) -> dict[str, Any]:
    options = parsed["options"]
    verify = options.get("verify")
    exceptions: list[str] = []
    verify_failed = dev["verified"] is False or (dev["verify_errors"] or 0) > 0
    verified = dev["verified"] is True and not verify_failed
    raw = dev["status"]
    if raw == "erased":
        if verify_failed or (dev["pass_errors"] or 0) > 0:
            status = "failed"
        elif (dev["fsync_errors"] or 0) > 0:
            status = WITH_EXCEPTIONS
            exceptions.append(f"{dev['fsync_errors']} fdatasync I/O error(s)")
        elif verified:
            status = ERASED
        else:
            status = WITH_EXCEPTIONS
            exceptions.append("nwipe did not verify the erasure (verify=off)")
    elif raw == "aborted" or (raw is None and parsed["aborted"]):
        status = "interrupted"
        exceptions.append("nwipe was aborted by the user")
    elif raw is None:
        status = "interrupted"
        exceptions.append("the log ends before nwipe reported a result (nwipe was killed?)")
    else:
        status = "failed"
        exceptions.append(f"nwipe reported {dev['status_raw']}")
    errors = [{"offset": None, "message": m} for m in dev["errors"]]
    method = options.get("method") or "unknown"
    rounds = options.get("rounds") or 1
    blank = dev["blanked"] or (options.get("noblank") is not True and dev["passes_finished"] > 0)
    technique = f"Overwrite with nwipe method '{method}', {rounds} round(s)" + (
        " + blanking pass (zeros)" if blank else ""
    )
    size = dev["size_bytes"]
    fraction = None
    if verified and size:
        fraction = 1.0 if verify in ("last", "all") else None
    excerpt = [lines[i - 1] for i in sorted(set(dev["lines"])) if 0 < i <= len(lines)][:200]
    record = {
        "schema": RECORD_SCHEMA,
        "media": {
            "make": None,
            "model": dev["model"],
            "serial": dev["serial"],
            "type": None,
            "size_bytes": size,
            "bus": dev["bus"],
        },
        "method": "nwipe",
        "nist_method": "Clear",
        "nist_level": "Clear",
        "technique": technique,
        "passes": max(dev["passes_finished"], 0) + (1 if dev["blanked"] else 0),
        "tool": {"name": "nwipe", "version": parsed["version"]},
        "verification": {
            "mode": "full" if verify in ("last", "all") and dev["verifications"] else "off",
            "fraction": fraction,
            "passed": verified if dev["verifications"] else None,
            "bytes_read": dev["bytes_read"],
            "which": verify,
        },
        "who": actor,
        "operator": {"name": actor, "role": "imported the nwipe log"},
        "start": dev["started_at"],
        "end": dev["ended_at"],
        "time_zone": "local time of the wiping machine (nwipe logs carry no zone)",
        "result": status,
        "bytes_written": dev["bytes_written"],
        "throughput": dev["throughput"],
        "duration": dev["duration"],
        "errors": errors,
        "exceptions": exceptions,
        "error_counts": {
            "pass": dev["pass_errors"],
            "verification": dev["verify_errors"],
            "fdatasync": dev["fsync_errors"],
        },
        "commands": [],
        "source": {
            "kind": "nwipe-log",
            "file": path.name,
            "sha256": sha256,
            "nwipe_status": dev["status_raw"],
            "lines": excerpt,
        },
    }
    if status == ERASED:
        from refurb.wipe.verdict import erased_shortfalls

        shortfalls = erased_shortfalls(record)  # the store's rule: the log must prove it
        if shortfalls:
            status = record["result"] = WITH_EXCEPTIONS
            exceptions.extend(shortfalls)
    return {
        "wipe_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"nwipe:{sha256}:{dev['device']}")),
        "disk": {
            "name": dev["name"],
            "path": dev["device"],
            "model": dev["model"],
            "serial": dev["serial"],
            "size_bytes": size,
            "bus": dev["bus"],
        },
        "status": status,
        "record": record,
    }


def import_nwipe(
    env: Any, log: Path, asset: str, *, devices: Iterable[str] = ()
) -> list[dict[str, Any]]:
    """Record every erasure of an nwipe log as a ``wipe`` event of ``asset``.

    Refuses a log already imported (same file content and device) and a disk whose serial
    belongs to another device. Returns the appended payloads' summaries.
    """
    from refurb.errors import Refused
    from refurb.store import open_store

    payloads = nwipe_records(log, actor=env.actor, only=devices)
    done = []
    with open_store(env) as store:
        device = store.get_device(asset)
        seen = {
            (_event_dict(e)["payload"] or {}).get("wipe_id")
            for e in store.events(device.asset_id)
            if e.kind == "wipe"
        }
        for payload in payloads:
            if payload["wipe_id"] in seen:
                raise Refused(
                    _("{log}: the erasure of {disk} is already recorded on {asset}").format(
                        log=log, disk=payload["disk"]["path"], asset=device.asset_id
                    )
                )
            serial = payload["disk"].get("serial")
            owner = store.find_by_disk_serial(serial) if serial else None
            if owner is not None and owner.asset_id != device.asset_id:
                raise Refused(
                    _("disk {serial} in {log} belongs to {owner}, not to {asset}").format(
                        serial=serial, log=log.name, owner=owner.asset_id, asset=device.asset_id
                    ),
                    hint=_("use --asset {owner}").format(owner=owner.asset_id),
                )
        for payload in payloads:
            event = store.append(device.asset_id, "wipe", payload)
            done.append(
                {
                    "event_id": event.id,
                    "wipe_id": payload["wipe_id"],
                    "device": payload["disk"]["path"],
                    "model": payload["disk"]["model"],
                    "serial": payload["disk"]["serial"],
                    "size_bytes": payload["disk"]["size_bytes"],
                    "status": payload["status"],
                    "exceptions": payload["record"]["exceptions"],
                    "verification": payload["record"]["verification"]["mode"],
                }
            )
        status = store.get_device(device.asset_id).status
    for item in done:
        item["device_status"] = status
    return done

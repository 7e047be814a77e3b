"""Erasure certificates a donor can check: what the certificate says, built from the event log.

A certificate is a JSON document ``{"certificate": {...}, "signature": {...}}``. The signature is
Ed25519 (the site key, :mod:`refurb.keys`) over the *canonical* form of ``certificate``: JSON with
sorted keys, no whitespace, UTF-8. The file itself is written in one fixed pretty layout
(:func:`file_bytes`), which :mod:`refurb.certificate_verify` insists on too, so that any changed
byte of the file is detected.

The certificate tells the truth about every disk: a disk that was never erased, or whose erasure
failed, was interrupted, or had exceptions, is listed as such, and the device is called erased
only when every disk is.

Signing and checking live in :mod:`refurb.certificate_verify`, the PDF and the wording a donor
reads in :mod:`refurb.certificate_pdf`, nwipe imports in :mod:`refurb.nwipe_import`, and issuing
one from the store (build, sign, write, note) in :mod:`refurb.certificate_issue`: this module
imports none of them, they import it.

Over 400 lines on purpose: it is the one place that decides every field the signature covers
(per-disk summaries, the overall result, the issuer and signer blocks), for the device's and the
donor's certificate alike; split, a field's rule would sit apart from the others it must agree with.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from refurb.errors import InvalidInput
from refurb.i18n import _

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PublicKey,
    )

SCHEMA = "refurb.erasure-certificate/1"
RECORD_SCHEMA = "refurb.erasure-record/1"
ERASED = "erased"
WITH_EXCEPTIONS = "erased_with_exceptions"
NOT_ERASED = "not_erased"
# Every erasure recorded succeeded, but the device was never probed: refurb does not know its
# disks, so it cannot say that every one of them was erased.
NOT_INVENTORIED = "disks_not_inventoried"
RESULTS = (ERASED, WITH_EXCEPTIONS, NOT_INVENTORIED, NOT_ERASED)
# Accounts that are not a person's name (wipes run as root): never shown as the operator.
SYSTEM_ACCOUNTS = frozenset({"root", "unknown", "nobody", "admin", "user", "live", "refurb"})
DISK_STATUSES = ("erased", "erased_with_exceptions", "failed", "interrupted", "not_erased")


DONOR_SCHEMA = "refurb.donor-certificate/1"
SCHEMAS = (SCHEMA, DONOR_SCHEMA)


class CertificateInvalid(InvalidInput):
    """The certificate was changed, is not a certificate, or was signed by a key not trusted.

    ``reason`` is a stable word for scripts (``not_a_certificate``, ``changed``, ``edited``,
    ``wrong_key``, ``unknown_key``); ``fingerprint`` the signer's, when the file names one.
    """

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        *,
        reason: str = "changed",
        fingerprint: str | None = None,
    ) -> None:
        super().__init__(message, hint)
        self.reason = reason
        self.fingerprint = fingerprint


# -- canonical JSON --------------------------------------------------------------------------


def canonical_bytes(obj: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8: the bytes that are signed."""
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def file_bytes(envelope: Mapping[str, Any]) -> bytes:
    """The one layout a certificate file is written in (readable, and byte-for-byte checkable)."""
    text = json.dumps(envelope, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)
    return (text + "\n").encode("utf-8")


# -- reading erasure records tolerantly ------------------------------------------------------


def _pick(data: Mapping[str, Any] | None, *keys: str) -> Any:
    """The first present, non-empty value among ``keys`` (dotted paths allowed)."""
    if not isinstance(data, Mapping):
        return None
    for key in keys:
        value: Any = data
        for part in key.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        if value not in (None, "", [], {}):
            return value
    return None


def _disk_key(disk: Mapping[str, Any]) -> str:
    from refurb.disks import disk_key

    return disk_key(disk)


def _verification(record: Mapping[str, Any]) -> dict[str, Any]:
    out = _verification_result(record)
    return out | _scope(record, out) if record else out


def _scope(record: Mapping[str, Any], summary: Mapping[str, Any]) -> dict[str, Any]:
    """What this verification can and cannot prove, said in the certificate's language."""
    from refurb.wipe.verdict import scope_code, scope_statement

    code = _pick(record, "verification.scope.code")
    if not isinstance(code, str):
        stopped = summary.get("passed") is None and summary.get("fraction") == 0.0
        code = scope_code(summary.get("mode"), "not done" if stopped else None)
    return {"scope": code, "scope_statement": scope_statement(code, summary.get("fraction"))}


def _verification_result(record: Mapping[str, Any]) -> dict[str, Any]:
    raw = _pick(record, "verification", "verify")
    if isinstance(raw, str):
        return {"mode": raw, "fraction": None, "passed": None}
    if not isinstance(raw, Mapping):
        return {"mode": None, "fraction": None, "passed": None}
    mode = _pick(raw, "mode", "kind", "type", "method")
    fraction = _pick(raw, "fraction", "fraction_read", "sampled_fraction")
    if fraction is None and mode == "full":
        fraction = 1.0
    passed = raw.get("passed", raw.get("ok", raw.get("result")))
    if isinstance(passed, str):
        if passed.strip().lower().replace("_", " ") in ("not done", "skipped", "none", ""):
            # The erasure stopped (signal, dead disk) before its read-back: nothing was read,
            # so nothing failed or passed.
            return {"mode": mode, "fraction": 0.0, "passed": None}
        passed = passed.lower() in ("passed", "ok", "success", "true")
    return {
        "mode": mode,
        "fraction": float(fraction) if isinstance(fraction, int | float) else None,
        "passed": passed if isinstance(passed, bool) else None,
    }


def _tool(record: Mapping[str, Any]) -> tuple[str | None, str | None]:
    tool = _pick(record, "tool", "sanitization.tool")
    if isinstance(tool, Mapping):
        return _pick(tool, "name"), _pick(tool, "version")
    if isinstance(tool, str):
        name, _sep, version = tool.partition(" ")
        return name or None, (_pick(record, "tool_version") or version or None)
    return None, _pick(record, "tool_version")


def person(name: Any) -> str | None:
    """``name`` if it names a person, None for an empty or system account such as ``root``."""
    if not isinstance(name, str | int):
        return None
    text = str(name).strip()
    return text if text and text.lower() not in SYSTEM_ACCOUNTS else None


def _operator(record: Mapping[str, Any]) -> str | None:
    return person(_pick(record, "who", "operator.name", "operator", "actor"))


def choice_of(payload: Mapping[str, Any]) -> dict[str, Any] | None:
    """Why the erasure used its method (``refurb.wipe.choice``), as the certificate lists it."""
    from refurb.wipe.choice import choice_of as found

    return found(payload)


def disk_summary(
    payload: Mapping[str, Any], event: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """One disk's line on the certificate, from a ``wipe`` event payload."""
    disk = payload.get("disk") if isinstance(payload.get("disk"), Mapping) else {}
    record = payload.get("record") if isinstance(payload.get("record"), Mapping) else {}
    media = record.get("media") if isinstance(record.get("media"), Mapping) else {}
    status = payload.get("status") or _pick(record, "status", "result")
    if status not in DISK_STATUSES:
        status = "failed" if status else "interrupted"
    errors = _pick(record, "errors", "io_errors") or []
    exceptions = _pick(record, "exceptions") or []
    if isinstance(exceptions, str):
        exceptions = [exceptions]
    tool_name, tool_version = _tool(record)
    verification = _verification(record)
    summary = {
        "name": _pick(disk, "name", "path", "device") or _pick(media, "name"),
        "make": _pick(media, "make", "manufacturer", "vendor")
        or _pick(disk, "make", "manufacturer", "vendor"),
        "model": _pick(media, "model") or _pick(disk, "model"),
        "serial": _pick(media, "serial") or _pick(disk, "serial", "serial_number"),
        "type": _pick(media, "type", "media_type") or _pick(disk, "type", "media_type"),
        "bus": _pick(disk, "bus", "protocol", "tran") or _pick(media, "bus", "interface"),
        "size_bytes": _pick(media, "size_bytes") or _pick(disk, "size_bytes", "size"),
        "backing_file": _pick(media, "backing_file") or _pick(disk, "backing_file"),
        "status": status,
        "method": _pick(record, "method"),
        "nist_level": _pick(record, "nist_level", "nist_method", "nist"),
        "technique": _pick(record, "technique", "method_detail"),
        "passes": _pick(record, "passes"),
        "tool": tool_name,
        "tool_version": tool_version,
        "verification": verification,
        "operator": _operator(record) or person((event or {}).get("actor")),
        "started_at": _pick(record, "start", "started_at", "started"),
        "ended_at": _pick(record, "end", "ended_at", "finished_at", "ended"),
        "bytes_written": _pick(record, "bytes_written"),
        "errors": _pick(record, "error_count")
        or (len(errors) if isinstance(errors, list) else int(bool(errors))),
        "exceptions": [str(x) for x in exceptions][:20],
        "wipe_id": payload.get("wipe_id"),
        "event_id": (event or {}).get("id"),
        "commands": _commands(record),
        "hidden_area": _pick(record, "hidden_area"),
        "method_choice": choice_of(payload),
    }
    return {k: _jsonable(v) for k, v in summary.items()}


def _commands(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The record's external commands: what ran, which tool version ran it, its exit code
    (a command repeated alike, such as a polled sanitize log, is listed once with a count)."""
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for cmd in record.get("commands") or []:
        if isinstance(cmd, Mapping) and isinstance(cmd.get("argv"), list) and cmd["argv"]:
            argv = " ".join(str(a) for a in cmd["argv"])
            key = (argv, cmd.get("tool_version"), cmd.get("returncode"))
            if key in out:
                out[key]["count"] += 1
                continue
            out[key] = {
                "argv": argv,
                "tool": cmd.get("tool") or str(cmd["argv"][0]),
                "tool_version": cmd.get("tool_version"),
                "returncode": cmd.get("returncode"),
                "count": 1,
            }
    return list(out.values())


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and value != value:  # NaN has no JSON form
        return None
    return value


def _not_erased(disk: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "name": _pick(disk, "name", "path"),
        "make": _pick(disk, "make", "manufacturer", "vendor"),
        "model": _pick(disk, "model"),
        "serial": _pick(disk, "serial", "serial_number"),
        "type": _pick(disk, "type", "media_type"),
        "bus": _pick(disk, "bus", "protocol", "tran"),
        "size_bytes": _pick(disk, "size_bytes", "size"),
        "backing_file": _pick(disk, "backing_file"),
        "status": "not_erased",
        "method": None,
        "nist_level": None,
        "technique": None,
        "passes": None,
        "tool": None,
        "tool_version": None,
        "verification": {"mode": None, "fraction": None, "passed": None},
        "operator": None,
        "started_at": None,
        "ended_at": None,
        "bytes_written": None,
        "errors": 0,
        "exceptions": [],
        "wipe_id": None,
        "event_id": None,
        "commands": [],
        "hidden_area": None,
        "method_choice": None,
    }


def _own_disk(disk: Mapping[str, Any]) -> bool:
    from refurb.disks import is_internal

    return is_internal(disk)


def disks_from_events(events: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every disk's latest erasure state, plus probed disks that were never erased.

    ``events`` are dicts with ``id``, ``kind``, ``payload``, ``actor`` (oldest first). A
    ``wipe_started`` without its ``wipe`` (the process was killed) counts as interrupted.
    """
    latest: dict[str, dict[str, Any]] = {}
    order: list[str] = []
    probed: dict[str, Mapping[str, Any]] = {}
    for event in events:
        kind = event.get("kind")
        payload = event.get("payload") or {}
        if not isinstance(payload, Mapping):
            continue
        if kind == "probe":
            probe = payload.get("probe") if isinstance(payload.get("probe"), Mapping) else {}
            probed = {}
            for disk in probe.get("disks") or []:
                # The same rule as the device's own disk list (refurb show, readiness): the
                # medium refurb runs from, removable media and USB disks are not its own.
                if isinstance(disk, Mapping) and _own_disk(disk):
                    probed[_disk_key(disk)] = disk
            continue
        if kind not in ("wipe", "wipe_started"):
            continue
        disk = payload.get("disk") if isinstance(payload.get("disk"), Mapping) else {}
        key = _disk_key(disk)
        if key not in latest:
            order.append(key)
        if kind == "wipe_started":
            started = dict(payload)
            started["status"] = "interrupted"
            started.setdefault(
                "record",
                {"exceptions": ["the erasure started but never finished (process ended)"]},
            )
            latest[key] = {"payload": started, "event": event}
        else:
            latest[key] = {"payload": payload, "event": event}
    disks = [disk_summary(latest[k]["payload"], latest[k]["event"]) for k in order]
    for key, disk in probed.items():
        if key not in latest:
            disks.append(_not_erased(disk))
    return disks


def inventoried(events: Iterable[Mapping[str, Any]]) -> bool:
    """Whether the device's disks are known: a probe of it was recorded."""
    return any(e.get("kind") == "probe" for e in events)


def overall_status(disks: list[Mapping[str, Any]], *, disks_known: bool = True) -> str:
    """``erased`` only when the device's disks are known, there is one, and every one is erased.

    When every recorded erasure succeeded but the device was never probed, the result is
    ``disks_not_inventoried``: the erased disks are listed, and nothing is said of the others.
    """
    statuses = {d.get("status") for d in disks}
    if not disks or statuses - {ERASED, WITH_EXCEPTIONS}:
        return NOT_ERASED
    if not disks_known:
        return NOT_INVENTORIED
    return ERASED if statuses == {ERASED} else WITH_EXCEPTIONS


def device_title(make: str | None, model: str | None) -> str | None:
    """'HP' + 'HP EliteBook 840 G3' -> 'HP EliteBook 840 G3' (the labels' rule, one place)."""
    from refurb.specs import model_line

    return model_line(make, model) or None


# -- building, signing, verifying ------------------------------------------------------------


def build_certificate(
    *,
    site: str,
    device: Mapping[str, Any],
    events: Iterable[Mapping[str, Any]],
    issued_at: datetime | str,
    public_key: Ed25519PublicKey,
    certificate_id: str | None = None,
    site_contact: str | None = None,
    operator: str | None = None,
) -> dict[str, Any]:
    """The certificate body (unsigned) for one device."""
    events = list(events)
    disks = disks_from_events(events)
    known = inventoried(events)
    make, model = _pick(device, "make", "manufacturer"), _pick(device, "model")
    return {
        "schema": SCHEMA,
        "certificate_id": certificate_id or str(uuid.uuid4()),
        **issuer_block(site, site_contact, operator, issued_at),
        "device": {
            "asset_id": _pick(device, "asset_id", "asset"),
            "make": make,
            "model": model,
            "title": device_title(make, model),
            "serial": _pick(device, "serial"),
            "donor": _pick(device, "donor"),
            "batch": _pick(device, "batch"),
        },
        "disks_inventoried": known,
        "disks": disks,
        "result": overall_status(disks, disks_known=known),
        "standard": "NIST SP 800-88 Rev. 2",
        "signer": signer_block(public_key),
    }


def issuer_block(
    site: str | None, contact: str | None, operator: str | None, issued_at: datetime | str
) -> dict[str, Any]:
    """Who issued a certificate and when: the same keys on a device's and a donor's."""
    issued = issued_at.isoformat() if isinstance(issued_at, datetime) else str(issued_at)
    return {
        "site": site or None,
        "site_contact": contact or None,
        "operator": person(operator),
        "issued_at": issued,
    }


def signer_block(public_key: Ed25519PublicKey) -> dict[str, Any]:
    from refurb import keys

    return {
        "algorithm": "Ed25519",
        "key_fingerprint": keys.fingerprint(public_key),
        "public_key": base64.b64encode(keys.raw_public_bytes(public_key)).decode("ascii"),
    }


def issuer_settings(env: Any, operator: str | None = None) -> dict[str, str | None]:
    """The site's name and contact from the settings, and who answers for the certificate:
    ``--operator``, else the ``operator`` setting, else the login name unless it is ``root``."""
    settings = env.settings
    return {
        "site": settings.site,
        "site_contact": settings.contact,
        "operator": person(operator) or person(settings.operator) or person(env.actor),
    }


def write_certificate(envelope: Mapping[str, Any], path: Path) -> bytes:
    """Write the certificate file; returns the bytes written (their SHA-256 is recorded)."""
    data = file_bytes(envelope)
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise InvalidInput(
            _("cannot write {path}: {why}").format(path=path, why=exc.strerror or exc)
        ) from exc
    return data


def write_both(
    envelope: Mapping[str, Any],
    json_path: Path,
    pdf_path: Path | None,
    render: Callable[[Mapping[str, Any], Path], None],
) -> bytes:
    """The PDF (when asked) and then the signed JSON: both files or neither, so a signed JSON
    left behind by a failed command is never one that was not recorded."""
    if pdf_path is not None:
        render(envelope, pdf_path)
    try:
        return write_certificate(envelope, json_path)
    except BaseException:
        if pdf_path is not None:
            pdf_path.unlink(missing_ok=True)
        raise


def _event_dict(event: Any) -> dict[str, Any]:
    """A decoded store event as the plain dict the certificate is built from."""
    return event.as_dict()


# Old spellings: these moved to their own modules; importing them from here keeps working.
_MOVED = {
    "sign": "refurb.certificate_verify",
    "verify": "refurb.certificate_verify",
    "Verification": "refurb.certificate_verify",
    "render_pdf": "refurb.certificate_pdf",
    "status_text": "refurb.certificate_pdf",
    "result_sentence": "refurb.certificate_pdf",
    "verification_text": "refurb.certificate_pdf",
    "nwipe_records": "refurb.nwipe_import",
    "issue_certificate": "refurb.certificate_issue",
    "import_nwipe": "refurb.nwipe_import",
}


def __getattr__(name: str) -> Any:
    import importlib

    if name in _MOVED:
        return getattr(importlib.import_module(_MOVED[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

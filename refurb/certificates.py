"""Erasure certificates a donor can check, and erasure records imported from nwipe logs.

A certificate is a JSON document ``{"certificate": {...}, "signature": {...}}``. The signature is
Ed25519 (the site key, :mod:`refurb.keys`) over the *canonical* form of ``certificate``: JSON with
sorted keys, no whitespace, UTF-8. The file itself is written in one fixed pretty layout, and
``verify`` insists on that layout too, so that any changed byte of the file is detected, not only
changes that alter the parsed content (CRLF line ends and a missing final newline are tolerated:
mail and editors do that to text files).

The certificate tells the truth about every disk: a disk that was never erased, or whose erasure
failed, was interrupted, or had exceptions, is listed as such, and the device is called erased
only when every disk is.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from refurb.errors import InvalidInput, NotFound
from refurb.i18n import _

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

SCHEMA = "refurb.erasure-certificate/1"
RECORD_SCHEMA = "refurb.erasure-record/1"
ERASED = "erased"
WITH_EXCEPTIONS = "erased_with_exceptions"
NOT_ERASED = "not_erased"
DISK_STATUSES = ("erased", "erased_with_exceptions", "failed", "interrupted", "not_erased")


class CertificateInvalid(InvalidInput):
    """The certificate was changed, is not a certificate, or was signed by another key."""


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


def _operator(record: Mapping[str, Any]) -> str | None:
    who = _pick(record, "who", "operator.name", "operator", "actor")
    return str(who) if isinstance(who, str | int) else None


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
        "status": status,
        "method": _pick(record, "method"),
        "nist_level": _pick(record, "nist_level", "nist_method", "nist"),
        "technique": _pick(record, "technique", "method_detail"),
        "passes": _pick(record, "passes"),
        "tool": tool_name,
        "tool_version": tool_version,
        "verification": verification,
        "operator": _operator(record) or (event or {}).get("actor"),
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


def overall_status(disks: list[Mapping[str, Any]]) -> str:
    """``erased`` only when there is a disk and every disk is erased."""
    statuses = {d.get("status") for d in disks}
    if not disks or statuses - {ERASED, WITH_EXCEPTIONS}:
        return NOT_ERASED
    return ERASED if statuses == {ERASED} else WITH_EXCEPTIONS


# -- building, signing, verifying ------------------------------------------------------------


def build_certificate(
    *,
    site: str,
    device: Mapping[str, Any],
    events: Iterable[Mapping[str, Any]],
    issued_at: datetime | str,
    public_key: Ed25519PublicKey,
    certificate_id: str | None = None,
) -> dict[str, Any]:
    """The certificate body (unsigned) for one device."""
    from refurb import keys

    disks = disks_from_events(events)
    issued = issued_at.isoformat() if isinstance(issued_at, datetime) else str(issued_at)
    return {
        "schema": SCHEMA,
        "certificate_id": certificate_id or str(uuid.uuid4()),
        "site": site or None,
        "issued_at": issued,
        "device": {
            "asset_id": _pick(device, "asset_id", "asset"),
            "make": _pick(device, "make", "manufacturer"),
            "model": _pick(device, "model"),
            "serial": _pick(device, "serial"),
        },
        "disks": disks,
        "result": overall_status(disks),
        "standard": "NIST SP 800-88 Rev. 2",
        "signer": {
            "algorithm": "Ed25519",
            "key_fingerprint": keys.fingerprint(public_key),
            "public_key": base64.b64encode(keys.raw_public_bytes(public_key)).decode("ascii"),
        },
    }


def sign(certificate: Mapping[str, Any], private_key: Ed25519PrivateKey) -> dict[str, Any]:
    """The signed envelope ``{"certificate": ..., "signature": {...}}``."""
    from refurb import keys

    fp = keys.fingerprint(private_key.public_key())
    if certificate.get("signer", {}).get("key_fingerprint") != fp:
        raise InvalidInput("the certificate names another signer than the key signing it")
    value = private_key.sign(canonical_bytes(certificate))
    return {
        "certificate": dict(certificate),
        "signature": {
            "algorithm": "Ed25519",
            "key_fingerprint": fp,
            "value": base64.b64encode(value).decode("ascii"),
        },
    }


@dataclass
class Verification:
    certificate: dict[str, Any]
    fingerprint: str
    key_source: str  # "given" (--key) or "embedded" (the key inside the certificate)


def _strict_b64(text: Any, what: str, length: int) -> bytes:
    if not isinstance(text, str):
        raise CertificateInvalid(_("the certificate's {what} is missing").format(what=what))
    try:
        raw = base64.b64decode(text, validate=True)
    except (ValueError, TypeError):
        raw = b""
    if len(raw) != length or base64.b64encode(raw).decode("ascii") != text:
        raise CertificateInvalid(_("the certificate's {what} is malformed").format(what=what))
    return raw


def verify(
    data: bytes,
    *,
    key: Ed25519PublicKey | None = None,
    source: str = "certificate",
) -> Verification:
    """Check a certificate file's bytes; :class:`CertificateInvalid` (exit 1) on any problem.

    With ``key`` the certificate must be signed by that key. Without it the public key embedded
    in the certificate is used: that proves the file is unchanged, not who made it, so the caller
    shows the fingerprint for the reader to compare with the one the workshop publishes.
    """
    from cryptography.exceptions import InvalidSignature

    from refurb import keys

    try:
        text = data.decode("utf-8")
        envelope = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CertificateInvalid(
            _("{source} is not a readable certificate: {detail}").format(source=source, detail=exc)
        ) from None
    if (
        not isinstance(envelope, dict)
        or set(envelope) != {"certificate", "signature"}
        or not isinstance(envelope["certificate"], dict)
        or not isinstance(envelope["signature"], dict)
    ):
        raise CertificateInvalid(
            _("{source} is not a refurb erasure certificate").format(source=source)
        )
    cert, sig = envelope["certificate"], envelope["signature"]
    if cert.get("schema") != SCHEMA:
        raise CertificateInvalid(
            _("{source}: unknown certificate schema {schema!r}").format(
                source=source, schema=cert.get("schema")
            )
        )
    if sig.get("algorithm") != "Ed25519" or set(sig) != {"algorithm", "key_fingerprint", "value"}:
        raise CertificateInvalid(
            _("{source}: the signature block was changed").format(source=source)
        )
    signer = cert.get("signer") if isinstance(cert.get("signer"), dict) else {}
    embedded_raw = _strict_b64(signer.get("public_key"), _("public key"), 32)
    embedded = keys.public_key_from_bytes(base64.b64encode(embedded_raw))
    declared = signer.get("key_fingerprint")
    if declared != keys.fingerprint(embedded) or sig.get("key_fingerprint") != declared:
        raise CertificateInvalid(
            _("{source}: the signer's fingerprint does not match its public key").format(
                source=source
            )
        )
    signature = _strict_b64(sig.get("value"), _("signature"), 64)
    checker, key_source = (key, "given") if key is not None else (embedded, "embedded")
    if keys.fingerprint(checker) != declared:
        raise CertificateInvalid(
            _("{source} was signed by another key ({theirs}), not by {ours}").format(
                source=source, theirs=declared, ours=keys.fingerprint(checker)
            ),
            hint=_("pass the signing site's public key with --key"),
        )
    try:
        checker.verify(signature, canonical_bytes(cert))
    except InvalidSignature:
        raise CertificateInvalid(
            _(
                "{source}: the signature does not match the content: the certificate was changed"
            ).format(source=source)
        ) from None
    normalized = text.replace("\r\n", "\n")
    expected = file_bytes(envelope).decode("utf-8")
    if normalized not in (expected, expected.rstrip("\n")):
        raise CertificateInvalid(
            _(
                "{source}: the signed content is intact but the file was edited "
                "(its bytes differ from what refurb wrote)"
            ).format(source=source),
            hint=_("ask the workshop for the original file"),
        )
    return Verification(cert, declared, key_source)


def write_certificate(envelope: Mapping[str, Any], path: Path) -> None:
    try:
        path.write_bytes(file_bytes(envelope))
    except OSError as exc:
        raise InvalidInput(
            _("cannot write {path}: {why}").format(path=path, why=exc.strerror or exc)
        ) from exc


# -- the PDF a donor reads -------------------------------------------------------------------

_STATUS_TEXT = {
    "erased": lambda: _("Erased"),
    "erased_with_exceptions": lambda: _("Erased with exceptions"),
    "failed": lambda: _("Erasure FAILED"),
    "interrupted": lambda: _("Erasure interrupted"),
    "not_erased": lambda: _("Not erased"),
}


def status_text(status: str | None) -> str:
    factory = _STATUS_TEXT.get(status or "")
    return factory() if factory else str(status)


def result_sentence(result: str, disks: Iterable[Mapping[str, Any]] = ()) -> str:
    if result == ERASED:
        if all((d.get("verification") or {}).get("passed") is True for d in disks):
            return _("Every disk of this device was erased and the erasure was verified.")
        return _("Every disk of this device was erased.")
    if result == WITH_EXCEPTIONS:
        return _(
            "Every disk was erased, with exceptions listed below (for example unreadable "
            "sectors). Read them before relying on this erasure."
        )
    return _("This device is NOT (completely) erased. Do not treat its data as destroyed.")


def _size(value: Any) -> str:
    from refurb.units import disk_size

    return disk_size(value)


def verification_text(v: Mapping[str, Any] | None) -> str:
    if not isinstance(v, Mapping) or not v.get("mode"):
        return _("not verified")
    mode = str(v["mode"])
    fraction = v.get("fraction")
    if v.get("passed") is None and fraction == 0 and mode != "off":
        return _("not done (the erasure stopped before its read-back)")
    if mode == "full":
        text = _("full read-back")
    elif mode.startswith("sample"):
        text = _("sampled read-back")
        if isinstance(fraction, int | float):
            text += f" ({fraction * 100:.1f} %)"
    elif mode == "off":
        return _("not verified")
    else:
        text = mode
    passed = v.get("passed")
    if passed is True:
        text += ", " + _("passed")
    elif passed is False:
        text += ", " + _("FAILED")
    return text


def _latin1(text: Any) -> str:
    """The text for the PDF; DejaVu Sans covers Latin, Greek, Cyrillic and Arabic donor names."""
    return str(text if text is not None else "-")


FONTS = Path(__file__).parent / "fonts"


def _add_fonts(pdf: Any) -> None:
    import logging

    # A glyph the font lacks (an emoji) prints nothing; fpdf2 would log it in English on stderr.
    logging.getLogger("fpdf").addHandler(logging.NullHandler())
    logging.getLogger("fpdf").propagate = False
    pdf.add_font("Sans", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("Sans", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.add_font("Sans", "I", str(FONTS / "DejaVuSans.ttf"))


def render_pdf(envelope: Mapping[str, Any], path: Path, json_name: str | None = None) -> None:
    """A one-page A4 PDF a donor can read; the signed JSON remains the proof."""
    from fpdf import FPDF

    from refurb import keys

    cert = envelope["certificate"]
    result = cert.get("result", NOT_ERASED)
    pdf = FPDF(format="A4", unit="mm")
    _add_fonts(pdf)
    pdf.set_auto_page_break(False)
    pdf.set_margins(15, 14, 15)
    pdf.add_page()
    pdf.set_title(_latin1(_("Certificate of data erasure")))
    pdf.set_creator("refurb")
    width = pdf.w - pdf.l_margin - pdf.r_margin

    pdf.set_font("Sans", "B", 18)
    pdf.cell(width, 10, _latin1(_("Certificate of data erasure")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Sans", "", 10)
    pdf.cell(
        width,
        6,
        _latin1(
            _("Issued by {site} on {date}").format(
                site=cert.get("site") or _("(site not named)"),
                date=str(cert.get("issued_at", ""))[:19].replace("T", " "),
            )
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)

    colour = {ERASED: (22, 120, 60), WITH_EXCEPTIONS: (190, 120, 0)}.get(result, (180, 30, 30))
    pdf.set_fill_color(*colour)
    pdf.set_text_color(255, 255, 255)
    pdf.set_font("Sans", "B", 14)
    headline = {
        ERASED: _("ERASED"),
        WITH_EXCEPTIONS: _("ERASED WITH EXCEPTIONS"),
    }.get(result, _("NOT ERASED"))
    pdf.cell(width, 10, _latin1(headline), fill=True, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("Sans", "", 10)
    pdf.multi_cell(
        width,
        5,
        _latin1(result_sentence(result, cert.get("disks") or [])),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)

    device = cert.get("device", {})
    pdf.set_font("Sans", "B", 12)
    pdf.cell(width, 7, _latin1(_("Device")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Sans", "", 10)
    for label, value in (
        (_("Asset id"), device.get("asset_id")),
        (
            _("Make / model"),
            " ".join(str(x) for x in (device.get("make"), device.get("model")) if x),
        ),
        (_("Serial number"), device.get("serial")),
    ):
        pdf.cell(40, 5.5, _latin1(label + ":"))
        pdf.cell(width - 40, 5.5, _latin1(value or "-"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)

    disks = cert.get("disks") or []
    pdf.set_font("Sans", "B", 12)
    pdf.cell(width, 7, _latin1(_("Disks")), new_x="LMARGIN", new_y="NEXT")
    if not disks:
        pdf.set_font("Sans", "", 10)
        pdf.cell(
            width,
            6,
            _latin1(_("No disk and no erasure is recorded for this device.")),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    scopes = _scope_notes(disks)
    available = (pdf.h - 64) - pdf.get_y() - sum(3.6 * (2 + len(t) // 110) for t in scopes)
    if len(disks) * 33 <= available:
        for i, disk in enumerate(disks, start=1):
            _pdf_disk(pdf, width, i, disk)
    else:
        # Many disks: one line each, and whatever does not fit is left to the JSON file.
        fits = int(available // 5)
        shown = disks if len(disks) <= fits else disks[: max(0, fits - 1)]
        for i, disk in enumerate(shown, start=1):
            _pdf_disk_line(pdf, width, i, disk)
        if len(shown) < len(disks):
            pdf.set_font("Sans", "I", 9)
            pdf.cell(
                width,
                5,
                _latin1(
                    _("... and {n} more disks: see the JSON file").format(n=len(disks) - len(shown))
                ),
                new_x="LMARGIN",
                new_y="NEXT",
            )
    pdf.set_font("Sans", "", 8)
    for text in scopes:
        pdf.ln(0.8)
        pdf.multi_cell(width, 3.6, _latin1(text), align="L", new_x="LMARGIN", new_y="NEXT")

    pdf.set_y(pdf.h - 62)
    pdf.set_draw_color(120, 120, 120)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(2)
    signer = cert.get("signer", {})
    fp = signer.get("key_fingerprint", "")
    pdf.set_font("Sans", "B", 11)
    pdf.cell(width, 6, _latin1(_("Signature and how to check it")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Sans", "", 9)
    name = json_name or _("the certificate .json file")
    pdf.multi_cell(
        width,
        4.5,
        _latin1(
            _(
                "This page is a readable copy. The proof is the signed file {name} "
                "(Ed25519 signature by the site's key, certificate {cid}). To check it, install "
                "refurb and run: refurb wipe verify-cert {name} --key site-ed25519.pub - it says "
                "OK only if not a single byte was changed. The key's fingerprint must be the one "
                "below; ask {site} to confirm it."
            ).format(
                name=name,
                cid=cert.get("certificate_id", "?"),
                site=cert.get("site") or _("the workshop"),
            )
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("Courier", "B", 9)
    pdf.multi_cell(
        width,
        4.5,
        _latin1(_("Key fingerprint (SHA-256):") + " " + keys.short_fingerprint(fp)),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("Courier", "", 6.5)
    value = envelope.get("signature", {}).get("value", "")
    pdf.multi_cell(
        width, 3.2, _latin1(_("Signature:") + " " + value), new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_font("Sans", "I", 7.5)
    pdf.set_y(pdf.h - 14)
    # Two lines at most: translations are longer than the English.
    pdf.multi_cell(
        width,
        3.6,
        _latin1(
            _(
                "Erasure per {standard}: Clear = overwrite of all user-addressable storage; "
                "Purge = the drive's own sanitize/secure-erase command."
            ).format(standard=cert.get("standard", "NIST SP 800-88"))
        ),
        align="C",
    )
    try:
        pdf.output(str(path))
    except OSError as exc:
        raise InvalidInput(
            _("cannot write {path}: {why}").format(path=path, why=exc.strerror or exc)
        ) from exc


def _scope_notes(disks: Iterable[Mapping[str, Any]]) -> list[str]:
    """What each kind of verification on this page proves, said once (wipe/verdict.py)."""
    from refurb.wipe.verdict import scope_statement

    codes = ((d.get("verification") or {}).get("scope") for d in disks)
    return [scope_statement(code) for code in dict.fromkeys(c for c in codes if c)]


def _pdf_disk_line(pdf: Any, width: float, index: int, disk: Mapping[str, Any]) -> None:
    status = disk.get("status")
    pdf.set_font("Sans", "", 8.5)
    title = " ".join(str(x) for x in (disk.get("make"), disk.get("model")) if x) or "?"
    text = (
        f"{index}. {title}  {disk.get('serial') or '-'}  {_size(disk.get('size_bytes'))}  "
        f"{disk.get('nist_level') or '-'}  {verification_text(disk.get('verification'))}"
    )
    pdf.cell(width * 0.75, 5, _latin1(text[:110]))
    pdf.set_text_color(*((22, 120, 60) if status == ERASED else (180, 30, 30)))
    pdf.cell(
        width * 0.25, 5, _latin1(status_text(status)), align="R", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_text_color(0, 0, 0)


def _pdf_command_rows(disk: Mapping[str, Any]) -> list[tuple[str, str]]:
    """One row per external command the erasure ran, with the tool version that ran it."""
    rows = []
    for cmd in disk.get("commands") or []:
        tool = " ".join(str(x) for x in (cmd.get("tool"), cmd.get("tool_version")) if x)
        times = f" x{cmd['count']}" if (cmd.get("count") or 1) > 1 else ""
        rows.append(
            (_("Command"), f"{cmd.get('argv')}{times}  [{tool}, exit {cmd.get('returncode')}]")
        )
    hidden = disk.get("hidden_area")
    if isinstance(hidden, Mapping) and hidden.get("finding"):
        rows.append((_("Hidden area"), str(hidden.get("statement") or hidden["finding"])))
    return rows


def _pdf_disk(pdf: Any, width: float, index: int, disk: Mapping[str, Any]) -> None:
    status = disk.get("status")
    ok = status == ERASED
    pdf.set_font("Sans", "B", 10)
    title = " ".join(str(x) for x in (disk.get("make"), disk.get("model")) if x) or _(
        "unknown disk"
    )
    pdf.cell(width * 0.62, 5.5, _latin1(f"{index}. {title}"))
    pdf.set_text_color(*((22, 120, 60) if ok else (180, 30, 30)))
    pdf.cell(
        width * 0.38, 5.5, _latin1(status_text(status)), align="R", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("Sans", "", 9)
    tool = " ".join(str(x) for x in (disk.get("tool"), disk.get("tool_version")) if x)
    rows = [
        (
            _("Serial / size"),
            f"{disk.get('serial') or '-'}  /  {_size(disk.get('size_bytes'))}"
            + (f"  ({disk.get('bus')})" if disk.get("bus") else ""),
        ),
    ]
    if status != "not_erased":
        method = disk.get("technique") or disk.get("method") or "-"
        if disk.get("passes"):
            method += " - " + _("{n} pass(es)").format(n=disk["passes"])
        rows += [
            (_("Method"), f"{method}" + (f"  [{tool}]" if tool else "")),
            (_("NIST level"), disk.get("nist_level") or "-"),
            (_("Verification"), verification_text(disk.get("verification"))),
            *_pdf_command_rows(disk),
            (
                _("When / who"),
                f"{str(disk.get('started_at') or '-')[:19].replace('T', ' ')} - "
                f"{str(disk.get('ended_at') or '-')[:19].replace('T', ' ')}"
                + (f"  ({disk.get('operator')})" if disk.get("operator") else ""),
            ),
        ]
        problems = list(disk.get("exceptions") or [])
        if disk.get("errors"):
            problems.insert(0, _("{n} I/O error(s) recorded").format(n=disk["errors"]))
        if problems:
            rows.append((_("Exceptions"), "; ".join(problems)[:150]))
    else:
        rows.append((_("Erasure"), _("no erasure of this disk is recorded")))
    for label, value in rows:
        pdf.set_x(pdf.l_margin + 5)
        pdf.cell(32, 4.6, _latin1(label + ":"))
        pdf.multi_cell(width - 37, 4.6, _latin1(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1.5)


# -- nwipe logs -> erasure records -----------------------------------------------------------


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


# -- with the store --------------------------------------------------------------------------


def _event_dict(event: Any) -> dict[str, Any]:
    payload = event.payload
    if isinstance(payload, str):
        try:
            payload = json.loads(payload)
        except json.JSONDecodeError:
            payload = {}
    return {
        "id": event.id,
        "kind": event.kind,
        "payload": payload,
        "actor": event.actor,
        "created_at": event.created_at,
    }


def issue_certificate(
    env: Any,
    asset: str,
    *,
    json_path: Path,
    pdf_path: Path | None = None,
) -> dict[str, Any]:
    """Build, sign and write the certificate of one device; a note event records the issue."""
    from refurb import keys
    from refurb.config import load_config
    from refurb.store import open_store

    private = keys.load_private_key(keys.private_key_path(env))
    config = env.extra.get("config") or load_config(env.config_path)
    with open_store(env) as store:
        device = store.get_device(asset)
        events = [_event_dict(e) for e in store.events(device.asset_id)]
        body = build_certificate(
            site=str(config.get("site") or ""),
            device={
                "asset_id": device.asset_id,
                "manufacturer": device.manufacturer,
                "model": device.model,
                "serial": device.serial,
            },
            events=events,
            issued_at=env.now().isoformat(timespec="seconds"),
            public_key=private.public_key(),
        )
        envelope = sign(body, private)
        # Both files or neither: a signed JSON left behind by a failed command is not recorded.
        if pdf_path is not None:
            render_pdf(envelope, pdf_path, json_name=json_path.name)
        try:
            write_certificate(envelope, json_path)
        except BaseException:
            if pdf_path is not None:
                pdf_path.unlink(missing_ok=True)
            raise
        store.append(
            device.asset_id,
            "note",
            {
                "text": f"erasure certificate {body['certificate_id']} issued: {body['result']}",
                "certificate_id": body["certificate_id"],
                "result": body["result"],
                "sha256": hashlib.sha256(file_bytes(envelope)).hexdigest(),
            },
        )
    return {
        "asset_id": device.asset_id,
        "certificate_id": body["certificate_id"],
        "result": body["result"],
        "disks": body["disks"],
        "key_fingerprint": body["signer"]["key_fingerprint"],
        "json": str(json_path),
        "pdf": str(pdf_path) if pdf_path else None,
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

"""The certificate as a donor reads it: the wording of results, and the PDF.

The signed JSON is the proof; the PDF is a readable copy of it, in the language of ``--lang``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from refurb.certificates import ERASED, NOT_ERASED, WITH_EXCEPTIONS
from refurb.errors import InvalidInput
from refurb.i18n import _

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
    if not isinstance(value, int | float) or value <= 0:
        return "?"
    units = ["B", "kB", "MB", "GB", "TB"]
    size = float(value)
    unit = 0
    while size >= 1000 and unit < len(units) - 1:
        size /= 1000
        unit += 1
    return f"{size:.0f} {units[unit]}" if size >= 10 else f"{size:.1f} {units[unit]}"


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
    available = (pdf.h - 64) - pdf.get_y()
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

"""The certificate as a donor reads it: the wording of results, and the PDF.

The signed JSON is the proof; the PDF is a readable copy of it, in the language of ``--lang``.

Over 400 lines on purpose: the wording of every result and the page layout that shows it are
read together by whoever changes what a donor reads; the donor certificate reuses both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from refurb.certificates import ERASED, NOT_ERASED, NOT_INVENTORIED, WITH_EXCEPTIONS, device_title
from refurb.errors import InvalidInput
from refurb.i18n import _, ngettext

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
    if result == NOT_INVENTORIED:
        return _(
            "The disks listed below were erased. This device's disks were not inventoried (it "
            "was never probed), so this certificate does not say that every disk of the device "
            "was erased."
        )
    return _("This device is NOT (completely) erased. Do not treat its data as destroyed.")


def headline(result: str) -> str:
    return {
        ERASED: _("ERASED"),
        WITH_EXCEPTIONS: _("ERASED WITH EXCEPTIONS"),
        NOT_INVENTORIED: _("LISTED DISKS ERASED, DISKS NOT INVENTORIED"),
    }.get(result, _("NOT ERASED"))


GREEN, AMBER, RED = (22, 120, 60), (190, 120, 0), (180, 30, 30)
SIGNATURE_BLOCK = 66  # mm from the foot of the page: fingerprint, signature, how to check


def result_colour(result: str | None) -> tuple[int, int, int]:
    return {ERASED: GREEN, WITH_EXCEPTIONS: AMBER, NOT_INVENTORIED: AMBER}.get(result or "", RED)


def disk_heading(disk: Mapping[str, Any]) -> str:
    """How a donor recognises a disk: its model and serial; a loop device by its backing file."""
    title = device_title(disk.get("make"), disk.get("model"))
    backing = disk.get("backing_file")
    if backing:
        where = str(backing)
        if len(where) > 70:
            where = "..." + where[-67:]
        return _("loop device on the file {file}").format(file=where)
    if disk.get("serial"):
        return _("{model}, serial {serial}").format(
            model=title or _("unknown disk"), serial=disk["serial"]
        )
    return _("{model}, no serial number").format(model=title or _("unknown disk"))


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


def _fit(pdf: Any, text: str, width: float, style: str, size: float) -> None:
    """Choose a font size at most ``size`` at which ``text`` fits ``width`` (translations vary)."""
    pdf.set_font("Sans", style, size)
    while size > 7 and pdf.get_string_width(text) > width:
        size -= 0.5
        pdf.set_font("Sans", style, size)


def _colon(label: str) -> str:
    """'Size:' in English and Dutch, 'Taille :' in French."""
    return _("{label}:").format(label=label)


def _field(pdf: Any, label: str, value: Any, width: float, label_w: float = 46) -> None:
    pdf.set_font("Sans", "", 10)
    pdf.cell(label_w, 5.5, _latin1(_colon(label)))
    pdf.multi_cell(
        width - label_w, 5.5, _latin1(value or "-"), new_x="LMARGIN", new_y="NEXT", align="L"
    )


def new_pdf(title: str) -> Any:
    from fpdf import FPDF

    pdf = FPDF(format="A4", unit="mm")
    _add_fonts(pdf)
    pdf.set_auto_page_break(False)
    pdf.set_margins(15, 14, 15)
    pdf.set_title(_latin1(title))
    pdf.set_creator("refurb")
    return pdf


def header(pdf: Any, cert: Mapping[str, Any], title: str, width: float) -> None:
    """Title, who issued it (site, contact, operator) and when."""
    pdf.set_font("Sans", "B", 18)
    pdf.cell(width, 10, _latin1(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Sans", "", 10)
    pdf.multi_cell(
        width,
        5,
        _latin1(
            _("Issued by {site} on {date}").format(
                site=cert.get("site") or _("(site not named)"),
                date=str(cert.get("issued_at", ""))[:19].replace("T", " "),
            )
        ),
        new_x="LMARGIN",
        new_y="NEXT",
        align="L",
    )
    if cert.get("site_contact"):
        pdf.multi_cell(
            width,
            5,
            _latin1(_("Contact: {contact}").format(contact=cert["site_contact"])),
            new_x="LMARGIN",
            new_y="NEXT",
            align="L",
        )
    pdf.multi_cell(
        width,
        5,
        _latin1(_("Operator: {name}").format(name=cert.get("operator") or _("(not named)"))),
        new_x="LMARGIN",
        new_y="NEXT",
        align="L",
    )
    pdf.ln(2)


def band(pdf: Any, result: str, width: float, sentence: str, text: str | None = None) -> None:
    """The result in a coloured band (``text``, else the result's headline), then a sentence."""
    pdf.set_fill_color(*result_colour(result))
    pdf.set_text_color(255, 255, 255)
    text = text or headline(result)
    _fit(pdf, text, width - 4, "B", 14)
    pdf.cell(width, 10, _latin1(text), fill=True, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("Sans", "", 10)
    pdf.multi_cell(width, 5, _latin1(sentence), new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.ln(2)


def render_pdf(envelope: Mapping[str, Any], path: Path, json_name: str | None = None) -> None:
    """A one-page A4 PDF a donor can read; the signed JSON remains the proof."""
    cert = envelope["certificate"]
    result = cert.get("result", NOT_ERASED)
    title = _("Certificate of data erasure")
    pdf = new_pdf(title)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    header(pdf, cert, title, width)
    band(pdf, result, width, result_sentence(result, cert.get("disks") or []))

    device = cert.get("device", {})
    pdf.set_font("Sans", "B", 12)
    pdf.cell(width, 7, _latin1(_("Device")), new_x="LMARGIN", new_y="NEXT")
    make_model = device.get("title") or device_title(device.get("make"), device.get("model"))
    for label, value in (
        (_("Asset id"), device.get("asset_id")),
        (_("Make / model"), make_model),
        (_("Serial number"), device.get("serial")),
        (_("Donor"), device.get("donor")),
        (_("Batch"), device.get("batch")),
    ):
        _field(pdf, label, value, width)
    pdf.ln(2)

    disks = cert.get("disks") or []
    pdf.set_font("Sans", "B", 12)
    pdf.cell(width, 7, _latin1(_("Disks")), new_x="LMARGIN", new_y="NEXT")
    if cert.get("disks_inventoried") is False:
        pdf.set_font("Sans", "I", 9)
        pdf.multi_cell(
            width,
            4.6,
            _latin1(
                _(
                    "Not inventoried: no probe of this device is recorded, so refurb does not "
                    "know whether it has other disks than these."
                )
            ),
            new_x="LMARGIN",
            new_y="NEXT",
            align="L",
        )
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
    available = (
        (pdf.h - SIGNATURE_BLOCK - 2) - pdf.get_y() - sum(3.6 * (2 + len(t) // 110) for t in scopes)
    )
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
            more = len(disks) - len(shown)
            pdf.set_font("Sans", "I", 9)
            pdf.cell(
                width,
                5,
                _latin1(
                    ngettext(
                        "... and {n} more disk: see the JSON file",
                        "... and {n} more disks: see the JSON file",
                        more,
                    ).format(n=more)
                ),
                new_x="LMARGIN",
                new_y="NEXT",
            )
    pdf.set_font("Sans", "", 8)
    for text in scopes:
        pdf.ln(0.8)
        pdf.multi_cell(width, 3.6, _latin1(text), align="L", new_x="LMARGIN", new_y="NEXT")
    signature_block(pdf, envelope, width, json_name)
    write_pdf(pdf, path)


def _scope_notes(disks: Iterable[Mapping[str, Any]]) -> list[str]:
    """What each kind of verification on this page proves, said once (wipe/verdict.py)."""
    from refurb.wipe.verdict import scope_statement

    codes = ((d.get("verification") or {}).get("scope") for d in disks)
    return [scope_statement(code) for code in dict.fromkeys(c for c in codes if c)]


def signature_block(
    pdf: Any, envelope: Mapping[str, Any], width: float, json_name: str | None
) -> None:
    """The key fingerprint, the signature and how to check the JSON, at the foot of the page."""
    from refurb import keys

    cert = envelope["certificate"]
    pdf.set_y(pdf.h - SIGNATURE_BLOCK)
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
        align="L",
    )
    pdf.set_font("Courier", "B", 9)
    pdf.multi_cell(
        width,
        4.5,
        _latin1(_("Key fingerprint (SHA-256):") + " " + keys.short_fingerprint(fp)),
        new_x="LMARGIN",
        new_y="NEXT",
        align="L",
    )
    pdf.set_font("Courier", "", 6.5)
    value = envelope.get("signature", {}).get("value", "")
    pdf.multi_cell(
        width, 3.2, _latin1(_("Signature:") + " " + value), new_x="LMARGIN", new_y="NEXT", align="L"
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


def write_pdf(pdf: Any, path: Path) -> None:
    try:
        pdf.output(str(path))
    except OSError as exc:
        raise InvalidInput(
            _("cannot write {path}: {why}").format(path=path, why=exc.strerror or exc)
        ) from exc


def _pdf_disk_line(pdf: Any, width: float, index: int, disk: Mapping[str, Any]) -> None:
    status = disk.get("status")
    pdf.set_font("Sans", "", 8.5)
    text = (
        f"{index}. {disk_heading(disk)}  {_size(disk.get('size_bytes'))}  "
        f"{disk.get('nist_level') or '-'}  {verification_text(disk.get('verification'))}"
    )
    pdf.cell(width * 0.75, 5, _latin1(text[:110]))
    pdf.set_text_color(*result_colour(status))
    pdf.cell(
        width * 0.25, 5, _latin1(status_text(status)), align="R", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_text_color(0, 0, 0)


def method_text(disk: Mapping[str, Any]) -> str:
    """'overwrite (prng) - 1 pass': the technique, in the reader's words where refurb knows them."""
    technique = str(disk.get("technique") or disk.get("method") or "-")
    words = {"overwrite": _("overwrite"), "firmware erase": _("firmware erase")}
    text = words.get(technique, technique)
    if technique == "overwrite" and disk.get("method") in ("zero", "prng"):
        text += " (" + {"zero": _("zeros"), "prng": _("random data")}[disk["method"]] + ")"
    passes = disk.get("passes")
    low = technique.lower()
    if isinstance(passes, int) and passes > 0 and "pass" not in low and "round" not in low:
        text += " - " + ngettext("{n} pass", "{n} passes", passes).format(n=passes)
    return text


def _when(disk: Mapping[str, Any]) -> str:
    start = str(disk.get("started_at") or "-")[:19].replace("T", " ")
    end = str(disk.get("ended_at") or "-")[:19].replace("T", " ")
    if start[:10] == end[:10] and len(end) > 11:
        end = end[11:]  # same day: the date once
    return f"{start} - {end}"


def _tools_text(disk: Mapping[str, Any]) -> str:
    """refurb and every external tool the erasure ran, each with its version, once."""
    names = [" ".join(str(x) for x in (disk.get("tool"), disk.get("tool_version")) if x)]
    for cmd in disk.get("commands") or []:
        name = " ".join(str(x) for x in (cmd.get("tool"), cmd.get("tool_version")) if x)
        if name and name not in names:
            names.append(name)
    return "; ".join(n for n in names if n)


def _hidden_text(disk: Mapping[str, Any]) -> str:
    """The disk's hidden-area (HPA/DCO) finding in a few words."""
    hidden = disk.get("hidden_area")
    if not isinstance(hidden, Mapping) or not hidden.get("finding"):
        return ""
    finding = hidden["finding"]
    if finding == "found":
        word = _("{size} hidden").format(size=_size(hidden.get("remaining_bytes") or 0))
    else:
        word = {
            "not_found": _("none"),
            "not_applicable": _("n/a"),
            "could_not_be_read": _("could not be read"),
        }.get(finding, str(finding))
    return f"HPA/DCO: {word}"


def _why_row(disk: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Why this method (the plan's choice, in the reader's words); none for older records."""
    from refurb.wipe.choice import choice_sentence

    why = choice_sentence(disk.get("method_choice"))
    return [(_("Why"), why[:220])] if why else []


def _pdf_disk(pdf: Any, width: float, index: int, disk: Mapping[str, Any]) -> None:
    status = disk.get("status")
    heading = f"{index}. {disk_heading(disk)}"
    _fit(pdf, heading, width * 0.7 - 2, "B", 10)
    pdf.cell(width * 0.7, 5.5, _latin1(heading))
    pdf.set_font("Sans", "B", 10)
    pdf.set_text_color(*result_colour(status))
    pdf.cell(
        width * 0.3, 5.5, _latin1(status_text(status)), align="R", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("Sans", "", 9)
    tool = _tools_text(disk)
    where = ", ".join(str(x) for x in (disk.get("bus"), disk.get("name")) if x)
    hidden = _hidden_text(disk)
    rows = [
        (
            _("Size"),
            _size(disk.get("size_bytes"))
            + (f"  ({where})" if where else "")
            + (f"  -  {hidden}" if hidden else ""),
        )
    ]
    if status != "not_erased":
        rows += [
            (_("Method"), method_text(disk) + (f"  [{tool}]" if tool else "")),
            (_("NIST level"), disk.get("nist_level") or "-"),
            *_why_row(disk),
            (_("Verification"), verification_text(disk.get("verification"))),
            (_("When"), _when(disk)),
        ]
        if disk.get("operator"):
            rows.append((_("Erased by"), str(disk["operator"])))
        problems = list(disk.get("exceptions") or [])
        errors = disk.get("errors")
        if isinstance(errors, int) and errors > 0:
            problems.insert(
                0,
                ngettext("{n} I/O error recorded", "{n} I/O errors recorded", errors).format(
                    n=errors
                ),
            )
        if problems:
            rows.append((_("Exceptions"), "; ".join(problems)[:150]))
    else:
        rows.append((_("Erasure"), _("no erasure of this disk is recorded")))
    for label, value in rows:
        pdf.set_x(pdf.l_margin + 5)
        pdf.cell(32, 4.6, _latin1(_colon(label)))
        pdf.multi_cell(width - 37, 4.6, _latin1(value), new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.ln(1.5)

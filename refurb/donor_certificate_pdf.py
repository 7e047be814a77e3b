"""The donor certificate as a PDF: totals on the first page, then every device and its disks.

The signed JSON is the proof; this is its readable copy, in the language of ``--lang``. Rows are
single cells clipped to their column (no text flow), so 600 devices render in about a second.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from refurb.certificate_pdf import (
    SIGNATURE_BLOCK,
    _colon,
    _scope_notes,
    _size,
    band,
    disk_heading,
    header,
    new_pdf,
    result_colour,
    signature_block,
    status_text,
    write_pdf,
)
from refurb.certificates import ERASED, NOT_ERASED, WITH_EXCEPTIONS
from refurb.i18n import _, ngettext

_STATE_TEXT = {
    "erased": lambda: _("Erased"),
    "erased_with_exceptions": lambda: _("Erased with exceptions"),
    "disks_not_inventoried": lambda: _("Erased, disks not inventoried"),
    "erasure_failed": lambda: _("Erasure failed"),
    "not_yet_erased": lambda: _("Not yet erased"),
    "parts": lambda: _("Used for parts"),
    "recycled": lambda: _("Recycled"),
}

_STATUS_TEXT = {
    "intake": lambda: _("received"),
    "in_progress": lambda: _("being refurbished"),
    "ready": lambda: _("ready for reuse"),
    "on_loan": lambda: _("on loan"),
    "handed_out": lambda: _("handed out"),
    "parts": lambda: _("used for parts"),
    "recycled": lambda: _("recycled"),
    "quarantine": lambda: _("quarantine"),
}


def state_text(state: str | None) -> str:
    factory = _STATE_TEXT.get(state or "")
    return factory() if factory else str(state)


def device_status_text(status: str | None) -> str:
    factory = _STATUS_TEXT.get(status or "")
    return factory() if factory else str(status or "-")


def donor_headline(result: str, count: int, erased: int) -> str:
    if result in (ERASED, WITH_EXCEPTIONS):
        return ngettext("THE DEVICE IS ERASED", "ALL {n} DEVICES ARE ERASED", count).format(n=count)
    return ngettext(
        "{erased} OF {n} DEVICE ERASED", "{erased} OF {n} DEVICES ERASED", count
    ).format(erased=erased, n=count)


def donor_sentence(result: str) -> str:
    if result == ERASED:
        return _("Every disk of every device listed below was erased.")
    if result == WITH_EXCEPTIONS:
        return _(
            "Every device listed below was erased, some with exceptions (see each device). "
            "Read them before relying on this erasure."
        )
    return _(
        "Not every device listed below is erased: each one's state is given. Do not treat the "
        "data of a device that is not erased as destroyed."
    )


def _clip(pdf: Any, text: Any, width: float) -> str:
    """``text`` cut to fit ``width`` at the current font, with an ellipsis when cut."""
    text = str(text if text not in (None, "") else "-")
    if pdf.get_string_width(text) <= width:
        return text
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if pdf.get_string_width(text[:mid] + "…") <= width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo] + "…"


COLUMNS = (("#", 8), ("asset", 33), ("model", 43), ("serial", 30), ("state", 66))


def _column_titles() -> dict[str, str]:
    return {
        "#": "#",
        "asset": _("Asset id"),
        "model": _("Make / model"),
        "serial": _("Serial number"),
        "state": _("State"),
    }


def _table_head(pdf: Any) -> None:
    pdf.set_font("Sans", "B", 8.5)
    pdf.set_fill_color(235, 235, 235)
    titles = _column_titles()
    for key, width in COLUMNS:
        size = 8.5
        while size > 6 and pdf.get_string_width(titles[key]) > width - 1:
            size -= 0.5
            pdf.set_font("Sans", "B", size)
        pdf.cell(width, 5.5, _clip(pdf, titles[key], width - 1), fill=True)
        pdf.set_font("Sans", "B", 8.5)
    pdf.ln(5.5)


def _disk_line(disk: Mapping[str, Any]) -> str:
    parts = [disk_heading(disk)]
    if disk.get("size_bytes"):
        parts.append(_size(disk["size_bytes"]))
    if disk.get("nist_level"):
        parts.append(str(disk["nist_level"]))
    parts.append(status_text(disk.get("status")))
    return " · ".join(parts)


def _device_rows(pdf: Any, devices: list[Mapping[str, Any]], bottom: float) -> None:
    # pdf.text() writes a string at a point: a tenth of the cost of a cell, for 600 devices.
    _table_head(pdf)
    left = pdf.l_margin
    for n, device in enumerate(devices, start=1):
        disks = device.get("disks") or []
        lines = [_disk_line(d) for d in disks] or [_("no disk and no erasure recorded")]
        if not device.get("disks_inventoried") and disks:
            lines[-1] += " · " + _("other disks unknown (never probed)")
        if pdf.get_y() + 5.2 + 4.0 * len(lines) > bottom:
            pdf.add_page()
            _table_head(pdf)
        y = pdf.get_y()
        pdf.set_font("Sans", "", 8.5)
        values = {
            "#": str(n),
            "asset": device.get("asset_id"),
            "model": device.get("title"),
            "serial": device.get("serial"),
        }
        x = left
        for key, width in COLUMNS[:-1]:
            if key == "asset":  # an asset id is never cut: a smaller size if it must
                size = 8.5
                while size > 6 and pdf.get_string_width(str(values[key])) > width - 2:
                    size -= 0.5
                    pdf.set_font("Sans", "", size)
            pdf.text(x + 1, y + 3.7, _clip(pdf, values[key], width - 2))
            pdf.set_font("Sans", "", 8.5)
            x += width
        pdf.set_text_color(*result_colour(_colour_key(device.get("state"))))
        state = state_text(device.get("state"))
        status = device_status_text(device.get("status"))
        pdf.text(x + 1, y + 3.7, _clip(pdf, f"{state} ({status})", COLUMNS[-1][1] - 2))
        pdf.set_font("Sans", "", 7.2)
        pdf.set_text_color(70, 70, 70)
        y += 5.2
        for line in lines:
            pdf.text(left + 10, y + 2.9, _clip(pdf, line, 169))
            y += 4.0
        pdf.set_text_color(0, 0, 0)
        pdf.set_y(y)


def _colour_key(state: Any) -> str:
    return {"erased": ERASED, "erased_with_exceptions": WITH_EXCEPTIONS}.get(
        str(state), "disks_not_inventoried" if state == "disks_not_inventoried" else NOT_ERASED
    )


def _totals(pdf: Any, cert: Mapping[str, Any], width: float) -> None:
    totals = cert.get("totals") or {}
    pdf.set_font("Sans", "B", 12)
    pdf.cell(width, 7, _("Totals"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Sans", "", 10)
    rows = [(_("Devices"), totals.get("devices", 0))]
    rows += [(_("Disks erased"), f"{totals.get('disks_erased', 0)} / {totals.get('disks', 0)}")]
    for state, count in (totals.get("by_state") or {}).items():
        if count:
            rows.append((state_text(state), count))
    for label, value in rows:
        pdf.set_x(pdf.l_margin + 4)
        pdf.cell(70, 5.4, _clip(pdf, _colon(label), 69))
        pdf.cell(30, 5.4, str(value), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def render_donor_pdf(envelope: Mapping[str, Any], path: Path, json_name: str | None = None) -> None:
    """Totals on page 1, then every device with its disks; the signature on the last page."""
    cert = envelope["certificate"]
    result = cert.get("result", NOT_ERASED)
    devices = cert.get("devices") or []
    totals = cert.get("totals") or {}
    title = _("Certificate of data erasure")
    pdf = new_pdf(title)
    pdf.set_margins(15, 14, 15)
    cid = cert.get("certificate_id", "?")

    def footer() -> None:
        pdf.set_y(pdf.h - 6)
        pdf.set_font("Sans", "I", 7)
        pdf.cell(0, 4, _("certificate {cid} - page {n}/{{nb}}").format(cid=cid, n=pdf.page_no()))

    pdf.footer = footer  # fpdf2 calls it for every page
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    header(pdf, cert, title, width)
    for label, value in ((_("Donor"), cert.get("donor")), (_("Batch"), cert.get("batch"))):
        if value:
            pdf.set_font("Sans", "B", 11)
            pdf.cell(40, 6, _colon(label))
            pdf.cell(width - 40, 6, _clip(pdf, value, width - 41), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    erased = (totals.get("by_state") or {}).get("erased", 0) + (totals.get("by_state") or {}).get(
        "erased_with_exceptions", 0
    )
    band_text = donor_headline(result, len(devices), erased)
    band(pdf, result, width, donor_sentence(result), text=band_text)
    _totals(pdf, cert, width)
    pdf.set_font("Sans", "B", 12)
    pdf.cell(width, 7, _("Devices"), new_x="LMARGIN", new_y="NEXT")
    _device_rows(pdf, devices, bottom=pdf.h - 16)
    scopes = _scope_notes([disk for device in devices for disk in device.get("disks") or []])
    needed = sum(3.6 * (2 + len(t) // 110) for t in scopes) + 2
    if pdf.get_y() + needed > pdf.h - SIGNATURE_BLOCK - 2:
        pdf.add_page()
    pdf.set_font("Sans", "", 8)
    for text in scopes:  # what each kind of verification proves, once
        pdf.ln(0.8)
        pdf.multi_cell(width, 3.6, text, align="L", new_x="LMARGIN", new_y="NEXT")
    signature_block(pdf, envelope, width, json_name)
    write_pdf(pdf, path)

"""The donor's receipt for an intake batch: how many devices, which models, when, and about how
much they weigh, in the donor's language (JSON for scripts, an A4 PDF to hand over)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from refurb.errors import NotFound
from refurb.i18n import _, current_language, set_language

if TYPE_CHECKING:
    from refurb.store import Store

# A typical 14-15.6" laptop with its charger; the receipt says it is an estimate.
LAPTOP_KG = 2.3
FONTS = Path(__file__).resolve().parent.parent / "fonts"


@contextmanager
def language(lang: str | None) -> Iterator[None]:
    """Messages in ``lang`` inside the block (the donor's language), the user's after it."""
    before = current_language()
    if lang:
        set_language(lang)
    try:
        yield
    finally:
        set_language(before)


def build_receipt(store: Store, batch: str, site: str | None = None) -> dict[str, Any]:
    """The facts of the receipt; refused when the batch has no device."""
    devices = [store.device_state(d) for d in store.list_devices(batch=batch)]
    if not devices:
        raise NotFound(
            _("no device in batch {batch}").format(batch=batch),
            _("see `refurb list` for the batches in this store"),
        )
    models: Counter[str] = Counter()
    donors: Counter[str] = Counter()
    dates: list[str] = []
    for state in devices:
        rec = state.get("intake") or {}
        declared = rec.get("declared") or {}
        name = " ".join(x for x in (state.get("manufacturer"), state.get("model")) if x)
        models[name or _("model not given")] += 1
        if state.get("donor"):
            donors[state["donor"]] += 1
        dates.append(rec.get("received") or declared.get("received") or state["created_at"][:10])
    count = len(devices)
    return {
        "schema": "refurb.intake-receipt/1",
        "site": site,
        "batch": batch,
        "donors": sorted(donors),
        "count": count,
        "received_from": min(dates),
        "received_to": max(dates),
        "models": [{"model": m, "count": n} for m, n in sorted(models.items(), key=_by_count)],
        "weight_kg": round(count * LAPTOP_KG, 1),
        "weight_basis": _("estimate: {kg} kg per laptop with its charger ({n} × {kg} kg)").format(
            kg=f"{LAPTOP_KG:g}", n=count
        ),
        "assets": [d["asset_id"] for d in devices],
    }


def _by_count(item: tuple[str, int]) -> tuple[int, str]:
    return (-item[1], item[0])


def receipt_lines(receipt: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) pairs, the same on screen and on paper."""
    dates = receipt["received_from"]
    if receipt["received_to"] != dates:
        dates = f"{dates} – {receipt['received_to']}"
    return [
        (_("Donor"), ", ".join(receipt["donors"]) or "—"),
        (_("Batch"), receipt["batch"]),
        (_("Received"), dates),
        (_("Devices"), str(receipt["count"])),
        (_("Weight"), f"≈ {receipt['weight_kg']:g} kg ({receipt['weight_basis']})"),
    ]


def render_pdf(receipt: dict[str, Any], path: Path) -> None:
    """One A4 page (more for a long model list), DejaVu Sans so any donor name prints."""
    import logging

    from fpdf import FPDF

    logging.getLogger("fpdf").addHandler(logging.NullHandler())
    logging.getLogger("fpdf").propagate = False
    pdf = FPDF(format="A4", unit="mm")
    pdf.add_font("Sans", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("Sans", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_margins(18, 18, 18)
    pdf.set_auto_page_break(True, 18)
    pdf.add_page()
    pdf.set_title(_("Receipt for donated devices"))
    pdf.set_creator("refurb")
    width = pdf.w - pdf.l_margin - pdf.r_margin
    pdf.set_font("Sans", "B", 18)
    pdf.multi_cell(width, 9, _("Receipt for donated devices"), new_x="LMARGIN", new_y="NEXT")
    if receipt.get("site"):
        pdf.set_font("Sans", "", 11)
        pdf.multi_cell(width, 6, str(receipt["site"]), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for label, value in receipt_lines(receipt):
        pdf.set_font("Sans", "B", 11)
        pdf.cell(40, 7, label)
        pdf.set_font("Sans", "", 11)
        pdf.multi_cell(width - 40, 7, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Sans", "B", 12)
    pdf.cell(width, 8, _("Models"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Sans", "", 10)
    for item in receipt["models"]:
        pdf.cell(20, 6, str(item["count"]), align="R")
        pdf.multi_cell(width - 20, 6, "   " + item["model"], new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("Sans", "", 9)
    pdf.multi_cell(
        width,
        5,
        _(
            "Thank you for your donation. Every device will be erased with proof before it is "
            "given a new life; the erasure certificate follows separately."
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(10)
    pdf.cell(width / 2, 6, _("For the workshop:") + " ______________________")
    pdf.cell(width / 2, 6, _("For the donor:") + " ______________________")
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))

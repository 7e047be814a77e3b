"""The donor's receipt for an intake batch: how many devices, which models, when, and about how
much they weigh, in the donor's language (JSON for scripts, an A4 PDF to hand over).

The weight is an estimate per kind of device (``KIND_KG``); numbers and dates are written the
donor's way by Babel ("2,3 kg" and "3 nov. 2026" in Dutch and French, "2.3 kg" in English).
The JSON keeps plain numbers and ISO dates.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from refurb.errors import NotFound
from refurb.i18n import _, current_language, ngettext, set_language

if TYPE_CHECKING:
    from refurb.store import Store

# Typical weights with what usually comes along; the receipt says they are estimates.
KIND_KG = {
    "laptop": 2.3,  # a 14-15.6" laptop with its charger
    "desktop": 7.5,  # a small-form-factor or tower PC with its power cable
    "tablet": 0.6,  # a 10" tablet with its charger
    "phone": 0.25,  # a smartphone with its charger
    "screen": 5.0,  # a 22-24" monitor with its stand and cables
}
LAPTOP_KG = KIND_KG["laptop"]
LOCALES = {"nl": "nl_BE", "fr": "fr_BE", "en": "en_GB"}
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
    by_kind: Counter[str] = Counter()
    dates: list[str] = []
    for state in devices:
        by_kind[state.get("kind") if state.get("kind") in KIND_KG else "laptop"] += 1
        rec = state.get("intake") or {}
        declared = rec.get("declared") or {}
        name = " ".join(x for x in (state.get("manufacturer"), state.get("model")) if x)
        models[name or _("model not given")] += 1
        if state.get("donor"):
            donors[state["donor"]] += 1
        dates.append(rec.get("received") or declared.get("received") or state["created_at"][:10])
    count = len(devices)
    kinds = [
        {
            "kind": kind,
            "count": by_kind[kind],
            "kg_each": KIND_KG[kind],
            "kg": round(by_kind[kind] * KIND_KG[kind], 2),
        }
        for kind in KIND_KG
        if by_kind[kind]
    ]
    from decimal import ROUND_HALF_UP, Decimal

    total = sum(Decimal(str(k["kg"])) for k in kinds)
    weight = float(total.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
    return {
        "schema": "refurb.intake-receipt/1",
        "site": site,
        "batch": batch,
        "donors": sorted(donors),
        "count": count,
        "received_from": min(dates),
        "received_to": max(dates),
        "models": [{"model": m, "count": n} for m, n in sorted(models.items(), key=_by_count)],
        "kinds": kinds,
        "weight_kg": weight,
        "weight_basis": weight_basis(kinds),
        "lang": current_language(),
        "assets": [d["asset_id"] for d in devices],
    }


def number(value: float) -> str:
    """A number the donor's way: 2,3 in Dutch and French, 2.3 in English (grouping too)."""
    from babel.numbers import format_decimal

    return format_decimal(value, format="#,##0.##", locale=LOCALES.get(current_language(), "en"))


def day(iso: str) -> str:
    """An ISO date the donor's way: "3 nov. 2026", "3 nov. 2026", "3 Nov 2026"."""
    from datetime import date

    from babel.dates import format_date

    try:
        moment = date.fromisoformat(iso[:10])
    except ValueError:
        return iso
    return format_date(moment, format="medium", locale=LOCALES.get(current_language(), "en"))


def kind_count(kind: str, n: int) -> str:
    """ "3 laptops", "1 scherm", "2 écrans" in the active language."""
    words = {
        "laptop": ngettext("{n} laptop", "{n} laptops", n),
        "desktop": ngettext("{n} desktop", "{n} desktops", n),
        "tablet": ngettext("{n} tablet", "{n} tablets", n),
        "phone": ngettext("{n} phone", "{n} phones", n),
        "screen": ngettext("{n} monitor", "{n} monitors", n),
    }
    return words.get(kind, "{n} " + kind).format(n=number(n))


def weight_basis(kinds: list[dict[str, Any]]) -> str:
    """How the weight was estimated: each kind's count times its typical weight."""
    parts = [
        _("{count} × {kg} kg").format(
            count=kind_count(k["kind"], k["count"]), kg=number(k["kg_each"])
        )
        for k in kinds
    ]
    return _("estimate: {parts}, with chargers and cables").format(parts=" + ".join(parts))


def _by_count(item: tuple[str, int]) -> tuple[int, str]:
    return (-item[1], item[0])


def receipt_lines(receipt: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) pairs, the same on screen and on paper."""
    dates = day(receipt["received_from"])
    if receipt["received_to"] != receipt["received_from"]:
        dates = f"{dates} – {day(receipt['received_to'])}"
    devices = number(receipt["count"])
    if len(receipt.get("kinds") or []) > 1:
        devices += (
            " (" + ", ".join(kind_count(k["kind"], k["count"]) for k in receipt["kinds"]) + ")"
        )
    return [
        (_("Donor"), ", ".join(receipt["donors"]) or "—"),
        (_("Batch"), receipt["batch"]),
        (_("Received"), dates),
        (_("Devices"), devices),
        (_("Weight"), f"≈ {number(receipt['weight_kg'])} kg ({receipt['weight_basis']})"),
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
        pdf.cell(20, 6, number(item["count"]), align="R")
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

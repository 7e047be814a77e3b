"""The loan agreement a borrower signs: one A4 PDF in the partner's language.

The conditions come from a template: ``loan_conditions.<lang>.txt`` in the site's config folder,
else the one shipped in ``refurb/data/loan_conditions/``. Paragraphs are separated by a blank
line, ``#`` lines are comments, and ``{site}``, ``{partner}``, ``{asset}``, ``{due}``, ``{kind}``
are filled in. Text is set in DejaVu Sans, as the erasure certificate is.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from refurb.errors import InvalidInput, StoreError
from refurb.i18n import _, current_language, set_language
from refurb.models import Event, Loan, LoanRef, Partner

if TYPE_CHECKING:
    from refurb.store import Store

SHIPPED = Path(__file__).parent / "data" / "loan_conditions"
PLACEHOLDERS = ("site", "partner", "asset", "due", "kind")


def conditions_file(config_dir: Path | None, lang: str) -> Path:
    """The site's template for ``lang`` if it has one, else the shipped one."""
    if config_dir is not None:
        site = config_dir / f"loan_conditions.{lang}.txt"
        if site.is_file():
            return site
    return SHIPPED / f"{lang}.txt"


def conditions(path: Path, values: dict[str, str]) -> list[str]:
    """The template's paragraphs with the placeholders filled in; a bad one names the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            _("cannot read the loan conditions {path}: {reason}").format(path=path, reason=exc)
        ) from exc
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", "\n".join(lines))]
    out = []
    for n, para in enumerate(p for p in paragraphs if p):
        for name in re.findall(r"\{([^{}]*)\}", para):
            if name not in PLACEHOLDERS:
                raise InvalidInput(
                    _("{path}: condition {n} has an unknown field {{{name}}}").format(
                        path=path, n=n + 1, name=name
                    ),
                    _("fields: {names}").format(
                        names=", ".join("{" + p + "}" for p in PLACEHOLDERS)
                    ),
                )
        out.append(re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], para))
    if not out:
        raise InvalidInput(_("{path} holds no conditions").format(path=path))
    return out


def _day(iso: str | None, lang: str) -> str:
    if not iso:
        return "-"
    from datetime import date

    from babel.dates import format_date

    return format_date(date.fromisoformat(iso[:10]), format="long", locale=lang)


def agreement_facts(store: Store, loan: Loan) -> dict[str, Any]:
    """What the loan agreement prints: device, partner, reference, dates."""
    device = store.device_state(store.get_device(loan.asset_id))
    partner = store.session.get(Partner, loan.partner_id)
    ref = store.session.get(LoanRef, loan.id)
    events = store.session.exec(
        select(Event).where(Event.asset_id == loan.asset_id, Event.kind == "loan_out")
    ).scalars()
    accessories = None
    for ev in events:
        payload = json.loads(ev.payload)
        if payload.get("loan_id") == loan.id:
            accessories = payload.get("accessories")
    return {
        "site": store.env.settings.site or "",
        "device": device,
        "partner": {
            "name": partner.name if partner else "",
            "contact": partner.contact if partner else None,
        },
        "lang": partner.lang if partner else "en",
        "ref": ref.ref if ref else None,
        "loan_id": loan.id,
        "programme": loan.programme,
        "accessories": accessories,
        "out_at": loan.out_at,
        "due": loan.due,
    }


def render(facts: dict[str, Any], path: Path, config_dir: Path | None = None) -> Path:
    """Write the agreement for one loan (``refurb.loans.agreement_facts``) to ``path``."""
    lang = facts.get("lang") or "en"
    before = current_language()
    set_language(lang)
    try:
        return _render(facts, path, config_dir, lang)
    finally:
        set_language(before)


def _render(facts: dict[str, Any], path: Path, config_dir: Path | None, lang: str) -> Path:
    from fpdf import FPDF

    from refurb import units
    from refurb.certificate_pdf import _add_fonts
    from refurb.readiness import kind_word, rule_for
    from refurb.specs import model_line

    device = facts["device"]
    site = facts.get("site") or _("(site not named)")
    partner = facts["partner"]["name"]
    kind = kind_word(device.get("kind"))
    values = {
        "site": site,
        "partner": partner,
        "asset": device["asset_id"],
        "due": _day(facts.get("due"), lang),
        "kind": kind,
    }
    paragraphs = conditions(conditions_file(config_dir, lang), values)

    pdf = FPDF(format="A4", unit="mm")
    _add_fonts(pdf)
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_page()
    pdf.set_title(_("Loan agreement"))
    pdf.set_creator("refurb")
    width = pdf.w - pdf.l_margin - pdf.r_margin

    pdf.set_font("Sans", "B", 18)
    pdf.cell(width, 10, _("Loan agreement"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Sans", "", 10)
    pdf.multi_cell(
        width,
        5,
        _("Between {site} (the lender), {partner} (the partner) and the borrower.").format(
            site=site, partner=partner
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(3)

    def section(title: str, rows: list[tuple[str, Any]]) -> None:
        pdf.set_font("Sans", "B", 12)
        pdf.cell(width, 7, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Sans", "", 10)
        for label, value in rows:
            if value in (None, ""):
                continue
            pdf.cell(55, 5.5, label + ":")
            pdf.multi_cell(width - 55, 5.5, str(value), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)

    specs = None
    if rule_for(device.get("kind")).specs_on_label:
        ram = units.memory_size(device.get("ram_bytes"), unknown="")
        specs = " · ".join(x for x in (device.get("cpu"), ram, device.get("storage")) if x)
    model = model_line(device.get("manufacturer"), device.get("model"))
    section(
        _("Device"),
        [
            (_("Asset id"), device["asset_id"]),
            (_("Kind"), kind),
            (_("Make / model"), model or "-"),
            (_("Serial number"), device.get("serial") or "-"),
            (_("Specifications"), specs),
            (_("Grade"), device.get("grade")),
            (_("Accessories"), facts.get("accessories") or _("none")),
        ],
    )
    section(
        _("Loan"),
        [
            (_("Partner"), partner),
            (_("Partner contact"), facts["partner"].get("contact")),
            (_("Programme"), facts.get("programme")),
            (_("Borrower's reference"), facts.get("ref") or "-"),
            (_("Lent on"), _day(facts.get("out_at"), lang)),
            (_("To be returned by"), values["due"]),
        ],
    )

    pdf.set_font("Sans", "B", 12)
    pdf.cell(width, 7, _("Conditions"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Sans", "", 10)
    for n, para in enumerate(paragraphs, 1):
        pdf.cell(7, 5, f"{n}.")
        pdf.multi_cell(width - 7, 5, para, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1.5)

    pdf.ln(6)
    if pdf.get_y() > pdf.h - 60:
        pdf.add_page()
    col = (width - 10) / 3
    top = pdf.get_y()
    for i, who in enumerate(
        (
            _("For {site}").format(site=site),
            _("For {partner}").format(partner=partner),
            _("The borrower"),
        )
    ):
        x = pdf.l_margin + i * (col + 5)
        pdf.set_xy(x, top)
        pdf.set_font("Sans", "B", 9)
        pdf.multi_cell(col, 4.5, who, new_x="LEFT", new_y="NEXT")
        pdf.set_font("Sans", "", 9)
        pdf.set_xy(x, top + 24)
        pdf.line(x, top + 23, x + col, top + 23)
        pdf.cell(col, 4.5, _("Name, date and signature"))
    pdf.set_xy(pdf.l_margin, top + 34)
    pdf.set_font("Sans", "", 7)
    pdf.set_text_color(110, 110, 110)
    pdf.multi_cell(
        width,
        3.5,
        _("Loan {loan} · made with refurb").format(loan=facts["loan_id"]),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        pdf.output(str(path))
    except OSError as exc:
        raise StoreError(
            _("cannot write {path}: {reason}").format(path=path, reason=exc.strerror or exc)
        ) from exc
    return path

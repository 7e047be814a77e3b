"""`refurb partner`, `refurb loan`, `refurb handout`: the loan book, thin over refurb.loans."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from refurb.env import Env
from refurb.i18n import _

ASSET_HELP = "Asset id, e.g. RF-7K3QM-X4T2A (RF- may be left out)."

partner_app = typer.Typer(
    help="Partner organisations that lend devices to people or hand them out.\n\n"
    "Example: refurb partner add Digi-leen --contact 'digileen@example.org' --lang nl",
    no_args_is_help=True,
)
loan_app = typer.Typer(
    help="Lend ready devices through partners, take them back, see what is out and overdue.\n\n"
    "Example: refurb loan out RF-7K3QM-X4T2A --to Digi-leen --ref DL-2026-0147 --due 2027-06-30",
    no_args_is_help=True,
)

HANDOUT_HELP = """Give a ready device for good to a partner organisation.

Example: refurb handout RF-7K3QM-X4T2A --to 'OCMW Gent'
"""


def loan_event_summary(kind: str, payload: dict[str, Any]) -> str:
    """One timeline line for a loan or partner event."""
    if kind == "loan_out":
        return _("lent to {partner} until {due}").format(
            partner=payload.get("partner"), due=payload.get("due")
        )
    if kind == "handout":
        return _("handed out to {partner}").format(partner=payload.get("partner"))
    if kind == "loan_return":
        text = _("returned ({condition})").format(condition=payload.get("condition"))
        return text + (f": {payload['note']}" if payload.get("note") else "")
    if kind == "loan_extend":
        return _("loan extended until {due}").format(due=payload.get("due"))
    if kind == "loan_purge":
        return _("borrower's reference dropped (retention)")
    return _("partner {name}").format(name=payload.get("name"))


@partner_app.command(
    "add",
    help="Add a partner organisation. Its language (nl, fr, en) is the language of its loan "
    "agreements.\n\nExample: refurb partner add 'OCMW Gent' --contact 'loans@ocmw.example' "
    "--lang nl",
)
def partner_add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The organisation's name."),
    contact: str | None = typer.Option(
        None, "--contact", help="How to reach the organisation (not a borrower)."
    ),
    lang: str | None = typer.Option(
        None, "--lang", help="Language of its agreements: nl, fr or en (default: this site's)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the partner as JSON."),
) -> None:
    from refurb.loans import add_partner
    from refurb.store import open_store

    env: Env = ctx.obj
    with open_store(env) as store:
        partner = add_partner(store, name, contact, lang)
        data = partner.model_dump()
    if json_out:
        env.print_json(data)
        return
    env.out.print(_("Partner {name} added ({id})").format(name=data["name"], id=data["id"]))


@partner_app.command(
    "list",
    help="List the partners with how many devices each has on loan.\n\n"
    "Example: refurb partner list --json",
)
def partner_list(
    ctx: typer.Context,
    json_out: bool = typer.Option(False, "--json", help="Print a JSON array."),
) -> None:
    from rich.table import Table

    from refurb.loans import list_partners
    from refurb.store import open_store

    env: Env = ctx.obj
    with open_store(env) as store:
        rows = list_partners(store)
    if json_out:
        env.print_json(rows)
        return
    if not rows:
        env.err.print(_("No partners yet: refurb partner add NAME"))
        return
    table = Table(show_edge=False)
    for col in (
        _("Partner"),
        _("Contact"),
        _("Language"),
        _("On loan"),
        _("Loans"),
        _("Handed out"),
    ):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r["name"], r["contact"] or "—", r["lang"], str(r["on_loan"]), str(r["loans"]),
            str(r["handed_out"]),
        )  # fmt: skip
    env.out.print(table)


@loan_app.command(
    "out",
    help="Lend a ready device through a partner. REF is the partner's own reference for the "
    "person: never a name, address, e-mail, phone or national register number (refused). "
    "--pdf writes the loan agreement in the partner's language, to print and sign.\n\n"
    "Example: refurb loan out RF-7K3QM-X4T2A --to Digi-leen --ref DL-2026-0147 --due 2027-06-30 "
    "--pdf agreement.pdf",
)
def loan_out(
    ctx: typer.Context,
    asset: str = typer.Argument(..., help=ASSET_HELP),
    to: str = typer.Option(..., "--to", help="The partner organisation."),
    ref: str = typer.Option(..., "--ref", help="The partner's reference for the person."),
    due: str = typer.Option(..., "--due", help="Return date: 2027-06-30 or 30/06/2027."),
    programme: str | None = typer.Option(
        None, "--programme", help="The programme, e.g. 'digital skills 2027'."
    ),
    accessories: str | None = typer.Option(
        None, "--accessories", help="What goes with it, e.g. 'charger, bag'."
    ),
    pdf: Path | None = typer.Option(None, "--pdf", help="Write the loan agreement PDF here."),
    json_out: bool = typer.Option(False, "--json", help="Print the loan as JSON."),
) -> None:
    from refurb.loan_agreement import agreement_facts
    from refurb.loans import lend
    from refurb.store import open_store

    env: Env = ctx.obj
    if pdf is not None:
        _check_pdf_target(env, pdf)
    with open_store(env) as store:
        if pdf is not None:  # a broken site template stops the loan before it is recorded
            from refurb.loan_agreement import PLACEHOLDERS, conditions, conditions_file
            from refurb.loans import find_partner

            lang = find_partner(store, to).lang
            conditions(conditions_file(env.config_dir, lang), {k: k for k in PLACEHOLDERS})
        loan = lend(store, asset, to, ref, due, programme, accessories)
        facts = agreement_facts(store, loan)
    if pdf is not None:
        from refurb.loan_agreement import render

        render(facts, pdf, env.config_dir)
    if json_out:
        env.print_json({**loan.model_dump(), "pdf": str(pdf) if pdf else None})
        return
    env.out.print(
        _("{asset} lent to {partner} until {due}").format(
            asset=loan.asset_id, partner=facts["partner"]["name"], due=loan.due
        )
    )
    if pdf is not None:
        env.err.print(_("Agreement: {path}").format(path=pdf))


@loan_app.command(
    "agreement",
    help="Print the loan agreement of a device on loan again (in the partner's language).\n\n"
    "Example: refurb loan agreement RF-7K3QM-X4T2A --pdf agreement.pdf",
)
def loan_agreement(
    ctx: typer.Context,
    asset: str = typer.Argument(..., help=ASSET_HELP),
    pdf: Path = typer.Option(..., "--pdf", help="Write the loan agreement PDF here."),
) -> None:
    from refurb.loan_agreement import agreement_facts, render
    from refurb.loans import current_loan
    from refurb.store import open_store

    env: Env = ctx.obj
    _check_pdf_target(env, pdf)
    with open_store(env) as store:
        facts = agreement_facts(store, current_loan(store, asset))
    render(facts, pdf, env.config_dir)
    env.err.print(_("Agreement: {path}").format(path=pdf))


def _check_pdf_target(env: Env, pdf: Path) -> None:
    """Refuse an unwritable --pdf before the loan is recorded (nothing half-done)."""
    import os

    from refurb.errors import InvalidInput

    folder = pdf.expanduser().resolve().parent
    if pdf.is_dir() or not folder.is_dir() or not os.access(folder, os.W_OK):
        raise InvalidInput(_("--pdf {path}: cannot write a file there").format(path=pdf))


@loan_app.command(
    "return",
    help="Take a lent device back. It goes to in_progress: it must be erased and checked again "
    "before its next loan.\n\nExample: refurb loan return RF-7K3QM-X4T2A --condition damaged "
    "--note 'cracked hinge'",
)
def loan_return(
    ctx: typer.Context,
    asset: str = typer.Argument(..., help=ASSET_HELP),
    condition: str = typer.Option(..., "--condition", help="ok, damaged or incomplete."),
    note: str | None = typer.Option(None, "--note", help="What is damaged or missing."),
    json_out: bool = typer.Option(False, "--json", help="Print the loan as JSON."),
) -> None:
    from refurb.loans import return_loan
    from refurb.store import open_store

    env: Env = ctx.obj
    with open_store(env) as store:
        loan = return_loan(store, asset, condition, note)
        missing = store.readiness(loan.asset_id)
        data = loan.model_dump()
    if json_out:
        env.print_json({**data, "missing_for_ready": missing})
        return
    env.out.print(_("{asset} is back (in_progress)").format(asset=data["asset_id"]))
    if missing:
        env.err.print(
            _("Before its next loan it needs: {missing}").format(missing="; ".join(missing))
        )


@loan_app.command(
    "extend",
    help="Give a loan a later return date.\n\nExample: refurb loan extend RF-7K3QM-X4T2A --due "
    "2027-12-31",
)
def loan_extend(
    ctx: typer.Context,
    asset: str = typer.Argument(..., help=ASSET_HELP),
    due: str = typer.Option(..., "--due", help="The new return date."),
    json_out: bool = typer.Option(False, "--json", help="Print the loan as JSON."),
) -> None:
    from refurb.loans import extend
    from refurb.store import open_store

    env: Env = ctx.obj
    with open_store(env) as store:
        loan = extend(store, asset, due)
        data = loan.model_dump()
    if json_out:
        env.print_json(data)
        return
    env.out.print(_("{asset}: due {due}").format(asset=data["asset_id"], due=data["due"]))


LIST_COLUMNS = ("asset_id", "partner", "ref", "programme", "out_at", "due", "days_overdue")


@loan_app.command(
    "list",
    help="List the devices on loan (--all: also returned loans and hand-outs).\n\n"
    "Example: refurb loan list --overdue --as-of 2027-07-01 --csv",
)
def loan_list(
    ctx: typer.Context,
    overdue: bool = typer.Option(False, "--overdue", help="Only loans past their due date."),
    as_of: str | None = typer.Option(None, "--as-of", help="Count overdue on this date."),
    partner: str | None = typer.Option(None, "--partner", help="Only this partner's loans."),
    all_loans: bool = typer.Option(False, "--all", help="Also returned loans and hand-outs."),
    json_out: bool = typer.Option(False, "--json", help="Print a JSON array."),
    csv_out: bool = typer.Option(False, "--csv", help="Print CSV."),
) -> None:
    from refurb.loans import list_loans
    from refurb.store import open_store

    env: Env = ctx.obj
    with open_store(env) as store:
        views = list_loans(
            store, overdue_only=overdue, as_of=as_of, partner=partner, include_closed=all_loans
        )
    rows = [v.to_dict() for v in views]
    if json_out:
        env.print_json(rows)
        return
    if csv_out:
        import csv
        import sys

        fields = list(rows[0]) if rows else list(LIST_COLUMNS)
        writer = csv.DictWriter(sys.stdout, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return
    if not rows:
        env.err.print(_("No loans match."))
        return
    from rich.table import Table

    table = Table(show_edge=False)
    for col in (_("Asset"), _("Partner"), _("Reference"), _("Lent on"), _("Due"), _("Late")):
        table.add_column(col)
    for r in rows:
        late = (
            f"[red]{r['days_overdue']} d[/red]"
            if r["overdue"]
            else (_("returned") if r["returned_at"] else "")
        )
        table.add_row(
            r["asset_id"], r["partner"], r["ref"] or "—", r["out_at"][:10], r["due"] or "—", late
        )
    env.out.print(table)


@loan_app.command(
    "purge",
    help="Retention: drop the borrower's reference of every loan returned before DATE; the "
    "loans stay counted.\n\nExample: refurb loan purge --before 2025-01-01",
)
def loan_purge(
    ctx: typer.Context,
    before: str = typer.Option(..., "--before", help="Loans returned before this date."),
    json_out: bool = typer.Option(False, "--json", help='Print {"purged": N}.'),
) -> None:
    from refurb.loans import purge
    from refurb.store import open_store

    env: Env = ctx.obj
    with open_store(env) as store:
        count = purge(store, before)
    if json_out:
        env.print_json({"purged": count})
        return
    env.out.print(_("References dropped: {n}").format(n=count))


def handout(
    ctx: typer.Context,
    asset: str = typer.Argument(..., help=ASSET_HELP),
    to: str = typer.Option(..., "--to", help="The partner organisation."),
    json_out: bool = typer.Option(False, "--json", help="Print the hand-out as JSON."),
) -> None:
    from refurb.loans import hand_out
    from refurb.store import open_store

    env: Env = ctx.obj
    with open_store(env) as store:
        loan = hand_out(store, asset, to)
        data = loan.model_dump()
    if json_out:
        env.print_json(data)
        return
    env.out.print(_("{asset} handed out").format(asset=data["asset_id"]))

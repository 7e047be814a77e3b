"""`refurb wipe certificate | verify-cert | import-nwipe`: the proof side of erasure.

These commands join the `wipe` group (whose `list` and `run` live in ``refurb/commands/wipe.py``)
through :func:`register`. Each one parses options, calls one core function in
``refurb.certificates`` and renders the result.
"""

from __future__ import annotations

from pathlib import Path

import typer

from refurb.env import Env
from refurb.i18n import _, ngettext

CERTIFICATE_HELP = """Write the signed erasure certificate of a device (JSON) and a PDF for donors.

The certificate lists every disk with its method, NIST level, verification and result; a disk
that was not erased, or erased with exceptions, is shown as such, never as erased. With --donor
or --batch instead of an asset id: one certificate listing every device of that donor or batch,
each disk's outcome and each device's state, with totals on the first page.

Example: refurb wipe certificate RF-7K3QM-X1234 --json cert.json --pdf cert.pdf
"""

VERIFY_HELP = """Check that an erasure certificate is intact and signed by a key refurb trusts.

Exits 0 only when not one byte was changed and the signer is this site's key, the key given
with --key, or a key added with `refurb keys trust FILE`; 1 otherwise, saying why.

Example: refurb wipe verify-cert cert.json --key site-ed25519.pub
"""

IMPORT_HELP = """Record an erasure done with nwipe or ShredOS, from the log nwipe wrote (-l FILE).

Each disk in the log becomes an erasure record of the device. "Erased" needs nwipe's own
verification; a failed, aborted or unfinished wipe is recorded as such (exit 3).

Example: refurb wipe import-nwipe nwipe.log --asset RF-7K3QM-X1234
"""


def certificate(
    ctx: typer.Context,
    asset: str | None = typer.Argument(None, help="Asset id of the device, e.g. RF-7K3QM-X1234."),
    json_file: Path | None = typer.Option(
        None, "--json", help="Where to write the signed certificate (default: ASSET-erasure.json)."
    ),
    pdf_file: Path | None = typer.Option(
        None, "--pdf", help="Where to write the PDF (default: beside the JSON, .pdf)."
    ),
    no_pdf: bool = typer.Option(False, "--no-pdf", help="Write only the signed JSON."),
    as_json: bool = typer.Option(
        False, "--print-json", help="Print a summary as JSON on stdout (for scripts)."
    ),
    operator: str | None = typer.Option(
        None,
        "--operator",
        help="Who answers for the erasure, named on the certificate (default: the settings).",
    ),
    donor: str | None = typer.Option(
        None, "--donor", help="One certificate for every device of this donor."
    ),
    batch: str | None = typer.Option(
        None, "--batch", help="One certificate for every device of this intake batch."
    ),
) -> None:
    from refurb.certificate_issue import issue_certificate
    from refurb.certificate_pdf import disk_heading, status_text

    env: Env = ctx.obj
    if (asset is None) == (donor is None and batch is None):
        raise typer.BadParameter(
            _("give an asset id, or --donor and/or --batch (not both)"), param_hint="ASSET"
        )
    if asset is None:
        _donor_certificate(env, donor, batch, json_file, pdf_file, no_pdf, as_json, operator)
        return
    if json_file is None:
        from refurb.ids import normalize

        json_file = Path(f"{normalize(asset)}-erasure.json")
    if pdf_file is None and not no_pdf:
        pdf_file = json_file.with_suffix(".pdf")
    result = issue_certificate(
        env, asset, json_path=json_file, pdf_path=pdf_file, operator=operator
    )
    if as_json:
        env.print_json(result)
        return
    colour = {
        "erased": "green",
        "erased_with_exceptions": "yellow",
        "disks_not_inventoried": "yellow",
    }.get(result["result"], "red")
    env.out.print(
        _("Certificate for {asset}: [{c}]{status}[/{c}]").format(
            asset=result["asset_id"], c=colour, status=_result_word(result["result"])
        )
    )
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    for column in (_("disk"), _("model and serial"), _("method"), _("result")):
        table.add_column(column)
    for disk in result["disks"]:
        table.add_row(
            str(disk.get("name") or "-"),
            disk_heading(disk),
            str(disk.get("technique") or disk.get("method") or "-"),
            status_text(disk.get("status")),
        )
    if result["disks"]:
        env.out.print(table)
    env.out.print(_("  signed JSON: {path}").format(path=result["json"]))
    if result["pdf"]:
        env.out.print(_("  PDF: {path}").format(path=result["pdf"]))
    env.out.print(_("  key fingerprint: {fp}").format(fp=result["key_fingerprint"]))
    if not result["disks_inventoried"] and result["disks"]:
        env.err.print(
            _(
                "note: this device was never probed, so its disks are not inventoried: the "
                "certificate lists only the disks erased (run `refurb probe --save {asset}`)"
            ).format(asset=result["asset_id"])
        )
    if not result["operator"]:
        env.err.print(
            _(
                "note: no operator is named on the certificate: pass --operator NAME, or "
                "set one with `refurb init --operator NAME`"
            )
        )


def _donor_certificate(
    env: Env,
    donor: str | None,
    batch: str | None,
    json_file: Path | None,
    pdf_file: Path | None,
    no_pdf: bool,
    as_json: bool,
    operator: str | None,
) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from refurb.donor_certificate import issue_donor_certificate
    from refurb.donor_certificate_pdf import state_text

    if json_file is None:
        json_file = Path(_file_stem(donor, batch) + "-erasure.json")
    if pdf_file is None and not no_pdf:
        pdf_file = json_file.with_suffix(".pdf")
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=env.err,
        transient=True,
        disable=not env.err.is_terminal,
    ) as bar:
        task = bar.add_task(_("reading devices"), total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        result = issue_donor_certificate(
            env,
            donor=donor,
            batch=batch,
            json_path=json_file,
            pdf_path=pdf_file,
            operator=operator,
            progress=progress,
        )
    if as_json:
        env.print_json(result)
        return
    totals = result["totals"]
    colour = {"erased": "green", "erased_with_exceptions": "yellow"}.get(result["result"], "red")
    env.out.print(
        _("Certificate for {scope}: [{c}]{status}[/{c}]").format(
            scope=" / ".join(x for x in (result["donor"], result["batch"]) if x),
            c=colour,
            status=_result_word(result["result"]),
        )
    )
    env.out.print(
        ngettext("  {n} device", "  {n} devices", totals["devices"]).format(n=totals["devices"])
    )
    for state, count in totals["by_state"].items():
        if count:
            env.out.print(f"    {state_text(state)}: {count}")
    env.out.print(_("  signed JSON: {path}").format(path=result["json"]))
    if result["pdf"]:
        env.out.print(_("  PDF: {path}").format(path=result["pdf"]))
    env.out.print(_("  key fingerprint: {fp}").format(fp=result["key_fingerprint"]))


def _file_stem(donor: str | None, batch: str | None) -> str:
    import re

    parts = [("donor", donor), ("batch", batch)]
    text = "-".join(f"{kind}-{value}" for kind, value in parts if value)
    return re.sub(r"[^\w.-]+", "-", text, flags=re.UNICODE).strip("-.") or "certificate"


def _result_word(result: str) -> str:
    return {
        "erased": _("erased"),
        "erased_with_exceptions": _("erased with exceptions"),
        "disks_not_inventoried": _("listed disks erased, disks not inventoried"),
    }.get(result, _("NOT erased"))


def verify_cert(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="The certificate JSON file."),
    key: Path | None = typer.Option(
        None, "--key", help="The signing site's public key (site-ed25519.pub)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    from refurb import keys
    from refurb.certificate_verify import check_file
    from refurb.errors import RefurbError

    env: Env = ctx.obj
    try:
        result = check_file(env, file, key_path=key)
    except RefurbError as exc:
        if as_json:
            env.print_json(
                {
                    "ok": False,
                    "file": str(file),
                    "reason": getattr(exc, "reason", "unreadable"),
                    "error": exc.message,
                    "key_fingerprint": getattr(exc, "fingerprint", None),
                }
            )
        raise
    cert = result.certificate
    if as_json:
        env.print_json(
            {
                "ok": True,
                "file": str(file),
                "schema": cert.get("schema"),
                "certificate_id": cert.get("certificate_id"),
                "asset_id": (cert.get("device") or {}).get("asset_id"),
                "donor": cert.get("donor"),
                "batch": cert.get("batch"),
                "result": cert.get("result"),
                "site": cert.get("site"),
                "issued_at": cert.get("issued_at"),
                "key_fingerprint": result.fingerprint,
                "checked_with": result.key_source,
                "trusted_as": result.trusted_as,
                "signed_by_this_site": result.trusted_as == keys.SITE,
            }
        )
        return
    env.out.print(
        _("[green]OK[/green] {path}: intact, signed by {fp}").format(
            path=file, fp=keys.short_fingerprint(result.fingerprint)
        )
    )
    subject = (cert.get("device") or {}).get("asset_id") or cert.get("donor") or cert.get("batch")
    env.out.print(
        _("  {asset}: {result}, issued {date} by {site}").format(
            asset=subject,
            result=_result_word(str(cert.get("result"))),
            date=str(cert.get("issued_at", ""))[:19].replace("T", " "),
            site=cert.get("site") or "?",
        )
    )
    env.out.print(
        {
            keys.SITE: _("  signed with this workstation's site key"),
            keys.GIVEN: _("  signed with the key given with --key"),
            keys.TRUSTED: _("  signed with a key trusted here (refurb keys list)"),
        }[str(result.trusted_as)]
    )


def import_nwipe(
    ctx: typer.Context,
    log: Path = typer.Argument(..., help="The log nwipe wrote (nwipe -l FILE)."),
    asset: str = typer.Option(..., "--asset", help="The device the wiped disks belong to."),
    device: list[str] = typer.Option(
        [], "--device", help="Import only this device of the log (e.g. sda); repeatable."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    from refurb.certificate_pdf import status_text
    from refurb.errors import EraseFailed
    from refurb.nwipe_import import import_nwipe as do_import

    env: Env = ctx.obj
    done = do_import(env, log, asset, devices=device)
    bad = [d for d in done if d["status"] not in ("erased", "erased_with_exceptions")]
    if as_json:
        env.print_json({"asset_id": asset.upper(), "imported": done})
    else:
        for item in done:
            colour = "green" if item["status"] == "erased" else "red"
            env.out.print(
                f"{item['device']}  {item['model'] or '-'}  {item['serial'] or '-'}  "
                f"[{colour}]{status_text(item['status'])}[/{colour}]"
            )
            for text in item["exceptions"]:
                env.out.print("    " + text)
        if done:
            from refurb.terms import status_word

            env.out.print(
                ngettext(
                    "Recorded {n} erasure; device status: {status}",
                    "Recorded {n} erasures; device status: {status}",
                    len(done),
                ).format(n=len(done), status=status_word(done[0]["device_status"]))
            )
    if bad:
        raise EraseFailed(
            _("recorded, but nwipe did not erase {disks}").format(
                disks=", ".join(f"{d['device']} ({d['status']})" for d in bad)
            ),
            hint=_("the device is in quarantine until every disk is erased"),
        )


def register(wipe_app: typer.Typer) -> None:
    """Add the proof commands to the `wipe` group."""
    wipe_app.command("certificate", help=CERTIFICATE_HELP)(certificate)
    wipe_app.command("verify-cert", help=VERIFY_HELP)(verify_cert)
    wipe_app.command("import-nwipe", help=IMPORT_HELP)(import_nwipe)

"""`refurb demo`: the whole flow once on this machine, in a folder of its own."""

from __future__ import annotations

from pathlib import Path

import typer

from refurb.env import Env
from refurb.exit import ExitStatus
from refurb.i18n import _

HELP = """Try refurb on this machine without touching its disks: a demo site in a folder of its
own, a probe of this machine, the erasure of a small disk image (through a loop device as root,
the plain file otherwise) with its verification, an OS record, a grade with answers given by the
demo, a label PNG, a signed erasure certificate (JSON and PDF), a sync to a shared SQLite
inventory in the same folder and the stock report. No root needed.

Example: refurb demo --dir /tmp/refurb-demo"""


def demo(
    ctx: typer.Context,
    folder: Path | None = typer.Option(
        None,
        "--dir",
        metavar="DIR",
        help="Put the demo's files in DIR (default: a new temporary folder).",
        file_okay=False,
    ),
    keep: bool = typer.Option(
        True, "--keep/--no-keep", help="Keep the folder afterwards (--no-keep removes it)."
    ),
    json_out: bool = typer.Option(
        False, "--json", help="Print what the demo did and where its files are as JSON."
    ),
) -> None:
    import shutil
    import tempfile

    from refurb.commands.wipe import _progress
    from refurb.demo import run_demo
    from refurb.wipe import StopFlag

    env: Env = ctx.obj
    made = folder is None
    where = Path(tempfile.mkdtemp(prefix="refurb-demo-")) if folder is None else folder
    if not json_out:
        env.err.print(_("Demo folder: {path}").format(path=where))

    def on_step(name: str, text: str) -> None:
        if not json_out:
            env.err.print(f"[green]✓[/green] [bold]{name}[/bold]: {text}")

    stop = StopFlag()
    try:
        with _progress(env, disabled=json_out) as on_progress:
            result = run_demo(env, where, on_step=on_step, on_progress=on_progress, stop=stop)
    finally:
        if not keep and (made or folder is not None):
            shutil.rmtree(where, ignore_errors=True)
    if stop.reason == "SIGINT":
        env.err.print(_("Interrupted: the demo stopped."))
        raise typer.Exit(int(ExitStatus.CTRL_C))
    if stop.reason == "SIGTERM":
        raise typer.Exit(int(ExitStatus.TERMINATED))
    if json_out:
        env.print_json({**result.to_dict(), "kept": keep})
    else:
        if result.stock is not None:
            from refurb.commands.reports import _render as render_stock

            render_stock(env, result.stock)
        for warning in result.warnings:
            env.err.print(warning, style="yellow", markup=False)
        names = {
            "store": _("inventory (SQLite)"),
            "config": _("settings"),
            "public_key": _("public signing key"),
            "image": _("erased disk image"),
            "label": _("label (PNG)"),
            "certificate_json": _("erasure certificate (signed JSON)"),
            "certificate_pdf": _("erasure certificate (PDF)"),
            "shared_inventory": _("shared inventory (SQLite)"),
        }
        env.out.print(_("[bold]Demo device {asset}[/bold]").format(asset=result.asset_id))
        for key, path in result.files.items():
            env.out.print(f"  {names.get(key, key)}: {path}", soft_wrap=True)
        if keep:
            env.out.print(
                _("Look around: REFURB_HOME={home} refurb show {asset}").format(
                    home=Path(result.files["store"]).parent, asset=result.asset_id
                ),
                soft_wrap=True,
            )
        else:
            env.out.print(_("The demo folder was removed (--no-keep)."))
    if result.wipe_status in ("failed", "interrupted"):
        raise typer.Exit(int(ExitStatus.ERASE_FAILED))

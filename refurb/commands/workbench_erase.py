"""The workbench's erase screen: the disks listed once, one confirmation, the engine's progress
bars; with ``--no-wipe`` the nwipe log import instead. Ctrl-C while erasing stops every disk at
the next block and the engine records it ``interrupted``; the next run offers to erase again."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from refurb.exit import ExitStatus
from refurb.i18n import _

if TYPE_CHECKING:
    from refurb.commands.workbench import Bench


def _disk_table(bench: Bench, disks: list[Any], refused: list[Any]) -> None:
    from rich import box
    from rich.table import Table

    from refurb.commands.wipe import _media
    from refurb.units import disk_size

    table = Table(box=box.SIMPLE if bench.screen.fancy else box.ASCII, pad_edge=False)
    for col in (_("Disk"), _("Model"), _("Size"), _("Serial"), _("Type")):
        table.add_column(col, overflow="fold")
    for d in disks:
        table.add_row(
            d.path,
            d.model or (Path(d.backing_file).name if d.backing_file else "-"),
            disk_size(d.size_bytes, unknown="-"),
            d.serial or "-",
            _media(d.media_type),
        )
    bench.out.print(table)
    for d in refused:
        bench.say(
            _("{path} cannot be erased: it {why}").format(
                path=d.path, why="; ".join(b.message for b in d.blockers)
            ),
            "yellow",
        )


def erase_step(bench: Bench, state: Any) -> None:
    from refurb.commands.workbench import SKIP_KEY, YES_KEYS
    from refurb.workbench import steps
    from refurb.workbench.state import wipe_state

    asset = bench.asset_id or ""
    if bench.opts["no_wipe"]:
        _import_step(bench)
        return
    for item in steps.close_cut_off(bench.env, bench.store, asset):
        disk = item.get("disk") or {}
        bench.screen.note(
            _("an earlier erasure of {disk} was cut off: recorded as interrupted").format(
                disk=disk.get("path") or disk.get("name") or "?"
            )
        )
    choice = bench.disk_choice(fresh=True)
    bench.show(_("erase the disks"), "wipe")
    for warning in choice.warnings:
        bench.say(warning, "yellow")
    if state.state == "again":
        bench.say(_("An erasure of this device did not finish: erase again."), "yellow")
    if not choice.erase:
        bench.say(_("No internal disk that can be erased was found."), "yellow")
        _disk_table(bench, [], choice.refused)
        bench.ask(_("s = skip this step (say why)"), SKIP_KEY)
        bench.skip("wipe", _("no internal disk found to erase"))
        return
    bench.say(
        _("Everything on these {n} disk(s) will be erased for good:").format(n=len(choice.erase))
    )
    _disk_table(bench, choice.erase, choice.refused)
    key = bench.ask(_("y = erase them  s = skip  q = stop"), YES_KEYS + SKIP_KEY)
    if key == SKIP_KEY:
        bench.skip("wipe", _("not erased at the workbench"))
        return
    bench.say(_("Erasing: the disks are checked once more, then written and read back..."))
    from refurb.wipe import StopFlag

    stop = StopFlag()
    with _Bars(bench.env, plain=not bench.screen.fancy) as on_progress:
        results = steps.erase(
            bench.env,
            bench.store,
            asset,
            choice.erase,
            method=bench.opts["method"],
            verify=bench.opts["verify"],
            stop=stop,
            on_progress=on_progress,
        )
    for r in results:
        line = f"{r.plan.disk.path}: {r.status}" + (f" ({r.reason})" if r.reason else "")
        bench.screen.note(_("erasure {what}").format(what=line))
    if stop.reason:
        bench.say(
            _(
                "Interrupted: the erasure is recorded as interrupted. Run the workbench again to "
                "erase again."
            ),
            "bold red",
        )
        bench.say(_("To go on: refurb workbench {asset}").format(asset=asset))
        code = ExitStatus.CTRL_C if stop.reason == "SIGINT" else ExitStatus.TERMINATED
        raise typer.Exit(int(code))
    if wipe_state(bench.store.events(asset), choice.keys).state != "done":
        bench.screen.note(_("not every disk is erased: the device stays in quarantine"))


class _Bars:
    """`refurb wipe run`'s progress bars; on a plain terminal without the bar itself (its
    glyphs), only the percentage, speed and time left."""

    def __init__(self, env: Any, *, plain: bool) -> None:
        from refurb.commands.wipe import _progress

        self.inner = _progress(env, disabled=False)
        self.plain = plain

    def __enter__(self) -> Any:
        if not self.plain:
            return self.inner.__enter__()
        from rich.progress import (
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self.inner.progress = Progress(
            TextColumn("{task.description}"),
            TaskProgressColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=self.inner.env.err,
        )
        self.inner.progress.__enter__()
        return self.inner.update

    def __exit__(self, *exc: Any) -> None:
        self.inner.__exit__(*exc)


def _import_step(bench: Bench) -> None:
    from refurb.commands.workbench import SKIP_KEY
    from refurb.errors import RefurbError
    from refurb.workbench import steps

    bench.show(_("erased elsewhere (--no-wipe)"), "wipe")
    bench.say(_("The disks were erased with another tool. Import its nwipe / ShredOS log?"))
    key = bench.ask(_("Enter = give the log file  s = skip"), SKIP_KEY, "\n")
    while key != SKIP_KEY:
        text = bench.keys.line(bench.out, _("Path of the nwipe log"))
        if not text:
            break
        try:
            done = steps.import_nwipe(bench.env, Path(text).expanduser(), bench.asset_id or "")
        except RefurbError as exc:
            bench.say(exc.message, "red")
            continue
        for item in done:
            bench.screen.note(
                _("imported: {device} {status}").format(
                    device=item["device"] or item["serial"], status=item["status"]
                )
            )
        return
    bench.skip("wipe", _("erased elsewhere (--no-wipe), no log imported"))

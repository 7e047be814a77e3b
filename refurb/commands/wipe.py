"""`refurb wipe`: list the disks, erase them with proof, record each erasure.

Over 400 lines on purpose: one module per command group, and `list`, `run` and `validate` each
render their own tables and progress; the proof commands are already apart (wipe_proof.py).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

import typer

from refurb.env import Env
from refurb.exit import ExitStatus
from refurb.i18n import _

if TYPE_CHECKING:
    from refurb.wipe import Disk, DiskPlan, DiskResult, Progress

app = typer.Typer(
    help=(
        "Erase disks safely and keep the proof: list the disks, erase them (overwrite or "
        "firmware erase, verified), and record each erasure for its certificate.\n\n"
        "Example: sudo refurb wipe run /dev/sda --asset RF-7K3QM-X4T2A"
    ),
    no_args_is_help=True,
)


class Method(StrEnum):
    auto = "auto"
    zero = "zero"
    prng = "prng"
    firmware = "firmware"


class Verify(StrEnum):
    full = "full"
    sample = "sample"
    off = "off"


STATUS_STYLE = {
    "erased": "green",
    "erased_with_exceptions": "yellow",
    "failed": "red",
    "interrupted": "red",
}


def _media(kind: str | None) -> str:
    """The media type in the reader's language (records keep the English words)."""
    return {
        "loop device (file-backed)": _("loop device (file-backed)"),
        "RAM disk": _("RAM disk"),
        "device-mapper volume": _("device-mapper volume"),
        "NVMe SSD": _("NVMe SSD"),
        "eMMC / SD card": _("eMMC / SD card"),
        "virtual disk": _("virtual disk"),
        "USB disk": _("USB disk"),
        "USB flash / SSD": _("USB flash / SSD"),
        "HDD": _("HDD"),
        "SSD": _("SSD"),
        "disk": _("disk"),
    }.get(kind or "", kind or "—")


def _size(n: int | None) -> str:
    from refurb.units import disk_size

    return disk_size(n, unknown="—")


LIST_HELP = (
    "List every disk with model, serial, size and type, and whether it may be erased, and why "
    "not: it holds the running system, has a mounted partition, is the USB stick refurb runs "
    "from, is read-only.\n\n"
    "Example: refurb wipe list"
)


@app.command("list", help=LIST_HELP)
def list_cmd(
    ctx: typer.Context,
    json_out: bool = typer.Option(False, "--json", help="Print the disks as JSON."),
    no_smart: bool = typer.Option(
        False, "--no-smart", help="Do not ask smartctl for serials (faster, less complete)."
    ),
) -> None:
    from refurb.wipe import list_disks_hidden

    env: Env = ctx.obj
    disks, warnings, hidden = list_disks_hidden(env, with_smart=not no_smart)
    if json_out:
        env.print_json(
            {
                "disks": [d.to_dict() | {"hidden_area": hidden[d.path].to_dict()} for d in disks],
                "warnings": warnings,
            }
        )
        return
    for warning in warnings:
        env.err.print(f"[yellow]{warning}[/yellow]")
    if not disks:
        env.err.print(_("No disks found."))
        return
    _render_disks(env, disks, hidden)


def _hidden_text(area: Any) -> str:
    if area is None:
        return "—"
    if area.finding == "found":
        return (
            "[yellow]" + _("{size} hidden").format(size=_size(area.remaining_bytes())) + "[/yellow]"
        )
    return {
        "not_found": _("none"),
        "not_applicable": _("n/a"),
        "could_not_be_read": _("could not be read"),
    }.get(area.finding, area.finding)


def _render_disks(env: Env, disks: list[Disk], hidden: dict[str, Any] | None = None) -> None:
    from rich.table import Table

    from refurb.disks import not_own_reason, not_own_text

    table = Table(show_edge=False)
    cols = (_("Disk"), _("Model"), _("Serial"), _("Size"), _("Type"), _("HPA/DCO"))
    for col in (*cols, _("May be erased")):
        table.add_column(col)
    for d in disks:
        reason = not_own_reason(d)
        model = d.model or (d.backing_file if d.backing_file else None)
        verdict = (
            _("[green]yes[/green]")
            if d.erasable
            else "[red]" + _("no") + "[/red]: " + "; ".join(b.message for b in d.blockers)
        )
        table.add_row(
            d.path,
            model or "—",
            d.serial or "—",
            _size(d.size_bytes),
            _media(d.media_type) + (f"\n[dim]{not_own_text(reason)}[/dim]" if reason else ""),
            _hidden_text((hidden or {}).get(d.path)),
            verdict,
        )
    env.out.print(table)


RUN_HELP = (
    "Erase one or more disks and record each erasure on the device given with --asset.\n\n"
    "Methods: auto (firmware erase where it is safe, else one AES-CTR overwrite "
    "pass), zero, prng (AES-CTR keystream) or firmware "
    "(ATA secure erase, NVMe sanitize or format). Verification: full reads every "
    "byte back, sample reads at least 1 % spread over the disk plus its first and "
    "last MiB; a firmware erase is always checked by a sample. You type each disk's serial "
    "(loop devices: the backing file name or the device name) unless --yes.\n\n"
    "Exit status 3 when an erasure or its verification fails, 130 on Ctrl-C.\n\n"
    "Example: refurb wipe run /dev/sda --asset RF-7K3QM-X4T2A --method auto --verify full"
)


@app.command("run", help=RUN_HELP)
def run_cmd(
    ctx: typer.Context,
    devices: list[str] = typer.Argument(
        ...,
        help="Disks to erase: /dev/sda, nvme0n1, /dev/loop0 ...",
        show_default=False,
        metavar="DEVICE",
    ),
    asset: str | None = typer.Option(
        None, "--asset", "-a", help="The device the disks belong to (required unless --dry-run)."
    ),
    method: Method = typer.Option(Method.auto, "--method", "-m", help="How to erase."),
    verify: Verify = typer.Option(Verify.full, "--verify", help="How much to read back."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask to type the serial."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Print the exact plan and commands; change nothing."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the plan or the results as JSON."),
    unlock_hidden: bool = typer.Option(
        False,
        "--unlock-hidden",
        help="Lift a Host Protected Area for the erasure (until the drive's next reset).",
    ),
    restore_hidden: bool = typer.Option(
        False, "--restore-hidden", help="Set a lifted Host Protected Area back afterwards."
    ),
) -> None:
    from refurb.errors import EraseFailed
    from refurb.wipe import StopFlag, WipeOptions, prepare

    env: Env = ctx.obj
    if not dry_run and not asset:
        raise typer.BadParameter(_("say which device these disks belong to"), param_hint="--asset")
    options = WipeOptions(
        method=method.value,
        verify=verify.value,
        unlock_hidden=unlock_hidden,
        restore_hidden=restore_hidden,
    )
    if dry_run:
        if asset:
            from refurb.store import open_store

            with open_store(env) as store:
                asset = store.get_device(asset).asset_id
        preparation = prepare(env, devices, options)
        if json_out:
            env.print_json(
                {
                    "dry_run": True,
                    "asset_id": asset,
                    "plans": [p.to_dict() for p in preparation.plans],
                }
            )
        else:
            for plan in preparation.plans:
                _render_plan(env, plan)
            env.err.print(_("Dry run: nothing was written."))
        return

    from refurb.store import open_store
    from refurb.wipe import close_dangling, execute, stop_on_signals

    with open_store(env) as store:
        asset_id = store.get_device(asset or "").asset_id
        for item in close_dangling(env, store):
            disk = item.get("disk") or {}
            env.err.print(
                _(
                    "[yellow]An earlier erasure of {disk} on {asset} was cut off (refurb was "
                    "killed); it is now recorded as interrupted.[/yellow]"
                ).format(disk=disk.get("path") or disk.get("name") or "?", asset=item["asset_id"])
            )
        preparation = prepare(env, devices, options)
        if not json_out:
            for plan in preparation.plans:
                _render_plan(env, plan)
        if not yes:
            for plan in preparation.plans:
                _ask_unlock(env, plan, restore_hidden)
                _confirm(env, plan)
        stop = StopFlag()
        with _progress(env, disabled=json_out) as on_progress, stop_on_signals(stop):
            results = execute(
                env, store, asset_id, preparation, options, stop=stop, on_progress=on_progress
            )
    if json_out:
        env.print_json(
            {
                "asset_id": asset_id,
                "results": [
                    {
                        "wipe_id": r.wipe_id,
                        "disk": r.plan.disk.path,
                        "status": r.status,
                        "reason": r.reason,
                        "record": r.record,
                    }
                    for r in results
                ],
            }
        )
    else:
        _render_results(env, results)
    if stop.reason == "SIGINT":
        env.err.print(_("Interrupted: the disks are recorded as interrupted."))
        raise typer.Exit(int(ExitStatus.CTRL_C))
    if stop.reason == "SIGTERM":
        raise typer.Exit(int(ExitStatus.TERMINATED))
    bad = [r for r in results if r.status in ("failed", "interrupted")]
    if bad:
        raise EraseFailed(
            _("{n} of {total} disk(s) not erased: {what}").format(
                n=len(bad),
                total=len(results),
                what="; ".join(f"{r.plan.disk.path} {r.status} ({r.reason})" for r in bad),
            ),
            _("the device stays in quarantine; see: refurb show {asset}").format(asset=asset_id),
        )


VALIDATE_HELP = (
    "A second person re-reads a fresh sample (at least 1 %, plus the first and last MiB) of "
    "each disk of the device that was erased and is still attached, compares it with what the "
    "erasure record says was written, and records a wipe_validation event with their name.\n\n"
    "Exit status 3 when a disk does not read back as recorded.\n\n"
    "Example: refurb wipe validate RF-7K3QM-X4T2A --operator bob"
)


@app.command("validate", help=VALIDATE_HELP)
def validate_cmd(
    ctx: typer.Context,
    asset: str = typer.Argument(..., help="The device whose erased disks to check."),
    operator: str | None = typer.Option(
        None, "--operator", help="Who validates (not the person who erased)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the validations as JSON."),
) -> None:
    from refurb.errors import EraseFailed
    from refurb.store import open_store
    from refurb.wipe.validate import validate

    env: Env = ctx.obj
    with open_store(env) as store:
        results = validate(env, store, asset, operator or env.actor)
    if json_out:
        env.print_json({"asset_id": asset, "validations": results})
    else:
        for r in results:
            where = r.get("device") or "—"
            env.out.print(
                f"{where}  {r['disk'].get('serial') or r['disk'].get('backing_file') or ''}  "
                + {
                    "passed": _("[green]passed[/green]"),
                    "failed": _("[red]failed[/red]"),
                    "not_attached": _("[yellow]not attached[/yellow]"),
                }[r["outcome"]]
            )
    failed = [r for r in results if r["outcome"] == "failed"]
    if failed:
        raise EraseFailed(
            _("{n} disk(s) did not read back as their erasure record says").format(n=len(failed))
        )


def _render_plan(env: Env, plan: DiskPlan) -> None:
    from refurb.terms import method_word

    d = plan.disk
    title = " ".join(x for x in (d.model, d.serial) if x) or d.backing_file or d.name
    env.err.print(
        f"[bold]{d.path}[/bold]  {title}  {_size(d.size_bytes)}  {_media(d.media_type)}  "
        + _("{nist} by {technique} ({method})").format(
            nist=plan.nist_method,
            technique=method_word(plan.technique),
            method=method_word(plan.method),
        )
    )
    for note in plan.notes:
        env.err.print(f"  [yellow]{note}[/yellow]")
    for n, step in enumerate(plan.steps(), start=1):
        env.err.print(f"  {n}. {step}", markup=False)


def _ask_unlock(env: Env, plan: DiskPlan, restore: bool) -> None:
    """An HPA hides sectors and --unlock-hidden was not given: ask whether to lift it."""
    from refurb.wipe.engine import consent_to_unlock

    hidden = plan.hidden
    if hidden is None or not hidden.hpa_sectors or hidden.unlock:
        return
    question = _("Lift the Host Protected Area of {path} ({size}) for the erasure?").format(
        path=plan.disk.path, size=_size(hidden.hpa_bytes)
    )
    try:
        agreed = typer.confirm(question, default=False, err=True)
    except typer.Abort:
        agreed = False
    if agreed:
        consent_to_unlock(plan, restore=restore)
        for step in plan.steps()[:1]:
            env.err.print(f"  {step}", markup=False)


def _confirm(env: Env, plan: DiskPlan) -> None:
    from refurb.errors import Refused

    confirmation = plan.confirmation
    d = plan.disk
    example = confirmation.tokens[0]
    prompt = _("Type {what} of {path} ({hint}) to erase it").format(
        what=confirmation.what, path=d.path, hint=example
    )
    try:
        answer = typer.prompt(prompt, default="", show_default=False, err=True)
    except typer.Abort:
        answer = ""
    wanted = {t.casefold() for t in confirmation.tokens}
    if answer.strip().casefold() not in wanted:
        raise Refused(
            _("{path} not confirmed: nothing was erased").format(path=d.path),
            _("type {what} exactly, or pass --yes").format(what=confirmation.what),
        )


def _phase(name: str) -> str:
    return {
        "write": _("writing"),
        "verify": _("verifying"),
        "sample": _("sampling"),
        "firmware": _("firmware erase"),
    }.get(name, name)


class _progress:  # noqa: N801 - used as a context manager, reads like a function
    """Rich progress bars (MB/s, ETA) fed from the erasing threads."""

    def __init__(self, env: Env, *, disabled: bool) -> None:
        self.env = env
        self.disabled = disabled
        self.progress: Any = None
        self.tasks: dict[str, Any] = {}
        self.phases: dict[str, str] = {}

    def __enter__(self) -> Any:
        if self.disabled:
            return None
        from rich.progress import (
            BarColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=self.env.err,
            transient=False,
        )
        self.progress.__enter__()
        return self.update

    def update(self, p: Progress) -> None:
        task = self.tasks.get(p.disk)
        label = f"{p.disk} {_phase(p.phase)}"
        if task is None:
            self.tasks[p.disk] = self.progress.add_task(label, total=p.total)
            self.phases[p.disk] = p.phase
            task = self.tasks[p.disk]
        elif self.phases.get(p.disk) != p.phase:
            self.phases[p.disk] = p.phase
            self.progress.reset(task, total=p.total, description=label)
        self.progress.update(task, completed=p.done, total=p.total)

    def __exit__(self, *exc: Any) -> None:
        if self.progress is not None:
            self.progress.__exit__(*exc)


def _render_results(env: Env, results: list[DiskResult]) -> None:
    from rich.table import Table

    from refurb.terms import method_word, result_word
    from refurb.units import throughput

    table = Table(show_edge=False)
    for col in (_("Disk"), _("Status"), _("Method"), _("Verified"), _("Write speed"), _("Why")):
        table.add_column(col)
    for r in results:
        rec = r.record
        v = rec.get("verification") or {}
        fraction = v.get("fraction")
        verified = (
            f"{v.get('mode')} {fraction * 100:.1f} %"
            if isinstance(fraction, (int, float)) and v.get("bytes_verified")
            else result_word(v.get("result"))
        )
        speed = rec.get("write_throughput_bps")
        style = STATUS_STYLE.get(r.status, "white")
        table.add_row(
            r.plan.disk.path,
            f"[{style}]{result_word(r.status)}[/{style}]",
            f"{rec.get('nist_method')} / {method_word(rec.get('method'))}",
            verified,
            throughput(speed, unknown="—"),
            r.reason or "",
        )
    env.out.print(table)


def _register_proof_commands() -> None:
    # `certificate`, `verify-cert` and `import-nwipe` live beside, in wipe_proof.py.
    from refurb.commands import wipe_proof

    wipe_proof.register(app)


_register_proof_commands()

"""`refurb probe`: what laptop is on the bench, at a glance, and recording it on its asset."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from refurb.env import Env
from refurb.i18n import _

if TYPE_CHECKING:
    from rich.table import Table

HELP = """Identify the laptop on the bench: model, processor, memory, disks and their health,
battery health and screen. Run it as root (sudo) to get serial numbers and disk health.

What could not be read is shown as unknown with the reason and how to fix it.

Examples:

  sudo refurb probe

  sudo refurb probe --save RF-7K3QM-X4T2A    (record it on that asset)

  sudo refurb probe --save --create          (find the asset by serial, or register a new one)

  sudo refurb probe --capture /media/usb/probe-T460     (keep the raw outputs)

  refurb probe --from /media/usb/probe-T460 --json       (the same probe, on another machine)
"""


def probe(
    ctx: typer.Context,
    asset_arg: str | None = typer.Argument(
        None,
        metavar="ASSET",
        help="With --save: the asset to record the probe on (same as --asset).",
        show_default=False,
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the refurb.probe/1 JSON."),
    save: bool = typer.Option(
        False,
        "--save",
        help="Record the probe on an asset (given, or found by system or disk serial).",
    ),
    asset: str | None = typer.Option(
        None, "--asset", "-a", help="The asset for --save, e.g. RF-7K3QM-X4T2A."
    ),
    create: bool = typer.Option(
        False,
        "--create",
        "--yes",
        "-y",
        help="With --save: register a new asset without asking when none matches.",
    ),
    capture_dir: Path | None = typer.Option(
        None,
        "--capture",
        metavar="DIR",
        help="Also save the raw tool outputs in DIR (read them back with --from).",
        file_okay=False,
    ),
    from_dir: Path | None = typer.Option(
        None,
        "--from",
        metavar="DIR",
        help="Read a folder written by --capture instead of this machine.",
        file_okay=False,
    ),
) -> None:
    from refurb import probe as core

    env: Env = ctx.obj
    if asset_arg and asset and asset_arg != asset:
        raise typer.BadParameter(_("give the asset once"), param_hint="--asset")
    target = asset or asset_arg
    if target and not save:
        raise typer.BadParameter(
            _("to record the probe on {asset}, add --save").format(asset=target),
            param_hint="ASSET",
        )
    if capture_dir is not None and from_dir is not None:
        raise typer.BadParameter(
            _("--capture reads this machine and --from reads a folder: choose one"),
            param_hint="--capture / --from",
        )

    spinner = None
    if env.stdout_isatty and not json_out:
        spinner = env.err.status(_("Probing the hardware…"))
        spinner.start()
    try:
        if from_dir is not None:
            result = core.probe_from_dir(from_dir)
        elif capture_dir is not None:
            result = core.capture(env, capture_dir)
        else:
            result = core.probe_live(env)
    finally:
        if spinner is not None:
            spinner.stop()

    saved: dict[str, Any] | None = None
    if save:
        saved = _save(env, result, target, create)

    if json_out:
        if saved is not None:
            env.print_json({**result, "saved": saved})
        else:
            env.print_json(result)
        return
    render(env, result)
    if capture_dir is not None:
        env.err.print(
            _("Raw outputs saved in {folder} (read them with refurb probe --from).").format(
                folder=capture_dir
            )
        )
    if saved is not None:
        _render_saved(env, saved)


def _save(env: Env, result: dict[str, Any], asset: str | None, create: bool) -> dict[str, Any]:
    from refurb import probe as core
    from refurb.store import open_store

    with open_store(env) as store:
        if asset is None and not create:
            found, _how = core.find_asset(store, result)
            if found is None:
                if not env.stdin_isatty:
                    raise core.no_match_error(result)
                identity = core.identity_text(result)
                if not typer.confirm(
                    _("No asset matches this laptop ({identity}). Register a new one?").format(
                        identity=identity
                    ),
                    default=True,
                    err=True,
                ):
                    raise typer.Exit(1)
                create = True
        return core.record(store, result, asset=asset, create=create)


def _render_saved(env: Env, saved: dict[str, Any]) -> None:
    if saved["created"]:
        message = _("Registered new asset {asset} and recorded the probe on it.")
    elif saved["matched_by"] == "system_serial":
        message = _("Recorded on {asset} (found by its serial number).")
    elif saved["matched_by"] == "disk_serial":
        message = _("Recorded on {asset} (found by its disk's serial number).")
    else:
        message = _("Recorded on {asset}.")
    env.out.print(message.format(asset=f"[bold]{saved['asset_id']}[/bold]"))
    from refurb.commands.device import _render_mismatch

    _render_mismatch(env, {"asset_id": saved["asset_id"], "intake": saved})


# -- rendering -----------------------------------------------------------------------------------


_HEALTH_STYLE = {"good": "green", "worn": "yellow", "failing": "bold red", "unknown": "dim"}


def _health_word(health: str) -> str:
    return {
        "good": _("good"),
        "worn": _("worn"),
        "failing": _("FAILING"),
        "unknown": _("health unknown"),
    }[health]


def _battery_style(pct: float | None) -> str:
    if pct is None:
        return "dim"
    if pct < 40:
        return "bold red"
    if pct < 60:
        return "yellow"
    return "green"


def render(env: Env, result: dict[str, Any]) -> None:
    """The probe as a few lines a volunteer reads at a glance (rich, on stdout)."""
    from rich.markup import escape
    from rich.table import Table

    from refurb import units
    from refurb.specs import summary

    facts = summary(result)
    out = env.out
    unknown = "[dim]" + _("unknown") + "[/dim]"
    title = escape(facts["name"] or _("Unknown model"))
    serial = facts["serial"]
    out.print(
        f"[bold]{title}[/bold]"
        + (("  [dim]" + _("serial") + f"[/dim] {escape(serial)}") if serial else "")
    )
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold cyan", no_wrap=True)
    grid.add_column()

    cpu = result.get("cpu") or {}
    if facts["cpu"]:
        bits = [escape(facts["cpu"])]
        if cpu.get("cores") and cpu.get("threads"):
            bits.append(
                _("({cores} cores, {threads} threads)").format(
                    cores=cpu["cores"], threads=cpu["threads"]
                )
            )
        grid.add_row(_("Processor"), " ".join(bits))
    else:
        grid.add_row(_("Processor"), unknown)

    memory = result.get("memory") or {}
    if facts["ram_bytes"]:
        text = units.memory_size(facts["ram_bytes"])
        soldered = [m for m in memory.get("modules") or [] if m.get("soldered")]
        if facts["ram_from_modules"] and memory.get("slots_total"):
            # Soldered memory (LPDDR) is listed as devices but sits in no slot.
            total = memory["slots_total"] - len(soldered)
            used = (memory.get("slots_used") or 0) - len(soldered)
            if soldered and total <= 0:
                text += " " + _("(soldered)")
            elif soldered:
                size = units.memory_size(sum(m.get("size_bytes") or 0 for m in soldered))
                text += " " + _("({used} of {total} slots used, {size} soldered)").format(
                    used=used, total=total, size=size
                )
            else:
                text += " " + _("({used} of {total} slots used)").format(
                    used=memory.get("slots_used"), total=memory["slots_total"]
                )
        elif not facts["ram_from_modules"]:
            text = _("about {size} usable").format(size=text)
        grid.add_row(_("Memory"), text)
    else:
        grid.add_row(_("Memory"), unknown)

    _storage_rows(grid, result)

    if result.get("batteries"):
        for bat in result["batteries"]:
            pct = bat.get("health_pct")
            style = _battery_style(pct)
            if pct is not None:
                text = f"[{style}]" + _("{pct:.0f}% of its design capacity").format(pct=pct)
                text += f"[/{style}]"
            else:
                text = unknown
            details = []
            if bat.get("full_wh") is not None and bat.get("design_wh"):
                details.append(f"{bat['full_wh']:.1f} / {bat['design_wh']:.1f} Wh")
            if bat.get("cycle_count"):
                details.append(_("{n} cycles").format(n=bat["cycle_count"]))
            if details:
                text += f" [dim]({', '.join(details)})[/dim]"
            grid.add_row(_("Battery") + f" {escape(bat.get('name') or '')}", text)
    else:
        grid.add_row(_("Battery"), "[dim]" + _("none found") + "[/dim]")

    grid.add_row(_("Screen"), escape(facts["screen"]) if facts["screen"] else unknown)
    gpus = result.get("gpus") or []
    if gpus:
        names = ", ".join(
            escape(" ".join(x for x in (g.get("vendor"), g.get("model")) if x)) for g in gpus
        )
        grid.add_row(_("Graphics"), names)
    network = result.get("network") or []
    if network:
        kinds = ", ".join(sorted({n["kind"] for n in network if n.get("kind")}))
        grid.add_row(_("Network"), kinds)
    tpm = result.get("tpm")
    secure = result.get("secure_boot")
    security = [
        _("TPM {version}").format(version=tpm["version"]) if tpm else _("no TPM"),
        _("Secure Boot on")
        if secure
        else (_("Secure Boot off") if secure is False else _("Secure Boot unknown")),
    ]
    grid.add_row(_("Security"), ", ".join(security))
    out.print(grid)

    warnings = result.get("warnings") or []
    if warnings:
        out.print()
        out.print("[yellow]" + _("Could not read everything:") + "[/yellow]")
        notes = Table.grid(padding=(0, 1))
        notes.add_column(style="yellow", no_wrap=True)
        notes.add_column()
        for message in warnings:
            notes.add_row(" •", escape(message))
        out.print(notes)


def _storage_rows(grid: Table, result: dict[str, Any]) -> None:
    from rich.markup import escape

    from refurb import disks as disk_model
    from refurb import units
    from refurb.specs import disk_health, disk_kind

    disks = result.get("disks") or []
    if not disks:
        grid.add_row(_("Storage"), "[dim]" + _("no disk found") + "[/dim]")
        return
    for disk in disks:
        health, reasons = disk_health(disk)
        style = _HEALTH_STYLE[health]
        kind = disk_kind(disk)
        reason = disk_model.not_own_reason(disk)
        if disk.get("protocol") == "USB":
            kind = _("USB disk")
        size = units.disk_size(disk.get("size_bytes"), unknown=_("unknown"))
        size_kind = " ".join(p for p in (size, kind) if p)
        text = f"[{style}]{_health_word(health)}[/{style}]  {size_kind}"
        if disk.get("model"):
            text += f"  {escape(disk['model'])}"
        notes = [disk_model.not_own_text(reason)] if reason else []
        notes += reasons
        if disk.get("power_on_hours") is not None:
            notes.append(_("{hours} h powered on").format(hours=disk["power_on_hours"]))
        if notes:
            text += f" [dim]({escape('; '.join(notes))})[/dim]"
        grid.add_row(_("Disk") + f" {escape(disk.get('name') or '')}", text)


def fast_json(args: list[str]) -> int | None:
    """``refurb probe --json [--from DIR]`` without Typer's option parsing; None for anything else.

    Typer 0.29 coerces every non-flag option through a pydantic TypeAdapter, and importing
    pydantic costs ~75 ms: more than the whole live probe. Scripts call ``probe --json`` on every
    laptop, so ``refurb.cli.main`` hands exactly these forms here; every other form, and every
    global option, goes through Typer as usual. Errors end as in `refurb.cli` (`refurb.boundary`).
    """
    rest = list(args)
    if rest.count("--json") != 1:
        return None
    rest.remove("--json")
    from_dir: str | None = None
    if len(rest) == 2 and rest[0] == "--from":
        from_dir = rest[1]
    elif len(rest) == 1 and rest[0].startswith("--from="):
        from_dir = rest[0].removeprefix("--from=")
    elif rest:
        return None
    if from_dir is not None and (not from_dir or from_dir.startswith("-")):
        return None

    from refurb.boundary import exit_status_for

    env = Env()
    env.apply_settings()
    try:
        from refurb import probe as core

        result = core.probe_from_dir(from_dir) if from_dir is not None else core.probe_live(env)
    except (Exception, KeyboardInterrupt) as exc:  # the same one line as refurb.cli's boundary
        return exit_status_for(exc)
    env.print_json(result)
    return 0

"""`refurb show`, `refurb list`, `refurb status`: one device, many devices, moving a device on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from refurb.env import Env
from refurb.i18n import _

SHOW_HELP = """Show one device: specs, status, erasure, and the timeline of everything done to it.

Example: refurb show RF-7K3QM-X4T2A
"""
LIST_HELP = """List devices, optionally only some statuses or one intake batch.

Example: refurb list --status ready --status in_progress
"""
STATUS_HELP = """Move a device to another status (intake, in_progress, ready, on_loan, handed_out,
parts, recycled, quarantine). A move the rules do not allow is refused with the reason.
With --batch or --from-file many devices move at once: all of them, or none, and every
refused move is named.

Example: refurb status RF-7K3QM-X4T2A ready

Example: refurb status --batch 2026-12-kbc in_progress
"""


def _size(n: int | None) -> str:
    from refurb.units import disk_size

    return disk_size(n, unknown="—")


def event_summary(kind: str, payload: dict[str, Any]) -> str:
    """One line a person can read on the timeline."""
    if kind == "intake":
        names = {"serial": _("serial"), "donor": _("donor"), "batch": _("batch")}
        bits = [f"{names[k]} {payload[k]}" for k in names if payload.get(k)]
        if not bits:
            return _("registered")
        return _("registered: {details}").format(details=", ".join(bits))
    if kind == "status":
        from refurb.terms import status_word

        text = f"{status_word(payload.get('from'))} → {status_word(payload.get('to'))}"
        return text + (f" ({payload['reason']})" if payload.get("reason") else "")
    if kind == "probe":
        probe = payload.get("probe") or {}
        system = probe.get("system") or {}
        if not system.get("model"):
            return _("hardware probed")
        return _("hardware probed: {model}").format(model=system["model"])
    if kind in ("wipe", "wipe_started"):
        disk = payload.get("disk") or {}
        label = disk.get("model") or disk.get("name") or "disk"
        if kind == "wipe_started":
            return _("erasure started: {disk}").format(disk=label)
        words = {
            "erased": _("erased and verified"),
            "erased_with_exceptions": _("erased with exceptions"),
            "failed": _("erasure failed"),
            "interrupted": _("erasure interrupted"),
        }
        status = payload.get("status") or "failed"
        return _("{result}: {disk}").format(result=words.get(status, status), disk=label)
    if kind == "os_install" and payload.get("factory_reset"):
        return _("factory reset") + (
            f": {' '.join(str(payload[k]) for k in ('image', 'version') if payload.get(k))}"
            if payload.get("image")
            else ""
        )
    if kind in ("loan_out", "handout", "loan_return", "loan_extend", "loan_purge", "partner"):
        from refurb.commands.loans import loan_event_summary

        return loan_event_summary(kind, payload)
    if kind == "os_install":
        return _("OS installed: {name}").format(
            name=" ".join(str(payload[k]) for k in ("image", "version") if payload.get(k))
        )
    if kind == "grade":
        return _("graded {grade}").format(grade=payload.get("grade"))
    if kind == "label":
        return _("label made ({template})").format(template=payload.get("template"))
    if kind == "note":
        return str(payload.get("text", ""))
    if kind == "update":
        fields = ", ".join(sorted(k for k in payload if k != "source"))
        return _("updated: {fields}").format(fields=fields)
    if kind == "confirm":
        return _("probe confirmed over the intake record: {fields}").format(
            fields=", ".join(payload.get("fields") or [])
        )
    return kind


def _device_json(state: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in state.items()}


def show(
    ctx: typer.Context,
    asset: str = typer.Argument(..., help="Asset id, e.g. RF-7K3QM-X4T2A (RF- may be left out)."),
    json_out: bool = typer.Option(False, "--json", help="Print the device and its events as JSON."),
) -> None:
    from refurb.projection import missing_for_ready
    from refurb.store import open_store

    env: Env = ctx.obj
    with open_store(env) as store:
        device = store.get_device(asset)
        state = store.live_state(device)
        # in the order every bench folds them, also where synced benches' events meet
        events = sorted(
            store.events(device.asset_id), key=lambda e: (e.created_at, e.workstation, e.ws_seq)
        )
        loan = None
        if state["status"] in ("on_loan", "handed_out"):
            from refurb.loans import current

            found = current(store, device.asset_id)
            loan = found.to_dict() if found else None
    from refurb.conflicts import detect

    missing = missing_for_ready(state)
    contradictions = detect(device.asset_id, events)  # from benches that synced (refurb sync)
    timeline = [
        {
            "id": ev.id,
            "kind": ev.kind,
            "at": ev.created_at,
            "actor": ev.actor,
            "workstation": ev.workstation,
            "payload": ev.payload.data(),
        }
        for ev in events
    ]
    if json_out:
        env.print_json(
            {
                "device": _device_json(state),
                "missing_for_ready": missing,
                "loan": loan,
                "events": timeline,
                "conflicts": contradictions,
            }
        )
        return
    _render_device(env, state, missing, timeline, loan)
    if contradictions:
        from refurb.commands.sync import conflict_line

        for c in contradictions:
            env.out.print("[yellow]⚠[/yellow] " + conflict_line(c))


def _render_device(
    env: Env,
    state: dict[str, Any],
    missing: list[str],
    timeline: list[dict[str, Any]],
    loan: dict[str, Any] | None = None,
) -> None:
    from rich.table import Table

    from refurb.projection import erasure_word
    from refurb.specs import model_line
    from refurb.units import memory_size

    out = env.out
    title = model_line(state.get("manufacturer"), state.get("model")) or _("unknown model")
    from refurb.terms import status_word

    status = status_word(state["status"])
    out.print(f"[bold]{state['asset_id']}[/bold]  {title}  [cyan]{status}[/cyan]")
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="dim")
    facts.add_column()
    from refurb.readiness import kind_word

    rows = [
        (_("Kind"), kind_word(state.get("kind"))),
        (_("Serial"), state.get("serial")),
        (_("Donor"), state.get("donor")),
        (_("Batch"), state.get("batch")),
        (_("Location"), state.get("location")),
        (_("CPU"), state.get("cpu")),
        (_("Memory"), memory_size(state["ram_bytes"]) if state.get("ram_bytes") else None),
        (_("Storage"), state.get("storage")),
        (
            _("Battery"),
            f"{state['battery_health_pct']:.0f} %" if state.get("battery_health_pct") else None,
        ),
        (_("Screen"), state.get("screen")),
        (_("Erasure"), erasure_word(state["erasure"]) if state.get("erasure") else None),
        (_("OS"), state.get("os")),
        (_("Grade"), state.get("grade")),
        (_("Loan"), _loan_line(loan) if loan else None),
        (_("Notes"), state.get("notes")),
    ]
    for label, value in rows:
        if value not in (None, ""):
            facts.add_row(label, str(value))
    out.print(facts)
    _render_mismatch(env, state)
    disks = state.get("disks") or {}
    if disks:
        table = Table(title=_("Disks"), title_justify="left", show_edge=False)
        for col in (_("Disk"), _("Model"), _("Serial"), _("Size"), _("Erasure")):
            table.add_column(col)
        for d in disks.values():
            table.add_row(
                str(d.get("name") or "—"),
                str(d.get("model") or "—"),
                str(d.get("serial") or "—"),
                _size(d.get("size_bytes")),
                erasure_word(d.get("erasure") or "pending"),
            )
        out.print(table)
    for label, why in _method_choices(timeline):
        out.print(_("How {disk} was erased: {why}").format(disk=label, why=why), markup=False)
    if missing and state["status"] in ("intake", "in_progress", "quarantine"):
        out.print(_("[yellow]Before it can be ready:[/yellow] ") + "; ".join(missing))
    table = Table(title=_("Timeline"), title_justify="left", show_edge=False)
    table.add_column(_("When"), style="dim")
    table.add_column(_("Who"))
    table.add_column(_("What"))
    for item in timeline:
        when = item["at"][:16].replace("T", " ")
        table.add_row(when, item["actor"], event_summary(item["kind"], item["payload"]))
    out.print(table)


def _method_choices(timeline: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(disk, why its latest erasure used its method) for every disk erased, in disk order."""
    from refurb.wipe.choice import choice_of, choice_sentence

    latest: dict[str, str] = {}
    for item in timeline:
        if item["kind"] != "wipe":
            continue
        disk = item["payload"].get("disk") or {}
        label = str(disk.get("name") or disk.get("serial") or disk.get("model") or "disk")
        why = choice_sentence(choice_of(item["payload"]))
        if why:
            latest[label] = why
        else:
            latest.pop(label, None)
    return list(latest.items())


def _render_mismatch(env: Env, state: dict[str, Any]) -> None:
    """Where the donor's sheet and the probe disagree, until someone settles it."""
    from refurb.intake.reconcile import mismatches

    for field, diff in sorted(mismatches(state).items()):
        env.out.print(
            "[yellow]"
            + _("The intake record says {field} {intake}, the probe found {probe}.").format(
                field=field, intake=diff["intake"], probe=diff["probe"]
            )
            + "[/yellow]",
            highlight=False,
        )
    if mismatches(state):
        env.out.print(
            _(
                "Confirm the probe with refurb intake edit {asset} --confirm, or correct the field."
            ).format(asset=state["asset_id"]),
            markup=False,
        )


def _loan_line(loan: dict[str, Any]) -> str:
    if loan["kind"] == "handout":
        return _("handed out to {partner}").format(partner=loan["partner"])
    text = _("lent to {partner} until {due}").format(partner=loan["partner"], due=loan["due"])
    if loan.get("ref"):
        text += f" ({loan['ref']})"
    if loan["overdue"]:
        text += " — " + _("{n} days late").format(n=loan["days_overdue"])
    return text


def list_devices(
    ctx: typer.Context,
    status: list[str] | None = typer.Option(
        None, "--status", help="Only this status (repeat for several)."
    ),
    batch: str | None = typer.Option(None, "--batch", "-b", help="Only this intake batch."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="At most this many."),
    json_out: bool = typer.Option(False, "--json", help="Print a JSON array of devices."),
) -> None:
    from refurb.lifecycle import check_status_names
    from refurb.store import open_store

    env: Env = ctx.obj
    check_status_names(status or [])
    with open_store(env) as store:
        devices = [
            store.device_state(d)
            for d in store.list_devices(status=status, batch=batch, limit=limit)
        ]
    if json_out:
        env.print_json(devices)
        return
    if not devices:
        env.err.print(_("No devices match."))
        return
    from rich.table import Table

    from refurb.terms import status_word

    table = Table(show_edge=False)
    for col in (_("Asset"), _("Status"), _("Model"), _("Serial"), _("Batch"), _("Grade")):
        table.add_column(col)
    for d in devices:
        table.add_row(
            d["asset_id"],
            status_word(d["status"]),
            d.get("model") or "—",
            d.get("serial") or "—",
            d.get("batch") or "—",
            d.get("grade") or "—",
        )
    env.out.print(table)
    from refurb.i18n import ngettext

    env.err.print(ngettext("{n} device", "{n} devices", len(devices)).format(n=len(devices)))


def status(
    ctx: typer.Context,
    args: list[str] | None = typer.Argument(
        None, metavar="[ASSET] NEW_STATUS", help="Asset id and the status to move to."
    ),
    batch: str | None = typer.Option(
        None, "--batch", "-b", help="Move every device of this intake batch."
    ),
    from_file: Path | None = typer.Option(
        None, "--from-file", help="Move the devices listed in this file, one asset id a line."
    ),
    reason: str | None = typer.Option(None, "--reason", "-r", help="Why (kept in the timeline)."),
    json_out: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    from refurb.store import open_store

    env: Env = ctx.obj
    args = list(args or [])
    many = batch is not None or from_file is not None
    if len(args) != (1 if many else 2):
        hint = _("give NEW_STATUS after --batch or --from-file") if many else None
        raise typer.BadParameter(
            hint or _("give the asset and the new status, e.g. RF-7K3QM-X4T2A ready"),
            param_hint="[ASSET] NEW_STATUS",
        )
    target = args[-1].strip().lower()
    if not many:
        with open_store(env) as store:
            ev = store.set_status(args[0], target, reason)
        events = [ev]
    else:
        from refurb.bulk import assets_from_file, move_many
        from refurb.errors import BulkRefused

        listed = assets_from_file(from_file) if from_file is not None else []
        try:
            with open_store(env) as store:
                events = move_many(store, target, batch=batch, assets=listed, reason=reason)
        except BulkRefused as exc:
            for asset, message in exc.refusals:
                env.err.print(
                    _("{asset}: {reason}").format(asset=asset, reason=message), markup=False
                )
            raise
    moves = [{"asset_id": ev.asset_id, **ev.payload.data()} for ev in events]
    if json_out:
        env.print_json(moves[0] if not many else moves)
        return
    from refurb.terms import status_word

    for move in moves:
        env.out.print(
            _("{asset}: {old} → {new}").format(
                asset=move["asset_id"], old=status_word(move["from"]), new=status_word(move["to"])
            )
        )

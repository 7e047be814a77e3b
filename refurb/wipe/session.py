"""A wipe run: find the disks, refuse unsafe ones, plan, record the start, erase, record the end.

Every disk gets a ``wipe_started`` event before its first byte is written and a ``wipe`` event
when it ends, whatever the end. Disks are erased in parallel (one thread each; the GIL is released
during I/O); only the calling thread touches the store. SIGINT / SIGTERM stop every disk at the
next block and each is recorded ``interrupted``; a second signal stops waiting for disks that do
not answer.
"""

from __future__ import annotations

import queue
import signal
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from refurb.errors import InvalidInput, Refused
from refurb.i18n import _
from refurb.wipe import hidden as hidden_areas
from refurb.wipe.blockio import check_not_held
from refurb.wipe.discovery import Disk, assess, gather, resolve
from refurb.wipe.engine import (
    DiskEraser,
    DiskOutcome,
    DiskPlan,
    ProgressFn,
    StopFlag,
    WipeContext,
    WipeOptions,
    plan_disk,
)
from refurb.wipe.hidden import HiddenArea
from refurb.wipe.plan import Preparation  # noqa: F401  (re-exported)
from refurb.wipe.record import dangling, interrupted_record, owner, owner_alive

if TYPE_CHECKING:
    from refurb.env import Env
    from refurb.store import Store


def own_paths(env: Env) -> list[Path]:
    """Folders whose disk must never be erased: refurb's data, config and local database."""
    paths = [env.data_dir, env.config_dir]
    url = env.database_url
    if url.startswith("sqlite:///"):
        paths.append(Path(url[len("sqlite:///") :]))
    return paths


def list_disks(env: Env, *, with_smart: bool = True) -> tuple[list[Disk], list[str]]:
    """Every disk with model, serial, size, bus and whether (and why not) it may be erased."""
    lsblk_text, facts, _cmds = gather(env.runner, own_paths=own_paths(env), with_smart=with_smart)
    return assess(lsblk_text, facts)


def list_disks_hidden(
    env: Env, *, with_smart: bool = True
) -> tuple[list[Disk], list[str], dict[str, HiddenArea]]:
    """:func:`list_disks` plus each disk's hidden-area finding (HPA/DCO), by device path."""
    disks, warnings = list_disks(env, with_smart=with_smart)
    return disks, warnings, {d.path: hidden_areas.read(d, env.runner) for d in disks}


def prepare(
    env: Env,
    devices: list[str],
    options: WipeOptions,
    *,
    firmware: Any | None = None,
) -> Preparation:
    """Resolve each device argument to a disk lsblk knows, refuse unsafe ones, plan each.

    Nothing is written; a refused disk refuses the whole run so no half of it starts."""
    options.check()
    if not devices:
        raise InvalidInput(_("name at least one disk to erase"), _("see: refurb wipe list"))
    lsblk_text, facts, commands = gather(env.runner, own_paths=own_paths(env))
    disks: list[Disk] = []
    for arg in devices:
        disk = resolve(arg, lsblk_text, facts)
        if any(d.maj_min == disk.maj_min for d in disks):
            raise InvalidInput(
                _("{path} is named twice").format(path=disk.path),
                _("name each disk once"),
            )
        disks.append(disk)
    blocked = [d for d in disks if d.blockers]
    if blocked:
        d = blocked[0]
        raise Refused(
            _("{path} may not be erased: it {why}").format(
                path=d.path, why="; ".join(b.message for b in d.blockers)
            ),
            _blocked_hint({b.code for b in d.blockers}),
        )
    for d in disks:
        check_not_held(d.path)
    plans = [plan_disk(d, options, env.runner, firmware) for d in disks]
    return Preparation(plans, commands)


def _blocked_hint(codes: set[str]) -> str:
    """What to do about a refused disk: in use, or a disk that cannot be written at all."""
    if codes and codes <= {"read_only", "empty", "not_writable"}:
        return _(
            "refurb can only erase a disk it can write: check its write-protect switch, or attach "
            "a loop device without -r; see: refurb wipe list"
        )
    return _("refurb never erases a disk in use; see: refurb wipe list")


@dataclass
class DiskResult:
    plan: DiskPlan
    wipe_id: str
    status: str
    reason: str | None
    record: dict[str, Any]


@contextmanager
def stop_on_signals(stop: StopFlag) -> Iterator[StopFlag]:
    """SIGINT and SIGTERM set the stop flag instead of killing the process mid-block."""

    def handler(signum: int, _frame: Any) -> None:
        stop.set(signal.Signals(signum).name)

    old: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            old[sig] = signal.signal(sig, handler)
    try:
        yield stop
    finally:
        for sig, previous in old.items():
            signal.signal(sig, previous)


def execute(
    env: Env,
    store: Store,
    asset_id: str,
    preparation: Preparation,
    options: WipeOptions,
    *,
    stop: StopFlag,
    on_progress: ProgressFn | None = None,
    on_started: Callable[[DiskPlan, str], None] | None = None,
    firmware: Any | None = None,
) -> list[DiskResult]:
    """Erase every planned disk in parallel and append its events; returns one result each."""
    site = (env.extra.get("config") or {}).get("site") or None
    contexts: list[tuple[DiskPlan, WipeContext]] = []
    for plan in preparation.plans:
        ctx = WipeContext(
            wipe_id=str(uuid.uuid4()),
            asset_id=asset_id,
            actor=env.actor,
            workstation=store.workstation,
            site=site,
            clock=env.now,
            discovery_commands=preparation.commands,
        )
        store.append(
            asset_id,
            "wipe_started",
            {
                "wipe_id": ctx.wipe_id,
                "disk": plan.disk.identity(),
                "method": plan.method,
                "nist_method": plan.nist_method,
                "technique": plan.technique,
                "passes": plan.passes,
                "verify": plan.verify,
                "start": env.now().isoformat(timespec="seconds"),
                "owner": owner(store.workstation),
                "choice": plan.choice(),
            },
        )
        contexts.append((plan, ctx))
        if on_started is not None:
            on_started(plan, ctx.wipe_id)

    done: queue.Queue[tuple[str, DiskOutcome]] = queue.Queue()

    def work(plan: DiskPlan, ctx: WipeContext) -> None:
        eraser = DiskEraser(
            plan,
            ctx,
            runner=env.runner,
            options=options,
            stop=stop,
            on_progress=on_progress,
            firmware=firmware,
        )
        done.put((ctx.wipe_id, eraser.run()))

    threads = []
    for plan, ctx in contexts:
        t = threading.Thread(target=work, args=(plan, ctx), name=f"wipe-{plan.disk.name}")
        t.daemon = True
        t.start()
        threads.append(t)

    results: dict[str, DiskResult] = {}
    by_id = {ctx.wipe_id: plan for plan, ctx in contexts}
    while len(results) < len(contexts):
        try:
            wipe_id, outcome = done.get(timeout=0.2)
        except queue.Empty:
            if stop.forced:
                break
            continue
        plan = by_id[wipe_id]
        store.append(
            asset_id,
            "wipe",
            {
                "wipe_id": wipe_id,
                "disk": plan.disk.identity(),
                "status": outcome.status,
                "record": outcome.record,
                "choice": plan.choice(),
            },
        )
        results[wipe_id] = DiskResult(plan, wipe_id, outcome.status, outcome.reason, outcome.record)
    # Forced out (second signal) while a disk still hangs in the kernel: record what we know.
    for plan, ctx in contexts:
        if ctx.wipe_id in results:
            continue
        record = interrupted_record(
            {
                "wipe_id": ctx.wipe_id,
                "disk": plan.disk.identity(),
                "method": plan.method,
                "nist_method": plan.nist_method,
                "technique": plan.technique,
                "verify": plan.verify,
                "owner": owner(store.workstation),
                "choice": plan.choice(),
            },
            asset_id=asset_id,
            found_at=env.now(),
            actor=env.actor,
        )
        record["reason"] = _("stopped by a second {signal} while the disk was still busy").format(
            signal=stop.reason or "signal"
        )
        store.append(
            asset_id,
            "wipe",
            {
                "wipe_id": ctx.wipe_id,
                "disk": plan.disk.identity(),
                "status": "interrupted",
                "record": record,
                "choice": plan.choice(),
            },
        )
        results[ctx.wipe_id] = DiskResult(
            plan, ctx.wipe_id, "interrupted", record["reason"], record
        )
    return [results[ctx.wipe_id] for _plan, ctx in contexts]


def close_dangling(
    env: Env, store: Store, asset_ids: list[str] | None = None
) -> list[dict[str, Any]]:
    """Record ``interrupted`` for every wipe this workstation started whose process is gone
    (killed, power cut). Returns what was closed: asset, wipe id and disk."""
    if asset_ids is None:
        asset_ids = assets_with_started_wipes(store)
    closed = []
    for asset_id in asset_ids:
        for _event, payload in dangling(store.events(asset_id)):
            if owner_alive(payload, store.workstation) is not False:
                continue
            record = interrupted_record(
                payload, asset_id=asset_id, found_at=env.now(), actor=env.actor
            )
            store.append(
                asset_id,
                "wipe",
                {
                    "wipe_id": payload.get("wipe_id"),
                    "disk": payload.get("disk") or {},
                    "status": "interrupted",
                    "record": record,
                    "choice": payload.get("choice"),
                },
            )
            closed.append(
                {
                    "asset_id": asset_id,
                    "wipe_id": payload.get("wipe_id"),
                    "disk": payload.get("disk"),
                }
            )
    return closed


def assets_with_started_wipes(store: Store) -> list[str]:
    """Devices with a disk whose erasure state is still ``started``."""
    from sqlalchemy import select

    from refurb.models import Device

    stmt = select(Device.asset_id).where(Device.disks.like('%"erasure":"started"%'))
    return sorted(store.session.exec(stmt).scalars())

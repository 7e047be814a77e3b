"""Each workbench step, done by the same core function as its own command (see
``refurb/demo.py`` for the same map): ``probe --save``, ``wipe run``, ``wipe import-nwipe``,
``os record``, ``grade``, ``label --print``, ``sync``, and the ``step_skipped`` record.

Which disks the workbench erases is decided here, once: the laptop's own disks
(:func:`refurb.disks.not_own_reason`: never the medium refurb runs from, a USB disk or a card)
that are whole disks (not a loop, RAM or device-mapper device), each with the engine's safety
verdict. ``allowed`` (``refurb workbench --disk``) names the disks instead: then only those are
ever offered, which is how the tests keep to their own loop devices.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from refurb.errors import InvalidInput, Refused
from refurb.i18n import _

if TYPE_CHECKING:
    from refurb.env import Env
    from refurb.store import Store
    from refurb.wipe import Disk, DiskResult, StopFlag

WHOLE_DISK_TYPES = ("disk",)


@dataclass
class DiskChoice:
    """The disks of this machine as the erase step sees them."""

    erase: list[Disk] = field(default_factory=list)  # to erase, after one confirmation
    refused: list[Disk] = field(default_factory=list)  # the laptop's own, but may not be erased
    warnings: list[str] = field(default_factory=list)

    @property
    def keys(self) -> list[str]:
        from refurb.disks import disk_key

        return [disk_key(d) for d in self.erase + self.refused]


def _named(disk: Disk, wanted: str) -> bool:
    name = wanted.strip()
    return name in (disk.path, disk.name, disk.kname, f"/dev/{disk.name}")


def choose_disks(env: Env, allowed: Sequence[str] | None = None) -> DiskChoice:
    """The disks to erase on this machine (see the module's docstring)."""
    from refurb.wipe import list_disks

    disks, warnings = list_disks(env)
    choice = DiskChoice(warnings=list(warnings))
    if allowed:
        for wanted in allowed:
            found = [d for d in disks if _named(d, wanted)]
            if not found:
                raise InvalidInput(
                    _("{disk}: no such disk on this machine").format(disk=wanted),
                    _("see: refurb wipe list"),
                )
            disk = found[0]
            (choice.refused if disk.blockers else choice.erase).append(disk)
        return choice
    for disk in disks:
        if disk.type not in WHOLE_DISK_TYPES or disk.not_own_reason is not None:
            continue
        if disk.media_type == "RAM disk":  # zram swap: lsblk calls it a disk, it holds no data
            continue
        (choice.refused if disk.blockers else choice.erase).append(disk)
    return choice


def erase(
    env: Env,
    store: Store,
    asset_id: str,
    disks: Sequence[Disk],
    *,
    method: str,
    verify: str,
    stop: StopFlag,
    on_progress: Any = None,
) -> list[DiskResult]:
    """`refurb wipe run DISK... --asset A --yes`: the volunteer confirmed on the screen."""
    from refurb.wipe import WipeOptions, execute, prepare, stop_on_signals

    options = WipeOptions(method=method, verify=verify)
    preparation = prepare(env, [d.path for d in disks], options)
    for shown, plan in zip(disks, preparation.plans, strict=True):
        if _identity(shown) != _identity(plan.disk):
            raise Refused(
                _("{path} changed since the list was shown: nothing was erased").format(
                    path=shown.path
                ),
                _("check which disks are attached, then run the workbench again"),
            )
    with stop_on_signals(stop):
        return execute(
            env, store, asset_id, preparation, options, stop=stop, on_progress=on_progress
        )


def _identity(disk: Disk) -> tuple[Any, ...]:
    """What the volunteer confirmed: the same device number, serial, model, size and file."""
    return (disk.maj_min, disk.serial, disk.model, disk.size_bytes, disk.backing_file)


def close_cut_off(env: Env, store: Store, asset_id: str) -> list[dict[str, Any]]:
    """Erasures of this device whose process was killed, recorded as interrupted now."""
    from refurb.wipe import close_dangling

    return close_dangling(env, store, [asset_id])


def import_nwipe(env: Env, log: Path, asset_id: str) -> list[dict[str, Any]]:
    """`refurb wipe import-nwipe LOG --asset A`."""
    from refurb.nwipe_import import import_nwipe as run

    return run(env, log, asset_id)


def probe_machine(env: Env) -> dict[str, Any]:
    from refurb.probe import probe_live

    return probe_live(env)


def identify(store: Store, probe: dict[str, Any]) -> Any:
    """The device this machine's probe recognises (system serial, UUID, disk serial, MAC)."""
    from refurb.probe import find_match

    match = find_match(store, probe)
    return match.device if match is not None else None


def record_probe(
    store: Store, probe: dict[str, Any], asset_id: str | None, *, create: bool = False
) -> dict[str, Any]:
    """`refurb probe --save [ASSET] [--create]`."""
    from refurb.probe import record

    return record(store, probe, asset=asset_id, create=create)


def last_os(store: Store) -> tuple[str, str] | None:
    """The OS recorded last on this bench: the default the volunteer accepts with Enter."""
    from sqlalchemy import select

    from refurb.events import decode
    from refurb.models import Event

    stmt = (
        select(Event.payload)
        .where(Event.kind == "os_install", Event.workstation == store.workstation)
        .order_by(Event.seq.desc())  # type: ignore[union-attr]
        .limit(20)
    )
    for text in store.session.exec(stmt).scalars():
        payload = decode("os_install", text)
        if payload.image and not payload.factory_reset:
            return payload.image, payload.version or ""
    return None


def record_os(store: Store, asset_id: str, image: str, version: str | None) -> None:
    """`refurb os record ASSET --image NAME --version V`."""
    from refurb.osinstall import build_record

    payload = build_record(image=image.strip(), version=(version or "").strip() or None)
    store.append(asset_id, "os_install", payload)


def grade(
    env: Env, store: Store, asset_id: str, answers: dict[str, str], profile: str | None = None
) -> Any:
    """`refurb grade ASSET`: the latest probe and the answers; returns the GradeResult."""
    from refurb.grading import grade_device, latest_probe

    rules = grading_rules(env, store, asset_id)
    result = grade_device(latest_probe(store.events(asset_id)) or {}, answers, rules, profile)
    store.append(asset_id, "grade", result.to_payload())
    return result


def grading_rules(env: Env, store: Store, asset_id: str) -> Any:
    from refurb.grading import load_rules

    return load_rules(env.config_dir, store.get_device(asset_id).kind or "laptop")


def label_printer(env: Env, given: str | None = None) -> str | None:
    """The printer of this bench: ``--printer``, else the ``label_printer`` setting."""
    value = given or env.settings.get("label_printer")
    return value.strip() or None if isinstance(value, str) else None


def print_label(env: Env, store: Store, asset_id: str, printer: str) -> Any:
    """`refurb label ASSET --print PRINTER`; raises (and records nothing) unless printed."""
    from refurb.labels import DEFAULT_TEMPLATE, get_template, make_labels

    name = env.settings.get("label_template")
    template = get_template(
        name.strip() if isinstance(name, str) and name.strip() else DEFAULT_TEMPLATE,
        env.config_dir,
    )
    brother = env.settings.get("brother_model")
    return make_labels(
        store,
        assets=[asset_id],
        batch=None,
        template=template,
        fmt=None,
        out=None,
        printer=printer,
        skip=0,
        label_url=env.settings.label_url,
        runner=env.runner,
        brother_model=brother if isinstance(brother, str) and brother else None,
    )


def skip(store: Store, asset_id: str, step: str, reason: str) -> None:
    """A step left out, with its reason, in the device's log (``step_skipped``)."""
    store.append(asset_id, "step_skipped", {"step": step, "reason": reason.strip()})


@dataclass
class SyncOutcome:
    state: str  # synced, offline, not_set
    pushed: int = 0
    pulled: int = 0
    waiting: int = 0
    message: str | None = None


def sync_now(env: Env) -> SyncOutcome:
    """`refurb sync` to the configured inventory; offline, the events wait here (queued)."""
    from refurb import sync as core
    from refurb.errors import RefurbError

    if not core.configured_inventory(env):
        return SyncOutcome("not_set", waiting=core.status(env)["waiting"])
    try:
        result = core.sync(env)
    except RefurbError as exc:
        waiting = core.status(env)["waiting"]
        return SyncOutcome("offline", waiting=waiting, message=exc.message)
    return SyncOutcome("synced", pushed=result["pushed"], pulled=result["pulled"])


def finish(store: Store, asset_id: str) -> tuple[str, list[str]]:
    """Move the device to ``ready`` when nothing is missing; its status and what is missing."""
    from refurb.errors import Refused

    missing = store.readiness(asset_id)
    device = store.get_device(asset_id)
    if not missing and device.status not in ("ready", "on_loan", "handed_out"):
        try:
            store.set_status(asset_id, "ready", "refurb workbench: every step done")
        except Refused as exc:
            return device.status, [exc.message]
    return store.get_device(asset_id).status, missing

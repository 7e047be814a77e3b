"""Where a device stands in the workbench flow, read from its events alone (pure).

A step is ``done`` when the event that does it is in the log, ``skipped`` when a
``step_skipped`` event came after the last time it was done, ``again`` when it was tried and did
not succeed (an erasure interrupted, failed or cut off by a killed process: it is offered
again), and ``todo`` otherwise. Only the events since the device last came back from a loan
count: a returned laptop goes through the bench again. ``sync`` is not a device step: the
workbench offers it at the end of every run.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from refurb.disks import disk_key, own_probe_disks

STEPS = ("probe", "wipe", "os", "grade", "label")
TODO, DONE, SKIPPED, AGAIN = "todo", "done", "skipped", "again"


@dataclass(frozen=True)
class StepState:
    step: str
    state: str  # todo, done, skipped, again
    detail: str | None = None  # a skip's reason, the grade, the OS, what is left to erase

    @property
    def handled(self) -> bool:
        """Nothing left to do at the bench for this step (done, or skipped with a reason)."""
        return self.state in (DONE, SKIPPED)


def _data(event: Any) -> dict[str, Any]:
    payload = getattr(event, "payload", None)
    if hasattr(payload, "data"):
        return payload.data()
    return dict(payload or {})


def _since_return(events: Iterable[Any]) -> list[Any]:
    events = list(events)
    for n in range(len(events) - 1, -1, -1):
        if events[n].kind == "loan_return":
            return events[n + 1 :]
    return events


def wipe_state(events: Sequence[Any], disk_keys: Sequence[str] | None = None) -> StepState:
    """Every disk in ``disk_keys`` (default: the laptop's own disks of the latest probe)
    erased? The latest erasure of each disk decides; a start without an end is ``again``."""
    latest: dict[str, str] = {}
    probe: dict[str, Any] | None = None
    for ev in events:
        if ev.kind == "probe":
            probe = _data(ev).get("probe")
        elif ev.kind in ("wipe_started", "wipe"):
            data = _data(ev)
            key = disk_key(data.get("disk") or {})
            latest[key] = "started" if ev.kind == "wipe_started" else str(data.get("status"))
    if disk_keys is None:
        if probe is None:
            return StepState("wipe", TODO)
        disk_keys = [disk_key(d) for d in own_probe_disks(probe)]
    if not disk_keys:
        return StepState("wipe", TODO, "no disk")
    left = [k for k in disk_keys if latest.get(k) != "erased"]
    if not left:
        return StepState("wipe", DONE)
    tried = [k for k in left if k in latest]
    return StepState("wipe", AGAIN if tried else TODO, ", ".join(left))


def progress(events: Iterable[Any], disk_keys: Sequence[str] | None = None) -> list[StepState]:
    """The state of each of :data:`STEPS`, in order (events oldest first)."""
    events = _since_return(events)
    done: dict[str, tuple[int, str | None]] = {}  # step -> (position, detail)
    skipped: dict[str, tuple[int, str]] = {}
    last_grade = -1
    for n, ev in enumerate(events):
        data = _data(ev) if ev.kind in ("os_install", "grade", "label", "step_skipped") else {}
        if ev.kind == "probe":
            done["probe"] = (n, None)
        elif ev.kind == "os_install":
            name = " ".join(str(x) for x in (data.get("image"), data.get("version")) if x)
            done["os"] = (n, name or None)
        elif ev.kind == "grade":
            done["grade"] = (n, data.get("grade"))
            last_grade = n
        elif ev.kind == "label":
            done["label"] = (n, data.get("printer") or data.get("output"))
        elif ev.kind == "step_skipped":
            skipped[str(data.get("step"))] = (n, str(data.get("reason") or ""))
        elif ev.kind == "wipe":
            done["wipe"] = (n, None)
    states = []
    for step in STEPS:
        if step == "wipe":
            state = wipe_state(events, disk_keys)
            at = done.get("wipe", (-1, None))[0]
        else:
            at, detail = done.get(step, (-1, None))
            if step == "label" and at < last_grade:
                at = -1  # a label printed before the latest grade shows an old grade
            state = StepState(step, DONE if at >= 0 else TODO, detail if at >= 0 else None)
        skip = skipped.get(step)
        if skip is not None and skip[0] > at and state.state != DONE:
            state = StepState(step, SKIPPED, skip[1])
        states.append(state)
    return states


def next_step(states: Sequence[StepState]) -> str | None:
    """The first step not handled yet, or None when the device is through the bench."""
    for s in states:
        if not s.handled:
            return s.step
    return None

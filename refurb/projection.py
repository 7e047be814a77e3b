"""A device's current state as a pure fold over its events.

``apply(state, kind, payload, at)`` returns the next state from a decoded payload
(``refurb.events``); the store keeps the result in the
``devices`` table and ``refurb admin rebuild`` recomputes it from the log. Keep this free of I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from refurb import events as ev
from refurb.disks import disk_key, own_probe_disks
from refurb.i18n import _
from refurb.intake import reconcile
from refurb.specs import storage_text, summary

STEP_KINDS = {"probe", "wipe_started", "wipe", "os_install", "grade"}
INTAKE_FIELDS = ("serial", "manufacturer", "model", "donor", "batch", "notes", "location", "kind")
ERASED = "erased"
# Loan events change the device; partner events concern no device (refurb/loans.py folds both).
LOAN_KINDS = {"loan_out", "handout", "loan_return", "loan_extend", "loan_purge"}
PARTNER_KINDS = {"partner"}


def new_state(asset_id: str, at: str) -> dict[str, Any]:
    return {
        "asset_id": asset_id,
        "status": "intake",
        "kind": "laptop",
        "created_at": at,
        "updated_at": at,
        "event_count": 0,
        "disks": {},
        "specs": None,
    }


def specs_from_probe(probe: dict[str, Any]) -> dict[str, Any]:
    """The facts a person reads on a label or in a stock list (``refurb.specs.summary``)."""
    specs = summary(probe)
    specs["storage"] = storage_text(specs["disks"])
    specs["system_serial"] = specs.get("serial")
    return specs


def _erasure_summary(disks: dict[str, dict[str, Any]]) -> tuple[str | None, str | None, str | None]:
    """(summary, last erased_at, method) over the disks the device has."""
    if not disks:
        return None, None, None
    statuses = {d.get("erasure") or "pending" for d in disks.values()}
    if statuses == {ERASED}:
        ends = [d.get("erased_at") for d in disks.values() if d.get("erased_at")]
        methods = sorted({d.get("method") for d in disks.values() if d.get("method")})
        return ERASED, max(ends) if ends else None, ", ".join(methods) or None
    for bad in ("failed", "interrupted", "erased_with_exceptions", "started"):
        if bad in statuses:
            return bad, None, None
    return "pending", None, None


def apply(
    state: dict[str, Any], kind: str, payload: ev.Payload | Mapping[str, Any], at: str
) -> dict[str, Any]:
    """The state after one event (a decoded payload; a dict of stored values is decoded)."""
    if not isinstance(payload, ev.Payload):
        payload = ev.from_data(kind, payload)
    s = dict(state)
    s["disks"] = {k: dict(v) for k, v in (state.get("disks") or {}).items()}
    s["event_count"] = state.get("event_count", 0) + 1
    s["updated_at"] = at

    if isinstance(payload, ev.Intake | ev.Update):
        # An update changes the fields it names (to None too); an intake sets those it has.
        given, update = payload.model_fields_set, isinstance(payload, ev.Update)
        for field in INTAKE_FIELDS:
            value = getattr(payload, field)
            if (field in given) if update else (value is not None):
                s[field] = value
        reconcile.apply_intake(s, kind, payload.data())
    elif isinstance(payload, ev.Confirm):
        reconcile.apply_confirm(s, payload.data())
    elif isinstance(payload, ev.Status):
        s["status"] = payload.to
    elif isinstance(payload, ev.Probe):
        _apply_probe(s, payload.probe, at)
    elif isinstance(payload, ev.WipeStarted | ev.Wipe):
        disk = payload.disk
        entry = s["disks"].setdefault(
            disk_key(disk.model_dump()),
            {
                "name": disk.name,
                "model": disk.model,
                "serial": disk.serial,
                "size_bytes": disk.size_bytes,
            },
        )
        entry["wipe_id"] = payload.wipe_id
        if isinstance(payload, ev.WipeStarted):
            entry["erasure"] = "started"
        else:
            status, record = payload.status, payload.record
            entry["erasure"] = status
            entry["method"] = record.get("method") or record.get("technique")
            entry["erased_at"] = (record.get("end") or at) if status == ERASED else None
            if status != ERASED and s.get("status") not in ("recycled", "parts"):
                s["status"] = "quarantine"
    elif isinstance(payload, ev.OsInstall):
        name = " ".join(x for x in (payload.image, payload.version) if x)
        if payload.factory_reset:
            s["reset_at"] = at
            s["os"] = name or s.get("os")
        else:
            s["os"] = name or None
    elif isinstance(payload, ev.LoanOut):
        s["status"] = "on_loan"
    elif isinstance(payload, ev.Handout):
        s["status"] = "handed_out"
    elif isinstance(payload, ev.LoanReturn):
        _back_from_loan(s)
    elif isinstance(payload, ev.Grade):
        s["grade"] = payload.grade
    elif isinstance(payload, ev.Label):
        s["labelled_at"] = at

    if kind in STEP_KINDS and s.get("status") == "intake":
        s["status"] = "in_progress"
    summary, erased_at, method = _erasure_summary(s["disks"])
    s["erasure"], s["erased_at"], s["erasure_method"] = summary, erased_at, method
    return s


def _apply_probe(s: dict[str, Any], probe: dict[str, Any], at: str) -> None:
    specs = specs_from_probe(probe)
    s["specs"] = specs
    s["probed_at"] = at
    for field in ("cpu", "ram_bytes", "storage", "battery_health_pct", "screen"):
        s[field] = specs.get(field)
    reconcile.apply_probe(s, specs)  # the probed maker, model and serial win
    old = s["disks"]
    fresh: dict[str, dict[str, Any]] = {}
    for d in own_probe_disks(probe):
        key = disk_key(d)
        entry = dict(old.get(key) or {})
        entry.update(
            {
                "name": d.get("name"),
                "model": d.get("model"),
                "serial": d.get("serial"),
                "size_bytes": d.get("size_bytes"),
                "smart_passed": d.get("smart_passed"),
            }
        )
        entry.setdefault("erasure", "pending")
        fresh[key] = entry
    s["disks"] = fresh


def _back_from_loan(s: dict[str, Any]) -> None:
    """A returned device held someone's data and was handled: erase and check it again."""
    s["status"] = "in_progress"
    for disk in s["disks"].values():
        disk["erasure"] = "pending"
        disk["erased_at"] = None
        disk["method"] = None
    s["os"] = None
    s["reset_at"] = None
    s["grade"] = None


def erasure_word(state: str) -> str:
    """An erasure state (``pending``, ``erased``...) in the words of the active language."""
    words = {
        "pending": _("not erased yet"),
        "started": _("erasure state|started"),
        ERASED: _("erased"),
        "erased_with_exceptions": _("erased with exceptions"),
        "failed": _("erasure state|failed"),
        "interrupted": _("erasure state|interrupted"),
    }
    word = words.get(state, state)
    return word.split("|", 1)[1] if word.startswith("erasure state|") else word


def missing_for_ready(state: dict[str, Any]) -> list[str]:
    """What a device still lacks before it may be `ready` (per kind: ``refurb.readiness``)."""
    from refurb.readiness import missing

    return missing(state, erasure_word)

"""A device's current state as a pure fold over its events.

``apply(state, kind, payload, at)`` returns the next state; the store keeps the result in the
``devices`` table and ``refurb admin rebuild`` recomputes it from the log. Keep this free of I/O.
"""

from __future__ import annotations

from typing import Any

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


def apply(state: dict[str, Any], kind: str, payload: dict[str, Any], at: str) -> dict[str, Any]:
    s = dict(state)
    s["disks"] = {k: dict(v) for k, v in (state.get("disks") or {}).items()}
    s["event_count"] = state.get("event_count", 0) + 1
    s["updated_at"] = at

    if kind in ("intake", "update"):
        for field in INTAKE_FIELDS:
            if field in payload and (kind == "update" or payload[field] is not None):
                s[field] = payload[field]
        reconcile.apply_intake(s, kind, payload)
    elif kind == "confirm":
        reconcile.apply_confirm(s, payload)
    elif kind == "status":
        s["status"] = payload["to"]
    elif kind == "probe":
        probe = payload.get("probe") or {}
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
    elif kind in ("wipe_started", "wipe"):
        disk = payload.get("disk") or {}
        key = disk_key(disk)
        entry = s["disks"].setdefault(
            key,
            {
                "name": disk.get("name"),
                "model": disk.get("model"),
                "serial": disk.get("serial"),
                "size_bytes": disk.get("size_bytes"),
            },
        )
        entry["wipe_id"] = payload.get("wipe_id")
        if kind == "wipe_started":
            entry["erasure"] = "started"
        else:
            status = payload.get("status") or "failed"
            record = payload.get("record") or {}
            entry["erasure"] = status
            entry["method"] = record.get("method") or record.get("technique")
            entry["erased_at"] = (record.get("end") or at) if status == ERASED else None
            if status != ERASED and s.get("status") not in ("recycled", "parts"):
                s["status"] = "quarantine"
    elif kind == "os_install":
        name = " ".join(str(payload[k]) for k in ("image", "version") if payload.get(k))
        if payload.get("factory_reset"):
            s["reset_at"] = at
            s["os"] = name or s.get("os")
        else:
            s["os"] = name or None
    elif kind == "loan_out":
        s["status"] = "on_loan"
    elif kind == "handout":
        s["status"] = "handed_out"
    elif kind == "loan_return":
        _back_from_loan(s)
    elif kind == "grade":
        s["grade"] = payload.get("grade")
    elif kind == "label":
        s["labelled_at"] = at

    if kind in STEP_KINDS and s.get("status") == "intake":
        s["status"] = "in_progress"
    summary, erased_at, method = _erasure_summary(s["disks"])
    s["erasure"], s["erased_at"], s["erasure_method"] = summary, erased_at, method
    return s


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

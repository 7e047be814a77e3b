"""What the donor's sheet said against what the probe found: the intake record of a device.

The projection keeps one dict per device (the ``intake`` column)::

    {"declared": {field: value},            # the sheet's (or the intake's) last word
     "probed":   {field: value},            # what the last probe found (maker, model, serial)
     "mismatch": {field: {"intake": v, "probe": p}},   # shown until confirmed or corrected
     "edited":   [field, ...]}              # a person set it by hand: a probe leaves it alone

The probe wins for the hardware facts; a difference stays visible until ``refurb intake edit
ASSET --confirm`` (the probe is right) or an edit of the field (a person says what is right).
Pure functions of the state, no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

CHECKED = ("manufacturer", "model", "serial")
DECLARED = (
    "serial",
    "manufacturer",
    "model",
    "donor",
    "batch",
    "notes",
    "location",
    "received",
)


def _record(state: dict[str, Any]) -> dict[str, Any]:
    rec = state.get("intake") or {}
    return {
        "declared": dict(rec.get("declared") or {}),
        "probed": dict(rec.get("probed") or {}),
        "mismatch": {k: dict(v) for k, v in (rec.get("mismatch") or {}).items()},
        "edited": list(rec.get("edited") or []),
    }


def _norm(value: Any) -> str:
    text = unicodedata.normalize("NFKD", str(value)).casefold()
    return re.sub(r"[^0-9a-z]", "", text)


def agree(field: str, intake: Any, probe: Any) -> bool:
    """Do the sheet and the probe name the same thing? Case, spaces and dashes do not count;
    a model written shorter ("T460" for "ThinkPad T460") agrees, a maker by its brand name."""
    if field == "manufacturer":
        from refurb.specs import vendor_name

        intake, probe = vendor_name(str(intake)) or intake, vendor_name(str(probe)) or probe
    a, b = _norm(intake), _norm(probe)
    if not a or not b:
        return True
    if field == "model":
        return a in b or b in a
    return a == b


def _flag(rec: dict[str, Any], field: str, intake: Any, probe: Any) -> None:
    if intake and probe and not agree(field, intake, probe):
        rec["mismatch"][field] = {"intake": intake, "probe": probe}
    else:
        rec["mismatch"].pop(field, None)


def apply_intake(state: dict[str, Any], kind: str, payload: dict[str, Any]) -> None:
    """After an ``intake`` or ``update`` event (``state`` is the new state, changed in place)."""
    rec = _record(state)
    source = payload.get("source") or ("import" if kind == "intake" else "edit")
    if source == "import":
        for key in DECLARED:
            if key not in payload:
                continue
            if payload[key] is None:
                rec["declared"].pop(key, None)
            else:
                rec["declared"][key] = payload[key]
        for field in CHECKED:
            probed = rec["probed"].get(field)
            if field in payload and probed and field not in rec["edited"]:
                state[field] = probed  # the probed hardware fact stays
                _flag(rec, field, payload[field], probed)
    else:
        if payload.get("received"):
            rec["received"] = payload["received"]  # a corrected date of receipt
        for field in CHECKED:
            if field in payload:
                rec["mismatch"].pop(field, None)
                if field not in rec["edited"]:
                    rec["edited"].append(field)
    state["intake"] = rec


def apply_probe(state: dict[str, Any], specs: dict[str, Any]) -> None:
    """After a ``probe`` event: the probed maker, model and serial win, differences are kept."""
    rec = _record(state)
    probed = {
        "manufacturer": specs.get("manufacturer"),
        "model": specs.get("model"),
        "serial": specs.get("system_serial"),
    }
    for field, value in probed.items():
        if not value:
            continue
        rec["probed"][field] = value
        if field in rec["edited"]:
            continue
        current = state.get(field)
        if current and not agree(field, current, value) and field not in rec["mismatch"]:
            rec["mismatch"][field] = {"intake": current, "probe": value}
        state[field] = value
    state["intake"] = rec


def apply_confirm(state: dict[str, Any], payload: dict[str, Any]) -> None:
    """After a ``confirm`` event: the named differences are settled in the probe's favour."""
    rec = _record(state)
    for field in payload.get("fields") or list(rec["mismatch"]):
        rec["mismatch"].pop(field, None)
    state["intake"] = rec


def mismatches(state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The open differences between the donor's sheet and the probe."""
    return dict(((state.get("intake") or {}).get("mismatch")) or {})

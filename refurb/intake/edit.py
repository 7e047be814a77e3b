"""Correcting a device's intake record by hand: changed fields as one ``update`` event, and
settling the sheet-versus-probe differences (``confirm``), in one transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from refurb.dates import DateError, parse_date
from refurb.errors import Refused
from refurb.i18n import _
from refurb.intake.reconcile import mismatches

if TYPE_CHECKING:
    from refurb.store import Store

EDITABLE = ("serial", "manufacturer", "model", "donor", "batch", "notes", "location", "received")


def edit_device(
    store: Store, asset: str, changes: dict[str, Any], *, confirm: bool = False
) -> dict[str, Any]:
    """Apply ``changes`` (field -> text, "" clears) and, with ``confirm``, accept the probe's
    values for every open difference. Returns what was done."""
    from refurb.errors import InvalidInput

    device = store.get_device(asset)
    state = store.device_state(device)
    payload: dict[str, Any] = {}
    open_fields = sorted(mismatches(state))
    agreed: list[str] = []  # a value given that is the probe's: that difference is settled
    for field, value in changes.items():
        if value is None:
            continue
        text = " ".join(str(value).split()) or None
        if field == "received" and text:
            try:
                text = parse_date(text)
            except DateError as exc:
                raise InvalidInput(_("--received: {reason}").format(reason=exc)) from exc
        current = (state.get("intake") or {}).get("received") if field == "received" else None
        if field != "received":
            current = state.get(field)
        if text != current:
            payload[field] = text
        elif field in open_fields:
            agreed.append(field)
    if confirm and not open_fields:
        raise Refused(
            _("{asset} has no difference between its intake record and its probe").format(
                asset=device.asset_id
            )
        )
    if not payload and not confirm and not agreed:
        raise Refused(
            _("nothing to change on {asset}").format(asset=device.asset_id),
            _("give a field with its new value, e.g. --model 'ThinkPad T470'"),
        )
    items: list[tuple[str, str, dict[str, Any]]] = []
    if payload:
        items.append((device.asset_id, "update", {**payload, "source": "edit"}))
    settled = [f for f in open_fields if f not in payload] if confirm else agreed
    if settled:
        items.append((device.asset_id, "confirm", {"fields": settled}))
    store.append_many(items)
    return {"asset_id": device.asset_id, "changed": payload, "confirmed": settled}

"""Recording a probe on an asset: which device it is (``refurb.identity``), or a new one."""

from __future__ import annotations

from typing import Any

from refurb.i18n import _
from refurb.specs import vendor_name


def find_asset(store: Any, probe: dict[str, Any]) -> tuple[Any, str | None]:
    """The device this probe belongs to and the fact that recognised it (``system_serial``,
    ``system_uuid``, ``disk_serial`` or ``mac``), or ``(None, None)`` (``refurb.identity``)."""
    match = find_match(store, probe)
    return (match.device, match.by) if match else (None, None)


def find_match(store: Any, probe: dict[str, Any]) -> Any:
    from refurb.identity import facts_of, find_machine

    return find_machine(store, facts_of(probe))


def identity_text(probe: dict[str, Any]) -> str:
    """How this laptop identifies itself, for messages: "serial PF0ABC12, disk S3Z...", ..."""
    from refurb.identity import facts_of

    facts = facts_of(probe)
    bits = []
    if facts.serial:
        bits.append(_("serial {serial}").format(serial=facts.serial))
    else:
        bits.append(_("no serial number"))
    if facts.uuid:
        bits.append(_("UUID {uuid}").format(uuid=facts.uuid))
    if facts.disk_serials:
        bits.append(_("disk {serial}").format(serial=", ".join(facts.disk_serials)))
    if facts.macs:
        bits.append(_("network {mac}").format(mac=", ".join(facts.macs)))
    return ", ".join(bits)


def no_match_error(probe: dict[str, Any]) -> Exception:
    from refurb.errors import Refused

    return Refused(
        _("no asset matches this laptop ({identity})").format(identity=identity_text(probe)),
        _("add --create to register it as a new asset, or give one: refurb probe --save RF-..."),
    )


def record(
    store: Any, probe: dict[str, Any], *, asset: str | None = None, create: bool = False
) -> dict[str, Any]:
    """Append a ``probe`` event to ``asset``, to the device found by serial, or to a new device.

    Returns ``{"asset_id", "event_id", "created", "matched_by", "matched_value", "mismatch"}``:
    which fact (``refurb.identity``) found the device and its value, and where the intake record
    (the donor's sheet) and this probe disagree. Without ``asset`` and without a match, a new
    device is registered only when ``create`` is true (else :class:`Refused`).
    """
    matched_by = matched_value = None
    created = False
    if asset is not None:
        device = store.get_device(asset)
        matched_by, matched_value = "asset", device.asset_id
    else:
        match = find_match(store, probe)
        device = match.device if match else None
        if match is not None:
            matched_by, matched_value = match.by, match.value
        if device is None:
            if not create:
                raise no_match_error(probe)
            system = probe.get("system") or {}
            device = store.intake(
                {
                    "serial": system.get("serial"),
                    "manufacturer": vendor_name(system.get("manufacturer")),
                    "model": system.get("model"),
                    "notes": _("registered by refurb probe"),
                }
            )
            created = True
    event = store.append(device.asset_id, "probe", {"probe": probe})
    from refurb.intake.reconcile import mismatches

    return {
        "asset_id": device.asset_id,
        "event_id": getattr(event, "id", None),
        "created": created,
        "matched_by": matched_by,
        "matched_value": matched_value,
        # where the intake record (the donor's sheet) and this probe disagree
        "mismatch": mismatches(store.device_state(store.get_device(device.asset_id))),
    }

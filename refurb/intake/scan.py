"""`refurb intake scan`: one line from a barcode scanner -> the device it names, found or new.

A line is an asset id (``RF-...``) or a serial number. A serial already in the store finds its
device; an unknown serial registers a new one with the session's donor and batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from refurb.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from refurb.store import Store


@dataclass
class Scanned:
    asset_id: str
    serial: str | None
    created: bool
    matched_by: str  # "asset", "serial" or "new"

    def to_dict(self) -> dict[str, Any]:
        return {
            "asset_id": self.asset_id,
            "serial": self.serial,
            "created": self.created,
            "matched_by": self.matched_by,
        }


def clean(line: str) -> str | None:
    """What the scanner sent, without its line end, blanks or control characters."""
    text = "".join(ch for ch in line if ch.isprintable()).strip()
    return text or None


def scan_one(
    store: Store, text: str, *, donor: str | None = None, batch: str | None = None
) -> Scanned:
    """Find or create the device ``text`` names (one short transaction when it is new)."""
    if text[:3].upper() in ("RF-", "RF "):
        device = store.get_device(text)  # an asset id: it must exist
        return Scanned(device.asset_id, device.serial, False, "asset")
    device = store.find_by_serial(text)
    if device is not None:
        return Scanned(device.asset_id, device.serial, False, "serial")
    try:
        device = store.get_device(text)  # an id scanned without its RF- prefix
        return Scanned(device.asset_id, device.serial, False, "asset")
    except (InvalidInput, NotFound):
        pass
    device = store.intake({"serial": text, "donor": donor, "batch": batch})
    return Scanned(device.asset_id, device.serial, True, "new")

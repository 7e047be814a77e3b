"""A donor's pallet in the store: devices probed from a real capture, erased or not, for the
donor-certificate tests and benchmark (plain functions, no fixtures)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from support_certs import wipe_payload

CAPTURE = Path(__file__).parent / "fixtures" / "probe" / "thinkpad-e480"


def outcome(n: int) -> str:
    """What happened to the n-th device: most erased, some not yet, a few failed or unprobed."""
    if n % 10 == 3:
        return "not_yet_erased"
    if n % 25 == 7:
        return "erasure_failed"
    if n % 30 == 11:
        return "never_probed"
    return "erased"


def seed_donor(
    env: Any, count: int, *, donor: str = "Big Co", batch: str = "PALLET-1", tag: str = "PF"
) -> list[str]:
    """``count`` devices of ``donor`` in ``batch``, serials ``<tag>000000``...; returns their
    asset ids (intake order)."""
    from refurb.probe import probe_from_dir
    from refurb.store import open_store

    base = probe_from_dir(CAPTURE)
    with open_store(env) as store:
        rows = [
            {
                "serial": f"{tag}{n:06d}",
                "manufacturer": "LENOVO",
                "model": "ThinkPad E480",
                "donor": donor,
                "batch": batch,
            }
            for n in range(count)
        ]
        devices = store.intake_many(rows)
        events: list[tuple[str, str, dict[str, Any]]] = []
        for n, device in enumerate(devices):
            what = outcome(n)
            probe = copy.deepcopy(base)
            probe["system"]["serial"] = f"{tag}{n:06d}"
            for i, disk in enumerate(probe["disks"]):
                disk["serial"] = f"D{tag}{n:06d}{i}"
            if what != "never_probed":
                events.append((device.asset_id, "probe", {"probe": probe}))
            if what == "not_yet_erased":
                continue
            for i, disk in enumerate(probe["disks"]):
                status = "failed" if what == "erasure_failed" and i == 0 else "erased"
                payload = wipe_payload(
                    name=disk["name"], serial=disk["serial"], model=disk["model"], status=status
                )
                payload["wipe_id"] = f"w-{n}-{i}"
                events.append((device.asset_id, "wipe", payload))
        store.append_many(events)
    return [d.asset_id for d in devices]

"""A store with devices in every status, built through the Store API with a clock the test sets,
for the report and export tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from refurb.env import Env
from refurb.store import open_store

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now

    def jump(self, days: int) -> None:
        self.now += timedelta(days=days)


def _probe(serial: str, disk: str) -> dict[str, Any]:
    return {
        "system": {"manufacturer": "LENOVO", "model": "ThinkPad T460", "serial": serial},
        "cpu": {"model": "Intel(R) Core(TM) i5-6300U CPU @ 2.40GHz", "cores": 2, "threads": 4},
        "memory": {"installed_bytes": 8 * 2**30},
        "disks": [
            {
                "name": "sda",
                "model": "SAMSUNG MZ7LN256",
                "serial": disk,
                "size_bytes": 256060514304,
                "protocol": "ATA",
                "rotational": False,
                "smart_passed": True,
            },
        ],
        "batteries": [{"design_wh": 24.0, "full_wh": 19.5}],
    }


def _ready(store: Any, asset: str, n: int, grade: str) -> None:
    disk = {"name": "sda", "serial": f"D{n:04d}", "model": "SAMSUNG MZ7LN256"}
    store.append(asset, "probe", {"probe": _probe(f"PF{n:04d}", f"D{n:04d}")})
    store.append(asset, "wipe_started", {"wipe_id": f"w{n}", "disk": disk})
    store.append(
        asset,
        "wipe",
        {
            "wipe_id": f"w{n}",
            "disk": disk,
            "status": "erased",
            "record": {"method": "prng", "end": store.env.now().isoformat()},
        },
    )
    store.append(asset, "os_install", {"image": "Linux Mint", "version": "22.1"})
    store.append(asset, "grade", {"grade": grade})
    store.set_status(asset, "ready")


# status -> how many devices end there (the test's expected counts)
EXPECTED_STATUS = {
    "intake": 3,
    "in_progress": 1,
    "quarantine": 1,
    "ready": 3,  # one of them came back from a loan
    "on_loan": 1,
    "handed_out": 1,
    "parts": 1,
    "recycled": 1,
}


def build_store(
    home: Path, site: str = "Repair Café Gent", db_url: str | None = None
) -> dict[str, Any]:
    """Devices in every status; returns the asset ids by role and the clock's key dates."""
    from refurb.config import load_config, save_config

    config = load_config(home / "config.toml")
    config["site"] = site
    save_config(home / "config.toml", config)
    clock = Clock()
    env = Env(
        environ={"REFURB_HOME": str(home), "REFURB_ACTOR": "tester"}, clock=clock, db_url=db_url
    )
    roles: dict[str, Any] = {}
    with open_store(env) as store:
        rows = [
            {
                "serial": f"PF{n:04d}",
                "donor": "KBC" if n < 7 else "City of Ghent",
                "batch": "2026-03" if n < 7 else "2026-04",
                "location": "Shelf A",
            }
            for n in range(12)
        ]
        devices = [d.asset_id for d in store.intake_many(rows)]
        roles["all"] = devices
        roles["intake"] = devices[0:2]
        roles["march"] = clock.now
        clock.jump(30)  # the rest of the work happens in April
        roles["april"] = clock.now
        store.append(devices[2], "probe", {"probe": _probe("PF0002", "D0002")})
        roles["in_progress"] = [devices[2]]
        disk = {"name": "sda", "serial": "D0003", "model": "SAMSUNG MZ7LN256"}
        store.append(devices[3], "probe", {"probe": _probe("PF0003", "D0003")})
        store.append(
            devices[3], "wipe", {"wipe_id": "w3", "disk": disk, "status": "failed", "record": {}}
        )
        roles["quarantine"] = [devices[3]]
        for n, grade in ((4, "A"), (5, "B"), (6, "A"), (7, "B"), (8, "C")):
            _ready(store, devices[n], n, grade)
        from refurb import loans

        loans.add_partner(store, "Digi-leen", lang="nl")
        due = (clock.now + timedelta(days=365)).date().isoformat()
        loans.lend(store, devices[6], "Digi-leen", "DL-2026-0042", due)
        loans.hand_out(store, devices[7], "Digi-leen")
        loans.lend(store, devices[8], "Digi-leen", "DL-2026-0043", due)
        loans.return_loan(store, devices[8], "ok")
        _ready(store, devices[8], 8, "C")  # erased and checked again after its return
        roles["ready"] = [devices[4], devices[5], devices[8]]
        roles["on_loan"] = [devices[6]]
        roles["handed_out"] = [devices[7]]
        store.set_status(devices[9], "in_progress")
        store.set_status(devices[9], "parts", "broken hinge")
        store.set_status(devices[10], "recycled", "water damage")
        roles["parts"] = [devices[9]]
        roles["recycled"] = [devices[10]]
        store.set_status(devices[11], "in_progress")
        store.set_status(devices[11], "intake")
        roles["intake"].append(devices[11])
        roles["end"] = clock.now
    return roles

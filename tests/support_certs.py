"""Helpers for the certificate, firmware and nwipe tests (plain functions, no fixtures)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_text(tool: str, name: str) -> str:
    return (FIXTURES / tool / name).read_text(encoding="utf-8")


def answer_key(tool: str) -> list[dict[str, Any]]:
    lines = (FIXTURES / tool / "expected.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def sanitize_log(status: int, sprog: int, device: str = "nvme0") -> str:
    """`nvme sanitize-log -o json` in the layout nvme-cli 2.x prints (json_sanitize_log)."""
    words = {
        0: "Never Sanitized",
        1: "Sanitize Operation Completed Successfully",
        2: "Sanitize in Progress",
        3: "Sanitize Operation Failed",
        4: "Sanitize Operation Completed Successfully with No-Deallocate",
    }
    doc = {
        device: {
            "sprog": sprog,
            "sstat": {
                "global_erased": 1 if status in (1, 4) else 0,
                "no_cmplted_passes": 1 if status in (1, 4) else 0,
                "status": f"({status}) {words[status]}",
            },
            "cdw10_info": 4,
            "time_over_write": 4294967295,
            "time_block_erase": 4294967295,
            "time_crypto_erase": 4294967295,
        }
    }
    return json.dumps(doc, indent=2)


def wipe_payload(
    *,
    name: str = "sda",
    serial: str | None = "S2RLNX0H700433B",
    model: str = "Samsung SSD 850 EVO 2TB",
    status: str = "erased",
    exceptions: list[str] | None = None,
    verification: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A `wipe` event payload shaped as docs/architecture.md describes."""
    return {
        "wipe_id": f"w-{name}-{status}",
        "disk": {
            "name": name,
            "model": model,
            "serial": serial,
            "size_bytes": 2000398934016,
            "bus": "ATA",
        },
        "status": status,
        "record": {
            "method": "zero",
            "nist_level": "Clear",
            "technique": "Overwrite with zeros, 1 pass",
            "passes": 1,
            "tool": {"name": "refurb", "version": "0.1.0"},
            "verification": verification or {"mode": "full", "fraction": 1.0, "passed": True},
            "who": "ann",
            "start": "2026-01-05T10:00:00+00:00",
            "end": "2026-01-05T10:41:00+00:00",
            "bytes_written": 2000398934016,
            "errors": [],
            "exceptions": exceptions or [],
        },
    }


def event(kind: str, payload: dict[str, Any], n: int = 1) -> dict[str, Any]:
    return {"id": f"ev-{n}", "kind": kind, "payload": payload, "actor": "ann"}


def probe_event(*disks: dict[str, Any]) -> dict[str, Any]:
    return event("probe", {"probe": {"disks": list(disks)}}, 0)

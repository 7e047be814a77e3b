"""``/proc/meminfo`` -> the memory the running kernel can use.

Result: ``{"total_bytes": int | None, "available_bytes": int | None, "warnings": [str]}``.
``MemTotal`` is a little below the installed RAM (firmware and the integrated GPU keep some).
"""

from __future__ import annotations

import re
from typing import Any

from refurb.i18n import _

_LINE = re.compile(r"^(\w+):\s+(\d+)\s*(kB)?\s*$")


def parse(text: str | bytes) -> dict[str, Any]:
    """Facts from /proc/meminfo; never raises on garbled input."""
    result: dict[str, Any] = {"total_bytes": None, "available_bytes": None, "warnings": []}
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    values: dict[str, int] = {}
    for line in text.splitlines() if isinstance(text, str) else []:
        match = _LINE.match(line.strip())
        if match:
            key, number, unit = match.groups()
            values[key] = int(number) * (1024 if unit else 1)
    result["total_bytes"] = values.get("MemTotal") or None
    result["available_bytes"] = values.get("MemAvailable")
    if result["total_bytes"] is None:
        result["warnings"].append(_("no MemTotal line in meminfo"))
    return result

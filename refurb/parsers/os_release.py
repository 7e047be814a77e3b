"""``/etc/os-release`` -> the running operating system (freedesktop.org os-release format).

Result: ``{"name", "id", "version_id", "pretty_name", "warnings": [str]}``.
"""

from __future__ import annotations

import shlex
from typing import Any

from refurb.i18n import _


def fields(text: str) -> dict[str, str]:
    """``KEY=value`` assignments with shell quoting undone; bad lines are skipped."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.replace("_", "").isalnum():
            continue
        try:
            parts = shlex.split(value)
        except ValueError:
            parts = [value.strip("\"'")]
        found[key] = " ".join(parts)
    return found


def parse(text: str | bytes) -> dict[str, Any]:
    """Facts from os-release; never raises on garbled input."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    data = fields(text) if isinstance(text, str) else {}
    result: dict[str, Any] = {
        "name": data.get("NAME") or None,
        "id": data.get("ID") or None,
        "version_id": data.get("VERSION_ID") or None,
        "pretty_name": data.get("PRETTY_NAME") or None,
        "warnings": [],
    }
    if not any(result[k] for k in ("name", "id", "pretty_name")):
        result["warnings"].append(_("no NAME, ID or PRETTY_NAME in os-release"))
    return result

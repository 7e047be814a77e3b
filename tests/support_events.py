"""Event payloads for tests that need a disk recorded as erased by the store's rule."""

from __future__ import annotations

from typing import Any


def erased_record(
    size: int = 256_060_514_304, *, method: str = "prng", end: str = "2026-11-23T10:00"
) -> dict[str, Any]:
    """A wipe record that proves ``erased``: every byte written, no error, verification passed."""
    return {
        "method": method,
        "end": end,
        "media": {"size_bytes": size},
        "device_size_bytes": size,
        "bytes_written": size,
        "errors": [],
        "error_count": 0,
        "verification": {"mode": "full", "result": "passed", "bytes_verified": size},
    }

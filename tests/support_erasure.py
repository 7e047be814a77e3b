"""A stand-in hdparm for the erase path: a small script put first on PATH that answers like a
drive with a Host Protected Area and logs every argv it is given (one line each)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

HDPARM = r"""#!/bin/sh
# Stand-in hdparm: current/native sectors in $STUB_DIR/state, argv logged to $STUB_DIR/argv.
echo "$*" >> "$STUB_DIR/argv"
read CUR NATIVE < "$STUB_DIR/state"
case "$1" in
  -V) echo "hdparm v9.65"; exit 0 ;;
  --dco-identify)
    printf '\n%s:\nDCO Revision: 0x0002\n' "$2"
    printf '\tReal max sectors: %s\n' "$NATIVE"; exit 0 ;;
  -N)
    if [ "$CUR" -lt "$NATIVE" ]; then hpa=enabled; else hpa=disabled; fi
    printf '\n%s:\n max sectors   = %s/%s, HPA is %s\n' "$2" "$CUR" "$NATIVE" "$hpa"; exit 0 ;;
  --yes-i-know-what-i-am-doing)
    if [ -e "$STUB_DIR/refuse" ]; then
      echo "SG_IO: bad/missing sense data, sb[]:  70 00 05 00 00 00 00 0a" >&2
      echo " SET_MAX_ADDRESS_EXT failed: Input/output error" >&2; exit 5
    fi
    echo "$3 $NATIVE" > "$STUB_DIR/state"
    printf '\n%s:\n setting max visible sectors to %s (temporary)\n' "$4" "$3"; exit 0 ;;
esac
echo "hdparm stand-in: unexpected $*" >&2; exit 2
"""


@contextmanager
def stub_hdparm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, current: int, native: int, refuse=False
) -> Iterator[Path]:
    """Put the stand-in first on PATH; yields its folder (``argv`` holds the calls)."""
    folder = tmp_path / "stub-bin"
    folder.mkdir()
    script = folder / "hdparm"
    script.write_text(HDPARM)
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    (folder / "state").write_text(f"{current} {native}\n")
    if refuse:
        (folder / "refuse").write_text("")
    monkeypatch.setenv("STUB_DIR", str(folder))
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ.get('PATH', '')}")
    yield folder


def calls(folder: Path) -> list[str]:
    log = folder / "argv"
    return log.read_text().splitlines() if log.exists() else []

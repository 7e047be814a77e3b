"""Pin the live image's Python packages: live/requirements.txt from pip's resolver report.

Run by `make live-lock` when pyproject.toml's dependencies change; the build installs exactly
these versions (hashes checked on download), so two builds of one commit hold the same packages.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
HEAD = """\
# Python packages of the live image: refurb[postgres,print]'s dependencies, pinned with hashes.
# Made by `make live-lock` (pip install --dry-run --report); the build installs exactly these.
"""


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--dry-run",
                "--ignore-installed",
                "--quiet",
                "--report",
                str(report),
                f"{HERE.parent}[postgres,print]",
            ],
            check=True,
        )
        installs = json.loads(report.read_text())["install"]
    lines = []
    for item in sorted(installs, key=lambda i: i["metadata"]["name"].lower()):
        meta, info = item["metadata"], item["download_info"]
        if meta["name"] == "refurb":
            continue
        digest = info["archive_info"]["hashes"]["sha256"]
        lines.append(f"{meta['name']}=={meta['version']} --hash=sha256:{digest}")
    (HERE / "requirements.txt").write_text(HEAD + "\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Small helpers shared by the benchmark scripts: run a command many times, take the median."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


_PYCACHE = tempfile.mkdtemp(prefix="refurb-bench-pyc-")


def env_with(**extra: str) -> dict[str, str]:
    """The environment for a measured command: refurb importable from this checkout, and
    bytecode caching on (in a temporary folder), as for an installed package."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = _PYCACHE
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


def time_command(
    argv: Sequence[str], *, runs: int = 15, env: dict[str, str] | None = None
) -> float:
    """Median wall time of a command, interleaving is left to the caller."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(
            list(argv), env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def interleaved(
    commands: dict[str, Sequence[str]], *, runs: int = 15, env: dict[str, str] | None = None
) -> dict[str, float]:
    """Median time of each command, run in turns so machine noise hits them alike."""
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, argv in commands.items():
            t0 = time.perf_counter()
            subprocess.run(
                list(argv),
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            samples[name].append(time.perf_counter() - t0)
    return {name: statistics.median(values) for name, values in samples.items()}


PY = sys.executable

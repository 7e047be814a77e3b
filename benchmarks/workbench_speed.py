"""`refurb workbench` at the keyboard: how fast each screen answers a key, and how many keys
it takes from a typed asset id to a printed label when nothing goes wrong.

One workbench process per device, driven through a pseudo-terminal (pexpect) as a volunteer
would drive it on an 80x24 console. For each key the time until the screen answers (its next
title, or "Probing..." / "Printing..." where work starts) is measured, and, shown but not judged,
the time until the next question (it includes the probe, the erasure, the label's rendering).
The reference in the same run is the terminal itself: the round trip of one key through `cat`.

Targets (issue 17): every screen answers a key in <= 0.2 s (median over the devices), and
<= 12 key presses from the typed asset id to the printed label. As root the erase step erases
a 16 MiB loop device (--disk); otherwise it runs with --no-wipe and skips the erasure.
Run: python benchmarks/workbench_speed.py
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import PY, env_with

ANSWER_LIMIT_S = 0.2
KEY_LIMIT = 12
DEVICES = 3


def _refurb(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([PY, "-m", "refurb", *args], env=env, check=True, capture_output=True)
    return done.stdout.decode()


def _round_trip(pexpect: object) -> float:
    child = pexpect.spawn("cat", encoding="utf-8", timeout=10)  # type: ignore[attr-defined]
    child.delaybeforesend = None
    times = []
    for n in range(20):
        t0 = time.perf_counter()
        child.send(f"k{n}\r")
        child.expect(f"k{n}")
        times.append(time.perf_counter() - t0)
    child.close()
    return statistics.median(times)


def _one_device(pexpect: object, env: dict[str, str], asset: str, disk: str | None) -> dict:
    args = ["-m", "refurb", "workbench"]
    args += ["--disk", disk] if disk else ["--no-wipe"]
    child = pexpect.spawn(  # type: ignore[attr-defined]
        PY, args, env=env, encoding="utf-8", timeout=60, dimensions=(24, 80)
    )
    child.delaybeforesend = None
    answers: dict[str, float] = {}
    waits: dict[str, float] = {}
    keys = 0
    # (screen, key, the screen's answer, the next question)
    plan = [
        ("asset id", asset + "\r", "Enter = start", "Enter = start"),  # keys: Enter (the id typed)
        ("start", "\r", "Probing this machine", "y = erase|Enter = give the log file"),
    ]
    if disk:
        plan.append(("erase", "y", "Erasing", "Enter = record"))
    else:
        plan += [
            ("nwipe", "s", "Why is this step skipped", "Why is this step skipped"),
            ("reason", "\r", "operating system", "Enter = record"),
        ]
    plan += [
        ("os", "\r", "checks and grade", "Enter = everything works"),
        ("checks", "\r", "Cosmetic condition", "Cosmetic condition"),
        ("cosmetic", "b", "Enter = print the label", "Enter = print the label"),
        ("label", "\r", "Printing", "status"),
    ]
    child.expect("Asset id")
    for screen, key, answer, question in plan:
        t0 = time.perf_counter()
        child.send(key)
        keys += 1
        child.expect(answer)
        answers[screen] = time.perf_counter() - t0
        if question != answer:
            child.expect(question)
        waits[screen] = time.perf_counter() - t0
    child.expect(pexpect.EOF)  # type: ignore[attr-defined]
    child.close()
    if child.exitstatus != 0:
        raise SystemExit(f"workbench exited {child.exitstatus}")
    return {"answers": answers, "waits": waits, "keys": keys}


def main() -> int:
    try:
        import pexpect
    except ImportError:
        print("pexpect is not installed (pip install -e '.[test]')  FAIL")
        return 1
    work = Path(tempfile.mkdtemp(prefix="refurb-bench-workbench-"))
    env = env_with(REFURB_HOME=str(work / "home"), TERM="vt100", COLUMNS="80", LINES="24")
    env.pop("REFURB_DB", None)
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    loop = None
    runs = []
    try:
        _refurb(env, "init", "--site", "Bench")
        _refurb(env, "config", "os_image", "Linux Mint")
        _refurb(env, "config", "os_version", "22.1")
        _refurb(env, "config", "label_printer", f"file:{work / 'label.bin'}")
        if root:
            image = work / "disk.img"
            image.write_bytes(os.urandom(16 * 1024 * 1024))
            loop = subprocess.run(
                ["losetup", "-f", "--show", str(image)], capture_output=True, text=True, check=True
            ).stdout.strip()
        reference = _round_trip(pexpect)
        for n in range(DEVICES):
            made = json.loads(_refurb(env, "intake", "new", "--serial", f"BENCH-{n}", "--json"))
            runs.append(_one_device(pexpect, env, made["asset_id"], loop))
    finally:
        if loop:
            subprocess.run(["losetup", "-d", loop], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
    ok = True
    print(f"key round trip through the terminal (cat)  {reference * 1000:7.1f} ms   (reference)")
    print(f"erase step: {'a 16 MiB loop device' if loop else '--no-wipe (not root)'}")
    for screen in runs[0]["answers"]:
        answer = statistics.median(r["answers"][screen] for r in runs)
        wait = statistics.median(r["waits"][screen] for r in runs)
        passed = answer <= ANSWER_LIMIT_S
        ok &= passed
        print(
            f"{screen:<9} answers in {answer * 1000:6.1f} ms ({answer / reference:5.1f}x the "
            f"round trip)  next question {wait * 1000:7.1f} ms   "
            f"<= {ANSWER_LIMIT_S * 1000:.0f} ms {'PASS' if passed else 'FAIL'}"
        )
    keys = max(r["keys"] for r in runs)
    keys_ok = keys <= KEY_LIMIT
    print(
        f"key presses from the typed asset id to the printed label: {keys} <= {KEY_LIMIT}  "
        f"{'PASS' if keys_ok else 'FAIL'}"
    )
    return 0 if ok and keys_ok else 1


if __name__ == "__main__":
    sys.exit(main())

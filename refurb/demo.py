"""`refurb demo`: the whole workshop flow once, on this machine, without touching a real disk.

Everything lands in one folder of its own (a store with its settings and signing key, a disk
image, the label and the certificate). The image is erased by the real engine and verified, so
its record is real: through a loop device when root can attach one, as the plain file otherwise
(:mod:`refurb.wipe.image`). Each step calls the same core function as its own command; the
grade's answers are given by the demo, not by a person, and the record says so.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from refurb.env import Env
from refurb.i18n import _

IMAGE_BYTES = 16 * 1024 * 1024
SITE = "Demo workshop"
DEMO_ANSWERS = (
    "screen=ok",
    "keyboard=ok",
    "touchpad=ok",
    "webcam=ok",
    "wifi=ok",
    "audio=ok",
    "usb=ok",
    "hinges=worn",
    "case=ok",
)
DEMO_COSMETIC = "B"

StepFn = Callable[[str, str], None]  # (step name, what happened) for the command to show


@dataclass
class DemoResult:
    folder: Path
    asset_id: str | None = None
    files: dict[str, str] = field(default_factory=dict)
    steps: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    erased_as: str | None = None  # "loop device" or "image file"
    wipe_status: str | None = None
    grade: str | None = None
    certificate_result: str | None = None
    synced: dict[str, Any] | None = None
    stock: Any = None  # a refurb.reports.stock Report, for the command to show

    def to_dict(self) -> dict[str, Any]:
        return {
            "folder": str(self.folder),
            "asset_id": self.asset_id,
            "erased_as": self.erased_as,
            "wipe_status": self.wipe_status,
            "grade": self.grade,
            "certificate_result": self.certificate_result,
            "synced": self.synced,
            "stock_devices": getattr(self.stock, "total", None),
            "files": self.files,
            "steps": self.steps,
            "warnings": self.warnings,
        }


def demo_env(env: Env, folder: Path) -> Env:
    """An Env whose store, settings and key live in ``folder/store`` (like REFURB_HOME)."""
    environ = {k: v for k, v in env.environ.items() if k not in ("REFURB_DB", "REFURB_HOME")}
    environ["REFURB_HOME"] = str(folder / "store")
    return Env(
        environ=environ,
        stdin_isatty=False,
        stdout_isatty=env.stdout_isatty,
        clock=env.clock,
        runner=env.runner,
        raise_unexpected=env.raise_unexpected,
        lang=env.lang,
    )


def make_image(path: Path, size: int = IMAGE_BYTES) -> Path:
    """A small disk image holding some data (not zeros), so the erasure has work to do."""
    block = (b"refurb demo: data a donor left on this disk\n" * 100)[:4096]
    with path.open("wb") as fh:
        for _n in range(size // len(block)):
            fh.write(block)
    return path


@contextlib.contextmanager
def attached(image: Path, can_loop: bool) -> Iterator[str | None]:
    """A loop device over ``image`` when root can attach one (detached afterwards, also on
    Ctrl-C), else None: the plain file is erased."""
    if not can_loop:
        yield None
        return
    try:
        try:
            done = subprocess.run(
                ["losetup", "-f", "--show", str(image)],
                capture_output=True,
                text=True,
                timeout=30,
            )
            device = done.stdout.strip() if done.returncode == 0 else ""
        except (OSError, subprocess.SubprocessError):
            device = ""
        yield device or None
    finally:
        # Every loop device over the image, also one attached just as Ctrl-C came, unnamed yet.
        for dev in _loops_over(image):
            subprocess.run(["losetup", "-d", dev], capture_output=True, timeout=30)


def _loops_over(image: Path) -> list[str]:
    try:
        done = subprocess.run(
            ["losetup", "-j", str(image)], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.split(":", 1)[0] for line in done.stdout.splitlines() if line.startswith("/dev/")]


def run_demo(
    env: Env,
    folder: Path,
    *,
    on_step: StepFn | None = None,
    on_progress: Any = None,
    stop: Any = None,
) -> DemoResult:
    """Init, probe, erase an image, record an OS, grade, label, certify, sync to a shared
    SQLite inventory and build the stock report, all in ``folder``.

    Ctrl-C while erasing sets ``stop`` (the image is recorded interrupted and the demo ends);
    elsewhere it raises KeyboardInterrupt. Either way a loop device is detached."""
    from refurb import probe as probe_core
    from refurb.certificate_issue import issue_certificate
    from refurb.certificate_pdf import status_text
    from refurb.grading import grade_device, latest_probe, load_rules, parse_check_options
    from refurb.labels import DEFAULT_TEMPLATE, get_template, make_labels
    from refurb.osinstall import build_record
    from refurb.setup import initialize
    from refurb.store import open_store
    from refurb.wipe import StopFlag, WipeOptions, execute, prepare, stop_on_signals
    from refurb.wipe.image import prepare_image

    folder.mkdir(parents=True, exist_ok=True)
    stop = stop if stop is not None else StopFlag()
    result = DemoResult(folder=folder)
    denv = demo_env(env, folder)

    def step(name: str, text: str) -> None:
        result.steps.append({"step": name, "text": text})
        if on_step is not None:
            on_step(name, text)

    init = initialize(denv, site=SITE, lang=env.lang)
    denv.apply_settings(env.lang)
    result.files["store"] = str(denv.data_dir / "refurb.db")
    result.files["config"] = str(init["config"])
    if init.get("public_key"):
        result.files["public_key"] = str(init["public_key"])
    step("init", _("demo site {site} with its signing key").format(site=SITE))

    probe = probe_core.probe_live(denv)
    result.warnings += [str(w) for w in probe.get("warnings") or []]
    with open_store(denv) as store:
        saved = probe_core.record(store, probe, create=True)
    asset_id = result.asset_id = saved["asset_id"]
    step("probe", _("this machine probed and registered as {asset}").format(asset=asset_id))

    image = make_image(folder / "demo-disk.img")
    result.files["image"] = str(image)
    options = WipeOptions(method="prng", verify="full")
    can_loop = hasattr(os, "geteuid") and os.geteuid() == 0
    with attached(image, can_loop) as loop:
        if loop is not None:
            preparation = prepare(denv, [loop], options)
            result.erased_as = "loop device"
            where = _("the loop device {dev} over {image}").format(dev=loop, image=image)
        else:
            preparation = prepare_image(image, options, denv.runner)
            result.erased_as = "image file"
            where = _("the image file {image} (no root: no loop device)").format(image=image)
        with open_store(denv) as store, stop_on_signals(stop):
            (wiped,) = execute(
                denv,
                store,
                asset_id,
                preparation,
                options,
                stop=stop,
                on_progress=on_progress,
            )
    result.wipe_status = wiped.status
    step("wipe", f"{where}: {status_text(wiped.status)}")
    if wiped.status in ("failed", "interrupted"):
        return result

    payload = build_record(
        image="Linux Mint",
        version="22.1",
        notes="recorded by refurb demo: no system was installed",
    )
    with open_store(denv) as store:
        store.append(asset_id, "os_install", payload)
    step("os", _("OS recorded: Linux Mint 22.1 (a demo record)"))

    rules = load_rules(denv.config_dir, "laptop")
    answers = parse_check_options(DEMO_ANSWERS, rules)
    answers["cosmetic"] = DEMO_COSMETIC
    with open_store(denv) as store:
        graded = grade_device(latest_probe(store.events(asset_id)) or {}, answers, rules)
        grade_payload = graded.to_payload()
        store.append(asset_id, "grade", grade_payload)
        store.append(asset_id, "note", {"text": "grade checks answered by refurb demo"})
    result.grade = str(grade_payload.get("grade"))
    step(
        "grade",
        _("grade {grade}, with the checks answered by the demo (hinges worn, cosmetic B)").format(
            grade=result.grade
        ),
    )

    label_path = folder / f"{asset_id}-label.png"
    with open_store(denv) as store:
        run = make_labels(
            store,
            assets=[asset_id],
            batch=None,
            template=get_template(DEFAULT_TEMPLATE, denv.config_dir),
            fmt="png",
            out=str(label_path),
            printer=None,
            skip=0,
            label_url=None,
            runner=denv.runner,
        )
    result.files["label"] = run.files[0] if run.files else str(label_path)
    step("label", _("label written"))

    cert = issue_certificate(
        denv,
        asset_id,
        json_path=folder / f"{asset_id}-erasure.json",
        pdf_path=folder / f"{asset_id}-erasure.pdf",
    )
    result.files["certificate_json"] = str(cert["json"])
    if cert.get("pdf"):
        result.files["certificate_pdf"] = str(cert["pdf"])
    result.certificate_result = cert["result"]
    text = _("signed erasure certificate: {result}").format(result=status_text(cert["result"]))
    if any(d.get("status") == "not_erased" for d in cert["disks"]):
        text += " " + _(
            "(the image is erased; this machine's own disks are listed as not erased: "
            "the demo never touches them)"
        )
    step("certificate", text)

    from refurb.reports.model import Filters
    from refurb.reports.stock import build_report
    from refurb.sync import sync

    shared = folder / "shared-inventory.db"
    result.synced = sync(denv, f"sqlite:///{shared}")
    result.files["shared_inventory"] = str(shared)
    step("sync", _("synced to a shared SQLite inventory"))
    with open_store(denv) as store:
        result.stock = build_report(store, Filters(), config=denv.extra.get("config") or {})
    step("stock", _("stock report of the demo site"))
    return result

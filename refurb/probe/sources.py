"""The probe's raw material: :class:`Sources`, gathered from the live system or a captured folder.

:func:`collect` runs the tools and reads /proc and /sys; :func:`write_sources` and
:func:`read_sources` are the captured folder (DESIGN.md, "Probe: the captured folder"). Nothing
here turns text into facts: that is :mod:`refurb.probe.build`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from refurb.errors import InvalidInput
from refurb.i18n import _
from refurb.parsers import lsblk

if TYPE_CHECKING:
    from refurb.env import Env
    from refurb.runner import CommandResult

SECURE_BOOT_VAR = "sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"
EFI_MARKER = "sys/firmware/efi/fw_platform_size"
CPU_MAX_FREQ = "sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq"
DMI_ID = "sys/class/dmi/id"
DMI_ID_FILES = (
    "sys_vendor",
    "product_name",
    "product_version",
    "product_serial",
    "product_sku",
    "product_family",
    "product_uuid",
    "chassis_type",
    "bios_vendor",
    "bios_version",
    "bios_date",
)
# Top-level sections whose every value null means "nothing usable was read".
# File names of a captured folder (DESIGN.md, "Probe: the captured folder").
FILES = {
    "dmidecode": "dmidecode.txt",
    "cpuinfo": "cpuinfo.txt",
    "meminfo": "meminfo.txt",
    "lsblk": "lsblk.json",
    "lspci": "lspci.txt",
    "os_release": "os-release",
}
MANIFEST = "capture.json"
_MAX_FILE = 4 * 1024 * 1024


@dataclass
class Sources:
    """The raw material of one probe: tool outputs and file contents, plus why parts are missing.

    ``labels`` names where each part came from (a command, a path, or a file of a captured
    folder) so that warnings can name it. ``problems`` holds a reason code per missing part.
    """

    dmidecode: str | None = None
    cpuinfo: str | None = None
    meminfo: str | None = None
    lsblk: str | None = None
    lspci: str | None = None
    os_release: str | None = None
    smartctl: dict[str, str] = field(default_factory=dict)
    power_supply: dict[str, str] = field(default_factory=dict)
    edid: dict[str, bytes] = field(default_factory=dict)
    sys: dict[str, bytes] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    problems: dict[str, tuple[str, str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    commands: list[CommandResult] = field(default_factory=list)
    origin: str = "live"
    efi: bool | None = None

    def label(self, key: str) -> str:
        return self.labels.get(key, key)


def _gone(src: Sources, key: str) -> str:
    """ "cpuinfo.txt is missing" or "cpuinfo.txt cannot be read", for warnings."""
    if src.problems.get(key, ("missing", ""))[0] == "unreadable":
        return _("{file} cannot be read").format(file=src.label(key))
    return _("{file} is missing").format(file=src.label(key))


def _prefixed(label: str, messages: Iterable[str]) -> list[str]:
    return [f"{label}: {m}" for m in messages]


def _read_bytes(path: Path, limit: int = _MAX_FILE) -> bytes | None:
    try:
        with path.open("rb") as fh:
            return fh.read(limit)
    except OSError:
        return None


def _read_text(path: Path) -> str | None:
    data = _read_bytes(path)
    return data.decode("utf-8", errors="replace") if data is not None else None


def _listdir(path: Path) -> list[str]:
    try:
        return sorted(os.listdir(path))
    except OSError:
        return []


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _classify_dmidecode(result: CommandResult) -> tuple[str, str] | None:
    """None when the output is usable, else a (code, detail) problem."""
    text = (result.stdout or "") + "\n" + (result.stderr or "")
    if not result.found:
        return ("not_installed", result.stderr)
    if "Handle 0x" in result.stdout:
        return None
    lower = text.lower()
    if "permission denied" in lower or "operation not permitted" in lower or not _is_root():
        return ("needs_root", result.stderr.strip())
    if "no smbios" in lower or "/dev/mem" in lower or "no such file" in lower:
        return ("no_table", result.stderr.strip())
    return (
        "failed",
        (result.stderr or result.stdout).strip().splitlines()[0] if text.strip() else "",
    )


def _read_sys(root: Path) -> tuple[dict[str, bytes], bool]:
    """The sysfs files the probe uses, keyed by their path without the leading slash."""
    found: dict[str, bytes] = {}

    def take(rel: str) -> None:
        data = _read_bytes(root / rel, 65536)
        if data is not None:
            found[rel] = data

    for name in DMI_ID_FILES:
        take(f"{DMI_ID}/{name}")
    for name in _listdir(root / "sys/class/net"):
        if name == "lo":
            continue
        base = f"sys/class/net/{name}"
        for leaf in ("address", "type", "uevent", "device/uevent"):
            take(f"{base}/{leaf}")
    for name in _listdir(root / "sys/class/tpm"):
        for leaf in ("tpm_version_major", "caps"):
            take(f"sys/class/tpm/{name}/{leaf}")
    for name in _listdir(root / "sys/block"):
        if name.startswith("mmcblk"):
            take(f"sys/block/{name}/device/type")  # "MMC" (eMMC) or "SD" (a card)
    take(EFI_MARKER)
    take(SECURE_BOOT_VAR)
    take(CPU_MAX_FREQ)
    efi = (root / "sys/firmware/efi").is_dir()
    return found, efi


def _block_devices(lsblk_text: str | None) -> list[str]:
    if lsblk_text is None:
        return []
    return [d["name"] for d in lsblk.parse(lsblk_text)["disks"]]


def collect(env: Env, root: Path | str = "/") -> Sources:
    """Run the tools (in parallel threads) and read /proc and /sys into a :class:`Sources`.

    ``root`` is where /proc, /sys and /etc are read from (tests point it at a captured tree).
    """
    from concurrent.futures import ThreadPoolExecutor

    root = Path(root)
    runner = env.runner
    src = Sources(origin="live")
    src.labels.update(
        {
            "dmidecode": "dmidecode",
            "lsblk": "lsblk",
            "lspci": "lspci",
            "cpuinfo": "/proc/cpuinfo",
            "meminfo": "/proc/meminfo",
            "os_release": "/etc/os-release",
        }
    )
    with ThreadPoolExecutor(max_workers=8) as pool:
        dmi_job = pool.submit(runner.run, ["dmidecode"], timeout_s=30)
        lspci_job = pool.submit(runner.run, ["lspci", "-mm", "-nn"], timeout_s=30)
        lsblk_result = runner.run(["lsblk", "-J", "-b", "-O"], timeout_s=30)
        src.commands.append(lsblk_result)
        if lsblk_result.found and lsblk_result.stdout.strip():
            src.lsblk = lsblk_result.stdout
        else:
            code = "not_installed" if not lsblk_result.found else "failed"
            src.problems["lsblk"] = (code, lsblk_result.stderr.strip())
        smart_jobs = {
            name: pool.submit(
                runner.run, ["smartctl", "-x", "--json", f"/dev/{name}"], timeout_s=60
            )
            for name in _block_devices(src.lsblk)
            if not name.startswith("mmcblk")
        }

        src.cpuinfo = _read_text(root / "proc/cpuinfo")
        src.meminfo = _read_text(root / "proc/meminfo")
        src.os_release = _read_text(root / "etc/os-release") or _read_text(
            root / "usr/lib/os-release"
        )
        if src.os_release is None:
            src.labels["os_release"] = "/etc/os-release"
        for name in _listdir(root / "sys/class/power_supply"):
            text = _read_text(root / "sys/class/power_supply" / name / "uevent")
            if text is not None:
                src.power_supply[name] = text
        for name in _listdir(root / "sys/class/drm"):
            data = _read_bytes(root / "sys/class/drm" / name / "edid")
            if data:
                src.edid[name] = data
        src.sys, src.efi = _read_sys(root)

        dmi_result = dmi_job.result()
        src.commands.append(dmi_result)
        problem = _classify_dmidecode(dmi_result)
        if problem is None:
            src.dmidecode = dmi_result.stdout
        else:
            src.problems["dmidecode"] = problem

        lspci_result = lspci_job.result()
        src.commands.append(lspci_result)
        if lspci_result.found and lspci_result.returncode == 0:
            src.lspci = lspci_result.stdout
        else:
            code = "not_installed" if not lspci_result.found else "failed"
            src.problems["lspci"] = (code, lspci_result.stderr.strip())

        for name, job in smart_jobs.items():
            result = job.result()
            src.commands.append(result)
            if not result.found:
                src.problems["smartctl"] = ("not_installed", "")
                continue
            if result.stdout.strip():
                src.smartctl[name] = result.stdout
                src.labels[f"smartctl/{name}"] = f"smartctl /dev/{name}"
    if src.problems.get("smartctl", ("",))[0] == "not_installed":
        src.warnings.append(
            _("smartctl is not installed: disk health unknown (install smartmontools)")
        )
    if src.cpuinfo is None:
        src.problems["cpuinfo"] = ("missing", "")
    return src


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._:-]", "_", name) or "unnamed"


def write_sources(src: Sources, folder: Path | str) -> list[Path]:
    """Write sources as a captured folder (DESIGN.md layout); returns the files written."""
    folder = Path(folder)
    written: list[Path] = []

    def put(rel: str, data: str | bytes) -> None:
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            data = data.encode("utf-8")
        path.write_bytes(data)
        written.append(path)

    try:
        folder.mkdir(parents=True, exist_ok=True)
        for key, filename in FILES.items():
            value = getattr(src, key)
            if value is not None:
                put(filename, value)
        for name, text in src.smartctl.items():
            put(f"smartctl/{_safe_name(name)}.json", text)
        for name, text in src.power_supply.items():
            put(f"power_supply/{_safe_name(name)}/uevent", text)
        for name, data in src.edid.items():
            put(f"edid/{_safe_name(name)}.bin", data)
        for rel, data in src.sys.items():
            if ".." not in rel.split("/"):
                put(rel, data)
        manifest = {
            "schema": "refurb.capture/1",
            "efi": src.efi,
            "problems": {k: {"code": v[0], "detail": v[1]} for k, v in src.problems.items()},
            "commands": [
                {k: v for k, v in c.to_dict().items() if k not in ("stdout",)} for c in src.commands
            ],
        }
        put(MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    except OSError as exc:
        raise InvalidInput(
            _("cannot write the capture folder {folder}: {reason}").format(
                folder=folder, reason=exc.strerror or exc
            ),
            _("choose a folder you can write to, e.g. on the USB stick"),
        ) from exc
    return written


def read_sources(folder: Path | str) -> Sources:
    """Load a captured folder; raises :class:`InvalidInput` when it does not exist or is empty."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InvalidInput(
            _("{folder}: no such folder").format(folder=folder),
            _("give the folder written by `refurb probe --capture DIR`"),
        )
    src = Sources(origin="dir")
    found = 0

    def read(rel: str, reader: Callable[[Path], Any], quiet: bool = False) -> Any:
        nonlocal found
        path = folder / rel
        if not path.is_file():
            return None
        value = reader(path)
        if value is None:
            unreadable.add(rel)
            if not quiet:
                src.warnings.append(_("{file}: cannot be read").format(file=rel))
        else:
            found += 1
        return value

    unreadable: set[str] = set()
    for key, filename in FILES.items():
        src.labels[key] = filename
        setattr(src, key, read(filename, _read_text, quiet=True))
        if getattr(src, key) is None:
            src.problems[key] = ("unreadable" if filename in unreadable else "missing", "")
    for path in sorted((folder / "smartctl").glob("*.json")):
        text = read(f"smartctl/{path.name}", _read_text)
        if text is not None:
            src.smartctl[path.stem] = text
            src.labels[f"smartctl/{path.stem}"] = f"smartctl/{path.name}"
    for path in sorted((folder / "power_supply").glob("*/uevent")):
        rel = f"power_supply/{path.parent.name}/uevent"
        text = read(rel, _read_text)
        if text is not None:
            src.power_supply[path.parent.name] = text
            src.labels[f"power_supply/{path.parent.name}"] = rel
    for path in sorted((folder / "edid").glob("*")):
        if path.is_file():
            data = read(f"edid/{path.name}", _read_bytes)
            if data is not None:
                src.edid[path.name] = data
                src.labels[f"edid/{path.name}"] = f"edid/{path.name}"
    sys_dir = folder / "sys"
    if sys_dir.is_dir():
        for path in sorted(sys_dir.rglob("*")):
            if path.is_file() and not path.is_symlink():
                rel = path.relative_to(folder).as_posix()
                data = read(rel, _read_bytes)
                if data is not None:
                    src.sys[rel] = data
                    src.labels[rel] = rel
    manifest_text = read(MANIFEST, _read_text)
    if manifest_text is not None:
        _apply_manifest(src, manifest_text)
    if found == 0:
        raise InvalidInput(
            _(
                "{folder}: nothing to read (no dmidecode.txt, smartctl/, power_supply/, edid/, ...)"
            ).format(folder=folder),
            _("give the folder written by `refurb probe --capture DIR`"),
        )
    return src


def _apply_manifest(src: Sources, text: str) -> None:
    try:
        data = json.loads(text)
    except ValueError:
        src.warnings.append(_("{file}: not valid JSON, ignored").format(file=MANIFEST))
        return
    if not isinstance(data, dict):
        return
    if isinstance(data.get("efi"), bool):
        src.efi = data["efi"]
    problems = data.get("problems")
    if isinstance(problems, dict):
        for key, value in problems.items():
            if (
                isinstance(value, dict)
                and isinstance(value.get("code"), str)
                and getattr(src, key, "absent") is None
            ):
                src.problems[key] = (value["code"], str(value.get("detail") or ""))

"""The virtual laptop of the live-image test: QEMU dressed as a ThinkPad E480.

SMBIOS strings of a real laptop (type 1 system, type 2 board, type 3 chassis "Notebook" given as
a raw structure because QEMU has no option for the chassis type, type 17 memory), an NVMe and a
SATA disk with serials, filled with random data, a TPM 2.0 (swtpm) when swtpm is installed, OVMF
for UEFI (or SeaBIOS for a BIOS boot), an Intel e1000e on QEMU's user network (the host's
loopback is 10.0.2.2) and the stick on USB (xHCI, usb-storage). The serial console is driven
with pexpect; a power cut is a SIGKILL of QEMU.

KVM is used when it works; nested KVM has been seen to stop right after the kernel was loaded, so
:func:`boot` falls back to TCG when the first boot does not reach the launcher in time.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
OVMF_CODE = Path("/usr/share/OVMF/OVMF_CODE_4M.fd")
OVMF_VARS = Path("/usr/share/OVMF/OVMF_VARS_4M.fd")
TOOLS = ("qemu-system-x86_64", "mmdebstrap", "mksquashfs", "grub-mkrescue", "xorriso", "sfdisk")

SYSTEM = {
    "manufacturer": "LENOVO",
    "product": "20KNS0E200",
    "version": "ThinkPad E480",
    "family": "ThinkPad E480",
    "sku": "LENOVO_MT_20KN_BU_Think_FM_ThinkPad E480",
}
CPU_MODEL = "Intel(R) Core(TM) i5-8250U CPU @ 1.60GHz"


@dataclass
class VDisk:
    """One disk of the virtual laptop: a raw image full of random data."""

    bus: str  # "nvme" or "sata"
    path: Path
    size: int
    serial: str
    model: str

    def qemu_args(self, index: int) -> list[str]:
        drive = f"file={self.path},if=none,id=d{index},format=raw,cache=writeback"
        if self.bus == "nvme":
            device = f"nvme,drive=d{index},serial={self.serial}"
        else:
            device = (
                f"ide-hd,drive=d{index},bus=ide.{index},serial={self.serial},model={self.model}"
            )
        return ["-drive", drive, "-device", device]


def random_disk(path: Path, size: int) -> str:
    """Fill ``path`` with ``size`` random bytes; return their SHA-256 (to tell it changed)."""
    digest = hashlib.sha256()
    with path.open("wb") as fh:
        left = size
        while left:
            chunk = os.urandom(min(left, 1 << 20))
            digest.update(chunk)
            fh.write(chunk)
            left -= len(chunk)
    return digest.hexdigest()


def chassis_structure(serial: str) -> bytes:
    """SMBIOS type 3 (chassis) saying Notebook (0x0A), as QEMU's ``-smbios file=`` takes it."""
    strings = [b"LENOVO", b"None", serial.encode(), b"No Asset Information", b"LENOVO_MT_20KN"]
    # type, length, handle, manufacturer#1, type, version#2, serial#3, asset#4, boot-up, power,
    # thermal, security (3 = safe), OEM dword, height, cords, elements, element length, sku#5
    body = struct.pack(
        "<BBHBBBBBBBBBIBBBBB", 3, 0x16, 0x0300, 1, 0x0A, 2, 3, 4, 3, 3, 3, 3, 0, 0, 1, 0, 0, 5
    )
    return body + b"\0".join(strings) + b"\0\0"


def kvm_usable() -> bool:
    return os.access("/dev/kvm", os.R_OK | os.W_OK)


@dataclass
class Laptop:
    """One virtual laptop; :meth:`spawn` starts QEMU with the stick on USB."""

    workdir: Path
    stick: Path
    serial: str = "PF1A2B3C"
    disks: list[VDisk] = field(default_factory=list)
    uefi: bool = True
    tpm: bool = True
    memory_mb: int = 2048
    accel: str = "tcg"
    qmp_path: Path | None = None
    _swtpm: subprocess.Popen | None = None

    def __post_init__(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.qmp_path = self.workdir / "qmp.sock"
        vars_copy = self.workdir / "OVMF_VARS.fd"
        if self.uefi and not vars_copy.exists():
            shutil.copyfile(OVMF_VARS, vars_copy)
        (self.workdir / "chassis.bin").write_bytes(chassis_structure(self.serial))

    def _start_tpm(self) -> list[str]:
        if not self.tpm or shutil.which("swtpm") is None:
            return []
        state = self.workdir / "tpm"
        state.mkdir(exist_ok=True)
        sock = self.workdir / "swtpm.sock"
        with contextlib.suppress(FileNotFoundError):
            sock.unlink()
        self._swtpm = subprocess.Popen(
            [
                "swtpm",
                "socket",
                "--tpm2",
                "--tpmstate",
                f"dir={state}",
                "--ctrl",
                f"type=unixio,path={sock}",
                "--flags",
                "startup-clear",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(50):
            if sock.exists():
                break
            time.sleep(0.1)
        return [
            "-chardev",
            f"socket,id=chrtpm,path={sock}",
            "-tpmdev",
            "emulator,id=tpm0,chardev=chrtpm",
            "-device",
            "tpm-tis,tpmdev=tpm0",
        ]

    def argv(self) -> list[str]:
        accel = (
            ["-accel", "kvm", "-cpu", f"host,model-id={CPU_MODEL}"]
            if self.accel == "kvm"
            else ["-accel", "tcg", "-cpu", f"max,model-id={CPU_MODEL}"]
        )
        args = [
            "qemu-system-x86_64",
            "-machine",
            "q35",
            *accel,
            "-smp",
            "2",
            "-m",
            str(self.memory_mb),
            "-display",
            "none",
            "-vga",
            "std",
            "-serial",
            "stdio",
            "-monitor",
            "none",
            "-qmp",
            f"unix:{self.qmp_path},server,nowait",
            "-smbios",
            "type=0,vendor=LENOVO,version=R0PET62W (1.39 ),date=08/20/2021",
            "-smbios",
            ",".join(["type=1", *(f"{k}={v}" for k, v in SYSTEM.items()), f"serial={self.serial}"]),
            "-smbios",
            f"type=2,manufacturer=LENOVO,product=20KNS0E200,serial=L1HF8{self.serial}",
            "-smbios",
            f"file={self.workdir / 'chassis.bin'}",
            "-smbios",
            "type=17,loc_pfx=ChannelA-DIMM,bank=BANK 0,manufacturer=Samsung,"
            "serial=3A1B2C4D,part=M471A5244CB0-CTD,speed=2400",
            "-netdev",
            "user,id=n0",
            "-device",
            "e1000e,netdev=n0,mac=52:54:00:e4:80:01",
            "-device",
            "qemu-xhci,id=xhci",
            "-drive",
            f"file={self.stick},if=none,id=stick,format=raw,cache=writeback",
            "-device",
            "usb-storage,bus=xhci.0,drive=stick,removable=on,bootindex=0,"
            "serial=4C530001230815109122",
        ]
        if self.uefi:
            args += [
                "-drive",
                f"if=pflash,format=raw,unit=0,readonly=on,file={OVMF_CODE}",
                "-drive",
                f"if=pflash,format=raw,unit=1,file={self.workdir / 'OVMF_VARS.fd'}",
            ]
        for i, disk in enumerate(self.disks):
            args += disk.qemu_args(i)
        return args

    def spawn(self, log_name: str = "serial.log"):  # -> pexpect.spawn
        import pexpect

        args = self.argv() + self._start_tpm()
        (self.workdir / "qemu-argv.json").write_text(json.dumps(args, indent=1))
        child = pexpect.spawn(
            args[0],
            args[1:],
            encoding="utf-8",
            codec_errors="replace",
            timeout=120,
            dimensions=(50, 160),
        )
        child.logfile_read = (self.workdir / log_name).open("a", encoding="utf-8")
        return child

    def qmp(self, command: str, **arguments: object) -> dict:
        """One QMP command (e.g. set_link, to pull the network cable)."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(str(self.qmp_path))
            reader = sock.makefile("r")
            reader.readline()
            sock.sendall(json.dumps({"execute": "qmp_capabilities"}).encode())
            reader.readline()
            sock.sendall(json.dumps({"execute": command, "arguments": arguments}).encode())
            while True:
                reply = json.loads(reader.readline())
                if "return" in reply or "error" in reply:
                    return reply

    def power_cut(self, child) -> None:
        """SIGKILL QEMU: what the disks hold is what reached them."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(child.pid, signal.SIGKILL)
        child.close(force=True)
        self.stop_tpm()

    def stop_tpm(self) -> None:
        if self._swtpm is not None:
            self._swtpm.kill()
            self._swtpm.wait()
            self._swtpm = None


class Console:
    """The serial console of one boot: the launcher's questions, then a root shell."""

    def __init__(self, laptop: Laptop, log: str) -> None:
        self.laptop = laptop
        self.started = time.monotonic()
        self.child = laptop.spawn(log)
        self.times: dict[str, float] = {}
        # From QEMU's start to the launcher's question: ~7 min seen under TCG on 2 busy cores.
        self.boot_timeout = float(os.environ.get("REFURB_LIVE_BOOT_TIMEOUT", "1200"))

    def mark(self, name: str) -> None:
        self.times[name] = round(time.monotonic() - self.started, 1)

    def boot(self, lang: str = "3", keyboard: str = "1", expect_no_data: bool = False) -> str:
        """GRUB's serial entry, the language and keyboard questions, then a shell; returns what
        the launcher said."""
        c = self.child
        c.expect("refurb live", timeout=120)  # GRUB's menu, also on the serial line
        self.mark("grub")
        c.send("s")  # the serial-console entry
        c.expect(r"Taal / Langue / Language", timeout=self.boot_timeout)
        self.mark("launcher")
        c.sendline(lang)
        c.expect(r"\[1\]: ")  # the keyboard menu, Belgian AZERTY first
        said = c.before
        c.sendline(keyboard)
        if expect_no_data:
            c.expect("REFURB-DATA")
            said += c.before + c.after
            c.expect("Enter|Entrée")
            said += c.before + c.after
            c.sendline("")
        # The workbench's first screen (its asset prompt says "RF-..."), or the shell's banner
        # when this refurb has no workbench. From the workbench: q, then s for the shell.
        if c.expect([r"RF-\.\.\.", "refurb-live"], timeout=300) == 0:
            self.mark("workbench")
            c.sendline("q")
            c.expect(r" s ?: ", timeout=120)  # the launcher: next device, s: shell, p: power off
            c.sendline("s")
            c.expect("refurb-live", timeout=120)
        self.mark("shell")
        said += c.before
        c.sendline("stty -echo; export PS1='RF''B> '; cd /srv/refurb-data 2>/dev/null || cd /run")
        c.expect("RFB> ")
        return said

    def run(self, command: str, timeout: float = 300, ok: bool = True) -> tuple[int, str]:
        """Run one shell command; its exit code and output."""
        c = self.child
        c.sendline(f"{command}; echo __rc=$?__")
        c.expect(r"__rc=(\d+)__", timeout=timeout)
        rc, out = int(c.match.group(1)), c.before
        c.expect("RFB> ")
        if ok:
            assert rc == 0, f"{command} -> {rc}\n{out}"
        return rc, out

    def poweroff(self) -> None:
        self.child.sendline("poweroff")
        import pexpect

        self.child.expect(pexpect.EOF, timeout=180)
        self.laptop.stop_tpm()


def partition_span(image: Path, label: str = "REFURB-DATA") -> tuple[int, int]:
    """(offset, size) in bytes of the partition of ``image`` whose file system is ``label``."""
    table = json.loads(
        subprocess.run(
            ["sfdisk", "-J", str(image)], capture_output=True, text=True, check=True
        ).stdout
    )["partitiontable"]
    sector = int(table.get("sectorsize", 512))
    for part in table["partitions"]:
        offset = int(part["start"]) * sector
        probe = subprocess.run(
            ["blkid", "-p", "-O", str(offset), "-o", "value", "-s", "LABEL", str(image)],
            capture_output=True,
            text=True,
        )
        if probe.stdout.strip() == label:
            return offset, int(part["size"]) * sector
    raise LookupError(f"no partition labelled {label} in {image}")


@contextlib.contextmanager
def data_partition_loop(image: Path) -> Iterator[str]:
    """A loop device over the stick's REFURB-DATA partition (loop partition scanning is not
    available everywhere, so by offset), detached afterwards."""
    offset, size = partition_span(image)
    dev = subprocess.run(
        ["losetup", "-f", "--show", "-o", str(offset), "--sizelimit", str(size), str(image)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    try:
        yield dev
    finally:
        subprocess.run(["losetup", "-d", dev], check=False)


@contextlib.contextmanager
def mounted(dev: str, folder: Path, readonly: bool = True) -> Iterator[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-o", "ro,noload" if readonly else "rw", dev, str(folder)], check=True)
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


_kvm_failed: list[bool] = []


def booted(
    laptop: Laptop, log: str, kvm_timeout: float = 150.0, **answers: Any
) -> tuple[Console, str]:
    """Boot to the shell: with KVM when asked for and not seen to fail, else (or when KVM does not
    reach the launcher in ``kvm_timeout`` s) under TCG. Returns the console and what the launcher
    said."""
    import pexpect

    if laptop.accel == "kvm" and not _kvm_failed:
        con = Console(laptop, log)
        con.boot_timeout = kvm_timeout
        try:
            return con, con.boot(**answers)
        except (pexpect.TIMEOUT, pexpect.EOF):  # stuck, or QEMU stopped (an MSR assertion seen)
            laptop.power_cut(con.child)
            _kvm_failed.append(True)
    laptop.accel = "tcg"
    con = Console(laptop, log)
    try:
        return con, con.boot(**answers)
    except BaseException:  # a boot that fails (or Ctrl-C) leaves no QEMU behind
        laptop.power_cut(con.child)
        raise

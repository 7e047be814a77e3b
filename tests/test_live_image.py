"""The live image, built (or reused by content hash) and booted on a virtual ThinkPad E480.

A UEFI boot drives refurb over the serial console as a volunteer's stick would: language and
keyboard, probe, erasure of both disks (NVMe and SATA), OS record, grade, label file, certificate,
and a sync to the host's PostgreSQL (QEMU's user network reaches it as 10.0.2.2) tried once with
the network cable pulled (the records wait) and again with it back. Then, from the host: the
inventory holds the laptop by its SMBIOS model and serial with both disks erased, the disk images
read back as zeros, the certificate verifies with the site's key. A BIOS boot: a power cut in the
middle of an erasure, and the next boot shows it as interrupted. A third boot: a stick without its
data partition on a laptop without a disk.

Slow (the first build takes ~15 min on two cores, each boot a minute or more under TCG), so it
runs only when asked: REFURB_LIVE=1, or REFURB_REQUIRE_LIVE=1, which also fails instead of
skipping when something is missing (`make live-test`). Needs root (mmdebstrap, loop, mount).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support_live import (
    OVMF_CODE,
    REPO,
    TOOLS,
    Console,
    Laptop,
    VDisk,
    booted,
    data_partition_loop,
    kvm_usable,
    mounted,
    random_disk,
)

REQUIRED = os.environ.get("REFURB_REQUIRE_LIVE") == "1"
WANTED = REQUIRED or os.environ.get("REFURB_LIVE") == "1"
SITE = "Repair Café Gent"
MB = 1 << 20
CHECKS = ("screen", "keyboard", "touchpad", "webcam", "wifi", "audio", "usb", "hinges", "case")


def _why_not() -> str | None:
    if not WANTED:
        return "builds and boots a live image (minutes): set REFURB_LIVE=1 to run it"
    if os.geteuid() != 0:
        return "needs root (mmdebstrap, loop devices, mount)"
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if not OVMF_CODE.exists():
        missing.append("ovmf")
    if missing:
        return f"missing {', '.join(missing)}: install .ci/apt-packages-live.txt"
    return None


def setup_module() -> None:
    reason = _why_not()
    if reason and REQUIRED:
        pytest.fail(f"REFURB_REQUIRE_LIVE=1 but the live-image test {reason}")
    if reason:
        pytest.skip(f"live-image test: {reason}")


def cache_dir() -> Path:
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "refurb-live"
    return Path(os.environ.get("REFURB_LIVE_CACHE", default))


def content_hash() -> str:
    """What the image is made of: live/, refurb/ and pyproject.toml (not the tests)."""
    digest = hashlib.sha256()
    tree = [*sorted((REPO / "live").rglob("*")), *sorted((REPO / "refurb").rglob("*"))]
    for path in [REPO / "pyproject.toml", *tree]:
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


@pytest.fixture(scope="module")
def live_image() -> Path:
    """The image of this checkout: built once per content hash, kept in the cache folder."""
    given = os.environ.get("REFURB_LIVE_IMAGE")  # an image built already (e.g. by make live)
    if given:
        return Path(given)
    images = cache_dir() / "images"
    images.mkdir(parents=True, exist_ok=True)
    image = images / f"refurb-live-{content_hash()}.img"
    if not image.exists():
        started = time.monotonic()
        part = image.with_suffix(".part")
        env = {**os.environ, "PYTHON": sys.executable, "REFURB_LIVE_CACHE": str(cache_dir())}
        subprocess.run([str(REPO / "live" / "build.sh"), str(part)], env=env, check=True)
        for old in images.glob("refurb-live-*.img"):  # the newest image only
            old.unlink()
        part.rename(image)
        took = {"build_s": round(time.monotonic() - started), "bytes": image.stat().st_size}
        image.with_suffix(".json").write_text(json.dumps(took))
    return image


def refurb(home: Path, *args: str) -> subprocess.CompletedProcess:
    """refurb on the host (the office PC), in its own REFURB_HOME."""
    env = {**os.environ, "REFURB_HOME": str(home), "PYTHONPATH": str(REPO)}
    env.pop("REFURB_DB", None)
    done = subprocess.run(
        [sys.executable, "-m", "refurb", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"refurb {' '.join(args)}: {done.returncode}\n{done.stderr}"
    return done


def prepare_stick(image: Path, folder: Path, inventory: str | None) -> tuple[Path, Path]:
    """A copy of the image prepared for the site by `refurb init --stick`, as on the office PC."""
    pc = folder / "pc"
    refurb(pc, "init", "--site", SITE, "--lang", "nl")
    stick = folder / "stick.img"
    subprocess.run(["cp", "--sparse=always", str(image), str(stick)], check=True)
    with data_partition_loop(stick) as dev:
        args = [
            "init",
            "--stick",
            dev,
            "--json",
            *(["--inventory", inventory] if inventory else []),
        ]
        result = json.loads(refurb(pc, *args).stdout)
    assert result["key"] == "copied" and result["site"] == SITE
    return pc, stick


def laptop_disks(folder: Path, sata_mb: int = 96) -> list[VDisk]:
    tag = os.urandom(3).hex().upper()
    disks = [
        VDisk("nvme", folder / "nvme.img", 64 * MB, f"S4EWNX0N{tag}", "SAMSUNG MZVLB256HAHQ-000L7"),
        VDisk("sata", folder / "sata.img", sata_mb * MB, f"WD-WX{tag}", "WDC WD5000LPCX-24C6HT0"),
    ]
    for disk in disks:
        random_disk(disk.path, disk.size)
    return disks


def accel() -> str:
    return os.environ.get("REFURB_LIVE_ACCEL") or ("kvm" if kvm_usable() else "tcg")


def py(expr: str) -> str:
    """A shell command printing one Python expression over the JSON files in the current folder."""
    return f"python3 -c \"import json; L=lambda f: json.load(open(f)); print('OUT', {expr})\""


def out_value(text: str) -> str:
    return next(
        line.split(" ", 1)[1].strip() for line in text.splitlines() if line.startswith("OUT ")
    )


def disk_paths(con: Console, disks: list[VDisk]) -> dict[str, str]:
    """Serial -> device path of the laptop's disks, as the booted system names them."""
    listing = out_value(
        con.run(py("[(d['path'], d['serial']) for d in L('wipe-list.json')['disks']]"))[1]
    )
    pairs = dict((serial, path) for path, serial in eval(listing))  # noqa: S307 - our own output
    return {d.serial: pairs[d.serial] for d in disks}


def report(con: Console, laptop: Laptop, name: str) -> None:
    line = {"test": name, "accel": laptop.accel, "uefi": laptop.uefi, **con.times}
    with (cache_dir() / "boot-times.jsonl").open("a") as fh:
        fh.write(json.dumps(line) + "\n")
    print("live boot:", line)


def test_uefi_laptop_erases_records_and_syncs(live_image: Path, pg_server_url: str, tmp_path):
    inventory = pg_server_url.replace("@127.0.0.1:", "@10.0.2.2:")
    pc, stick = prepare_stick(live_image, tmp_path, inventory)
    disks = laptop_disks(tmp_path)
    laptop = Laptop(
        tmp_path / "vm",
        stick,
        serial="PF1" + os.urandom(3).hex().upper(),
        disks=disks,
        accel=accel(),
    )
    con, _said = booted(laptop, "serial-1.log", lang="1")  # Nederlands, Belgian AZERTY
    try:
        assert out_value(con.run("echo OUT $REFURB_LANG $REFURB_HOME")[1]) == (
            "nl /srv/refurb-data/refurb"
        )
        con.run("refurb wipe list --json > wipe-list.json")
        con.run("refurb probe --save --create --json > probe.json", timeout=600)
        asset = out_value(con.run(py("L('probe.json')['saved']['asset_id']"))[1])
        paths = disk_paths(con, disks)
        con.mark("probed")
        con.run(
            f"refurb wipe run {' '.join(paths.values())} --asset {asset} --yes --json > wipe.json",
            timeout=1800,
        )
        con.mark("erased")
        con.run(f"refurb os record {asset} --image 'Linux Mint' --version 22.1 --edition Cinnamon")
        checks = " ".join(f"--check {c}=ok" for c in CHECKS)
        con.run(f"refurb grade {asset} --cosmetic B {checks} --json > grade.json")
        con.run(f"refurb label {asset} --out label-{asset}.png")
        con.run(f"refurb wipe certificate {asset} --json cert-{asset}.json")
        laptop.qmp("set_link", name="n0", up=False)  # the cable is pulled
        offline_rc, offline = con.run("refurb sync", ok=False)
        laptop.qmp("set_link", name="n0", up=True)
        con.run("sleep 2; refurb sync --json > sync.json", timeout=300)
        con.mark("synced")
        con.poweroff()
    finally:
        laptop.power_cut(con.child)
        report(con, laptop, "uefi")
    assert offline_rc == 4, offline  # the inventory is unreachable: the records wait

    with data_partition_loop(stick) as dev, mounted(dev, tmp_path / "data") as data:
        wipe_list = json.loads((data / "wipe-list.json").read_text())
        wipe = json.loads((data / "wipe.json").read_text())
        grade = json.loads((data / "grade.json").read_text())
        assert (data / f"label-{asset}.png").read_bytes()[:4] == b"\x89PNG"
        shutil.copyfile(data / f"cert-{asset}.json", tmp_path / "cert.json")
    # The stick is listed but never offered: it is the medium refurb runs from.
    others = [d for d in wipe_list["disks"] if d["serial"] not in paths]
    assert others and all(not d["erasable"] for d in others), others
    assert any("live_medium" in json.dumps(d) for d in others), others
    assert grade["grade"]
    assert wipe
    verified = refurb(pc, "wipe", "verify-cert", str(tmp_path / "cert.json"))
    assert "valid" in verified.stdout.lower() or "geldig" in verified.stdout.lower()
    for disk in disks:  # what a donor left is gone: every byte reads back as the pattern, zero
        with disk.path.open("rb") as fh:
            while chunk := fh.read(4 * MB):
                assert chunk.count(0) == len(chunk), f"{disk.path.name} is not all zeros"
    shown = json.loads(refurb(pc, "--db", pg_server_url, "show", asset, "--json").stdout)
    text = json.dumps(shown)
    assert laptop.serial in text and "ThinkPad E480" in text and "20KNS0E200" in text
    for disk in disks:
        assert disk.serial in text
    assert shown["erasure"] == "erased", shown.get("erasure")


def test_bios_power_cut_mid_erase_is_interrupted_at_next_boot(live_image: Path, tmp_path):
    pc, stick = prepare_stick(live_image, tmp_path, None)
    disks = laptop_disks(tmp_path, sata_mb=1024)
    laptop = Laptop(tmp_path / "vm", stick, disks=disks, uefi=False, accel=accel())
    con, _said = booted(laptop, "serial-1.log", lang="2")  # Français
    try:
        con.run("refurb wipe list --json > wipe-list.json")
        con.run("refurb probe --save --create --json > probe.json", timeout=600)
        asset = out_value(con.run(py("L('probe.json')['saved']['asset_id']"))[1])
        sata = disk_paths(con, disks)[disks[1].serial]
        con.run("sync")
        con.child.sendline(f"refurb wipe run {sata} --asset {asset} --yes --method zero")
        con.child.expect(r"\d+\s*%", timeout=600)  # writing
        time.sleep(3)
    finally:
        laptop.power_cut(con.child)  # the power is cut
        report(con, laptop, "bios-cut")
    con, _said = booted(laptop, "serial-2.log", lang="3")
    try:
        con.run(f"refurb show {asset} --json > show.json")
        state = out_value(con.run(py("L('show.json')['erasure']"))[1])
        con.poweroff()
    finally:
        laptop.power_cut(con.child)
        report(con, laptop, "bios-after-cut")
    assert state == "interrupted"


def test_stick_without_data_partition_on_laptop_without_disk(live_image: Path, tmp_path):
    stick = tmp_path / "stick.img"
    subprocess.run(["cp", "--sparse=always", str(live_image), str(stick)], check=True)
    with data_partition_loop(stick) as dev:
        subprocess.run(["e2label", dev, ""], check=True)  # as if the partition were not there
    laptop = Laptop(tmp_path / "vm", stick, disks=[], accel=accel())
    con, said = booted(laptop, "serial-1.log", lang="3", expect_no_data=True)
    try:
        assert "no REFURB-DATA partition" in said and "refurb init --stick" in said
        assert out_value(con.run("echo OUT $REFURB_HOME")[1]) == "/run/refurb-ram"
        rc, out = con.run("refurb wipe list", ok=False)
        con.run("refurb probe --json > /run/probe.json", timeout=600)
        model = out_value(con.run(py("L('/run/probe.json')['system']['model']"))[1])
        con.poweroff()
    finally:
        laptop.power_cut(con.child)
        report(con, laptop, "no-data-no-disk")
    assert "ThinkPad E480" in model or "20KNS0E200" in model
    assert "sd" in out or "disk" in out.lower(), out  # the stick is listed, not offered

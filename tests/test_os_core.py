"""The OS-install core: hashing, SHA256SUMS files, os-release, and the record's rules."""

from __future__ import annotations

import hashlib
import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support_grade import ISO, OS_FIXTURES, coreutils_sums, make_iso, needs_sha256sum

from refurb.errors import InvalidInput, NotFound, Refused
from refurb.osinstall import (
    build_record,
    check_iso,
    expected_sum,
    hash_file,
    parse_os_release,
    parse_sums,
    read_running_os,
)


@needs_sha256sum
def test_hash_matches_sha256sum_and_reports_progress(tmp_path):
    iso = make_iso(tmp_path, size=20 * 1024 * 1024 + 7)
    seen: list[tuple[int, int]] = []
    digest = hash_file(iso, lambda done, total: seen.append((done, total)), chunk_size=1 << 20)
    out = subprocess.run(["sha256sum", str(iso)], capture_output=True, text=True, check=True)
    assert digest == out.stdout.split()[0]
    assert len(seen) == 21
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert seen[-1] == (iso.stat().st_size, iso.stat().st_size)


def test_hash_of_empty_file_and_errors(tmp_path):
    empty = tmp_path / "empty.iso"
    empty.write_bytes(b"")
    assert hash_file(empty) == hashlib.sha256(b"").hexdigest()
    with pytest.raises(NotFound):
        hash_file(tmp_path / "gone.iso")
    with pytest.raises(InvalidInput, match="folder"):
        hash_file(tmp_path)


@needs_sha256sum
@pytest.mark.parametrize("tag", [False, True], ids=["gnu", "bsd-tag"])
def test_sums_file_from_coreutils_is_read(tmp_path, tag):
    other = make_iso(tmp_path, 1000, "linuxmint-22.1-xfce-64bit.iso")
    iso = make_iso(tmp_path)
    sums = coreutils_sums(iso, other, tag=tag)
    result = check_iso(iso, sums)
    assert result == {"sha256": hashlib.sha256(iso.read_bytes()).hexdigest(), "iso": ISO,
                      "sums_checked": True}  # fmt: skip


@needs_sha256sum
def test_changed_iso_is_refused(tmp_path):
    iso = make_iso(tmp_path)
    sums = coreutils_sums(iso)
    with iso.open("r+b") as fh:  # one flipped byte in the middle, as a bad download would have
        fh.seek(1_000_000)
        byte = fh.read(1)
        fh.seek(1_000_000)
        fh.write(bytes([byte[0] ^ 0x01]))
    with pytest.raises(Refused) as err:
        check_iso(iso, sums)
    assert ISO in err.value.message and "does not match" in err.value.message


@needs_sha256sum
def test_truncated_iso_is_refused(tmp_path):
    iso = make_iso(tmp_path)
    sums = coreutils_sums(iso)
    with iso.open("r+b") as fh:
        fh.truncate(iso.stat().st_size - 4096)
    with pytest.raises(Refused):
        check_iso(iso, sums)


@needs_sha256sum
def test_iso_missing_from_sums_is_refused(tmp_path):
    listed = make_iso(tmp_path, 2000, "ubuntu-24.04.1-desktop-amd64.iso")
    sums = coreutils_sums(listed)
    iso = make_iso(tmp_path)
    with pytest.raises(Refused) as err:
        check_iso(iso, sums)
    assert (
        "not listed" in err.value.message
        and "ubuntu-24.04.1-desktop-amd64.iso" in err.value.message
    )


def test_md5_list_is_not_a_sha256_file(tmp_path):
    sums = tmp_path / "MD5SUMS"
    sums.write_text(f"{hashlib.md5(b'x').hexdigest()}  {ISO}\n")
    with pytest.raises(InvalidInput, match="no SHA-256"):
        expected_sum(sums, ISO)


def test_parse_sums_formats():
    digest = hashlib.sha256(b"mint").hexdigest()
    other = hashlib.sha256(b"other").hexdigest()
    text = (
        "-----BEGIN PGP SIGNED MESSAGE-----\n"
        "Hash: SHA256\n\n"
        f"{digest} *{ISO}\n"
        f"{other}  ./sub/ubuntu.iso\n"
        f"SHA256 (debian.iso) = {digest.upper()}\n"
        "# a comment\n"
        "garbage\n"
        "-----BEGIN PGP SIGNATURE-----\n\niQIzBAEBCAAdFiEE\n-----END PGP SIGNATURE-----\n"
    )
    parsed = parse_sums(text)
    assert parsed["entries"] == {ISO: digest, "./sub/ubuntu.iso": other, "debian.iso": digest}
    assert parsed["warnings"] == ["line 8: not a checksum line"]


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_parsers_never_raise(text):
    assert isinstance(parse_sums(text)["entries"], dict)
    assert isinstance(parse_os_release(text)["values"], dict)


def test_os_release_fixtures():
    mint = parse_os_release((OS_FIXTURES / "linuxmint-22.1.os-release").read_text())["values"]
    assert mint["NAME"] == "Linux Mint" and mint["VERSION_ID"] == "22.1"
    assert mint["ID_LIKE"] == "ubuntu debian"
    found = read_running_os(OS_FIXTURES / "debian-12.os-release")
    assert (found["image"], found["version"]) == ("Debian GNU/Linux", "12")
    assert found["os_release"]["PRETTY_NAME"] == "Debian GNU/Linux 12 (bookworm)"


def test_os_release_of_a_mounted_system(tmp_path):
    (tmp_path / "usr/lib").mkdir(parents=True)
    shutil.copy(OS_FIXTURES / "linuxmint-22.1.os-release", tmp_path / "usr/lib/os-release")
    found = read_running_os(tmp_path)
    assert (found["image"], found["version"]) == ("Linux Mint", "22.1")


def test_live_session_is_refused(tmp_path):
    cmdline = tmp_path / "cmdline"
    cmdline.write_text("BOOT_IMAGE=/casper/vmlinuz boot=casper quiet splash --\n")
    with pytest.raises(Refused, match="live session"):
        read_running_os(None, cmdline)
    cmdline.write_text("BOOT_IMAGE=/boot/vmlinuz root=UUID=1234 ro quiet\n")
    assert read_running_os(None, cmdline)["image"]


def test_os_release_without_a_name(tmp_path):
    path = tmp_path / "os-release"
    path.write_text("HOME_URL=https://example.org\n")
    with pytest.raises(InvalidInput, match="names no operating system"):
        read_running_os(path)
    with pytest.raises(NotFound):
        read_running_os(tmp_path / "missing")


def test_windows_needs_a_licence_type():
    with pytest.raises(InvalidInput, match="licence"):
        build_record(image="Windows 11", version="23H2", edition="Pro")
    with pytest.raises(InvalidInput, match="not a Windows licence"):
        build_record(image="Windows 10", version="22H2", licence="cracked")
    record = build_record(image="Windows 11", version="23H2", licence="Refurbisher")
    assert record["licence"] == "refurbisher"
    assert build_record(image="Linux Mint", version="22.1", licence="GPL")["licence"] == "GPL"


def test_record_needs_image_and_version():
    with pytest.raises(InvalidInput, match="--image"):
        build_record(image="  ", version="1")
    with pytest.raises(InvalidInput, match="--version"):
        build_record(image="Ubuntu", version=None)
    running = {
        "image": "Linux Mint",
        "version": "22.1",
        "edition": None,
        "os_release": {"ID": "linuxmint"},
    }
    record = build_record(image=None, version=None, edition="Cinnamon", running=running)
    assert record["image"] == "Linux Mint" and record["edition"] == "Cinnamon"
    assert record["from_running"] is True and record["os_release"] == {"ID": "linuxmint"}
    assert set(record) >= {"image", "version", "edition", "licence", "sha256", "iso",
                           "sums_checked", "notes", "from_running"}  # fmt: skip

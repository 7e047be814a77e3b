"""The OS-install record: which image went on a device, proven by its SHA-256 where possible.

A record says what was installed (image, version, edition, licence), from which ISO (its SHA-256,
checked against the publisher's SHA256SUMS when given) and any notes. ``--from-running`` reads
``os-release`` of the system refurb runs in instead of asking. Hashing reads the ISO in large
chunks with ``hashlib`` (OpenSSL, which drops the GIL and uses the CPU's SHA extensions), so it
runs at ``sha256sum`` speed; the caller passes a progress callback for its progress bar.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from refurb.errors import InvalidInput, NotFound, Refused
from refurb.i18n import _

CHUNK = 8 * 1024 * 1024
OS_RELEASE_PATHS = (Path("/etc/os-release"), Path("/usr/lib/os-release"))
WINDOWS_LICENCES = ("oem", "digital", "refurbisher", "retail", "volume", "education", "unlicensed")
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")

Progress = Callable[[int, int], None]


def hash_file(path: Path, progress: Progress | None = None, chunk_size: int = CHUNK) -> str:
    """SHA-256 of a file as lower-case hex; ``progress(done, total)`` after every chunk."""
    digest = hashlib.sha256()
    buf = bytearray(chunk_size)
    done = 0
    try:
        with open(path, "rb", buffering=0) as fh, memoryview(buf) as view:
            total = os.fstat(fh.fileno()).st_size
            if hasattr(os, "posix_fadvise"):
                os.posix_fadvise(fh.fileno(), 0, 0, os.POSIX_FADV_SEQUENTIAL)
            while n := fh.readinto(buf):
                digest.update(view[:n])
                done += n
                if progress is not None:
                    progress(done, total)
    except FileNotFoundError as exc:
        raise NotFound(_("{path}: no such file").format(path=path)) from exc
    except IsADirectoryError as exc:
        raise InvalidInput(_("{path} is a folder, not an image file").format(path=path)) from exc
    except OSError as exc:
        raise InvalidInput(
            _("cannot read {path}: {err}").format(path=path, err=exc.strerror)
        ) from exc
    return digest.hexdigest()


def parse_sums(text: str) -> dict[str, Any]:
    """A SHA256SUMS file -> ``{"entries": {name: hex}, "warnings": [...]}``; never raises.

    Reads GNU lines (``HEX  name``, ``HEX *name``), BSD tags (``SHA256 (name) = HEX``) and skips a
    PGP clear-sign wrapper, comments and blank lines. Names are kept as written (``./x.iso`` too).
    """
    entries: dict[str, str] = {}
    warnings: list[str] = []
    in_signature = False
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-----BEGIN PGP SIGNATURE"):
            in_signature = True
            continue
        if line.startswith("-----END PGP SIGNATURE"):
            in_signature = False
            continue
        if (
            in_signature
            or line.startswith("-----BEGIN PGP SIGNED MESSAGE")
            or line.startswith("Hash:")
        ):
            continue
        line = line.removeprefix("- ")  # dash-escaped lines inside a clear-signed message
        bsd = re.fullmatch(r"SHA256\s*\((.+)\)\s*=\s*([0-9a-fA-F]+)", line)
        if bsd:
            name, hexdigest = bsd.group(1), bsd.group(2)
        else:
            parts = line.split(maxsplit=1)
            if len(parts) != 2:
                warnings.append(f"line {lineno}: not a checksum line")
                continue
            hexdigest, name = parts[0].lstrip("\\"), parts[1].lstrip("*").strip()
        if not _HEX64.fullmatch(hexdigest):
            warnings.append(f"line {lineno}: {hexdigest[:16]!r} is not a SHA-256 checksum")
            continue
        entries[name] = hexdigest.lower()
    return {"entries": entries, "warnings": warnings}


def expected_sum(sums_path: Path, iso_name: str) -> str:
    """The checksum a SHA256SUMS file lists for ``iso_name``; refused when it is not listed."""
    try:
        text = sums_path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError as exc:
        raise NotFound(_("{path}: no such file").format(path=sums_path)) from exc
    except OSError as exc:
        raise InvalidInput(
            _("cannot read {path}: {err}").format(path=sums_path, err=exc.strerror)
        ) from exc
    parsed = parse_sums(text)
    entries: dict[str, str] = parsed["entries"]
    if not entries:
        raise InvalidInput(
            _("{path} holds no SHA-256 checksums").format(path=sums_path),
            _("give the SHA256SUMS file published beside the image (not an MD5 or SHA-1 list)"),
        )
    by_base = {Path(name.replace("\\", "/")).name: digest for name, digest in entries.items()}
    if iso_name in by_base:
        return by_base[iso_name]
    listed = ", ".join(sorted(by_base)[:6]) + (" ..." if len(by_base) > 6 else "")
    raise Refused(
        _("{iso} is not listed in {sums} (it lists: {listed})").format(
            iso=iso_name, sums=sums_path, listed=listed
        ),
        _("use the SHA256SUMS file published with this exact image"),
    )


def check_iso(iso: Path, sums: Path | None, progress: Progress | None = None) -> dict[str, Any]:
    """Hash an ISO and, with a sums file, prove it is the published image; a mismatch is refused."""
    expected = expected_sum(sums, iso.name) if sums is not None else None
    actual = hash_file(iso, progress)
    if expected is not None and actual != expected:
        raise Refused(
            _("{iso} does not match {sums}: SHA-256 is {actual}, the list says {expected}").format(
                iso=iso.name, sums=sums, actual=actual, expected=expected
            ),
            _("the image is changed or incomplete: download it again and do not install it"),
        )
    return {"sha256": actual, "iso": iso.name, "sums_checked": expected is not None}


def parse_os_release(text: str) -> dict[str, Any]:
    """``os-release`` text -> its variables (unquoted); bad lines go to ``warnings``."""
    values: dict[str, str] = {}
    warnings: list[str] = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            warnings.append(f"line {lineno}: not a KEY=value line")
            continue
        try:
            words = shlex.split(value, comments=False, posix=True)
        except ValueError:
            warnings.append(f"line {lineno}: unbalanced quotes")
            words = [value.strip("\"'")]
        values[key] = " ".join(words)
    return {"values": values, "warnings": warnings}


def _is_live_session(cmdline: str) -> bool:
    words = cmdline.split()
    return any(w in ("boot=casper", "boot=live", "rd.live.image") for w in words) or any(
        w.startswith("root=live:") for w in words
    )


def read_running_os(
    os_release: Path | None = None, cmdline: Path | None = Path("/proc/cmdline")
) -> dict[str, Any]:
    """What the running (or a mounted) system says it is, from its ``os-release``.

    With the default path, a live USB session (casper / live-boot) is refused: its os-release
    names the stick, not what was installed on the disk.
    """
    default = os_release is None
    if default:
        candidates = list(OS_RELEASE_PATHS)
        if cmdline is not None:
            try:
                live = _is_live_session(cmdline.read_text(errors="replace"))
            except OSError:
                live = False
            if live:
                raise Refused(
                    _(
                        "this is a live session: its os-release names the USB stick,"
                        " not the installed system"
                    ),
                    _("mount the installed system and use --os-release /mnt/etc/os-release"),
                )
    else:
        candidates = [os_release]
        if os_release.is_dir():
            candidates = [os_release / "etc/os-release", os_release / "usr/lib/os-release"]
    for path in candidates:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            continue
        except OSError as exc:
            raise InvalidInput(
                _("cannot read {path}: {err}").format(path=path, err=exc.strerror)
            ) from exc
        values = parse_os_release(text)["values"]
        if not (values.get("NAME") or values.get("ID")):
            raise InvalidInput(
                _("{path} names no operating system (no NAME or ID line)").format(path=path)
            )
        return {
            "image": values.get("NAME") or values.get("ID", ""),
            "version": values.get("VERSION_ID") or values.get("VERSION") or values.get("BUILD_ID"),
            "edition": values.get("VARIANT") or None,
            "os_release": {
                k: values[k]
                for k in (
                    "ID",
                    "NAME",
                    "VERSION",
                    "VERSION_ID",
                    "PRETTY_NAME",
                    "VARIANT",
                    "ID_LIKE",
                )
                if k in values
            },
            "source": str(path),
        }
    raise NotFound(
        _("no os-release found at {paths}").format(paths=", ".join(str(p) for p in candidates)),
        _("give --image and --version instead, or --os-release PATH"),
    )


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    text = " ".join(value.split())
    return text or None


def build_record(
    *,
    image: str | None,
    version: str | None,
    edition: str | None = None,
    licence: str | None = None,
    notes: str | None = None,
    iso: Mapping[str, Any] | None = None,
    running: Mapping[str, Any] | None = None,
    factory_reset: bool = False,
) -> dict[str, Any]:
    """The ``os_install`` event payload; options given win over what os-release says.

    ``factory_reset``: a tablet or phone reset to its maker's system (Android, iPadOS...); the
    system's name and version are then optional.
    """
    if factory_reset:
        if iso is not None or running is not None:
            raise InvalidInput(
                _(
                    "--factory-reset records a reset to the maker's system:"
                    " no --iso or --from-running"
                )
            )
        return {
            "factory_reset": True,
            "image": _clean(image),
            "version": _clean(version),
            "edition": _clean(edition),
            "licence": None,
            "sha256": None,
            "iso": None,
            "sums_checked": False,
            "notes": (notes.strip() or None) if notes else None,
            "from_running": False,
        }
    if running is not None:
        image = image or running.get("image")
        version = version or running.get("version")
        edition = edition or running.get("edition")
    image, version = _clean(image), _clean(version)
    edition, notes = _clean(edition), (notes.strip() or None) if notes else None
    if not image:
        raise InvalidInput(
            _("which operating system? give --image NAME (e.g. 'Linux Mint')"),
            _("or --from-running when refurb runs inside the installed system"),
        )
    if not version:
        raise InvalidInput(
            _("which version of {image}? give --version (e.g. 22.1)").format(image=image)
        )
    lic = _clean(licence)
    if re.search(r"\bwindows\b", image, re.IGNORECASE):
        if not lic:
            raise InvalidInput(
                _("Windows needs its licence type: --licence {choices}").format(
                    choices="|".join(WINDOWS_LICENCES)
                ),
                _(
                    "oem = key in the firmware or on a sticker, digital = digital licence, "
                    "refurbisher = Microsoft refurbisher programme"
                ),
            )
        if lic.lower() not in WINDOWS_LICENCES:
            raise InvalidInput(
                _("licence {value!r} is not a Windows licence type: choose {choices}").format(
                    value=lic, choices=", ".join(WINDOWS_LICENCES)
                )
            )
        lic = lic.lower()
    record: dict[str, Any] = {
        "image": image,
        "version": version,
        "edition": edition,
        "licence": lic,
        "sha256": None,
        "iso": None,
        "sums_checked": False,
        "notes": notes,
        "from_running": running is not None,
    }
    if iso is not None:
        record.update(sha256=iso["sha256"], iso=iso["iso"], sums_checked=bool(iso["sums_checked"]))
    if running is not None:
        record["os_release"] = dict(running.get("os_release", {}))
    return record

"""Preparing a live stick for a site: its settings and signing key on the stick's data partition.

The live image (``live/build.sh``, docs/live.md) carries an ext4 partition labelled
:data:`DATA_LABEL`; refurb on the booted stick keeps its settings, key and local store in
``<partition>/refurb`` (``REFURB_HOME``), so they survive a reboot and go with the stick.
``refurb init --stick`` on the office PC fills it: this site's settings (site, contact, operator,
inventory, label URL, language), under what was set for the stick before and the options
given, and this site's signing key, so
the certificates of every bench verify with the one site key. Each stick keeps a workstation id of
its own (sync tells benches apart by it) and its own store.

A stick already carrying another site's key is refused rather than overwritten: certificates
handed out were signed with that key.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from refurb.errors import InvalidInput, NotFound, Refused, StoreError
from refurb.i18n import _

if TYPE_CHECKING:
    from refurb.env import Env

DATA_LABEL = "REFURB-DATA"
HOME_FOLDER = "refurb"
# The settings a stick takes from the PC; "workstation" is never copied (one id per bench).
COPIED = ("site", "contact", "operator", "inventory", "label_url", "lang")


def data_partition(lsblk_json: str, target: str) -> dict[str, Any] | None:
    """The partition labelled REFURB-DATA in ``lsblk -J -p -o PATH,TYPE,LABEL,FSTYPE,MOUNTPOINT``
    output for ``target`` (the stick, or the partition itself), or None (pure)."""
    try:
        nodes = json.loads(lsblk_json or "{}").get("blockdevices") or []
    except (ValueError, AttributeError):
        return None
    stack = list(nodes)
    while stack:
        node = stack.pop(0)
        if not isinstance(node, dict):
            continue
        if node.get("label") == DATA_LABEL:
            return {
                "path": node.get("path"),
                "fstype": node.get("fstype"),
                "mountpoint": node.get("mountpoint"),
            }
        stack.extend(node.get("children") or [])
    return None


def _partitions(lsblk_json: str) -> list[str]:
    """The paths of the partitions in lsblk's JSON (pure)."""
    try:
        stack = list(json.loads(lsblk_json or "{}").get("blockdevices") or [])
    except (ValueError, AttributeError):
        return []
    found = []
    while stack:
        node = stack.pop(0)
        if isinstance(node, dict):
            if node.get("type") == "part" and node.get("path"):
                found.append(str(node["path"]))
            stack.extend(node.get("children") or [])
    return found


def _no_partition(target: str) -> NotFound:
    return NotFound(
        _("no partition labelled {label} on {target}").format(label=DATA_LABEL, target=target),
        _(
            "write the live image to the stick first (docs/live.md); on a stick of your own "
            "make one: mkfs.ext4 -L {label} PARTITION"
        ).format(label=DATA_LABEL),
    )


@contextlib.contextmanager
def mounted_data(env: Env, target: str) -> Iterator[tuple[Path, str]]:
    """The folder of the stick's data partition: ``target`` itself when it is a folder (a mounted
    partition), else the REFURB-DATA partition of the device, mounted here for the while."""
    path = Path(target)
    if path.is_dir():
        yield path, str(path)
        return
    if not path.exists():
        raise NotFound(_("no stick or folder {target}").format(target=target))
    if not path.is_block_device():
        raise InvalidInput(
            _("{target} is neither a block device nor a folder").format(target=target)
        )
    runner = env.runner
    listing = runner.run(
        ["lsblk", "-J", "-p", "-o", "PATH,TYPE,LABEL,FSTYPE,MOUNTPOINT", target], timeout_s=30
    )
    if not listing.ok:
        raise StoreError(f"lsblk {target}: {listing.stderr.strip() or listing.returncode}")
    part = data_partition(listing.stdout, target)
    if part is None:  # lsblk reads labels from udev; without udev ask blkid to probe each one
        for dev in [target, *_partitions(listing.stdout)]:
            probe = runner.run(["blkid", "-p", "-o", "value", "-s", "LABEL", dev], timeout_s=30)
            if probe.stdout.strip() == DATA_LABEL:
                part = {"path": dev, "mountpoint": None}
                break
    if part is None:
        raise _no_partition(target)
    if part.get("mountpoint"):
        yield Path(part["mountpoint"]), str(part["path"])
        return
    if os.geteuid() != 0:
        raise Refused(
            _("mounting {part} needs root: run sudo refurb init --stick {target}").format(
                part=part["path"], target=target
            )
        )
    folder = Path(tempfile.mkdtemp(prefix="refurb-stick-"))
    done = runner.run(["mount", "-o", "noatime", str(part["path"]), str(folder)], timeout_s=60)
    if not done.ok:
        folder.rmdir()
        raise StoreError(f"mount {part['path']}: {done.stderr.strip() or done.returncode}")
    try:
        yield folder, str(part["path"])
    finally:
        os.sync()
        runner.run(["umount", str(folder)], timeout_s=120)
        with contextlib.suppress(OSError):
            folder.rmdir()


def stick_env(env: Env, home: Path) -> Env:
    """An Env whose settings, key and store are the stick's (``REFURB_HOME=home``)."""
    from refurb.env import Env

    environ = {k: v for k, v in env.environ.items() if k not in ("REFURB_DB", "REFURB_HOME")}
    environ["REFURB_HOME"] = str(home)
    return Env(
        environ=environ,
        stdin_isatty=False,
        stdout_isatty=env.stdout_isatty,
        clock=env.clock,
        runner=env.runner,
        raise_unexpected=env.raise_unexpected,
        lang=env.lang,
    )


def _copy_key(pc: Env, stick: Env) -> str:
    """The site's key pair onto the stick (0600); "copied", "same" or a refusal."""
    from refurb.keys import (
        ensure_site_key,
        fingerprint,
        load_private_key,
        private_key_path,
        public_key_path,
        raw_public_bytes,
        trusted_path,
    )

    source = ensure_site_key(pc)
    ours = load_private_key(source).public_key()
    there = private_key_path(stick)
    if there.exists():
        theirs = load_private_key(there).public_key()
        if raw_public_bytes(theirs) == raw_public_bytes(ours):
            return "same"
        raise Refused(
            _(
                "the stick carries another site's key ({fp}): certificates were signed with it"
            ).format(fp=fingerprint(theirs)),
            _("keep that stick for its site, or erase its data partition first"),
        )
    there.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(there.parent, 0o700)
    tmp = there.with_name(there.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(source.read_bytes())
    os.replace(tmp, there)
    shutil.copyfile(public_key_path(pc), public_key_path(stick))
    if trusted_path(pc).exists():  # the partner sites this one trusts
        shutil.copyfile(trusted_path(pc), trusted_path(stick))
    return "copied"


def prepare_stick(env: Env, target: str, **given: str | None) -> dict[str, Any]:
    """Put this site's settings (``given`` overriding the PC's) and key onto the stick ``target``
    (a device or the folder of its mounted data partition); make its store."""
    from refurb.config import load_config
    from refurb.keys import fingerprint, load_private_key, private_key_path
    from refurb.setup import initialize

    unknown = set(given) - set(COPIED)
    if unknown:
        raise InvalidInput(f"prepare_stick: unknown settings {sorted(unknown)}")
    pc_config = load_config(env.config_path)
    with mounted_data(env, target) as (folder, partition):
        home = folder / HOME_FOLDER
        try:
            home.mkdir(mode=0o700, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                _("cannot write to the stick's data partition {folder}: {why}").format(
                    folder=folder, why=exc.strerror or exc
                )
            ) from exc
        stick = stick_env(env, home)
        mine = load_config(stick.config_path)  # a stick keeps what was set for it before
        values = {k: given.get(k) or mine.get(k) or pc_config.get(k) or None for k in COPIED}
        key_state = _copy_key(env, stick)  # before initialize, which would make a key of its own
        result = initialize(stick, **values)
        fp = fingerprint(load_private_key(private_key_path(stick)).public_key())
    result.update(
        {
            "stick": target,
            "partition": partition,
            "home": str(home),
            "key": key_state,
            "fingerprint": fp,
        }
    )
    return result

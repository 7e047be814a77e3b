"""`refurb os record`: which operating system went on a device, proven by the image's SHA-256."""

from __future__ import annotations

from pathlib import Path

import typer

from refurb.env import Env
from refurb.i18n import _

app = typer.Typer(
    help="Record the operating system installed on a device.\n\n"
    "Example: refurb os record RF-7K3QM-X4T2A --image 'Linux Mint' --version 22.1",
    no_args_is_help=True,
)

RECORD_HELP = (
    "Record which OS was installed on a device, by whom and when. With --iso the image's "
    "SHA-256 is computed (with a progress bar); with --sums it must match the publisher's "
    "SHA256SUMS file, or nothing is recorded. --from-running reads /etc/os-release when refurb "
    "runs inside the installed system (--os-release PATH reads another one, e.g. the installed "
    "disk mounted from a live stick). Windows needs --licence (oem, digital, refurbisher, "
    "retail, volume, education, unlicensed). A tablet or phone reset to its maker's system is "
    "recorded with --factory-reset (e.g. refurb os record RF-... --factory-reset --image Android "
    "--version 14).\n\n"
    "Example: refurb os record RF-7K3QM-X4T2A --image 'Linux Mint' --version 22.1 --edition "
    "Cinnamon --iso linuxmint-22.1-cinnamon-64bit.iso --sums sha256sum.txt\n"
)


@app.command("record", help=RECORD_HELP)
def record(
    ctx: typer.Context,
    asset: str = typer.Argument(..., help="Asset id, e.g. RF-7K3QM-X4T2A (RF- may be left out)."),
    image: str | None = typer.Option(
        None, "--image", help="OS name: 'Linux Mint', 'Ubuntu', 'Windows 11', 'ChromeOS Flex'..."
    ),
    version: str | None = typer.Option(None, "--version", help="e.g. 22.1, 24.04, 23H2."),
    edition: str | None = typer.Option(
        None, "--edition", help="e.g. Cinnamon, Xfce, Home, Pro, Education."
    ),
    licence: str | None = typer.Option(
        None, "--licence", "--license", help="Licence type; required for Windows."
    ),
    iso: Path | None = typer.Option(
        None, "--iso", help="The image file that was installed: its SHA-256 is recorded."
    ),
    sums: Path | None = typer.Option(
        None, "--sums", help="The publisher's SHA256SUMS file to check --iso against."
    ),
    notes: str | None = typer.Option(
        None, "--notes", help="Drivers added, user account created, anything to know."
    ),
    from_running: bool = typer.Option(
        False, "--from-running", help="Read the OS name and version from /etc/os-release."
    ),
    os_release: Path | None = typer.Option(
        None,
        "--os-release",
        help="Read this os-release file (or the system mounted at this folder); implies "
        "--from-running.",
    ),
    factory_reset: bool = typer.Option(
        False,
        "--factory-reset",
        help="A tablet or phone was reset to its maker's system (--image and --version optional, "
        "e.g. --image Android --version 14).",
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the recorded event as JSON."),
) -> None:
    from refurb.errors import InvalidInput
    from refurb.osinstall import build_record, read_running_os
    from refurb.store import open_store

    env: Env = ctx.obj
    if sums is not None and iso is None:
        raise InvalidInput(
            _("--sums needs --iso: the image file to check"),
            _("give both, e.g. --iso mint.iso --sums sha256sum.txt"),
        )
    with open_store(env) as store:
        asset_id = store.get_device(asset).asset_id
    running = None
    if from_running or os_release is not None:
        running = read_running_os(os_release)
    # Refuse bad options before spending a minute on the hash.
    build_record(
        image=image,
        version=version,
        edition=edition,
        licence=licence,
        notes=notes,
        running=running,
        factory_reset=factory_reset,
    )
    checked = None
    if iso is not None:
        checked = _hash_with_progress(env, iso, sums)
    payload = build_record(
        image=image,
        version=version,
        edition=edition,
        licence=licence,
        notes=notes,
        iso=checked,
        running=running,
        factory_reset=factory_reset,
    )
    with open_store(env) as store:
        event = store.append(asset_id, "os_install", payload)
    if json_out:
        env.print_json({"asset_id": asset_id, "event_id": event.id, **payload})
        return
    name = " ".join(x for x in (payload["image"], payload["version"], payload["edition"]) if x)
    if factory_reset:
        name = _("factory reset") + (f" ({name})" if name else "")
    env.out.print(_("{asset}: recorded {name}").format(asset=asset_id, name=name))
    if payload["sha256"]:
        state = _("matches the SHA256SUMS list") if payload["sums_checked"] else _("not checked")
        env.out.print(f"  SHA-256 {payload['sha256']} ({state})")


def _hash_with_progress(env: Env, iso: Path, sums: Path | None) -> dict:
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    from refurb.osinstall import check_iso

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=env.err,
        transient=True,
        disable=not env.err.is_terminal,
    ) as bar:
        task = bar.add_task(_("SHA-256 of {name}").format(name=iso.name), total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return check_iso(iso, sums, progress)

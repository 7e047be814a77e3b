"""The hardware probe: what laptop is on the bench, from the live system or a captured folder.

Three entry points share one path: :func:`collect` gathers the raw material (tool outputs and
/proc, /sys files) into :class:`Sources`, :func:`build` turns any ``Sources`` into the
``refurb.probe/1`` dict of DESIGN.md, and a captured folder is just ``Sources`` written to disk.
So ``probe_from_dir(capture(...))`` gives the same probe as the live run, on any machine.

What could not be read is null, and ``warnings`` says why and how to fix it (no root, a virtual
machine, a missing tool, a corrupt file in a folder). Nothing here prints or imports typer/rich.

The parts: :mod:`.sources` (gathering and captured folders), :mod:`.build` and
:mod:`.peripherals` (the dict), :mod:`.record` (the asset). This module holds the three entry
points and re-exports the names callers used when the probe was one module.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from refurb.errors import InvalidInput
from refurb.i18n import _
from refurb.probe.build import (
    LIST_SECTIONS,
    SCHEMA,
    SECTIONS,
    _disk,
    build,
    is_empty,
)
from refurb.probe.record import (
    find_asset,
    find_match,
    identity_text,
    no_match_error,
    record,
)
from refurb.probe.sources import (
    CPU_MAX_FREQ,
    DMI_ID,
    DMI_ID_FILES,
    EFI_MARKER,
    FILES,
    MANIFEST,
    SECURE_BOOT_VAR,
    Sources,
    _is_root,
    collect,
    read_sources,
    write_sources,
)
from refurb.specs import (
    cpu_name,
    disk_health,
    disk_kind,
    screen_inches,
    summary,
    vendor_name,
)

if TYPE_CHECKING:
    from refurb.env import Env

__all__ = [
    "CPU_MAX_FREQ",
    "DMI_ID",
    "DMI_ID_FILES",
    "EFI_MARKER",
    "FILES",
    "LIST_SECTIONS",
    "MANIFEST",
    "SCHEMA",
    "SECTIONS",
    "SECURE_BOOT_VAR",
    "Sources",
    "_disk",
    "_is_root",
    "build",
    "capture",
    "collect",
    "cpu_name",
    "disk_health",
    "disk_kind",
    "find_asset",
    "find_match",
    "identity_text",
    "is_empty",
    "no_match_error",
    "probe_from_dir",
    "probe_live",
    "read_sources",
    "record",
    "screen_inches",
    "summary",
    "vendor_name",
    "write_sources",
]


def probe_live(env: Env, root: Path | str = "/") -> dict[str, Any]:
    """Probe the machine refurb runs on."""
    return build(collect(env, root))


# -- captured folders ----------------------------------------------------------------------------


def capture(env: Env, folder: Path | str, root: Path | str = "/") -> dict[str, Any]:
    """Probe the live system, save the raw outputs in ``folder``, and return the probe.

    The folder must be new or empty: files of an earlier capture would mix with this one's.
    """
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise InvalidInput(
            _("{folder} already exists and is not empty").format(folder=folder),
            _("give a new folder for each laptop, e.g. {example}").format(
                example=folder.with_name(folder.name + "-2")
            ),
        )
    src = collect(env, root)
    write_sources(src, folder)
    return build(src)


def probe_from_dir(folder: Path | str) -> dict[str, Any]:
    """The probe of a captured folder; :class:`InvalidInput` if it holds nothing usable."""
    src = read_sources(folder)
    probe = build(src)
    if is_empty(probe):
        problems = "; ".join(probe["warnings"][:3])
        raise InvalidInput(
            _("{folder}: nothing usable in it ({problems})").format(
                folder=folder, problems=problems
            ),
            _("give the folder written by `refurb probe --capture DIR`"),
        )
    return probe


# -- recording a probe on an asset ----------------------------------------------------------------

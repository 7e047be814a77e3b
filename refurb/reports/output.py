"""Where a report or an export goes: the format from ``--format`` or the file's extension, and a
file written whole or not at all (a temporary file beside it, renamed when complete)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from refurb.errors import InvalidInput
from refurb.i18n import _

EXTENSIONS = {
    ".csv": "csv",
    ".json": "json",
    ".xlsx": "xlsx",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".txt": "table",
}


def choose_format(fmt: str | None, out: Path | None, allowed: tuple[str, ...], default: str) -> str:
    """The format asked for, else the one the --out file's extension names, else ``default``."""
    if fmt:
        name = fmt.strip().lower()
        if name not in allowed:
            raise InvalidInput(
                _("unknown format {name!r}").format(name=fmt),
                _("formats: {names}").format(names=", ".join(allowed)),
            )
        return name
    if out is not None:
        name = EXTENSIONS.get(out.suffix.lower())
        if name is None or name not in allowed:
            raise InvalidInput(
                _("cannot tell the format from {file}").format(file=out.name),
                _("use an extension ({exts}) or --format").format(
                    exts=", ".join(e for e, f in EXTENSIONS.items() if f in allowed)
                ),
            )
        return name
    return default


def check_target(out: Path) -> None:
    """Refuse before any work a file whose folder does not exist or that is a folder."""
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise InvalidInput(
            _("the folder {folder} does not exist").format(folder=folder),
            _("create it first, or choose another --out"),
        )
    if out.is_dir():
        raise InvalidInput(_("{path} is a folder, not a file").format(path=out))


@contextlib.contextmanager
def atomic_path(out: Path) -> Iterator[Path]:
    """A temporary path in the target's folder, moved onto ``out`` only when the block ends well."""
    check_target(out)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent or ".")
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, out)
    except OSError as exc:
        raise InvalidInput(
            _("cannot write {path}: {why}").format(path=out, why=exc.strerror or exc)
        ) from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


@contextlib.contextmanager
def atomic_text(out: Path | IO[str]) -> Iterator[IO[str]]:
    """A text file written atomically, or an open stream (stdout) written as it is."""
    if not isinstance(out, Path):
        yield out
        return
    with atomic_path(out) as tmp, tmp.open("w", encoding="utf-8", newline="") as fh:
        yield fh

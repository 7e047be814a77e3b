"""Moving many devices at once (`refurb status --batch B` / `--from-file F`): all or none."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from refurb.errors import InvalidInput, NotFound
from refurb.i18n import _

if TYPE_CHECKING:
    from refurb.models import Event
    from refurb.store import Store


def assets_from_file(path: Path) -> list[str]:
    """Asset ids, one a line; blank lines and ``#`` comments are left out."""
    try:
        text = path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError as exc:
        raise NotFound(
            _("cannot read {file}: {reason}").format(file=path, reason=exc.strerror or exc)
        ) from exc
    assets = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            assets.append(line)
    if not assets:
        raise InvalidInput(_("{file} lists no asset ids").format(file=path))
    return assets


def move_many(
    store: Store,
    target: str,
    *,
    batch: str | None = None,
    assets: list[str] | None = None,
    reason: str | None = None,
) -> list[Event]:
    """Move the batch's devices and/or the listed ones to ``target``; refused moves stop all."""
    wanted = list(assets or [])
    if batch:
        in_batch = [d.asset_id for d in store.list_devices(batch=batch)]
        if not in_batch:
            raise NotFound(_("no device in batch {batch}").format(batch=batch))
        wanted += in_batch
    return store.set_status_many(wanted, target, reason)

"""The site's settings: a small TOML file, readable by its owner only (it may hold a DB URL)."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from refurb.errors import InvalidInput, StoreError
from refurb.i18n import _

DEFAULTS: dict[str, Any] = {
    "site": "",
    "contact": "",
    "operator": "",
    "lang": "",
    "inventory": "",
    "label_url": "",
}


def _text(value: Any) -> str | None:
    """A setting typed by hand: text, or nothing (a number where a name belongs is no name)."""
    if isinstance(value, str):
        return value.strip() or None
    return None


@dataclass(frozen=True)
class Settings:
    """The site's settings as the code reads them: typed, with unknown keys kept for their owners.

    ``config.toml`` is edited by hand, so a value of the wrong type counts as unset here rather
    than surfacing later as an unexpected error.
    """

    site: str | None = None
    lang: str | None = None
    inventory: str | None = None
    label_url: str | None = None
    workstation: str | None = None
    contact: str | None = None  # how donors reach the site, on certificates
    operator: str | None = None  # who answers for this bench's erasures, on certificates
    raw: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        return cls(
            site=_text(data.get("site")),
            lang=_text(data.get("lang")),
            inventory=_text(data.get("inventory")),
            label_url=_text(data.get("label_url")),
            workstation=_text(data.get("workstation")),
            contact=_text(data.get("contact")),
            operator=_text(data.get("operator")),
            raw=dict(data),
        )

    def get(self, key: str, default: Any = None) -> Any:
        """A setting without a typed field (a site's own factors or templates)."""
        return self.raw.get(key, default)


def load_config(path: Path) -> dict[str, Any]:
    """The config merged over the defaults; a missing file is simply the defaults."""
    data = dict(DEFAULTS)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return data
    except OSError as exc:
        raise StoreError(
            _("cannot read config {path}: {reason}").format(path=path, reason=exc.strerror)
        ) from exc
    try:
        data.update(tomllib.loads(raw.decode("utf-8")))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            _("config {path} is not valid TOML: {reason}").format(path=path, reason=exc),
            _("fix the file, or delete it and run `refurb init` again"),
        ) from exc
    return data


def save_config(path: Path, data: dict[str, Any]) -> None:
    """Write atomically with mode 0600: a half-written or world-readable config never exists."""
    import tomli_w

    clean = {k: v for k, v in data.items() if v is not None}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".toml.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            tomli_w.dump(clean, fh)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except OSError as exc:
        raise StoreError(
            _("cannot write config {path}: {reason}").format(path=path, reason=exc.strerror or exc),
            _("check that the refurb folder is writable, or set REFURB_HOME to another folder"),
        ) from exc

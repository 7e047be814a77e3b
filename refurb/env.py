"""The environment a command runs in, injectable so tests need no globals (httpie's Environment).

Holds the consoles, whether we talk to a terminal, the home directories, the clock, the command
runner and the chosen language. The CLI builds one per invocation; tests pass their own.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from refurb.config import Settings
    from refurb.runner import Runner


def _login_name() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


def _default_runner() -> Runner:
    from refurb.runner import Runner

    return Runner()


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Env:
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    stdin_isatty: bool | None = None
    stdout_isatty: bool | None = None
    clock: Callable[[], datetime] = _utc_now
    runner: Runner = field(default_factory=lambda: _default_runner())
    db_url: str | None = None
    debug: bool = False
    # Tests set this: an unexpected exception (a crash, not a RefurbError) escapes the boundary
    # with its traceback instead of becoming exit 1, so a crash fails the test that met it.
    raise_unexpected: bool = False
    lang: str | None = None
    # Filled by the CLI from config/options; the core reads them from here.
    extra: dict[str, Any] = field(default_factory=dict)
    _settings: Settings | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.stdin_isatty is None:
            self.stdin_isatty = sys.stdin.isatty() if sys.stdin else False
        if self.stdout_isatty is None:
            self.stdout_isatty = sys.stdout.isatty() if sys.stdout else False

    # -- directories -------------------------------------------------------------------------
    @cached_property
    def home(self) -> Path | None:
        """REFURB_HOME: one folder for data and config (tests, portable USB sticks)."""
        value = self.environ.get("REFURB_HOME")
        return Path(value).expanduser() if value else None

    @property
    def data_dir(self) -> Path:
        if self.home is not None:
            return self.home
        from platformdirs import user_data_path

        return user_data_path("refurb", appauthor=False)

    @property
    def config_dir(self) -> Path:
        if self.home is not None:
            return self.home
        from platformdirs import user_config_path

        return user_config_path("refurb", appauthor=False)

    @property
    def config_path(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def default_db_url(self) -> str:
        return f"sqlite:///{self.data_dir / 'refurb.db'}"

    @property
    def database_url(self) -> str:
        return self.db_url or self.environ.get("REFURB_DB") or self.default_db_url

    # -- settings ----------------------------------------------------------------------------
    def apply_settings(self, lang: str | None = None) -> None:
        """Read the site config and choose this invocation's language (explicit choice first).

        An unreadable config is no reason to refuse every command: it counts as empty here,
        and the commands that write it report it.
        """
        from refurb.config import Settings, load_config
        from refurb.errors import RefurbError
        from refurb.i18n import resolve_language, set_language

        try:
            config = load_config(self.config_path)
        except RefurbError:
            config = {}
        self.extra["config"] = config
        self._settings = Settings.from_dict(config)
        configured = self._settings.lang  # None for `lang = 5` typed by hand
        self.lang = resolve_language(lang or self.lang or configured or None, self.environ)
        set_language(self.lang)

    @property
    def settings(self) -> Settings:
        """This invocation's settings, read once (an unreadable file counts as empty)."""
        from refurb.config import Settings

        if self._settings is None:
            from refurb.config import load_config
            from refurb.errors import RefurbError

            try:
                self._settings = Settings.from_dict(load_config(self.config_path))
            except RefurbError:
                self._settings = Settings()
        return self._settings

    # -- people and places -------------------------------------------------------------------
    @property
    def actor(self) -> str:
        return (
            self.environ.get("REFURB_ACTOR")
            or self.environ.get("SUDO_USER")
            or self.environ.get("USER")
            or _login_name()
        )

    def now(self) -> datetime:
        return self.clock()

    # -- output (the CLI side only; the core never touches these) ----------------------------
    @cached_property
    def out(self) -> Console:
        from rich.console import Console

        return Console(file=sys.stdout, highlight=False, soft_wrap=False)

    @cached_property
    def err(self) -> Console:
        from rich.console import Console

        return Console(file=sys.stderr, highlight=False, soft_wrap=True)

    def print_json(self, data: Any) -> None:
        """Plain JSON on stdout, one document, for scripts."""
        import json

        # \u escapes when the terminal cannot show a donor's name (an emoji on a latin-1 locale)
        plain = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "") != "utf8"
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=plain, default=str) + "\n")

"""Shared test fixtures: a temporary REFURB_HOME per test, an in-process CLI runner, PostgreSQL.

Tests that need root or PostgreSQL skip with a reason elsewhere; CI sets REFURB_REQUIRE_ROOT=1 and
REFURB_REQUIRE_PG=1 so that there they fail instead of skipping.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def refurb_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "refurb-home"
    monkeypatch.setenv("REFURB_HOME", str(home))
    monkeypatch.setenv("REFURB_ACTOR", "tester")
    for var in ("REFURB_DB", "REFURB_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.setenv("COLUMNS", "120")
    from refurb.i18n import set_language

    set_language("en")
    return home


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None

    @property
    def json(self) -> Any:
        return json.loads(self.stdout)

    def __repr__(self) -> str:  # readable assertion failures
        return (
            f"CliResult(exit={self.exit_code}, stdout={self.stdout[-2000:]!r}, "
            f"stderr={self.stderr[-2000:]!r}, exception={self.exception!r})"
        )


def invoke(*args: str, input: str | None = None, env: Any = None) -> CliResult:
    from typer.testing import CliRunner

    from refurb.cli import app
    from refurb.env import Env

    if env is None:  # as CliRunner's streams are: not a terminal
        env = Env(stdin_isatty=False, stdout_isatty=False)
    env.raise_unexpected = True  # a crash fails the test instead of looking like exit 1
    runner = CliRunner()
    result = runner.invoke(app, list(args), input=input, obj=env, catch_exceptions=True)
    exc = result.exception
    if isinstance(exc, SystemExit):
        exc = None
    return CliResult(result.exit_code, result.stdout, result.stderr, exc)


@pytest.fixture
def run_cli():
    """run_cli(*args, input=None, env=None) -> CliResult; an unexpected exception fails the test."""

    def _run(*args: str, input: str | None = None, env: Any = None, expect: int | None = None):
        result = invoke(*args, input=input, env=env)
        if result.exception is not None:
            raise result.exception
        if expect is not None:
            assert result.exit_code == expect, result
        return result

    return _run


@pytest.fixture
def initialized(run_cli, refurb_home: Path) -> Path:
    """A store created with `refurb init`."""
    run_cli("init", "--site", "Test Workshop", expect=0)
    return refurb_home


def _require(var: str) -> bool:
    return os.environ.get(var, "") not in ("", "0")


def pytest_runtest_setup(item: pytest.Item) -> None:
    is_root = hasattr(os, "geteuid") and os.geteuid() == 0
    if "root" in item.keywords and not is_root:
        if _require("REFURB_REQUIRE_ROOT"):
            pytest.fail("this test needs root and REFURB_REQUIRE_ROOT=1 is set")
        pytest.skip("needs root (loop devices, FUSE): run the tests as root")


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run, dropped afterwards."""
    base = os.environ.get("REFURB_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    try:
        import psycopg
    except ImportError:  # pragma: no cover
        if _require("REFURB_REQUIRE_PG"):
            pytest.fail("psycopg is not installed but REFURB_REQUIRE_PG=1")
        pytest.skip("psycopg is not installed")
    plain = base.replace("postgresql+psycopg://", "postgresql://")
    name = f"refurb_test_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(plain, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        if _require("REFURB_REQUIRE_PG"):
            pytest.fail(f"PostgreSQL required (REFURB_REQUIRE_PG=1) but unreachable: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {plain.split('@')[-1]}: {exc}")
    head, _, _ = base.rpartition("/")
    try:
        yield f"{head}/{name}"
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def inventory(request, tmp_path):
    """A shared inventory URL: a SQLite file on a "share", or a fresh PostgreSQL database."""
    from support_sync import pg_database

    if request.param == "sqlite":
        share = tmp_path / "share"
        share.mkdir()
        yield f"sqlite:///{share / 'inventory.db'}"
        return
    with pg_database(request.getfixturevalue("pg_server_url")) as url:
        yield url

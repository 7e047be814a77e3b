"""The store: engine, migrations, the append-only event log and the device projection.

Every change is an event appended in one transaction with its projection, chained by hash to the
previous event of the same workstation. Works on SQLite (the embedded default) and PostgreSQL.

This module opens and migrates the database; :class:`Store` is :mod:`refurb.store_read` and
:mod:`refurb.store_write`, and :mod:`refurb.store_rows` holds the row and hash encodings (all
re-exported here, as callers import them from ``refurb.store``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError, OperationalError, SQLAlchemyError
from sqlmodel import Session

from refurb.errors import InvalidInput, StoreError
from refurb.i18n import _
from refurb.store_rows import (  # noqa: F401  (re-exported: callers import them from here)
    INTAKE_KEYS,
    JSON_FIELDS,
    PayloadIn,
    _check_lengths,
    _clean_text,
    _row_values,
    canonical_json,
    event_hash,
    row_hash,
)
from refurb.store_write import StoreWrites

if TYPE_CHECKING:
    from refurb.env import Env

SCHEMA_HEAD = "0006_events"
MIGRATIONS = Path(__file__).parent / "migrations"


def _redact(url: str) -> str:
    """A database URL without its password, fit for an error message."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("@")[-1]


def sqlite_path(url: str) -> Path | None:
    """The file of a sqlite:/// URL (None for memory or another backend)."""
    if not url.startswith("sqlite"):
        return None
    path = url.split("///", 1)[1] if "///" in url else ""
    return Path(path).expanduser() if path and path != ":memory:" else None


def make_engine(url: str, *, create_folder: bool = True) -> Engine:
    """An engine for the URL; a missing SQLite folder is made (0700) only when ``create_folder``.

    A mistyped ``--db`` path must not quietly start an empty store somewhere else.
    """
    if url.startswith("sqlite"):
        db_file = sqlite_path(url)
        if db_file is not None:
            folder = db_file.parent
            if not folder.is_dir() and not create_folder:
                raise StoreError(
                    _("the folder {folder} of the store does not exist").format(folder=folder),
                    _("check the --db path, or run `refurb init` to create a store there"),
                )
            try:
                folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            except OSError as exc:
                raise StoreError(
                    _("cannot create the store folder {folder}: {reason}").format(
                        folder=folder, reason=exc.strerror or exc
                    ),
                    _("choose another place with --db sqlite:///PATH or REFURB_HOME"),
                ) from exc
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA busy_timeout = 30000")
            cur.execute("PRAGMA foreign_keys = ON")
            cur.close()

        return engine
    if url.startswith(("postgresql", "postgres")):
        if url.startswith("postgres://") or url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        try:
            return create_engine(url, connect_args={"connect_timeout": 5}, pool_pre_ping=True)
        except ImportError as exc:
            raise StoreError(
                _("PostgreSQL support is not installed"),
                "pip install 'refurb[postgres]'",
            ) from exc
    raise InvalidInput(
        _("unsupported database URL {url!r}").format(url=_redact(url)),
        _("use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB"),
    )


def _current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA schema_version").fetchall()  # fails on a non-database
            has = conn.exec_driver_sql(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'"
            ).fetchone()
        else:
            has = conn.execute(text("SELECT to_regclass('alembic_version')")).scalar()
        if not has:
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def migrate(engine: Engine) -> None:
    """Bring the schema to the head revision with Alembic (only imported when needed)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def _prepare_server(engine: Engine, url: str) -> None:
    """A store on a PostgreSQL server is an inventory: created, checked and migrated as
    `refurb sync` does it (a foreign or newer schema refused, nothing written)."""
    from refurb.errors import InventoryUnreachable
    from refurb.sync_db import connect_error, parse_url, prepare

    target = parse_url(url)
    try:
        prepare(engine, target)
    except SQLAlchemyError as exc:
        error = connect_error(exc, target)
        if isinstance(error, InventoryUnreachable):  # in the words of --db: a database
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines() or [""]
            error = InventoryUnreachable(
                _("cannot reach the database {url}: {reason}").format(
                    url=_redact(url), reason=reason[0]
                ),
                _("check that the server runs and the URL is right"),
            )
        raise error from exc


def _refuse_foreign(engine: Engine, url: str, revision: str | None) -> None:
    """Another program's SQLite file, or a newer refurb's store: refused before migrating."""
    from sqlalchemy import inspect
    from sqlalchemy.engine import make_url

    from refurb.sync_db import refuse_foreign

    with engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        refuse_foreign(conn, make_url(url), tables, revision)


def _prepare(engine: Engine, url: str) -> None:
    if engine.dialect.name != "sqlite":
        _prepare_server(engine, url)
        return
    try:
        revision = _current_revision(engine)
        if revision != SCHEMA_HEAD:
            _refuse_foreign(engine, url, revision)
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA journal_mode=WAL")
            migrate(engine)
    except OperationalError as exc:
        msg = str(exc.orig) if exc.orig is not None else str(exc)
        raise StoreError(
            _("cannot open the store {url}: {reason}").format(
                url=_redact(url), reason=msg.splitlines()[0]
            ),
            _("check the path and its permissions"),
        ) from exc
    except DatabaseError as exc:
        msg = str(exc.orig) if exc.orig is not None else str(exc)
        raise StoreError(
            _("{url} is not a usable refurb store: {reason}").format(
                url=_redact(url), reason=msg.splitlines()[0]
            ),
            _("restore it from a backup or point --db at another file"),
        ) from exc


class Store(StoreWrites):
    """One invocation's view of the store: reads (``store_read``) and writes (``store_write``)."""

    def __init__(self, engine: Engine, env: Env, workstation: str) -> None:
        self.engine = engine
        self.env = env
        self.workstation = workstation
        self.session = Session(engine, expire_on_commit=False)

    def close(self) -> None:
        self.session.close()
        self.engine.dispose()


def workstation_id(env: Env) -> str:
    """This machine's workstation id, kept in the config (made on first use)."""
    from refurb.config import load_config, save_config

    known = env.settings.workstation  # read once per invocation
    if known:
        return known
    config = load_config(env.config_path)
    value = config.get("workstation")
    if not value:
        value = str(uuid.uuid4())
        config["workstation"] = value
        save_config(env.config_path, config)
    return str(value)


def _make_private(url: str, data_dir: Path) -> None:
    """The SQLite file holds donor names: readable by its owner only (WAL files follow it),
    in refurb's own folder closed to others (0700)."""
    db_file = sqlite_path(url)
    if db_file is None:
        return
    try:
        if db_file.parent == data_dir and db_file.parent.stat().st_mode & 0o077:
            db_file.parent.chmod(0o700)
        if db_file.stat().st_mode & 0o077 and db_file.owner() == _user_name():
            db_file.chmod(0o600)
    except (OSError, KeyError):
        pass  # a shared file we do not own keeps the mode its owner gave it


def _user_name() -> str:
    import pwd

    return pwd.getpwuid(os.geteuid()).pw_name


@contextmanager
def open_store(env: Env, *, create: bool = False) -> Iterator[Store]:
    """The store for this invocation, migrated on first use.

    The embedded default is created where it belongs; a store at an explicit ``--db`` path is
    created only by ``refurb init`` (``create``), so a typo in a path is an error, not a new store.
    """
    url = env.database_url
    engine = make_engine(url, create_folder=create or url == env.default_db_url)
    store: Store | None = None
    try:
        _prepare(engine, url)
        _make_private(url, env.data_dir)
        store = Store(engine, env, workstation_id(env))
        yield store
    except SQLAlchemyError as exc:
        if isinstance(exc, OperationalError) and engine.dialect.name != "sqlite":
            from refurb.errors import InventoryUnreachable

            raise InventoryUnreachable(
                _("lost the database {url}: {reason}").format(
                    url=_redact(url), reason=str(exc.orig).splitlines()[0]
                ),
                _("check that the server runs and the URL is right"),
            ) from exc
        raise StoreError(
            _("store error: {reason}").format(reason=str(getattr(exc, "orig", exc)).splitlines()[0])
        ) from exc
    finally:
        if store is not None:
            store.close()
        else:
            engine.dispose()

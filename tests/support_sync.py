"""Sync test helpers: benches with their own homes, inventories, a server that refuses logins."""

from __future__ import annotations

import socket
import struct
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from refurb.env import Env


class Bench:
    """One workbench: its own REFURB_HOME (store, settings, workstation id) and clock."""

    def __init__(self, root: Path, name: str, start: datetime | None = None) -> None:
        self.home = root / name
        self.name = name
        self.now = start or datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    def tick(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now

    def env(self, **extra: Any) -> Env:
        environ = {"REFURB_HOME": str(self.home), "REFURB_ACTOR": self.name, "LANG": "C.UTF-8"}
        return Env(environ=environ, clock=self.tick, **extra)

    @property
    def url(self) -> str:
        return f"sqlite:///{self.home / 'refurb.db'}"


def plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def rows(url: str, table: str, order: str) -> list[dict[str, Any]]:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            result = conn.execute(text(f"SELECT * FROM {table} ORDER BY {order}"))  # noqa: S608
            return [dict(r._mapping) for r in result]
    finally:
        engine.dispose()


def devices(url: str) -> list[dict[str, Any]]:
    return rows(url, "devices", "asset_id")


def events(url: str) -> list[dict[str, Any]]:
    found = rows(url, "events", "workstation, ws_seq")
    for ev in found:
        ev.pop("seq")  # each database's own insertion order
    return found


@contextmanager
def pg_database(server_url: str) -> Iterator[str]:
    """A fresh, empty database on the test server (each inventory test wants its own)."""
    import psycopg

    head, _, _ = server_url.rpartition("/")
    name = f"refurb_sync_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(plain(server_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{head}/{name}"
    finally:
        with psycopg.connect(plain(server_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class RefusingServer:
    """Speaks just enough of the PostgreSQL protocol to ask for a password and refuse it,
    as a server does on a wrong password (SQLSTATE 28P01). Records the passwords it got."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.passwords: list[str] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return
            with conn, suppress(OSError, struct.error):
                self._one(conn)

    @staticmethod
    def _read(conn: socket.socket, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = conn.recv(n - len(data))
            if not chunk:
                raise OSError("closed")
            data += chunk
        return data

    def _one(self, conn: socket.socket) -> None:
        while True:
            (length,) = struct.unpack("!I", self._read(conn, 4))
            body = self._read(conn, length - 4)
            code = struct.unpack("!I", body[:4])[0]
            if code in (80877103, 80877104):  # SSLRequest, GSSENCRequest: not here
                conn.sendall(b"N")
                continue
            break
        conn.sendall(b"R" + struct.pack("!II", 8, 3))  # AuthenticationCleartextPassword
        kind = self._read(conn, 1)
        (length,) = struct.unpack("!I", self._read(conn, 4))
        body = self._read(conn, length - 4)
        if kind == b"p":
            self.passwords.append(body.rstrip(b"\0").decode())
        fields = b'SFATAL\0VFATAL\0C28P01\0Mpassword authentication failed for user "bench"\0\0'
        conn.sendall(b"E" + struct.pack("!I", len(fields) + 4) + fields)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://bench@127.0.0.1:{self.port}/inventory"

    def close(self) -> None:
        self.sock.close()


def grow(bench: Bench, n: int, devices: int = 20) -> None:
    """Add ``n`` chained note events to a bench quickly (the store's own append is one
    transaction per call, far too slow for tens of thousands in a test)."""
    from sqlalchemy import update

    from refurb.store import canonical_json, event_hash, open_store
    from refurb.sync_db import (
        STATIONS,
        _insert_events,
        heads,
        open_engine,
        parse_url,
        refold,
        writing,
    )

    with open_store(bench.env()) as store:
        assets = [d.asset_id for d in store.intake_many([{} for _ in range(devices)])]
        ws = store.workstation
    engine = open_engine(parse_url(bench.url), shared=False)
    try:
        with writing(engine) as conn:
            head = heads(conn)[ws]
            seq, digest = head.seq, head.hash
            new = []
            for i in range(n):
                fields = {
                    "id": str(uuid.uuid4()),
                    "asset_id": assets[i % devices],
                    "kind": "note",
                    "payload": canonical_json({"text": f"note {i}"}),
                    "actor": bench.name,
                    "workstation": ws,
                    "ws_seq": seq + 1,
                    "created_at": bench.tick().isoformat(timespec="microseconds"),
                    "prev_hash": digest,
                }
                fields["hash"] = event_hash(**fields)
                new.append(fields)
                seq, digest = fields["ws_seq"], fields["hash"]
            _insert_events(conn, new, None)
            conn.execute(
                update(STATIONS)
                .where(STATIONS.c.id == ws)
                .values(last_ws_seq=seq, last_hash=digest)
            )
            refold(conn, new)
    finally:
        engine.dispose()


def one_line(result, status: int = 1) -> str:
    assert result.exit_code == status, result
    lines = result.stderr.strip("\n").splitlines()
    assert lines and lines[0].startswith("refurb: error: "), result
    assert len(lines) <= 2 and "Traceback" not in result.stderr, result
    return lines[0]

"""The simulator's memory, in its own SQLite file: what it was sent, what it decided, which
callbacks Sijill has taken. Kept on disk so that stopping it mid-batch loses nothing."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS batch (batch_key TEXT PRIMARY KEY, received_at REAL NOT NULL, files INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS file (
    file_id TEXT PRIMARY KEY,
    batch_key TEXT NOT NULL,
    programme TEXT,
    applicant_idcs TEXT,
    received_at REAL NOT NULL,
    outcome TEXT,
    reference TEXT,
    reason TEXT,
    decided_at REAL,
    delivered_at REAL,
    delivery_status INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS ix_file_undecided ON file (decided_at, received_at);
CREATE INDEX IF NOT EXISTS ix_file_undelivered ON file (delivered_at, next_attempt_at);
"""


class Store:
    def __init__(self, path: Path) -> None:
        self._connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._connection.execute("PRAGMA journal_mode=WAL")
        self._connection.executescript(_SCHEMA)
        self._lock = threading.Lock()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._connection.execute("BEGIN IMMEDIATE")
            try:
                yield self._connection
                self._connection.execute("COMMIT")
            except BaseException:
                self._connection.execute("ROLLBACK")
                raise

    def take_batch(self, batch_key: str, files: list[dict[str, Any]], now: float) -> int:
        """Store a batch; a batch or file seen before is kept as it was. Returns the new files."""
        with self._transaction() as db:
            db.execute("INSERT OR IGNORE INTO batch VALUES (?, ?, ?)", (batch_key, now, len(files)))
            before = db.total_changes
            db.executemany(
                "INSERT OR IGNORE INTO file (file_id, batch_key, programme, applicant_idcs, received_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [(f["file_id"], batch_key, f.get("programme"), f.get("applicant_idcs"), now) for f in files],
            )
            return db.total_changes - before

    def undecided(self, older_than: float, limit: int = 500) -> list[tuple[str, str | None]]:
        with self._lock:
            rows = self._connection.execute(
                "SELECT file_id, applicant_idcs FROM file WHERE decided_at IS NULL AND received_at <= ? "
                "ORDER BY received_at LIMIT ?",
                (older_than, limit),
            ).fetchall()
        return [(r[0], r[1]) for r in rows]

    def decide(self, decisions: list[tuple[str, str, str | None, str | None]], now: float) -> None:
        with self._transaction() as db:
            db.executemany(
                "UPDATE file SET outcome = ?, reference = ?, reason = ?, decided_at = ? "
                "WHERE file_id = ? AND decided_at IS NULL",
                [(outcome, reference, reason, now, file_id) for file_id, outcome, reference, reason in decisions],
            )

    def to_deliver(self, now: float, limit: int = 200) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._connection.execute(
                "SELECT file_id, outcome, reference, reason, attempts FROM file "
                "WHERE decided_at IS NOT NULL AND delivered_at IS NULL AND next_attempt_at <= ? "
                "ORDER BY decided_at LIMIT ?",
                (now, limit),
            ).fetchall()
        keys = ("file_id", "outcome", "reference", "reason", "attempts")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def delivered(self, file_id: str, status: int, now: float) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE file SET delivered_at = ?, delivery_status = ? WHERE file_id = ?", (now, status, file_id)
            )

    def retry_later(self, file_id: str, attempts: int, at: float) -> None:
        with self._transaction() as db:
            db.execute("UPDATE file SET attempts = ?, next_attempt_at = ? WHERE file_id = ?", (attempts, at, file_id))

    def file(self, file_id: str) -> dict[str, Any] | None:
        with self._lock:
            cursor = self._connection.execute("SELECT * FROM file WHERE file_id = ?", (file_id,))
            row = cursor.fetchone()
            names = [c[0] for c in cursor.description]
        return dict(zip(names, row, strict=True)) if row else None

    def counts(self) -> dict[str, int]:
        with self._lock:
            row = self._connection.execute(
                "SELECT count(*), count(decided_at), count(delivered_at) FROM file"
            ).fetchone()
        return {"files": row[0], "decided": row[1], "delivered": row[2]}

"""The shared status field: one short text per citizen that all sectors read and write.

Kept in a small SQLite file beside the read-only warehouse (``<state_dir>/state/citizen.sqlite``).
Every write is kept (who, organisation, when), so the history can be shown; the newest is the
current status.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from klynge.contracts import CPR_PATTERN

MAX_STATUS_CHARS = 2000
_CPR = re.compile(CPR_PATTERN)


@contextmanager
def _connect(path: Path) -> Iterator[sqlite3.Connection]:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE IF NOT EXISTS status (id INTEGER PRIMARY KEY AUTOINCREMENT, person_id TEXT NOT NULL,"
                   " text TEXT NOT NULL, user TEXT NOT NULL, organisation TEXT NOT NULL, role TEXT NOT NULL,"
                   " at TEXT NOT NULL)")
        db.execute("CREATE INDEX IF NOT EXISTS status_person ON status(person_id, id)")
        yield db
    finally:
        db.close()


class StatusStore:
    """Read and write the shared status of citizens.

    Examples
    --------
    >>> store = StatusStore(tmp)  # doctest: +SKIP
    >>> store.write("P0-1", "Udskrevet, hjemmepleje genoptaget", principal)  # doctest: +SKIP
    """

    def __init__(self, state_dir: Path | str) -> None:
        self.path = Path(state_dir) / "state" / "citizen.sqlite"
        with _connect(self.path):
            pass

    def write(self, person_id: str, text: str, principal) -> dict:
        """Set the status; refuses empty or too long text and text containing a CPR number."""
        text = text.strip()
        if not text:
            raise ValueError("the status text is empty")
        if len(text) > MAX_STATUS_CHARS:
            raise ValueError(f"the status text is longer than {MAX_STATUS_CHARS} characters")
        if _CPR.search(text):
            raise ValueError("the status text must not contain a CPR number")
        at = datetime.now(UTC).isoformat(timespec="seconds")
        with _connect(self.path) as db:
            db.execute("INSERT INTO status (person_id, text, user, organisation, role, at) VALUES (?, ?, ?, ?, ?, ?)",
                       (person_id, text, principal.user, principal.organisation, principal.role.value, at))
        return {"text": text, "user": principal.user, "organisation": principal.organisation,
                "role": principal.role.value, "at": at}

    def history(self, person_id: str, limit: int = 20) -> list[dict]:
        """The newest ``limit`` statuses, newest first."""
        with _connect(self.path) as db:
            rows = db.execute("SELECT text, user, organisation, role, at FROM status WHERE person_id = ? "
                              "ORDER BY id DESC LIMIT ?", (person_id, limit)).fetchall()
        return [dict(zip(("text", "user", "organisation", "role", "at"), r, strict=True)) for r in rows]

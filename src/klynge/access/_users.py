"""Users, password hashing (argon2id), session tokens and throttling of failed logins.

Everything lives in a small SQLite file beside the read-only warehouse
(``<state_dir>/state/access.sqlite``). Passwords are stored as argon2id hashes only; session
tokens are random and stored as SHA-256 hashes, so a copy of the file gives no live session.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from klynge.access._roles import Principal, Role

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    user TEXT PRIMARY KEY, role TEXT NOT NULL, organisation TEXT NOT NULL,
    password_hash TEXT, active INTEGER NOT NULL DEFAULT 1, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY, user TEXT NOT NULL, created REAL NOT NULL, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS failed_logins (user TEXT NOT NULL, client TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS failed_by_user ON failed_logins(user, at);
CREATE INDEX IF NOT EXISTS failed_by_client ON failed_logins(client, at);
CREATE TABLE IF NOT EXISTS consent_blocks (
    id INTEGER PRIMARY KEY AUTOINCREMENT, person_id TEXT NOT NULL, direction TEXT NOT NULL,
    kind TEXT NOT NULL, value TEXT NOT NULL, note TEXT, created_by TEXT NOT NULL, created REAL NOT NULL,
    revoked REAL);
CREATE INDEX IF NOT EXISTS consent_person ON consent_blocks(person_id);
CREATE TABLE IF NOT EXISTS overrides (
    id INTEGER PRIMARY KEY AUTOINCREMENT, person_id TEXT NOT NULL, user TEXT NOT NULL,
    organisation TEXT NOT NULL, reason TEXT NOT NULL, at REAL NOT NULL, audit_seq INTEGER,
    reviewed_by TEXT, reviewed REAL, review_note TEXT);
"""

# Password hashing: argon2id with the library's (RFC 9106 low-memory) defaults.
_HASHER = PasswordHasher()


def state_path(state_dir: Path | str) -> Path:
    """``<state_dir>/state/access.sqlite``."""
    return Path(state_dir) / "state" / "access.sqlite"


@contextmanager
def connect(path: Path) -> Iterator[sqlite3.Connection]:
    """An autocommit connection to the state file, closed on exit."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(SCHEMA)
        yield db
    finally:
        db.close()


class LoginThrottled(Exception):
    """Too many failed logins for this user or client; ``retry_after`` seconds to wait."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins; try again in {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Throttle:
    """At most ``max_failures`` failed logins per user and per client within ``window_s`` seconds."""

    max_failures: int = 5
    window_s: int = 900


@dataclass(frozen=True)
class Session:
    """A logged-in session: the raw token (given to the client once) and its principal."""

    token: str
    principal: Principal
    expires: float


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class UserStore:
    """Users with one role and organisation each, their sessions and failed logins.

    Examples
    --------
    >>> users = UserStore(tmp)  # doctest: +SKIP
    >>> users.add("anna", Role.CLINICIAN, "municipality:461", "a long password")  # doctest: +SKIP
    >>> users.login("anna", "a long password").principal.role  # doctest: +SKIP
    <Role.CLINICIAN: 'clinician'>
    """

    def __init__(self, state_dir: Path | str, throttle: Throttle = Throttle(),
                 session_hours: float = 8.0) -> None:
        self.path = state_path(state_dir)
        self.throttle = throttle
        self.session_s = session_hours * 3600
        with connect(self.path):
            pass

    def _db(self):
        return connect(self.path)

    def add(self, user: str, role: Role | str, organisation: str, password: str | None) -> Principal:
        """Create or replace a user. ``password`` None makes an account for OIDC sign-in only."""
        principal = Principal(user, Role(role), organisation)
        if password is not None and len(password) < 12:
            raise ValueError("a password must have at least 12 characters")
        hashed = _HASHER.hash(password) if password is not None else None
        with self._db() as db:
            db.execute("INSERT OR REPLACE INTO users VALUES (?, ?, ?, ?, 1, ?)",
                       (user, principal.role.value, organisation, hashed, time.time()))
        return principal

    def get(self, user: str) -> Principal | None:
        with self._db() as db:
            row = db.execute("SELECT user, role, organisation FROM users WHERE user = ? AND active = 1",
                             (user,)).fetchone()
        return None if row is None else Principal(row[0], Role(row[1]), row[2])

    def list(self) -> list[Principal]:
        with self._db() as db:
            rows = db.execute("SELECT user, role, organisation FROM users WHERE active = 1 ORDER BY user").fetchall()
        return [Principal(u, Role(r), o) for u, r, o in rows]

    def deactivate(self, user: str) -> None:
        with self._db() as db:
            db.execute("UPDATE users SET active = 0 WHERE user = ?", (user,))
            db.execute("DELETE FROM sessions WHERE user = ?", (user,))

    def _check_throttle(self, db: sqlite3.Connection, user: str, client: str, now: float) -> None:
        since = now - self.throttle.window_s
        for column, value in (("user", user), ("client", client)):
            rows = db.execute(f"SELECT at FROM failed_logins WHERE {column} = ? AND at > ? ORDER BY at",
                              (value, since)).fetchall()
            if len(rows) >= self.throttle.max_failures:
                oldest = rows[-self.throttle.max_failures][0]
                raise LoginThrottled(max(1, int(oldest + self.throttle.window_s - now) + 1))

    def login(self, user: str, password: str, client: str = "-") -> Session | None:
        """Check a password; return a new session, None when wrong, or raise :class:`LoginThrottled`."""
        now = time.time()
        with self._db() as db:
            self._check_throttle(db, user, client, now)
            row = db.execute("SELECT password_hash FROM users WHERE user = ? AND active = 1", (user,)).fetchone()
            ok = False
            if row is not None and row[0]:
                try:
                    ok = _HASHER.verify(row[0], password)
                except (VerifyMismatchError, VerificationError, InvalidHashError):
                    ok = False
            else:
                # spend the same effort on unknown users, so timing does not reveal them
                try:
                    _HASHER.verify(_DUMMY_HASH, password)
                except (VerifyMismatchError, VerificationError, InvalidHashError):
                    pass
            if not ok:
                db.execute("INSERT INTO failed_logins VALUES (?, ?, ?)", (user, client, now))
                return None
            db.execute("DELETE FROM failed_logins WHERE user = ?", (user,))
            if _HASHER.check_needs_rehash(row[0]):
                db.execute("UPDATE users SET password_hash = ? WHERE user = ?", (_HASHER.hash(password), user))
        return self.open_session(user)

    def open_session(self, user: str) -> Session:
        """Start a session for an (already authenticated) active user."""
        principal = self.get(user)
        if principal is None:
            raise KeyError("no such active user")
        token = secrets.token_urlsafe(32)
        now = time.time()
        with self._db() as db:
            db.execute("DELETE FROM sessions WHERE expires < ?", (now,))
            db.execute("INSERT INTO sessions VALUES (?, ?, ?, ?)",
                       (_token_hash(token), user, now, now + self.session_s))
        return Session(token, principal, now + self.session_s)

    def principal_for_token(self, token: str) -> Principal | None:
        """The principal of a live session token, or None."""
        if not token or len(token) > 200:
            return None
        with self._db() as db:
            row = db.execute("SELECT user FROM sessions WHERE token_hash = ? AND expires > ?",
                             (_token_hash(token), time.time())).fetchone()
        return None if row is None else self.get(row[0])

    def logout(self, token: str) -> None:
        with self._db() as db:
            db.execute("DELETE FROM sessions WHERE token_hash = ?", (_token_hash(token),))


_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))

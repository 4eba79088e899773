"""The identity store: the only place a CPR number lives in clear.

A small SQLite file beside the warehouse (``<state>/identity/identity.sqlite``, mode 0600) maps
person_id to CPR number and name. The warehouse, the logs and the audit trail hold person_ids
only; reading identity is the caller's responsibility to authorise and log.
"""

from __future__ import annotations

import os
import random
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from klynge.identity._cpr import format_cpr, mod11_ok, parse_cpr, serial_digit7_for

_SCHEMA = """
CREATE TABLE IF NOT EXISTS identity (
    person_id TEXT PRIMARY KEY,
    cpr TEXT NOT NULL UNIQUE,
    given_name TEXT,
    family_name TEXT,
    synthetic INTEGER NOT NULL DEFAULT 0
);
"""


@dataclass(frozen=True)
class Identity:
    """A citizen's identity. ``repr`` masks the CPR number."""

    person_id: str
    cpr: str
    given_name: str
    family_name: str
    synthetic: bool

    def __repr__(self) -> str:
        return f"Identity(person_id={self.person_id!r}, cpr='XXXXXX-XXXX', name=<hidden>)"

    __str__ = __repr__

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


def identity_path(state_dir: Path | str) -> Path:
    """``<state_dir>/identity/identity.sqlite``."""
    return Path(state_dir) / "identity" / "identity.sqlite"


class IdentityStore:
    """person_id <-> CPR number and name.

    Examples
    --------
    A made-up CPR number (no real person's), as in every example and test:

    >>> store = IdentityStore(identity_path(tmp))  # doctest: +SKIP
    >>> store.add("P0-1", "010190-2013", "Anna", "Hansen")  # doctest: +SKIP
    >>> store.person_id_for("0101902013")  # doctest: +SKIP
    'P0-1'
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        new = not self.path.exists()
        with self._connect() as db:
            db.executescript(_SCHEMA)
        if new:
            os.chmod(self.path, 0o600)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30)
        try:
            with db:
                yield db
        finally:
            db.close()

    def add(self, person_id: str, cpr: str, given_name: str = "", family_name: str = "",
            synthetic: bool = False) -> None:
        """Store one identity (the CPR number is validated first)."""
        digits = parse_cpr(cpr).digits
        with self._connect() as db:
            db.execute("INSERT OR REPLACE INTO identity VALUES (?, ?, ?, ?, ?)",
                       (person_id, digits, given_name, family_name, int(synthetic)))

    def add_many(self, rows: Iterable[tuple[str, str, str, str, bool]]) -> int:
        """Store many ``(person_id, cpr digits, given, family, synthetic)`` rows; returns the count."""
        rows = list(rows)
        with self._connect() as db:
            db.executemany("INSERT OR REPLACE INTO identity VALUES (?, ?, ?, ?, ?)",
                           [(p, parse_cpr(c).digits, g, f, int(s)) for p, c, g, f, s in rows])
        return len(rows)

    def get(self, person_id: str) -> Identity | None:
        """The identity of a person_id, or None."""
        with self._connect() as db:
            row = db.execute("SELECT person_id, cpr, given_name, family_name, synthetic FROM identity "
                             "WHERE person_id = ?", (person_id,)).fetchone()
        if row is None:
            return None
        return Identity(row[0], format_cpr(row[1]), row[2] or "", row[3] or "", bool(row[4]))

    def person_id_for(self, cpr: str) -> str | None:
        """The person_id of a CPR number (validated first; raises ``InvalidCPR``), or None."""
        digits = parse_cpr(cpr).digits
        with self._connect() as db:
            row = db.execute("SELECT person_id FROM identity WHERE cpr = ?", (digits,)).fetchone()
        return None if row is None else str(row[0])

    def count(self) -> int:
        with self._connect() as db:
            return int(db.execute("SELECT count(*) FROM identity").fetchone()[0])


# Fictitious names for the synthetic population (common Danish given and family names).
_GIVEN_F = ("Anna", "Ida", "Emma", "Sofie", "Karen", "Inge", "Kirsten", "Hanne", "Mette", "Lone",
            "Birgit", "Susanne", "Camilla", "Freja", "Clara", "Maja", "Else", "Grethe", "Lene", "Tove")
_GIVEN_M = ("Jens", "Peter", "Lars", "Søren", "Niels", "Henrik", "Anders", "Poul", "Mads", "Frederik",
            "Oliver", "William", "Carl", "Erik", "Hans", "Jørgen", "Mikkel", "Rasmus", "Thomas", "Ole")
_FAMILY = ("Nielsen", "Jensen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen",
           "Rasmussen", "Jørgensen", "Petersen", "Madsen", "Kristensen", "Olsen", "Thomsen",
           "Christiansen", "Poulsen", "Johansen", "Møller", "Mortensen")


def synthetic_cpr(born: date, sex: str, rng: random.Random, taken: set[str]) -> str:
    """A fictitious CPR number consistent with ``born`` and ``sex``.

    Digit 7 is drawn so that the century rule gives the birth year, digit 10 is odd for men and
    even for women, and the number deliberately fails the modulus-11 check (so it is not one of
    the numbers issued before 2007).
    """
    d7s = serial_digit7_for(born)
    if not d7s:
        raise ValueError("no CPR century encodes this birth year")
    head = born.strftime("%d%m%y")
    for _ in range(10_000):
        d10 = rng.choice((1, 3, 5, 7, 9) if sex == "M" else (0, 2, 4, 6, 8))
        digits = f"{head}{rng.choice(d7s)}{rng.randrange(100):02d}{d10}"
        if digits not in taken and not mod11_ok(digits):
            taken.add(digits)
            return digits
    raise RuntimeError("ran out of serial numbers for one birth date")


def synthesise_identities(persons: Iterable[tuple[str, date, str]], seed: int = 1):
    """Fictitious ``(person_id, cpr digits, given, family, True)`` rows for ``(person_id, birth, sex)``."""
    rng = random.Random(seed)
    taken: set[str] = set()
    for person_id, born, sex in persons:
        digits = synthetic_cpr(born, sex, rng, taken)
        given = rng.choice(_GIVEN_M if sex == "M" else _GIVEN_F)
        yield person_id, digits, given, rng.choice(_FAMILY), True


def synthesise_identity_store(con, state_dir: Path | str, seed: int = 1) -> IdentityStore:
    """Fill the identity store of ``state_dir`` with fictitious identities for every person of a warehouse."""
    df = con.con.sql("SELECT person_id, birth_date, sex FROM input__person ORDER BY person_id").fetchall()
    store = IdentityStore(identity_path(state_dir))
    store.add_many(synthesise_identities(df, seed=seed))
    return store

"""Consent: a citizen's blocks on sharing, and the emergency override (værdispring).

Two kinds of block (Sundhedsloven §41-42a, the citizen may "frabede sig"):

* ``source`` blocks: data *from* a sector (``hospital``, ``municipality``, ``gp``) or a party
  (``hospital:SGH08``, ``gp:376001``, ``municipality:461``) are not shared with anyone outside
  it. They are honoured in the record assembly, so every path (page, API, export, search) respects
  them.
* ``viewer`` blocks: a sector or party may not look at the citizen's record at all.

An emergency override (værdispring, §41 stk. 2 nr. 4) lifts both for one look: it needs a typed
reason, is always written to the audit log and is kept in a review queue for the data steward.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from klynge.access._users import connect, state_path

SECTORS = ("hospital", "municipality", "gp")
DIRECTIONS = ("source", "viewer")
MIN_REASON_CHARS = 10


@dataclass(frozen=True)
class Block:
    """One active block."""

    id: int
    person_id: str
    direction: str     # source | viewer
    kind: str          # sector | party
    value: str         # hospital | gp:376001 | ...
    note: str

    def matches(self, sector: str | None, party: str | None) -> bool:
        """Whether data (or a viewer) of this sector/party fall under the block."""
        if self.kind == "sector":
            return sector == self.value
        if party is None:
            return False
        # a region block covers its hospitals only through explicit parties; exact match otherwise
        return party == self.value


@dataclass(frozen=True)
class Override:
    id: int
    person_id: str
    user: str
    organisation: str
    reason: str
    at: float
    audit_seq: int | None
    reviewed_by: str | None
    review_note: str | None


def _validate(direction: str, kind: str, value: str) -> None:
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}")
    if kind == "sector":
        if value not in SECTORS:
            raise ValueError(f"a sector block names one of {SECTORS}")
    elif kind == "party":
        head, sep, ident = value.partition(":")
        if not sep or head not in ("hospital", "municipality", "gp", "region") or not ident:
            raise ValueError("a party block names an organisation as 'kind:id'")
    else:
        raise ValueError("kind must be 'sector' or 'party'")


class ConsentStore:
    """Blocks and overrides, stored beside the users (``<state_dir>/state/access.sqlite``)."""

    def __init__(self, state_dir: Path | str) -> None:
        self.path = state_path(state_dir)
        with connect(self.path):
            pass

    def add_block(self, person_id: str, direction: str, kind: str, value: str, *, created_by: str,
                  note: str = "") -> Block:
        _validate(direction, kind, value)
        with connect(self.path) as db:
            cur = db.execute("INSERT INTO consent_blocks (person_id, direction, kind, value, note, created_by, created)"
                             " VALUES (?, ?, ?, ?, ?, ?, ?)",
                             (person_id, direction, kind, value, note, created_by, time.time()))
            block_id = int(cur.lastrowid)
        return Block(block_id, person_id, direction, kind, value, note)

    def revoke(self, block_id: int, person_id: str) -> bool:
        with connect(self.path) as db:
            cur = db.execute("UPDATE consent_blocks SET revoked = ? WHERE id = ? AND person_id = ? AND revoked IS NULL",
                             (time.time(), block_id, person_id))
            return cur.rowcount > 0

    def blocks(self, person_id: str) -> list[Block]:
        with connect(self.path) as db:
            rows = db.execute("SELECT id, person_id, direction, kind, value, coalesce(note, '') FROM consent_blocks "
                              "WHERE person_id = ? AND revoked IS NULL ORDER BY id", (person_id,)).fetchall()
        return [Block(*r) for r in rows]

    def viewer_blocked(self, person_id: str, sector: str | None, organisation: str) -> bool:
        """Whether the citizen has blocked this viewer (by its sector or the organisation itself)."""
        return any(b.matches(sector, organisation) for b in self.blocks(person_id) if b.direction == "viewer")

    def record_override(self, person_id: str, user: str, organisation: str, reason: str,
                        audit_seq: int | None) -> Override:
        reason = reason.strip()
        if len(reason) < MIN_REASON_CHARS:
            raise ValueError(f"an emergency override needs a typed reason of at least {MIN_REASON_CHARS} characters")
        now = time.time()
        with connect(self.path) as db:
            cur = db.execute("INSERT INTO overrides (person_id, user, organisation, reason, at, audit_seq) "
                             "VALUES (?, ?, ?, ?, ?, ?)", (person_id, user, organisation, reason, now, audit_seq))
            oid = int(cur.lastrowid)
        return Override(oid, person_id, user, organisation, reason, now, audit_seq, None, None)

    def overrides(self, pending_only: bool = True) -> list[Override]:
        q = ("SELECT id, person_id, user, organisation, reason, at, audit_seq, reviewed_by, review_note "
             "FROM overrides" + (" WHERE reviewed IS NULL" if pending_only else "") + " ORDER BY id")
        with connect(self.path) as db:
            return [Override(*r) for r in db.execute(q).fetchall()]

    def review(self, override_id: int, reviewer: str, note: str) -> bool:
        with connect(self.path) as db:
            cur = db.execute("UPDATE overrides SET reviewed_by = ?, reviewed = ?, review_note = ? "
                             "WHERE id = ? AND reviewed IS NULL", (reviewer, time.time(), note, override_id))
            return cur.rowcount > 0

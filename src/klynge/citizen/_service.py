"""The citizen service: authorisation, consent, identity, audit and the record, in one place.

Every person-level read goes through here, so that the API, the page and the CLI share one path
in which authorisation is checked at the time of access and every look is logged.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from klynge.access._audit import audit_log
from klynge.access._care import DEFAULT_HOSPITAL_DAYS, CareRelations, care_relations
from klynge.access._consent import ConsentStore
from klynge.access._export import citizen_access_report
from klynge.access._roles import AccessDenied, Principal, Role, authorize
from klynge.access._users import UserStore
from klynge.citizen._index import build_person_index, open_person_index
from klynge.citizen._record import Viewer, assemble_record, exists, search_record
from klynge.citizen._status import StatusStore
from klynge.contracts import CPR_PATTERN
from klynge.identity import IdentityStore, identity_path
from klynge.warehouse import open_warehouse, read_manifest

PERSON_ID = re.compile(r"^[0-9A-Za-z_.:-]{1,64}$")
_CPR = re.compile(CPR_PATTERN)

# Purposes a role may state for a person-level look.
PURPOSES: dict[Role, tuple[str, ...]] = {
    Role.CLINICIAN: ("treatment", "care_coordination"),
    Role.PSEUDONYMISED_ANALYST: ("analysis", "quality"),
    Role.DATA_STEWARD: ("citizen_request", "administration"),
    Role.AGGREGATE_ANALYST: ("analysis",),
}


class NotFound(Exception):
    """No such citizen (only raised after authorisation, so it reveals nothing to the unauthorised)."""


def valid_person_id(person_id: str) -> bool:
    """A person_id of the canonical pattern that cannot be a CPR number."""
    return bool(PERSON_ID.match(person_id)) and not _CPR.search(person_id)


class _Cursor:
    """A per-call DuckDB cursor with the ``.con`` shape the record code reads from."""

    def __init__(self, raw, indexed: bool = False) -> None:
        self.con = raw.cursor()
        self.indexed = indexed

    def close(self) -> None:
        self.con.close()


@dataclass
class CitizenService:
    """Person-level access to one warehouse.

    Parameters
    ----------
    warehouse_dir
        The warehouse folder (read-only).
    state_dir
        Where users, consent, status, the identity store and the audit log live; default the
        warehouse folder itself (``state/``, ``identity/`` and ``audit/`` beside ``builds/``).
    as_of
        The day of access for care relations and "upcoming"; default today, or the end of the
        warehouse period when that is earlier (a synthetic or historical extract).
    hospital_days
        How long after a stay the hospital keeps its care relation.
    """

    warehouse_dir: Path
    state_dir: Path | None = None
    as_of: date | None = None
    hospital_days: int = DEFAULT_HOSPITAL_DAYS

    def __post_init__(self) -> None:
        self.warehouse_dir = Path(self.warehouse_dir)
        self.state_dir = Path(self.state_dir) if self.state_dir is not None else self.warehouse_dir
        self._con = open_warehouse(self.warehouse_dir)
        self._index = open_person_index(self.warehouse_dir, self.state_dir)
        self._lock = threading.Lock()
        if self.as_of is None:
            end = read_manifest(self.warehouse_dir).get("period", {}).get("end")
            self.as_of = min(date.today(), date.fromisoformat(end)) if end else date.today()
        self.users = UserStore(self.state_dir)
        self.consent = ConsentStore(self.state_dir)
        self.status = StatusStore(self.state_dir)
        self.identity = IdentityStore(identity_path(self.state_dir))
        self.audit = audit_log(self.state_dir)

    # -- helpers ---------------------------------------------------------------------------
    def _cursor(self) -> _Cursor:
        with self._lock:
            if self._index is not None:
                return _Cursor(self._index, indexed=True)
            return _Cursor(self._con.con)

    def build_index(self) -> Path:
        """Build (or rebuild) the person-sorted index for the current build and start using it."""
        path = build_person_index(self.warehouse_dir, self.state_dir)
        with self._lock:
            if self._index is not None:
                self._index.close()
            self._index = open_person_index(self.warehouse_dir, self.state_dir)
        return path

    def relations(self, person_id: str) -> CareRelations:
        cur = self._cursor()
        try:
            return care_relations(cur, person_id, self.as_of, self.hospital_days)
        finally:
            cur.close()

    def _check_purpose(self, principal: Principal, purpose: str) -> None:
        if purpose not in PURPOSES.get(principal.role, ()):
            raise AccessDenied(f"purpose {purpose!r} is not allowed for role {principal.role.value}; "
                               f"use one of {', '.join(PURPOSES.get(principal.role, ()))}")

    def _authorize_person(self, principal: Principal, action: str, person_id: str, purpose: str,
                          override: bool = False) -> CareRelations | None:
        """Authorise a person-level action; a refusal is logged and re-raised."""
        if not valid_person_id(person_id):
            raise ValueError("not a valid person id")
        try:
            self._check_purpose(principal, purpose)
            relations = None
            context: dict[str, Any] = {}
            if principal.role is Role.CLINICIAN:
                relations = self.relations(person_id)
                context = {"has_care_relation": relations.has(principal.organisation),
                           "viewer_blocked": self.consent.viewer_blocked(person_id, principal.sector,
                                                                          principal.organisation),
                           "override": override}
            authorize(principal, action, **context)
        except AccessDenied as denied:
            self.audit.append(principal, action, purpose=purpose if purpose in _ALL_PURPOSES else "invalid",
                              subjects=[person_id], what="refused", outcome="denied", reason=denied.reason)
            raise
        return relations

    # -- person-level reads ------------------------------------------------------------------
    def read(self, principal: Principal, person_id: str, *, purpose: str, lang: str = "da",
             override_reason: str | None = None, what: str = "overview",
             action: str = "citizen.read") -> dict[str, Any]:
        """The record of one citizen for ``principal``; authorised, consent-filtered and logged.

        ``override_reason`` invokes the emergency override (værdispring): consent blocks are
        lifted for this look, the reason is logged and the look is queued for review.
        """
        override = override_reason is not None
        if override:
            reason = override_reason.strip()
            if len(reason) < 10:
                raise ValueError("an emergency override needs a typed reason of at least 10 characters")
            if _CPR.search(reason):
                raise ValueError("the reason must not contain a CPR number")
            self._authorize_person(principal, "consent.override", person_id, purpose, override=True)
        self._authorize_person(principal, "citizen.read", person_id, purpose, override=override)
        cur = self._cursor()
        try:
            if not exists(cur, person_id):
                raise NotFound("no such citizen")
            identified = principal.role is Role.CLINICIAN
            viewer = Viewer(principal.sector, principal.organisation, identified, override)
            record = assemble_record(cur, person_id, as_of=self.as_of, viewer=viewer,
                                     blocks=self.consent.blocks(person_id),
                                     identity=self.identity.get(person_id) if identified else None, lang=lang)
        finally:
            cur.close()
        record["status"] = self.status.history(person_id)
        if not identified:
            for s in record["status"]:
                s["user"] = ""
        if override:
            entry = self.audit.append(principal, "consent.override", purpose=purpose, subjects=[person_id],
                                      what="emergency override of consent blocks", reason=reason,
                                      review="pending")
            self.consent.record_override(person_id, principal.user, principal.organisation, reason, entry["seq"])
        self.audit.append(principal, action, purpose=purpose, subjects=[person_id], what=what,
                          identified=identified, override=override, hidden=record["hidden"]["total"])
        return record

    def search(self, principal: Principal, person_id: str, query: str, *, purpose: str,
               lang: str = "da") -> list[dict[str, Any]]:
        """Search within one citizen's record (the search is itself a logged read)."""
        record = self.read(principal, person_id, purpose=purpose, lang=lang, what="search")
        return search_record(record, query)

    def export(self, principal: Principal, person_id: str, *, purpose: str, lang: str = "da") -> dict[str, Any]:
        """The whole record as a download, logged as ``citizen.export``."""
        self._authorize_person(principal, "citizen.export", person_id, purpose)
        return self.read(principal, person_id, purpose=purpose, lang=lang, what="whole record as JSON",
                         action="citizen.export")

    def lookup(self, principal: Principal, cpr: str, *, purpose: str) -> str:
        """Find the person_id of a CPR number for a clinician with a care relation.

        An unknown number and a citizen without a care relation give the same refusal, so the
        lookup cannot be used to test whether a number exists.
        """
        try:
            self._check_purpose(principal, purpose)
            authorize(principal, "citizen.lookup", has_care_relation=True)  # role check first
        except AccessDenied as denied:
            self.audit.append(principal, "citizen.lookup", purpose=purpose if purpose in _ALL_PURPOSES else "invalid",
                              subjects=[], what="refused", outcome="denied", reason=denied.reason)
            raise
        person_id = self.identity.person_id_for(cpr)   # raises InvalidCPR on a malformed number
        if person_id is None:
            self.audit.append(principal, "citizen.lookup", purpose=purpose, subjects=[], what="refused: unknown",
                              outcome="denied")
            raise AccessDenied("no citizen with a care relation to your organisation has that CPR number")
        try:
            self._authorize_person(principal, "citizen.lookup", person_id, purpose)
        except AccessDenied:
            raise AccessDenied("no citizen with a care relation to your organisation has that CPR number") from None
        self.audit.append(principal, "citizen.lookup", purpose=purpose, subjects=[person_id], what="lookup by CPR")
        return person_id

    def write_status(self, principal: Principal, person_id: str, text: str, *, purpose: str) -> dict[str, Any]:
        """Set the shared status field (clinicians with a care relation)."""
        self._authorize_person(principal, "status.write", person_id, purpose)
        cur = self._cursor()
        try:
            if not exists(cur, person_id):
                raise NotFound("no such citizen")
        finally:
            cur.close()
        entry = self.status.write(person_id, text, principal)
        self.audit.append(principal, "status.write", purpose=purpose, subjects=[person_id], what="status field")
        return entry

    def read_status(self, principal: Principal, person_id: str, *, purpose: str) -> list[dict[str, Any]]:
        """The shared status history alone (a logged person-level read)."""
        self._authorize_person(principal, "citizen.read", person_id, purpose)
        cur = self._cursor()
        try:
            if not exists(cur, person_id):
                raise NotFound("no such citizen")
        finally:
            cur.close()
        history = self.status.history(person_id)
        if principal.role is not Role.CLINICIAN:
            for s in history:
                s["user"] = ""
        self.audit.append(principal, "citizen.read", purpose=purpose, subjects=[person_id], what="status field")
        return history

    # -- steward -------------------------------------------------------------------------------
    def access_report(self, principal: Principal, person_id: str) -> dict[str, Any]:
        """The citizen-facing access export (for the data steward answering a citizen's request)."""
        if not valid_person_id(person_id):
            raise ValueError("not a valid person id")
        authorize(principal, "audit.citizen_export")
        verified = self.audit.verify()
        rows = citizen_access_report(self.audit, person_id)
        self.audit.append(principal, "audit.citizen_export", purpose="citizen_request", subjects=[person_id],
                          what="access report")
        return {"person_id": person_id, "log_verified": verified.ok, "entries": rows}


_ALL_PURPOSES = {p for ps in PURPOSES.values() for p in ps}

"""Roles, principals and the permission rules: who may do what with person-level data.

The rule behind the matrix (Sundhedsloven §42a, domain reference §7.2): identifiable data only
for current treatment, that is, for a clinician whose organisation has a care relation with the
citizen; analysis only on aggregates or pseudonymised rows; every person-level look is logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    """The roles; the values are the strings used in config, CLI options and the audit log."""

    AGGREGATE_ANALYST = "aggregate_analyst"          # aggregates only
    PSEUDONYMISED_ANALYST = "pseudonymised_analyst"  # person-level rows with pseudonyms, never identity
    CLINICIAN = "clinician"                          # identifiable data, only with a care relation
    DATA_STEWARD = "data_steward"                    # users, consent, audit; no clinical reading


ORGANISATION_KINDS = ("municipality", "hospital", "gp", "region", "council", "steward")


@dataclass(frozen=True)
class Principal:
    """Who is acting: a user with one role in one organisation.

    ``organisation`` is ``"<kind>:<id>"``: ``municipality:461``, ``hospital:<hospital id>``,
    ``gp:<clinic id>``, ``region:1083``.

    Examples
    --------
    >>> Principal("anna", Role.CLINICIAN, "municipality:461").organisation_kind
    'municipality'
    """

    user: str
    role: Role
    organisation: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "role", Role(self.role))
        kind, sep, ident = self.organisation.partition(":")
        if not sep or not ident or kind not in ORGANISATION_KINDS:
            raise ValueError(
                f"organisation must be '<kind>:<id>' with kind one of {', '.join(ORGANISATION_KINDS)}"
            )

    @property
    def organisation_kind(self) -> str:
        """``municipality``, ``hospital``, ``gp``, ``region``, ..."""
        return self.organisation.partition(":")[0]

    @property
    def organisation_id(self) -> str:
        """The id after the colon."""
        return self.organisation.partition(":")[2]

    @property
    def sector(self) -> str | None:
        """The care sector of the organisation (``hospital`` for regions), if any."""
        kind = self.organisation_kind
        return {"municipality": "municipality", "hospital": "hospital", "region": "hospital",
                "gp": "gp"}.get(kind)


class AccessDenied(Exception):
    """Raised when an action is refused; ``reason`` says why in plain words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# action -> roles allowed at all. Context rules (care relation, consent) come on top.
PERMISSIONS: dict[str, frozenset[Role]] = {
    "aggregate.read": frozenset(Role),
    "cohort.export": frozenset({Role.PSEUDONYMISED_ANALYST, Role.DATA_STEWARD}),
    "pseudonymised.read": frozenset({Role.PSEUDONYMISED_ANALYST}),
    "citizen.read": frozenset({Role.CLINICIAN, Role.PSEUDONYMISED_ANALYST}),
    "citizen.lookup": frozenset({Role.CLINICIAN}),
    "citizen.export": frozenset({Role.CLINICIAN}),
    "status.write": frozenset({Role.CLINICIAN}),
    "consent.override": frozenset({Role.CLINICIAN}),
    "consent.read": frozenset({Role.DATA_STEWARD}),
    "consent.write": frozenset({Role.DATA_STEWARD}),
    "identity.lookup": frozenset({Role.DATA_STEWARD}),
    "audit.read": frozenset({Role.DATA_STEWARD}),
    "audit.verify": frozenset({Role.DATA_STEWARD}),
    "audit.citizen_export": frozenset({Role.DATA_STEWARD}),
    "user.admin": frozenset({Role.DATA_STEWARD}),
}

# Actions on one citizen's identifiable record: a clinician needs a care relation for these.
CARE_RELATION_ACTIONS = frozenset({"citizen.read", "citizen.lookup", "citizen.export", "status.write",
                                   "consent.override"})


def authorize(principal: Principal, action: str, **context: Any) -> None:
    """Allow ``action`` for ``principal`` or raise :class:`AccessDenied` with the reason.

    Context keys used:

    ``has_care_relation`` (bool)
        Whether the principal's organisation has a care relation with the citizen now. Required
        for a clinician's person-level actions; missing counts as no relation.
    ``viewer_blocked`` (bool) and ``override`` (bool)
        The citizen has blocked this viewer (consent); only an emergency override lifts it.

    Examples
    --------
    >>> authorize(Principal("a", Role.PSEUDONYMISED_ANALYST, "region:1083"), "cohort.export")
    >>> authorize(Principal("a", Role.AGGREGATE_ANALYST, "region:1083"), "cohort.export")
    Traceback (most recent call last):
    ...
    klynge.access._roles.AccessDenied: role aggregate_analyst may not cohort.export
    """
    allowed = PERMISSIONS.get(action)
    if allowed is None:
        raise AccessDenied(f"unknown action {action!r}")
    if principal.role not in allowed:
        raise AccessDenied(f"role {principal.role.value} may not {action}")
    if principal.role is Role.CLINICIAN and action in CARE_RELATION_ACTIONS:
        if not context.get("has_care_relation", False):
            raise AccessDenied(
                f"{principal.organisation} has no care relation with this citizen"
            )
        if context.get("viewer_blocked", False) and not context.get("override", False):
            raise AccessDenied(
                "the citizen has blocked access for this organisation; "
                "only an emergency override (værdispring) with a reason lifts the block"
            )

"""The citizen-facing access export: who looked at this citizen's data (as Min Log on sundhed.dk).

Only entries that name the citizen as a subject are shown, and never the other subjects of the
same entry: a target-group list shows as "your data were part of a list", not who else was on it.
"""

from __future__ import annotations

from typing import Any

from klynge.access._audit import AuditLog

# Actions that are a look at, or a release of, the citizen's own data.
CITIZEN_VISIBLE = {"citizen.read", "citizen.lookup", "citizen.export", "status.write", "consent.override",
                   "cohort.export", "pseudonymised.read"}


def citizen_access_report(log: AuditLog, person_id: str) -> list[dict[str, Any]]:
    """Who looked at ``person_id``'s data: time, user, role, organisation, action, purpose, what.

    Refused attempts are left out (nothing was shown). The chain is not verified here; callers
    show the result of :meth:`AuditLog.verify` beside it.

    Examples
    --------
    >>> citizen_access_report(audit_log("wh"), "P0-1")  # doctest: +SKIP
    [{'time': '2026-11-23T17:00:00+00:00', 'organisation': 'municipality:461', ...}]
    """
    out = []
    for e in log.entries():
        if e.get("action") not in CITIZEN_VISIBLE or person_id not in e.get("subjects", []):
            continue
        if (e.get("extra") or {}).get("outcome") == "denied":
            continue
        out.append({
            "time": e["time"], "user": e["user"], "role": e["role"], "organisation": e["organisation"],
            "action": e["action"], "purpose": e["purpose"],
            "what": e["what"] if len(e.get("subjects", [])) == 1 else "part of a list of citizens",
            "emergency_override": e["action"] == "consent.override" or bool((e.get("extra") or {}).get("override")),
        })
    return out

"""Access control: roles, principals, permissions, users, consent and the audit log.

Person-level data are read only through :func:`authorize` and logged in the hash-chained
:class:`AuditLog`. See ``docs/access.md``.
"""

from klynge.access._audit import AuditLog, VerifyResult, audit_log
from klynge.access._care import CareRelations, care_relations
from klynge.access._consent import Block, ConsentStore
from klynge.access._export import citizen_access_report
from klynge.access._roles import PERMISSIONS, AccessDenied, Principal, Role, authorize
from klynge.access._security import SecuritySettings, install_security, mask_cpr
from klynge.access._users import LoginThrottled, Throttle, UserStore

__all__ = [
    "PERMISSIONS",
    "AccessDenied",
    "AuditLog",
    "Block",
    "CareRelations",
    "ConsentStore",
    "LoginThrottled",
    "Principal",
    "Role",
    "SecuritySettings",
    "Throttle",
    "UserStore",
    "VerifyResult",
    "audit_log",
    "authorize",
    "care_relations",
    "citizen_access_report",
    "install_security",
    "mask_cpr",
]

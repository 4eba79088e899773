"""Access control: roles, principals, permissions, users, consent and the audit log.

Person-level data are read only through :func:`authorize` and logged in the hash-chained
:class:`AuditLog`. See ``docs/access.md``.
"""

from klynge.access._audit import AuditLog, VerifyResult, audit_log
from klynge.access._roles import PERMISSIONS, AccessDenied, Principal, Role, authorize

__all__ = [
    "PERMISSIONS",
    "AccessDenied",
    "AuditLog",
    "Principal",
    "Role",
    "VerifyResult",
    "audit_log",
    "authorize",
]

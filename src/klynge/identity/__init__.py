"""Identity: CPR validation, keyed-hash pseudonyms and the identity store.

The identity store is the only place a CPR number lives in clear; everything else uses the
person_id pseudonym. See ``docs/access.md``.
"""

from klynge.identity._cpr import CPR, InvalidCPR, century, format_cpr, is_valid_cpr, mod11_ok, parse_cpr
from klynge.identity._pseudonym import KEY_ENV, MissingKey, Pseudonymiser, load_key
from klynge.identity._source import PseudonymiseResult, pseudonymise_source
from klynge.identity._store import (
    Identity,
    IdentityStore,
    identity_path,
    synthesise_identities,
    synthesise_identity_store,
)

__all__ = [
    "CPR",
    "KEY_ENV",
    "Identity",
    "IdentityStore",
    "InvalidCPR",
    "MissingKey",
    "PseudonymiseResult",
    "Pseudonymiser",
    "century",
    "format_cpr",
    "identity_path",
    "is_valid_cpr",
    "load_key",
    "mod11_ok",
    "parse_cpr",
    "pseudonymise_source",
    "synthesise_identities",
    "synthesise_identity_store",
]

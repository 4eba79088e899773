"""Sign-in through an external OpenID Connect provider instead of local passwords.

Configuration (environment, or a :class:`OIDCSettings` given in code):

``KLYNGE_OIDC_ISSUER``
    The provider's issuer URL; tokens must carry exactly this ``iss``.
``KLYNGE_OIDC_CLIENT_ID``
    The client id; tokens must carry it in ``aud``.
``KLYNGE_OIDC_JWKS_URL``
    Where the provider publishes its signing keys (default ``<issuer>/.well-known/jwks.json``;
    the discovery document names it).
``KLYNGE_OIDC_ROLE_CLAIM`` / ``KLYNGE_OIDC_ORGANISATION_CLAIM``
    Claims that carry the klynge role and organisation (default ``klynge_role`` and
    ``klynge_organisation``). Without them the user must exist locally (``klynge user add
    --oidc-only``), and the local role and organisation apply.

Verification of the ID token's signature uses PyJWT (``pyjwt[crypto]``), imported only when a
provider is configured; the mapping from verified claims to a principal is :func:`principal_from_claims`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from klynge.access._roles import Principal, Role


class OIDCError(Exception):
    """A token that cannot be accepted, or OIDC not available."""


@dataclass(frozen=True)
class OIDCSettings:
    issuer: str
    client_id: str
    jwks_url: str
    role_claim: str = "klynge_role"
    organisation_claim: str = "klynge_organisation"
    user_claim: str = "preferred_username"
    algorithms: tuple[str, ...] = ("RS256", "ES256")
    leeway_s: int = 60

    def __post_init__(self) -> None:
        if not self.issuer.startswith("https://"):
            raise ValueError("the OIDC issuer must be an https URL")
        if not self.client_id:
            raise ValueError("the OIDC client id is empty")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> OIDCSettings | None:
        """The settings from the environment, or None when no issuer is configured."""
        env = os.environ if env is None else env
        issuer = env.get("KLYNGE_OIDC_ISSUER", "").rstrip("/")
        if not issuer:
            return None
        return cls(issuer=issuer, client_id=env.get("KLYNGE_OIDC_CLIENT_ID", ""),
                   jwks_url=env.get("KLYNGE_OIDC_JWKS_URL", f"{issuer}/.well-known/jwks.json"),
                   role_claim=env.get("KLYNGE_OIDC_ROLE_CLAIM", "klynge_role"),
                   organisation_claim=env.get("KLYNGE_OIDC_ORGANISATION_CLAIM", "klynge_organisation"),
                   user_claim=env.get("KLYNGE_OIDC_USER_CLAIM", "preferred_username"))


def check_claims(claims: Mapping[str, Any], settings: OIDCSettings, now: float | None = None) -> None:
    """The registered-claim rules (issuer, audience, expiry, not-before), after the signature check."""
    now = time.time() if now is None else now
    if claims.get("iss") != settings.issuer:
        raise OIDCError("token from another issuer")
    aud = claims.get("aud")
    if settings.client_id not in (aud if isinstance(aud, list) else [aud]):
        raise OIDCError("token for another audience")
    if "exp" not in claims or float(claims["exp"]) < now - settings.leeway_s:
        raise OIDCError("token expired")
    if "nbf" in claims and float(claims["nbf"]) > now + settings.leeway_s:
        raise OIDCError("token not yet valid")


def principal_from_claims(claims: Mapping[str, Any], settings: OIDCSettings, users=None) -> Principal:
    """The principal of verified claims: role and organisation from the claims, else the local user."""
    check_claims(claims, settings)
    user = str(claims.get(settings.user_claim) or claims.get("sub") or "")
    if not user:
        raise OIDCError("token names no user")
    role, org = claims.get(settings.role_claim), claims.get(settings.organisation_claim)
    if role and org:
        try:
            return Principal(user, Role(role), str(org))
        except ValueError as err:
            raise OIDCError(f"token carries an unknown role or organisation: {err}") from None
    local = users.get(user) if users is not None else None
    if local is None:
        raise OIDCError("the token carries no role and the user is not registered locally")
    return local


def verify_id_token(token: str, settings: OIDCSettings, users=None) -> Principal:
    """Verify an ID token's signature with the provider's keys and return its principal."""
    try:
        import jwt  # PyJWT, optional: only needed with an OIDC provider
    except ImportError:
        raise OIDCError("OIDC sign-in needs PyJWT: pip install 'pyjwt[crypto]'") from None
    try:
        key = jwt.PyJWKClient(settings.jwks_url).get_signing_key_from_jwt(token).key
        claims = jwt.decode(token, key, algorithms=list(settings.algorithms), audience=settings.client_id,
                            issuer=settings.issuer, leeway=settings.leeway_s)
    except jwt.PyJWTError as err:
        raise OIDCError(f"token rejected: {type(err).__name__}") from None
    return principal_from_claims(claims, settings, users)

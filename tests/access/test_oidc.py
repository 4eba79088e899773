"""OpenID Connect configuration and the mapping of verified claims to a principal."""

from __future__ import annotations

import time

import pytest

from klynge.access import Role
from klynge.access._oidc import OIDCError, OIDCSettings, principal_from_claims, verify_id_token
from klynge.access._users import UserStore

ENV = {"KLYNGE_OIDC_ISSUER": "https://login.example.dk/realms/sundhed/", "KLYNGE_OIDC_CLIENT_ID": "klynge"}


def _claims(**kw):
    base = {"iss": "https://login.example.dk/realms/sundhed", "aud": "klynge", "exp": time.time() + 300,
            "preferred_username": "anna", "klynge_role": "clinician", "klynge_organisation": "municipality:461"}
    return {**base, **kw}


def test_settings_from_env():
    assert OIDCSettings.from_env({}) is None
    s = OIDCSettings.from_env(ENV)
    assert s.issuer == "https://login.example.dk/realms/sundhed"
    assert s.jwks_url == "https://login.example.dk/realms/sundhed/.well-known/jwks.json"
    with pytest.raises(ValueError):
        OIDCSettings.from_env({"KLYNGE_OIDC_ISSUER": "http://insecure.example", "KLYNGE_OIDC_CLIENT_ID": "k"})


def test_claims_to_principal(tmp_path):
    s = OIDCSettings.from_env(ENV)
    p = principal_from_claims(_claims(), s)
    assert (p.user, p.role, p.organisation) == ("anna", Role.CLINICIAN, "municipality:461")
    for bad in (_claims(iss="https://evil.example"), _claims(aud="other"), _claims(exp=time.time() - 3600),
                _claims(nbf=time.time() + 3600), _claims(klynge_role="superuser")):
        with pytest.raises(OIDCError):
            principal_from_claims(bad, s)
    # without role claims the local registration decides
    users = UserStore(tmp_path)
    users.add("bo", Role.PSEUDONYMISED_ANALYST, "region:1083", None)
    p = principal_from_claims(_claims(preferred_username="bo", klynge_role=None, klynge_organisation=None), s, users)
    assert p.role is Role.PSEUDONYMISED_ANALYST
    with pytest.raises(OIDCError):
        principal_from_claims(_claims(preferred_username="eve", klynge_role=None), s, users)
    assert users.login("bo", "any password at all") is None     # an OIDC-only user has no password


def test_verify_needs_pyjwt_or_rejects_garbage():
    s = OIDCSettings.from_env(ENV)
    with pytest.raises(OIDCError):
        verify_id_token("not.a.token", s)


def test_api_falls_back_to_oidc_for_unknown_bearer(tmp_path, monkeypatch):
    """With a provider configured, a JWT-shaped bearer token is checked with the provider (here: rejected)."""
    import warnings

    from fastapi import FastAPI

    from klynge.citizen.api import current_principal

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    calls = []

    def fake_verify(token, settings, users):
        calls.append(token)
        raise OIDCError("rejected")

    monkeypatch.setattr("klynge.citizen.api.verify_id_token", fake_verify)
    app = FastAPI()

    class _Svc:
        users = UserStore(tmp_path)

    app.state.citizen = _Svc()
    app.state.oidc = OIDCSettings.from_env(ENV)

    @app.get("/who")
    def who(request: __import__("fastapi").Request):
        return {"user": current_principal(request).user}

    client = TestClient(app)
    assert client.get("/who", headers={"Authorization": "Bearer a.b.c"}).status_code == 401
    assert calls == ["a.b.c"]
    monkeypatch.setattr("klynge.citizen.api.verify_id_token",
                        lambda token, settings, users: principal_from_claims(_claims(), settings))
    assert client.get("/who", headers={"Authorization": "Bearer a.b.c"}).json() == {"user": "anna"}

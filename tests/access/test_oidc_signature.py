"""ID tokens signed by a provider key are accepted; forged or altered ones are refused.

The provider's key set is served from 127.0.0.1 by a small HTTP server in a thread, so the
test needs no network beyond loopback.
"""

from __future__ import annotations

import functools
import json
import threading
import time
from http.server import HTTPServer, SimpleHTTPRequestHandler

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from klynge.access import Role
from klynge.access._oidc import OIDCError, OIDCSettings, verify_id_token

ISSUER = "https://login.example.dk/realms/sundhed"


def _key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def provider(tmp_path):
    key = _key()
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}))

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings = OIDCSettings.from_env({"KLYNGE_OIDC_ISSUER": ISSUER, "KLYNGE_OIDC_CLIENT_ID": "klynge",
                                      "KLYNGE_OIDC_JWKS_URL": f"http://127.0.0.1:{server.server_port}/jwks.json"})
    yield key, settings
    server.shutdown()
    server.server_close()


def _token(key, **claims):
    base = {"iss": ISSUER, "aud": "klynge", "exp": int(time.time()) + 300, "preferred_username": "anna",
            "klynge_role": "clinician", "klynge_organisation": "municipality:461"}
    return jwt.encode({**base, **claims}, key, algorithm="RS256", headers={"kid": "k1"})


def test_a_token_signed_by_the_provider_gives_its_principal(provider):
    key, settings = provider
    p = verify_id_token(_token(key), settings)
    assert (p.user, p.role, p.organisation) == ("anna", Role.CLINICIAN, "municipality:461")


def test_forged_altered_and_expired_tokens_are_refused(provider):
    key, settings = provider
    forged = _token(_key())                          # signed by someone else's key
    header, payload, signature = _token(key).split(".")
    altered_claims = {**jwt.decode(_token(key), options={"verify_signature": False}), "klynge_role": "data_steward"}
    altered_payload = jwt.utils.base64url_encode(json.dumps(altered_claims).encode()).decode()
    altered = ".".join([header, altered_payload, signature])
    expired = _token(key, exp=int(time.time()) - 3600)
    other_audience = _token(key, aud="another-app")
    for token in (forged, altered, expired, other_audience):
        with pytest.raises(OIDCError):
            verify_id_token(token, settings)

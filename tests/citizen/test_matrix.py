"""The full role x endpoint matrix of the citizen API: allowed and refused, with status codes."""

from __future__ import annotations

import pytest

from klynge.access import Role

USERS = ["anon", "agg", "pseudo", "steward", "clin_muni", "clin_gp", "clin_hosp", "clin_other"]
PURPOSE = {"agg": "analysis", "pseudo": "analysis", "steward": "citizen_request", "clin_muni": "treatment",
           "clin_gp": "treatment", "clin_hosp": "treatment", "clin_other": "treatment", "anon": "treatment"}
CLIN_REL = {"clin_muni", "clin_gp", "clin_hosp"}


def _expect(allowed: set[str], ok: int = 200) -> dict[str, int]:
    return {u: 401 if u == "anon" else ok if u in allowed else 403 for u in USERS}


READ = _expect(CLIN_REL | {"pseudo"})
CLIN_ONLY = _expect(CLIN_REL)
STEWARD = _expect({"steward"})

# (name, method, path, json body or None, expected status per user)
ENDPOINTS = [
    ("me", "GET", "/api/auth/me", None, _expect(set(USERS))),
    ("read", "GET", "/api/citizens/{pid}?purpose={purpose}", None, READ),
    ("search", "GET", "/api/citizens/{pid}/search?q=a&purpose={purpose}", None, READ),
    ("status-read", "GET", "/api/citizens/{pid}/status?purpose={purpose}", None, READ),
    ("export", "GET", "/api/citizens/{pid}/export?purpose={purpose}", None, CLIN_ONLY),
    ("status-write", "PUT", "/api/citizens/{pid}/status", {"text": "Udskrevet til eget hjem", "purpose": "care_coordination"},
     CLIN_ONLY),
    ("override", "POST", "/api/citizens/{pid}/override", {"reason": "Bevidstløs i akutmodtagelsen", "purpose": "treatment"},
     CLIN_ONLY),
    ("lookup", "POST", "/api/citizens/lookup", {"cpr": "{cpr}", "purpose": "treatment"}, CLIN_ONLY),
    ("access-log", "GET", "/api/citizens/{pid}/access-log", None, STEWARD),
    ("consent-read", "GET", "/api/consent/{pid}", None, STEWARD),
    ("consent-add", "POST", "/api/consent/{other}", {"direction": "source", "kind": "sector", "value": "gp"},
     _expect({"steward"}, 201)),
    ("audit-verify", "GET", "/api/audit/verify", None, STEWARD),
    ("overrides", "GET", "/api/audit/overrides", None, STEWARD),
    ("users", "GET", "/api/users", None, STEWARD),
    ("user-add", "POST", "/api/users", {"user": "new_user", "role": "aggregate_analyst",
                                        "organisation": "region:1083", "password": "another long password"},
     _expect({"steward"}, 201)),
]


@pytest.mark.parametrize("user", USERS)
@pytest.mark.parametrize("name,method,path,body,expected", ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
def test_role_endpoint_matrix(citizen_env, user, name, method, path, body, expected):
    env = citizen_env
    cpr = env.app.state.citizen.identity.get(env.pid).cpr
    fill = {"pid": env.pid, "other": env.other_pid, "purpose": PURPOSE[user], "cpr": cpr}
    url = path.format(**fill)
    payload = None if body is None else {k: v.format(**fill) if isinstance(v, str) else v for k, v in body.items()}
    before = env.app.state.citizen.audit.verify().entries
    r = env.client.request(method, url, json=payload, headers=env.headers(None if user == "anon" else user))
    assert r.status_code == expected[user], (name, user, r.status_code, r.text[:300])
    if r.status_code == 200 and name in ("read", "export", "override"):
        record = r.json()
        assert record["person"]["person_id"] == env.pid
        identified = env.principals[user].role is Role.CLINICIAN
        assert ("cpr" in record["person"]) is identified
        assert ("name" in record["person"]) is identified
        assert record["identified"] is identified
        if not identified:   # pseudonymised: no free text either
            assert all(i["detail"] == "" for i in record["timeline"] if i["kind"] == "message")
    after = env.app.state.citizen.audit.verify()
    assert after.ok
    person_level = name in ("read", "search", "status-read", "export", "status-write", "override", "lookup")
    if person_level and user != "anon":
        # every person-level request, allowed or refused, leaves an audit entry
        assert after.entries > before
        last = list(env.app.state.citizen.audit.entries())[-1]
        assert last["user"] == user and last["role"] == env.principals[user].role.value
        assert last["organisation"] == env.principals[user].organisation
    if user == "anon":
        assert after.entries == before


def test_cpr_never_in_audit_or_responses_for_analysts(citizen_env):
    env = citizen_env
    cpr = env.app.state.citizen.identity.get(env.pid).cpr
    text = env.app.state.citizen.audit.path.read_text(encoding="utf-8")
    assert cpr not in text and cpr.replace("-", "") not in text
    r = env.client.get(f"/api/citizens/{env.pid}?purpose=analysis", headers=env.headers("pseudo"))
    assert r.status_code == 200
    assert cpr not in r.text and cpr.replace("-", "") not in r.text
    name = env.app.state.citizen.identity.get(env.pid).name
    assert name not in r.text

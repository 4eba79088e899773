"""Fixtures for the citizen overview: an app on the shared test warehouse with its own state folder.

The warehouse is read-only and shared; users, consent, status, the identity store and the audit
log go to a temporary state folder, so tests never write into the warehouse.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import date

import pytest

with warnings.catch_warnings():
    # Starlette 1.x warns that its test client will move from httpx to httpx2 (not installed here)
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from klynge.access import Principal, Role
from klynge.access._care import care_relations
from klynge.citizen.app import create_citizen_app
from klynge.identity import synthesise_identity_store

AS_OF = date(2025, 12, 31)
PASSWORD = "correct horse battery staple"


@dataclass
class Env:
    app: object
    client: TestClient
    state: object
    pid: str                 # citizen with municipality, GP and hospital relations on AS_OF
    other_pid: str           # another citizen, no relation to our clinicians
    orgs: dict[str, str]     # relation kind -> organisation of pid
    tokens: dict[str, str]   # user -> bearer token
    principals: dict[str, Principal]

    def headers(self, user: str | None) -> dict[str, str]:
        return {} if user is None else {"Authorization": f"Bearer {self.tokens[user]}"}


def find_citizen(sql, con) -> tuple[str, dict[str, str]]:
    """A citizen alive on AS_OF with a stay ending within 30 days before it, a GP and labs."""
    rows = sql(f"""
        SELECT s.person_id FROM core__stay s JOIN input__person p USING (person_id)
        WHERE s.is_admission AND s.end_time BETWEEN TIMESTAMPTZ '{AS_OF}' - INTERVAL 20 DAY AND TIMESTAMPTZ '{AS_OF}'
          AND p.death_date IS NULL
          AND s.person_id IN (SELECT person_id FROM input__lab_result)
          AND s.person_id IN (SELECT person_id FROM input__message WHERE message_type = 'discharge_letter')
        ORDER BY s.person_id LIMIT 20""")
    for pid in rows.person_id:
        rel = care_relations(con, pid, AS_OF)
        kinds = {o.split(":")[0]: o for o in sorted(rel.organisations)}
        if {"municipality", "gp", "hospital"} <= set(kinds):
            return pid, kinds
    raise AssertionError("no suitable citizen in the test population")


@pytest.fixture(scope="session")
def citizen_env(synthetic_warehouse, con, sql, tmp_path_factory) -> Env:
    wh, _ = synthetic_warehouse
    state = tmp_path_factory.mktemp("citizen-state")
    synthesise_identity_store(con, state, seed=3)
    app = create_citizen_app(wh, state_dir=state, as_of=AS_OF)
    pid, orgs = find_citizen(sql, con)
    other = sql(f"""SELECT r.person_id FROM input__residence r WHERE r.valid_to IS NULL
                    AND r.municipality_code <> '{orgs['municipality'].split(':')[1]}' ORDER BY person_id LIMIT 1""")
    svc = app.state.citizen
    other_muni = "municipality:999"
    principals = {
        "agg": Principal("agg", Role.AGGREGATE_ANALYST, "region:1083"),
        "pseudo": Principal("pseudo", Role.PSEUDONYMISED_ANALYST, "region:1083"),
        "steward": Principal("steward", Role.DATA_STEWARD, "region:1083"),
        "clin_muni": Principal("clin_muni", Role.CLINICIAN, orgs["municipality"]),
        "clin_gp": Principal("clin_gp", Role.CLINICIAN, orgs["gp"]),
        "clin_hosp": Principal("clin_hosp", Role.CLINICIAN, orgs["hospital"]),
        "clin_other": Principal("clin_other", Role.CLINICIAN, other_muni),
    }
    tokens = {}
    for name, p in principals.items():
        svc.users.add(p.user, p.role, p.organisation, PASSWORD)
        tokens[name] = svc.users.open_session(p.user).token
    client = TestClient(app)
    return Env(app, client, state, pid, str(other.person_id.iloc[0]), orgs, tokens, principals)

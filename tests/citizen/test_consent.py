"""Consent blocks are honoured on every path; the emergency override is logged and queued for review."""

from __future__ import annotations

import pytest

from klynge.access import AccessDenied


@pytest.fixture
def consent(citizen_env):
    svc = citizen_env.app.state.citizen
    yield svc.consent
    for b in svc.consent.blocks(citizen_env.pid):
        svc.consent.revoke(b.id, citizen_env.pid)


def _read(env, user, purpose="treatment", **kw):
    svc = env.app.state.citizen
    return svc.read(env.principals[user], env.pid, purpose=purpose, **kw)


def _gp_items(sql, pid, as_of="2025-12-31"):
    """Independent count of the items that come from general practice up to the day."""
    q = f"""SELECT
      (SELECT count(*) FROM input__gp_contact WHERE person_id = '{pid}' AND contact_date <= DATE '{as_of}')
    + (SELECT count(*) FROM input__lab_result WHERE person_id = '{pid}' AND sector = 'gp'
         AND sample_time < TIMESTAMPTZ '{as_of}' + INTERVAL 1 DAY)
    + (SELECT count(*) FROM input__message WHERE person_id = '{pid}' AND sender_sector = 'gp'
         AND sent_time < TIMESTAMPTZ '{as_of}' + INTERVAL 1 DAY)
    + (SELECT count(*) FROM input__appointment WHERE person_id = '{pid}' AND sector = 'gp'
         AND (start_time < TIMESTAMPTZ '{as_of}' + INTERVAL 1 DAY OR status = 'booked')) AS n"""
    return int(sql(q).n.iloc[0])


def test_sector_source_block(citizen_env, consent, sql):
    env = citizen_env
    before = _read(env, "clin_muni")
    n_gp = sum(1 for i in before["timeline"] if i["sector"] == "gp") + \
        sum(1 for a in before["upcoming_appointments"] if a["sector"] == "gp")
    assert n_gp == _gp_items(sql, env.pid) and n_gp > 0
    block = consent.add_block(env.pid, "source", "sector", "gp", created_by="steward")
    after = _read(env, "clin_muni")
    assert not any(i["sector"] == "gp" for i in after["timeline"])
    assert not any(a["sector"] == "gp" for a in after["upcoming_appointments"])
    assert not any(r["sector"] == "gp" for lab in after["labs"] for r in lab["results"])
    assert after["hidden"] == {"total": n_gp, "by_block": {str(block.id): n_gp}}
    assert after["timeline_total"] == before["timeline_total"] - sum(1 for i in before["timeline"] if i["sector"] == "gp")
    # inside the blocked sector the data are still shared
    inside = _read(env, "clin_gp")
    assert sum(1 for i in inside["timeline"] if i["sector"] == "gp") > 0 and inside["hidden"]["total"] == 0
    # pseudonymised analysts are outside every sector
    pseudo = _read(env, "pseudo", purpose="analysis")
    assert not any(i["sector"] == "gp" for i in pseudo["timeline"])
    # every path: search and export
    svc = env.app.state.citizen
    hits = svc.search(env.principals["clin_muni"], env.pid, "konsultation", purpose="treatment")
    assert all(h.get("sector") != "gp" for h in hits)
    exported = svc.export(env.principals["clin_muni"], env.pid, purpose="treatment")
    assert not any(i["sector"] == "gp" for i in exported["timeline"])
    r = env.client.get(f"/api/citizens/{env.pid}/search?q=konsultation", headers=env.headers("clin_muni"))
    assert r.status_code == 200 and all(i.get("sector") != "gp" for i in r.json()["items"])


def test_party_source_block(citizen_env, consent, sql):
    env = citizen_env
    hospital = env.orgs["hospital"]
    n = int(sql(f"""SELECT count(*) n FROM input__hospital_contact WHERE person_id = '{env.pid}'
                    AND hospital_id = '{hospital.split(':')[1]}'""").n.iloc[0])
    assert n > 0
    consent.add_block(env.pid, "source", "party", hospital, created_by="steward")
    outside = _read(env, "clin_muni")
    assert not any(i["party"] == hospital for i in outside["timeline"])
    assert outside["latest_admission"] is None or outside["latest_admission"]["party"] != hospital
    inside = _read(env, "clin_hosp")
    contacts = [i for i in inside["timeline"] if i["kind"] == "hospital_contact" and i["party"] == hospital]
    assert len(contacts) == n


def test_viewer_block_and_override(citizen_env, consent):
    env = citizen_env
    svc = env.app.state.citizen
    consent.add_block(env.pid, "viewer", "party", env.orgs["municipality"], created_by="steward")
    with pytest.raises(AccessDenied, match="blocked"):
        _read(env, "clin_muni")
    r = env.client.get(f"/api/citizens/{env.pid}", headers=env.headers("clin_muni"))
    assert r.status_code == 403 and "blocked" in r.json()["detail"]
    assert _read(env, "clin_gp")["person"]["person_id"] == env.pid   # others unaffected
    # a reason is required
    r = env.client.post(f"/api/citizens/{env.pid}/override", json={"reason": "akut"},
                        headers=env.headers("clin_muni"))
    assert r.status_code == 422
    r = env.client.post(f"/api/citizens/{env.pid}/override", json={"reason": "CPR 010190-2013 akut indlagt"},
                        headers=env.headers("clin_muni"))
    assert r.status_code == 422 and "2013" not in r.text
    pending_before = len(svc.consent.overrides())
    reason = "Borgeren er bevidstløs, medicinliste nødvendig"
    r = env.client.post(f"/api/citizens/{env.pid}/override", json={"reason": reason},
                        headers=env.headers("clin_muni"))
    assert r.status_code == 200 and r.json()["consent_overridden"] is True
    entries = list(svc.audit.entries())
    ov = [e for e in entries if e["action"] == "consent.override" and e["extra"].get("reason") == reason]
    assert len(ov) == 1
    assert ov[0]["user"] == "clin_muni" and ov[0]["subjects"] == [env.pid] and ov[0]["extra"]["review"] == "pending"
    assert entries[-1]["action"] == "citizen.read" and entries[-1]["extra"]["override"] is True
    pending = svc.consent.overrides()
    assert len(pending) == pending_before + 1 and pending[-1].reason == reason
    assert pending[-1].audit_seq == ov[0]["seq"]
    # the steward sees the review queue and closes it
    r = env.client.get("/api/audit/overrides", headers=env.headers("steward"))
    assert any(o["reason"] == reason for o in r.json()["overrides"])
    r = env.client.post(f"/api/audit/overrides/{pending[-1].id}/review", json={"note": "Begrundet"},
                        headers=env.headers("steward"))
    assert r.status_code == 200
    assert all(o.id != pending[-1].id for o in svc.consent.overrides())
    # the override was for one look only
    with pytest.raises(AccessDenied):
        _read(env, "clin_muni")
    # a clinician without a care relation cannot use the override to get in
    r = env.client.post(f"/api/citizens/{env.pid}/override", json={"reason": reason},
                        headers=env.headers("clin_other"))
    assert r.status_code == 403


def test_override_lifts_source_blocks(citizen_env, consent):
    env = citizen_env
    consent.add_block(env.pid, "source", "sector", "hospital", created_by="steward")
    hidden = _read(env, "clin_muni")
    assert hidden["hidden"]["total"] > 0 and not any(i["sector"] == "hospital" for i in hidden["timeline"])
    lifted = _read(env, "clin_muni", override_reason="Akut forværring, behov for sygehusdata")
    assert lifted["hidden"]["total"] == 0 and any(i["sector"] == "hospital" for i in lifted["timeline"])


def test_consent_api_steward(citizen_env, consent):
    env = citizen_env
    r = env.client.post(f"/api/consent/{env.pid}", json={"direction": "source", "kind": "party", "value": "gp:1"},
                        headers=env.headers("steward"))
    assert r.status_code == 201
    bid = r.json()["id"]
    r = env.client.post(f"/api/consent/{env.pid}", json={"direction": "source", "kind": "sector", "value": "moon"},
                        headers=env.headers("steward"))
    assert r.status_code == 422
    listed = env.client.get(f"/api/consent/{env.pid}", headers=env.headers("steward")).json()["blocks"]
    assert [b["id"] for b in listed] == [bid]
    assert env.client.delete(f"/api/consent/{env.pid}/{bid}", headers=env.headers("steward")).status_code == 200
    assert env.client.delete(f"/api/consent/{env.pid}/{bid}", headers=env.headers("steward")).status_code == 404
    assert consent.blocks(env.pid) == []


def test_citizen_access_report(citizen_env):
    env = citizen_env
    svc = env.app.state.citizen
    _read(env, "clin_gp")
    svc.audit.append(env.principals["pseudo"], "cohort.export", purpose="analysis",
                     subjects=[env.pid, env.other_pid], what="target group list")
    r = env.client.get(f"/api/citizens/{env.pid}/access-log", headers=env.headers("steward"))
    assert r.status_code == 200
    body = r.json()
    assert body["log_verified"] is True and body["person_id"] == env.pid
    rows = body["entries"]
    assert any(e["user"] == "clin_gp" and e["organisation"] == env.orgs["gp"] and e["purpose"] == "treatment"
               for e in rows)
    assert env.other_pid not in r.text                       # no other citizen is revealed
    assert any(e["action"] == "cohort.export" and e["what"] == "part of a list of citizens" for e in rows)
    # refused attempts are not shown as looks; independent count of allowed entries naming the citizen
    expected = sum(1 for e in svc.audit.entries()
                   if env.pid in e["subjects"] and e["extra"].get("outcome") != "denied"
                   and e["action"] in {"citizen.read", "citizen.lookup", "citizen.export", "status.write",
                                       "consent.override", "cohort.export", "pseudonymised.read"}
                   and e["seq"] < list(svc.audit.entries())[-1]["seq"])
    assert len(rows) == expected

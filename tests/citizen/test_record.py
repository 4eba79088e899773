"""The assembled record against independent SQL on the warehouse; status, search, pages and CSRF."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest

from klynge.citizen import search_record
from klynge.contracts import CPR_PATTERN

END = "TIMESTAMPTZ '2025-12-31' + INTERVAL 1 DAY"


@pytest.fixture(scope="module")
def record(citizen_env):
    env = citizen_env
    return env.app.state.citizen.read(env.principals["clin_hosp"], env.pid, purpose="treatment")


def _n(sql, q):
    return int(sql(q).iloc[0, 0])


def test_timeline_counts_per_kind(record, citizen_env, sql):
    pid = citizen_env.pid
    expected = {
        "hospital_contact": f"SELECT count(*) FROM input__hospital_contact WHERE person_id='{pid}' AND start_time < {END}",
        "diagnosis": f"""SELECT count(*) FROM input__diagnosis d JOIN input__hospital_contact c USING (contact_id)
                         WHERE c.person_id='{pid}' AND NOT coalesce(d.refuted, false) AND c.start_time < {END}""",
        "procedure": f"""SELECT count(*) FROM input__procedure p JOIN input__hospital_contact c USING (contact_id)
                         WHERE c.person_id='{pid}' AND coalesce(p.procedure_time, c.start_time) < {END}""",
        "municipal_service": f"SELECT count(*) FROM input__municipal_service WHERE person_id='{pid}' AND start_date <= DATE '2025-12-31'",
        "functional_assessment": f"SELECT count(*) FROM input__functional_assessment WHERE person_id='{pid}' AND assessment_date <= DATE '2025-12-31'",
        "gp_contact": f"SELECT count(*) FROM input__gp_contact WHERE person_id='{pid}' AND contact_date <= DATE '2025-12-31'",
        "lab_result": f"SELECT count(*) FROM input__lab_result WHERE person_id='{pid}' AND sample_time < {END}",
        "prescription": f"SELECT count(*) FROM input__prescription WHERE person_id='{pid}' AND dispensing_date <= DATE '2025-12-31'",
        "vaccination": f"SELECT count(*) FROM input__vaccination WHERE person_id='{pid}' AND vaccination_date <= DATE '2025-12-31'",
        "message": f"SELECT count(*) FROM input__message WHERE person_id='{pid}' AND sent_time < {END}",
        "appointment": f"SELECT count(*) FROM input__appointment WHERE person_id='{pid}' AND start_time < {END}",
    }
    got = {k: sum(1 for i in record["timeline"] if i["kind"] == k) for k in expected}
    want = {k: _n(sql, q) for k, q in expected.items()}
    assert got == want
    assert record["timeline_total"] == sum(want.values()) == len(record["timeline"])
    times = [i["time"] for i in record["timeline"]]
    assert times == sorted(times, reverse=True)
    assert want["lab_result"] > 0 and want["hospital_contact"] > 0 and want["message"] > 0


def test_master_data_residence_gp(record, citizen_env, sql):
    pid = citizen_env.pid
    p = sql(f"SELECT strftime(birth_date, '%Y-%m-%d') AS birth_date, sex FROM input__person WHERE person_id='{pid}'").iloc[0]
    assert record["person"]["birth_date"] == str(p.birth_date) and record["person"]["sex"] == p.sex
    born = date.fromisoformat(str(p.birth_date))
    assert record["person"]["age"] == 2025 - born.year - ((12, 31) < (born.month, born.day))
    ident = citizen_env.app.state.citizen.identity.get(pid)
    assert record["person"]["cpr"] == ident.cpr and record["person"]["name"] == ident.name
    current = [r for r in record["residence"] if r["current"]]
    assert [f"municipality:{r['municipality_code']}" for r in current] == [citizen_env.orgs["municipality"]]
    assert [f"gp:{g['clinic_id']}" for g in record["gp"] if g["current"]] == [citizen_env.orgs["gp"]]


def test_upcoming_latest_admission_diagnoses_labs(record, citizen_env, sql):
    pid = citizen_env.pid
    up = sql(f"SELECT start_time FROM input__appointment WHERE person_id='{pid}' AND status='booked' AND start_time >= {END} ORDER BY start_time")
    assert len(record["upcoming_appointments"]) == len(up)
    adm = sql(f"SELECT start_time, action_diagnosis FROM core__stay WHERE person_id='{pid}' AND is_admission AND start_time < {END} ORDER BY start_time DESC LIMIT 1").iloc[0]
    assert datetime.fromisoformat(record["latest_admission"]["start"]) == adm.start_time.to_pydatetime()
    assert record["latest_admission"]["action_diagnosis"] == adm.action_diagnosis
    dx = sql(f"""SELECT diagnosis_code, count(*) n FROM input__diagnosis d JOIN input__hospital_contact c USING (contact_id)
                 WHERE c.person_id='{pid}' AND NOT coalesce(d.refuted, false) AND c.start_time < {END} GROUP BY 1""")
    assert {o["code"]: o["count"] for o in record["diagnoses"]} == dict(zip(dx.diagnosis_code, dx.n, strict=True))
    latest = sql(f"""SELECT npu_code, arg_max(value, sample_time) v, count(*) n FROM input__lab_result
                     WHERE person_id='{pid}' AND sample_time < {END} GROUP BY 1""")
    assert {lab["npu_code"]: (lab["latest"]["value"], lab["n"]) for lab in record["labs"]} == \
        {c: (v, n) for c, v, n in zip(latest.npu_code, latest.v, latest.n, strict=True)}
    assert all(lab["name"] for lab in record["labs"])
    kinds = {m["code"] for m in record["letters"]}
    assert kinds <= {"admission_report", "discharge_report", "discharge_letter"}
    assert any(m["code"] == "discharge_letter" and m["detail"].startswith("Epikrise") for m in record["letters"])


def test_export_is_logged_as_export(citizen_env):
    env = citizen_env
    r = env.client.get(f"/api/citizens/{env.pid}/export", headers=env.headers("clin_gp"))
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    last = list(env.app.state.citizen.audit.entries())[-1]
    assert (last["action"], last["user"], last["subjects"]) == ("citizen.export", "clin_gp", [env.pid])


def test_search(record):
    hits = search_record(record, "epikrise")
    assert hits and all("epikrise" in (h["title"] + h["detail"]).lower() for h in hits)
    words = ["sygehus", "akut"]
    expected = [i for i in record["timeline"] + record["upcoming_appointments"]
                if all(w in " ".join(str(i.get(f) or "") for f in ("title", "detail", "code", "kind_label",
                                                                  "sector_label", "time", "description", "kind")).lower()
                       for w in words)]
    assert search_record(record, "Sygehus  AKUT") == expected
    assert search_record(record, "   ") == []
    assert search_record(record, "zzzz-no-such-thing") == []


def test_english_labels(citizen_env):
    env = citizen_env
    r = env.client.get(f"/api/citizens/{env.pid}?lang=en", headers=env.headers("clin_gp")).json()
    assert {i["sector_label"] for i in r["timeline"]} <= {"Hospital", "Municipality", "General practice",
                                                          "National registers"}


def test_status_field(citizen_env):
    env = citizen_env
    text = "Udskrevet 30.12. Hjemmeplejen genoptager besøg."
    r = env.client.put(f"/api/citizens/{env.pid}/status", json={"text": text}, headers=env.headers("clin_muni"))
    assert r.status_code == 200 and r.json()["user"] == "clin_muni"
    r = env.client.get(f"/api/citizens/{env.pid}/status", headers=env.headers("clin_gp"))
    latest = r.json()["history"][0]
    assert (latest["text"], latest["user"], latest["organisation"]) == (text, "clin_muni", env.orgs["municipality"])
    assert datetime.fromisoformat(latest["at"]).tzinfo is not None
    r = env.client.get(f"/api/citizens/{env.pid}/status?purpose=analysis", headers=env.headers("pseudo"))
    assert r.json()["history"][0]["user"] == ""           # analysts do not see who wrote it
    r = env.client.put(f"/api/citizens/{env.pid}/status", json={"text": "ring til 0101902013"},
                       headers=env.headers("clin_muni"))
    assert r.status_code == 422 and "0101902013" not in r.text


def test_lookup_by_cpr(citizen_env):
    env = citizen_env
    cpr = env.app.state.citizen.identity.get(env.pid).cpr
    r = env.client.post("/api/citizens/lookup", json={"cpr": cpr}, headers=env.headers("clin_gp"))
    assert r.json() == {"person_id": env.pid}
    r = env.client.post("/api/citizens/lookup", json={"cpr": "320190-2013"}, headers=env.headers("clin_gp"))
    assert r.status_code == 422 and "320190" not in r.text
    other = env.app.state.citizen.identity.get(env.other_pid).cpr
    r1 = env.client.post("/api/citizens/lookup", json={"cpr": other}, headers=env.headers("clin_gp"))
    r2 = env.client.post("/api/citizens/lookup", json={"cpr": "010101-0000"}, headers=env.headers("clin_gp"))
    assert r1.status_code == r2.status_code == 403 and r1.json() == r2.json()   # unknown == not yours


def test_cookie_session_needs_csrf(citizen_env):
    env = citizen_env
    from starlette.testclient import TestClient  # a fresh client with its own cookie jar
    client = TestClient(env.app)
    r = client.post("/api/auth/login", json={"user": "clin_gp", "password": "correct horse battery staple"})
    assert r.status_code == 200
    csrf = r.json()["csrf"]
    assert client.get(f"/api/citizens/{env.pid}").status_code == 200          # cookie works for reading
    r = client.put(f"/api/citizens/{env.pid}/status", json={"text": "Uden CSRF"})
    assert r.status_code == 403
    r = client.put(f"/api/citizens/{env.pid}/status", json={"text": "Med CSRF"}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200
    assert client.post("/api/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 200
    assert client.get(f"/api/citizens/{env.pid}").status_code == 401


def test_pages(citizen_env):
    env = citizen_env
    from starlette.testclient import TestClient
    client = TestClient(env.app)
    r = client.get(f"/borger/{env.pid}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    r = client.post("/login", data={"user": "clin_gp", "password": "correct horse battery staple"})
    assert r.status_code == 200 and "Find borger" in r.text
    r = client.get(f"/borger/{env.pid}")
    assert r.status_code == 200
    ident = env.app.state.citizen.identity.get(env.pid)
    assert ident.name in r.text and ident.cpr in r.text
    assert "Tidslinje på tværs af sektorer" in r.text and "Habituel værdi" in r.text
    assert re.search(r"\b\d{2}\.\d{2}\.\d{4}\b", r.text)                  # dates as 23.11.2026
    assert "<script src=\"/citizen-static/citizen.js\"" in r.text and "http" not in r.text.split("<main>")[0].replace(
        'http-equiv', '')
    assert client.get(f"/borger/{env.pid}?lang=en").text.count("Timeline across sectors") == 1
    assert client.get("/citizen-static/citizen.js").status_code == 200
    # the analyst page shows no identity
    client2 = TestClient(env.app)
    client2.post("/login", data={"user": "pseudo", "password": "correct horse battery staple"})
    r = client2.get(f"/borger/{env.pid}?purpose=analysis")
    assert r.status_code == 200 and ident.cpr not in r.text and ident.name not in r.text
    visible = re.sub(r'name="csrf" value="[0-9a-f]+"', "", r.text).replace(env.pid, "")   # hex tokens aside
    assert not re.search(CPR_PATTERN, visible)
    client3 = TestClient(env.app)
    client3.post("/login", data={"user": "clin_other", "password": "correct horse battery staple"})
    r = client3.get(f"/borger/{env.pid}")
    assert r.status_code == 403 and "Adgang nægtet" in r.text and ident.name not in r.text

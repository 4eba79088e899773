"""The access commands: users, consent, identity, audit verify and the citizen export."""

from __future__ import annotations

import json
import re

from typer.testing import CliRunner

from klynge.access import Principal, Role, audit_log
from klynge.cli import app
from klynge.contracts import CPR_PATTERN
from klynge.identity import IdentityStore, identity_path, parse_cpr

runner = CliRunner()


def test_user_consent_audit_cycle(tmp_path, monkeypatch):
    wh = tmp_path / "wh"
    wh.mkdir()
    monkeypatch.setenv("KLYNGE_NEW_PASSWORD", "a long enough password")
    r = runner.invoke(app, ["user", "add", "-w", str(wh), "--user", "anna", "--role", "clinician",
                            "--organisation", "municipality:461"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["user", "add", "-w", str(wh), "--user", "x", "--role", "pilot", "--organisation", "gp:1"])
    assert r.exit_code == 2
    r = runner.invoke(app, ["user", "list", "-w", str(wh)])
    assert "anna" in r.output and "clinician" in r.output
    r = runner.invoke(app, ["consent", "block", "-w", str(wh), "--person-id", "P0-1", "--kind", "sector",
                            "--value", "gp"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["consent", "list", "-w", str(wh), "--person-id", "P0-1"])
    assert "gp" in r.output and "source" in r.output
    r = runner.invoke(app, ["consent", "block", "-w", str(wh), "--person-id", "0101902013", "--kind", "sector",
                            "--value", "gp"])
    assert r.exit_code == 2
    audit_log(wh).append(Principal("anna", Role.CLINICIAN, "municipality:461"), "citizen.read",
                         purpose="treatment", subjects=["P0-1"], what="overview")
    r = runner.invoke(app, ["audit", "verify", "-w", str(wh)])
    assert r.exit_code == 0 and "3 poster" in r.output
    out = tmp_path / "adgang.json"
    r = runner.invoke(app, ["audit", "export", "-w", str(wh), "--person-id", "P0-1", "--out", str(out)])
    assert r.exit_code == 0
    report = json.loads(out.read_text())
    assert report["log_verified"] and [e["organisation"] for e in report["entries"]] == ["municipality:461"]
    r = runner.invoke(app, ["consent", "revoke", "-w", str(wh), "--person-id", "P0-1", "--block-id", "1"])
    assert r.exit_code == 0
    # tamper: change one character of the first entry
    path = audit_log(wh).path
    path.write_text(path.read_text().replace("anna", "anne", 1))
    r = runner.invoke(app, ["audit", "verify", "-w", str(wh)])
    assert r.exit_code == 1 and "ændret" in r.output


def test_identity_synth(synthetic_warehouse, tmp_path, sql):
    wh, _ = synthetic_warehouse
    r = runner.invoke(app, ["identity", "synth", "-w", str(wh), "--state", str(tmp_path)])
    assert r.exit_code == 0, r.output
    store = IdentityStore(identity_path(tmp_path))
    persons = sql("SELECT person_id, strftime(birth_date, '%Y-%m-%d') b, sex FROM input__person ORDER BY person_id LIMIT 200")
    assert store.count() == int(sql("SELECT count(*) n FROM input__person").n.iloc[0])
    for pid, born, sex in zip(persons.person_id, persons.b, persons.sex, strict=True):
        c = parse_cpr(store.get(pid).cpr)
        assert (c.birth_date.isoformat(), c.sex) == (born, sex)
    assert not re.search(CPR_PATTERN, r.output)

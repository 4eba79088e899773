"""No CPR number in clear outside the identity store: logs, audit, state files and error answers."""

from __future__ import annotations

import json
import logging
import re

from klynge.contracts import CPR_PATTERN


def test_no_cpr_in_logs_state_or_errors(citizen_env, caplog):
    env = citizen_env
    svc = env.app.state.citizen
    cpr = svc.identity.get(env.pid).cpr
    answers = []
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("klynge").info("lookup for %s", cpr)          # scrubbed even if someone logs it
        for body in ({"cpr": cpr}, {"cpr": cpr.replace("-", "")}, {"cpr": "320190-2013"}, {"cpr": "010190-20x3"}):
            for user in ("clin_gp", "clin_other", "pseudo"):
                r = env.client.post("/api/citizens/lookup", json=body, headers=env.headers(user))
                answers.append((r.status_code, r.text))
        r = env.client.put(f"/api/citizens/{env.pid}/status", json={"text": f"CPR {cpr}"},
                           headers=env.headers("clin_gp"))
        answers.append((r.status_code, r.text))
        r = env.client.get(f"/api/citizens/{cpr.replace('-', '')}", headers=env.headers("clin_gp"))
        answers.append((r.status_code, r.text))
        r = env.client.get(f"/api/consent/{cpr.replace('-', '')}", headers=env.headers("steward"))
        answers.append((r.status_code, r.text))
    assert {code for code, _ in answers} >= {200, 403, 422}
    for code, text in answers:
        if code == 200:
            continue
        assert not re.search(CPR_PATTERN, text), text
    assert not re.search(CPR_PATTERN, caplog.text)
    assert "XXXXXX-XXXX" in caplog.text
    # every file of the state except the identity store: no known CPR number (binary SQLite and
    # hex hashes may hold any run of digits), and no CPR-like text in the audit log's fields
    known = [i.cpr for i in map(svc.identity.get, [env.pid, env.other_pid])]
    for path in env.state.rglob("*"):
        if path.is_file() and "identity" not in path.parts:
            data = path.read_bytes().decode("utf-8", errors="ignore")
            for number in known:
                assert number not in data and number.replace("-", "") not in data, path
    assert not re.search(CPR_PATTERN, audit_text(svc.audit))


def audit_text(log) -> str:
    """The audit log's content without its hashes (hex digests may contain any digit run)."""
    return "\n".join(json.dumps({k: v for k, v in e.items() if k not in ("hash", "prev")}, ensure_ascii=False)
                     for e in log.entries())

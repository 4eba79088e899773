"""A source whose person file carries CPR numbers: validated, pseudonymised, identities kept apart."""

from __future__ import annotations

import csv
import hashlib
import hmac
import re
from datetime import date

from klynge.contracts import CPR_PATTERN
from klynge.identity import IdentityStore, identity_path, pseudonymise_source
from klynge.ingest import build_warehouse
from klynge.warehouse import open_warehouse

KEY = "a test key that is long enough"
PERSONS = [  # cpr, birth_date, sex, given, family
    ("010190-2013", "1990-01-01", "M", "Jens", "Hansen"),
    ("0202852014", "1985-02-02", "F", "Ida", "Nielsen"),
    ("241236-4000", "2036-12-24", "F", "Freja", "Olsen"),   # 2000s by the century rule... and in the future
    ("320190-2013", "1990-01-32", "M", "Bad", "Date"),        # impossible date
    ("12345", "1990-01-01", "M", "Bad", "Format"),
    ("030390-2011", "1990-03-04", "M", "Wrong", "Birth"),     # disagrees with birth_date
]


def _write(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def _pid(cpr):
    digits = cpr.replace("-", "")
    return "X" + hmac.new(KEY.encode(), digits.encode(), hashlib.sha256).hexdigest()[:24]


def test_pseudonymise_then_build(tmp_path, monkeypatch):
    raw, src, wh = tmp_path / "raw", tmp_path / "src", tmp_path / "wh"
    raw.mkdir()
    persons = [p for p in PERSONS if p[1] != "2036-12-24"]
    _write(raw / "person.csv", ["cpr", "birth_date", "sex", "given_name", "family_name"], persons)
    _write(raw / "residence.csv", ["cpr", "municipality_code", "valid_from"],
           [(p[0], "461", p[1]) for p in persons[:2]] + [("999999-9999", "461", "2000-01-01")])
    monkeypatch.setenv("KLYNGE_PSEUDONYM_KEY", KEY)
    result = pseudonymise_source(raw, src, wh)
    assert result.tables["person"] == {"read": 5, "written": 2, "quarantined": 3}
    assert result.tables["residence"] == {"read": 3, "written": 2, "quarantined": 1}
    assert result.identities == 2
    # nothing outside the identity store holds a CPR number in clear, nor the names
    for f in src.rglob("*"):
        if f.is_file():
            text = f.read_text(encoding="utf-8")
            assert not re.search(CPR_PATTERN, text), f
            assert "Jens" not in text and "Hansen" not in text
    with open(src / "person.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["person_id"] for r in rows] == [_pid(PERSONS[0][0]), _pid(PERSONS[1][0])]
    assert "cpr" not in rows[0] and "given_name" not in rows[0]
    with open(src / "identity-quarantine" / "person.csv", encoding="utf-8") as fh:
        q = list(csv.DictReader(fh))
    assert [r["reason"] for r in q] == ["not a possible date of birth", "not a CPR number (DDMMYY-SSSS)",
                                        "birth_date differs from the date in the CPR number"]
    assert q[0]["cpr"] == "XXXXXX-XXXX"
    store = IdentityStore(identity_path(wh))
    assert store.person_id_for("010190-2013") == _pid("010190-2013")
    assert store.get(_pid("0202852014")).name == "Ida Nielsen"
    # the pseudonymised source builds (the quarantine folder is not a table and is ignored)
    build_warehouse(src, wh, marts=False, period=(date(2021, 1, 1), date(2021, 12, 31)))
    con = open_warehouse(wh)
    ids = sorted(r[0] for r in con.con.sql("SELECT person_id FROM input__person").fetchall())
    assert ids == sorted([_pid(PERSONS[0][0]), _pid(PERSONS[1][0])])
    assert con.con.sql("SELECT count(*) FROM input__residence").fetchall()[0][0] == 2

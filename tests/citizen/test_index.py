"""The person-sorted index gives exactly the same records and care relations as the warehouse."""

from __future__ import annotations

from typer.testing import CliRunner

from klynge.access import Principal, Role
from klynge.citizen import CitizenService
from klynge.citizen._index import index_path
from klynge.cli import app

from .conftest import AS_OF


def test_index_equals_warehouse(synthetic_warehouse, sql, tmp_path):
    wh, _ = synthetic_warehouse
    plain = CitizenService(wh, tmp_path / "plain", AS_OF)
    indexed = CitizenService(wh, tmp_path / "indexed", AS_OF)
    r = CliRunner().invoke(app, ["citizen", "index", "-w", str(wh), "--state", str(tmp_path / "indexed")])
    assert r.exit_code == 0, r.output
    assert index_path(wh, tmp_path / "indexed").exists()
    indexed = CitizenService(wh, tmp_path / "indexed", AS_OF)       # reopened: picks the index up
    assert indexed._index is not None and plain._index is None
    # citizens with diagnoses and procedures among them
    pids = list(sql("""SELECT DISTINCT c.person_id FROM input__procedure p JOIN input__hospital_contact c USING (contact_id)
                       ORDER BY 1 LIMIT 4""").person_id) + list(sql("SELECT person_id FROM input__person ORDER BY person_id DESC LIMIT 2").person_id)
    for pid in pids:
        rel = plain.relations(pid)
        assert indexed.relations(pid) == rel
        org = min(rel.organisations)
        p = Principal("t", Role.CLINICIAN, org)
        a = plain.read(p, pid, purpose="treatment")
        b = indexed.read(p, pid, purpose="treatment")
        assert a == b
        if pid in pids[:4]:     # chosen for having procedures: the joined tables are exercised
            assert any(i["kind"] == "procedure" for i in b["timeline"])

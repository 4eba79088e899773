"""Every indicator's own hand-made cases (catalogue/<id>/cases.yaml), with expected numbers."""

from __future__ import annotations

import math

import pytest
from cases_support import compute_case, load_cases, select

from klynge.indicators import registry

CASES = [(i.id, i.folder / "cases.yaml") for i in registry().values()]


def test_every_indicator_has_cases():
    missing = [i for i, path in CASES if not path.is_file()]
    assert not missing, f"indicators without cases.yaml: {missing}"


@pytest.mark.parametrize("indicator_id,path", [c for c in CASES if c[1].is_file()], ids=[c[0] for c in CASES if c[1].is_file()])
def test_cases(indicator_id, path, tmp_path):
    spec = load_cases(path)
    long = compute_case(spec, indicator_id, tmp_path)
    for expect in spec["expect"]:
        row = select(long, expect)
        for field in ("numerator", "denominator", "value", "n_units", "n_events"):
            if field in expect:
                want, got = float(expect[field]), float(row[field])
                assert math.isclose(got, want, rel_tol=1e-6, abs_tol=1e-6), \
                    f"{indicator_id} {expect.get('note', '')}: {field} {got} != {want}"

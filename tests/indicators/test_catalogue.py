"""Catalogue conformance: every indicator validates, is documented, and is versioned with its logic."""

from __future__ import annotations

from pathlib import Path

import pytest

from klynge.indicators import load_codelist, registry
from klynge.indicators._registry import _folders
from klynge.indicators.docs import indicators_markdown
from klynge.indicators.lock import fingerprint, read_lock

ROOT = Path(__file__).resolve().parents[2]
CODELISTS = ROOT / "src" / "klynge" / "indicators" / "codelists"


def test_registry_finds_every_folder():
    assert len(registry()) == len(_folders()) >= 20


@pytest.mark.parametrize("indicator_id", list(registry()))
def test_definition_is_complete(indicator_id):
    ind = registry()[indicator_id]
    d = ind.definition
    assert d.title.da and d.title.en and d.description.da and d.description.en
    assert d.source.name
    assert d.population.en and d.event.en
    for name in d.codelists:
        df = load_codelist(name)
        assert len(df) > 0
    assert callable(ind.units())


def test_every_codelist_is_used():
    used = {c for i in registry().values() for c in i.definition.codelists}
    files = {p.stem for p in CODELISTS.glob("*.csv")}
    assert files == used


@pytest.mark.parametrize("indicator_id", list(registry()))
def test_changed_logic_gets_a_new_version(indicator_id):
    lock = read_lock()
    ind = registry()[indicator_id]
    assert indicator_id in lock, "new indicator: run `klynge docs` to record it in catalogue.lock.json"
    locked = lock[indicator_id]
    if fingerprint(ind) != locked["fingerprint"]:
        assert ind.definition.version != locked["version"], \
            f"{indicator_id}: its definition, logic or code lists changed; raise its version, then run `klynge docs`"
        pytest.fail(f"{indicator_id}: version raised; run `klynge docs` to update catalogue.lock.json")


def test_indicator_docs_are_generated_from_the_catalogue():
    assert (ROOT / "docs" / "indicators.md").read_text(encoding="utf-8") == indicators_markdown(), \
        "docs/indicators.md is stale: run `klynge docs`"

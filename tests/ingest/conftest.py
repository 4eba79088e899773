"""Fixtures for the build tests (the helpers themselves are in ``ingest_support``)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from ingest_support import Built, Rows, build_into, stand_in_core


@pytest.fixture
def fake_core() -> Iterator[list[tuple[date, date]]]:
    """``klynge.core`` replaced by a stand-in; yields the periods it was called with."""
    with stand_in_core() as calls:
        yield calls


@pytest.fixture
def build(tmp_path: Path, fake_core: list[tuple[date, date]]) -> Callable[..., Built]:
    """Build ``rows`` (options as for `build_into`); successive calls build into one warehouse."""
    numbers = itertools.count()

    def run(rows: Rows, **options: Any) -> Built:
        source = tmp_path / f"source{next(numbers)}"
        return build_into(source, tmp_path / "warehouse", rows, **options)

    return run

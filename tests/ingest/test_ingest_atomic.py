"""A failed or killed build never harms the current warehouse, and the next build cleans up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from ingest_support import Built, minimal_rows, write_source

import klynge.ingest._build as build_module
from klynge.contracts import Table
from klynge.ingest import BuildError, build_warehouse
from klynge.warehouse import current_build, open_warehouse, read_manifest


def _assert_intact(warehouse: Path, built: Built) -> None:
    """``current`` still points at ``built``, whose tables open and match its manifest."""
    assert current_build(warehouse) == built.result.path
    assert read_manifest(warehouse) == built.result.manifest
    con = open_warehouse(warehouse)
    try:
        for name, entry in built.result.manifest["tables"].items():
            assert con.table(f"input__{name}").count().execute() == entry["accepted"], name
    finally:
        con.disconnect()


def _build_dirs(warehouse: Path) -> list[str]:
    return sorted(p.name for p in (warehouse / "builds").iterdir())


def test_publishing_switches_current_and_keeps_one_previous_build(build: Callable[..., Built]) -> None:
    first, second = build(minimal_rows()), build(minimal_rows())
    warehouse = first.warehouse
    assert os.readlink(warehouse / "current") == f"builds/{second.result.run_id}"  # relative link
    assert _build_dirs(warehouse) == sorted([first.result.run_id, second.result.run_id])
    third = build(minimal_rows())
    assert _build_dirs(warehouse) == sorted([second.result.run_id, third.result.run_id])
    _assert_intact(warehouse, third)


@pytest.mark.parametrize("step", ["input", "core"])
def test_a_build_failing_midway_leaves_the_previous_one_current(
    build: Callable[..., Built], monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    first = build(minimal_rows())

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"{step} failed")

    if step == "input":  # fail at hospital_contact, after person and residence are written
        real_load = build_module.load_input_table

        def load_or_fail(con: Any, table: Table, *args: Any) -> Any:
            return fail() if table.name == "hospital_contact" else real_load(con, table, *args)

        monkeypatch.setattr(build_module, "load_input_table", load_or_fail)
    else:
        monkeypatch.setattr(build_module, "_build_core", fail)
    changed = minimal_rows()
    changed["person"].pop()
    with pytest.raises(RuntimeError, match=f"{step} failed"):
        build(changed)
    _assert_intact(first.warehouse, first)
    assert _build_dirs(first.warehouse) == [first.result.run_id]  # the partial build is gone


def _larger_source(folder: Path, persons: int = 2_000, contacts: int = 200_000) -> Path:
    """The minimal source plus many persons and GP contacts, as Parquet part files."""
    rows = minimal_rows()
    rows["person"] += [
        {"person_id": f"Q{i}", "birth_date": "1960-01-01", "sex": "M", "death_date": ""}
        for i in range(persons)
    ]
    write_source(folder, rows)
    (folder / "gp_contact.csv").unlink()
    (folder / "gp_contact").mkdir()
    half = contacts // 2
    for part in range(2):
        ids = range(part * half, (part + 1) * half)
        pq.write_table(
            pa.table(
                {
                    "contact_id": [f"G{i}" for i in ids],
                    "person_id": [f"Q{i % persons}" for i in ids],
                    "contact_date": pa.array([20000 + i % 300 for i in ids], pa.int32()).cast(pa.date32()),
                    "kind": ["consultation"] * half,
                    "clinic_id": ["K1"] * half,
                    "provider_id": [None] * half,
                }
            ),
            folder / "gp_contact" / f"part-{part:05d}.parquet",
        )
    return folder


# A build in its own process whose core step never ends, so that it is surely killed mid-run.
_SLOW_BUILD = """
import sys, time, types
from pathlib import Path
core = types.ModuleType("klynge.core")
core.build_core = lambda con, start, end: time.sleep(600)
sys.modules["klynge.core"] = core
from klynge.ingest import build_warehouse
build_warehouse(Path(sys.argv[1]), Path(sys.argv[2]))
"""


@pytest.mark.slow
def test_a_killed_build_leaves_the_previous_one_current(build: Callable[..., Built], tmp_path: Path) -> None:
    first = build(minimal_rows())
    warehouse = first.warehouse
    source = _larger_source(tmp_path / "larger")
    with subprocess.Popen(
        [sys.executable, "-c", _SLOW_BUILD, str(source), str(warehouse)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    ) as process:
        try:
            partial = _wait_for_partial_database(warehouse, process)
            # While it runs, a second build is refused rather than interleaved.
            with pytest.raises(BuildError, match="another build is running"):
                build_warehouse(source, warehouse)
            time.sleep(0.3)
            assert process.poll() is None, "the build ended before it could be killed"
            process.send_signal(signal.SIGKILL)
            assert process.wait(timeout=30) == -signal.SIGKILL
        finally:
            if process.poll() is None:
                process.kill()
    assert partial.is_dir()
    _assert_intact(warehouse, first)

    second = build_warehouse(source, warehouse)
    assert second.manifest["cleaned_up"] == [partial.name]
    assert not partial.exists()
    assert second.tables["gp_contact"].accepted == 200_000
    assert second.manifest["tables"]["gp_contact"]["source"] == [
        "gp_contact/part-00000.parquet",
        "gp_contact/part-00001.parquet",
    ]
    assert _build_dirs(warehouse) == sorted([first.result.run_id, second.run_id])
    assert current_build(warehouse) == second.path


def _wait_for_partial_database(warehouse: Path, process: subprocess.Popen[bytes]) -> Path:
    """Wait until the build in ``process`` has created its partial database; return the partial folder."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = list((warehouse / "builds").glob("*.partial/klynge.duckdb"))
        if found:
            return found[0].parent
        if process.poll() is not None:
            raise AssertionError(
                f"the build ended early: {process.stderr.read().decode() if process.stderr else ''}"
            )
        time.sleep(0.01)
    raise AssertionError("the build did not start within 60 s")

"""``klynge build --engine ...`` on every engine, through the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from engines_support import SPARK_CONF
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parents[1] / "ingest"))
from ingest_support import minimal_rows, write_source  # noqa: E402

from klynge.cli import app  # noqa: E402

runner = CliRunner()


def _skip_marts(monkeypatch: pytest.MonkeyPatch) -> None:
    # The marts run on both engines in the parity suite; here the command line is what is tested.
    monkeypatch.setattr("klynge.ingest._build._build_marts", lambda con, start, end: {"indicators": {"rows": 0}})


def test_build_command_on_each_engine(engine: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _skip_marts(monkeypatch)
    source = write_source(tmp_path / "source", minimal_rows())
    options = ["--engine", engine]
    if engine == "spark":
        options += ["--spark-master", SPARK_CONF["spark.master"], "--spark-conf", "spark.sql.shuffle.partitions=2"]
    result = runner.invoke(app, ["build", "--source", str(source), "--warehouse", str(tmp_path / "wh"), *options])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "wh" / "current" / "manifest.json").read_text())
    assert manifest["engine"] == engine
    assert manifest["tables"]["person"]["accepted"] == 3
    assert manifest["core"]["core__stay"] == 2
    assert (tmp_path / "wh" / "current" / "parquet").is_dir() == (engine == "spark")


@pytest.mark.parametrize("options", [["--engine", "flink"], ["--engine", "spark", "--spark-conf", "novalue"]])
def test_bad_engine_options_are_refused(options: list[str], tmp_path: Path) -> None:
    source = write_source(tmp_path / "source", minimal_rows())
    result = runner.invoke(app, ["build", "--source", str(source), "--warehouse", str(tmp_path / "wh"), *options])
    assert result.exit_code == 2
    assert "flink" in result.output or "key=value" in result.output
    assert not (tmp_path / "wh" / "current").exists()

"""The warehouse build: sources -> validated input layer -> core tables -> a new current build."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import ibis

from klynge.contracts import TABLES, load_reference
from klynge.ingest._engine import connect
from klynge.ingest._errors import BuildError
from klynge.ingest._foreign import ReaderOutput, build_foreign
from klynge.ingest._input import TableCounts, load_input_table
from klynge.ingest._period import resolve_period
from klynge.ingest._report import (
    BuildProgress,
    Timings,
    counts_line,
    print_reconciliation,
    table_entry,
    versions,
    write_manifest,
)
from klynge.ingest._sources import SourceTable, find_sources, inspect_source, read_source_metadata
from klynge.warehouse._layout import (
    DATABASE,
    MANIFEST,
    QUARANTINE,
    WarehouseLockedError,
    build_lock,
    current_target,
    new_run_id,
    partial_dir,
    prune,
    publish,
    remove_partials,
)


@dataclass(frozen=True)
class BuildResult:
    """What a successful build produced.

    Attributes
    ----------
    run_id : the build's id, also its folder name under ``WAREHOUSE/builds/``.
    path : the build's folder (now the target of ``WAREHOUSE/current``).
    manifest : the content of its ``manifest.json``.
    tables : rows read, accepted and quarantined per canonical table.
    """

    run_id: str
    path: Path
    manifest: dict[str, Any]
    tables: dict[str, TableCounts]


def build_warehouse(
    source: Path,
    warehouse: Path,
    *,
    period: tuple[date, date] | None = None,
    progress: bool = False,
    council_mapping: Path | None = None,
    marts: bool = True,
    engine: str = "duckdb",
    spark_conf: Mapping[str, str] | None = None,
    format: str = "canonical",
    _reader: ReaderOutput | None = None,
) -> BuildResult:
    """Build a new warehouse from a source folder and make it the current one.

    Every source row is checked against the canonical model (`klynge.contracts.TABLES`).
    Good rows go to the DuckDB tables ``input__<table>``; bad rows go, with their reasons, to
    ``quarantine/<table>.parquet``. Then the reference tables (``ref__*``) and the core tables
    (``core__*``, by `klynge.core.build_core`) are built. The previous build stays current
    until the new one is complete, and is kept for rollback; older builds are deleted.

    Parameters
    ----------
    source
        Folder with one ``<table>.csv``, ``<table>.parquet`` or ``<table>/`` (of part files)
        per canonical table, and optionally ``klynge-source.json``.
    warehouse
        Folder of the warehouse; created if missing.
    period
        First and last day of the study period. Default: from ``klynge-source.json``, else
        from the months of the earliest and latest events.
    progress
        Show a line per table while building, and the reconciliation at the end.
    council_mapping
        CSV with ``municipality_code, council_id, council_name``; default one council per
        health cluster.
    marts
        Also compute the marts (indicator catalogue, population overview). Tests of single
        indicators turn this off and compute what they need.
    engine
        ``duckdb`` (the default) or ``spark``: the engine that runs validation, core and marts.
        On Spark the tables are written as Parquet to ``parquet/`` in the build folder and then
        loaded into its ``klynge.duckdb``, so the warehouse is the same (``docs/spark.md``).
    spark_conf
        Spark settings for ``engine="spark"``, e.g. ``{"spark.master": "local[2]"}``.
    format
        ``canonical`` (the default), or a foreign format read by `klynge.readers` (``lpr3``,
        ``fhir``, ``omop``) into canonical tables first; canonical files beside the foreign
        ones are used for the tables the reader does not produce.

    Returns
    -------
    BuildResult

    Raises
    ------
    BuildError
        For a problem that makes the build impossible: no source folder, a required table or
        column missing, an unreadable file, another build running. The warehouse is unchanged.

    Examples
    --------
    >>> result = build_warehouse(Path("source"), Path("warehouse"))  # doctest: +SKIP
    >>> result.tables["person"].quarantined  # doctest: +SKIP
    0
    """
    source, warehouse = Path(source), Path(warehouse)
    if format != "canonical":
        return build_foreign(
            format, source, warehouse, period=period, progress=progress, council_mapping=council_mapping, marts=marts,
            engine=engine, spark_conf=spark_conf,
        )
    # Problems with the source are found before the warehouse is touched.
    found, ignored = find_sources(source)
    missing = [t.name for t in TABLES.values() if t.required and t.name not in found]
    if missing:
        raise BuildError(
            f"{source}: required table(s) {', '.join(missing)} missing; expected e.g. "
            f"{missing[0]}.csv, {missing[0]}.parquet or a folder {missing[0]}/ of part files"
        )
    metadata = read_source_metadata(source)
    if period is not None and period[1] < period[0]:
        raise BuildError(f"the period ends ({period[1]}) before it starts ({period[0]})")
    try:
        with build_lock(warehouse):
            cleaned = remove_partials(warehouse)
            run_id = new_run_id()
            partial = partial_dir(warehouse, run_id)
            partial.mkdir(parents=True)
            try:
                build = _Build(source, partial, run_id, progress, marts, _reader, engine, spark_conf)
                manifest = build.run(found, ignored, metadata, period, council_mapping, cleaned)
            except BaseException:
                shutil.rmtree(partial, ignore_errors=True)
                raise
            previous = current_target(warehouse)
            final = publish(warehouse, partial)
            prune(warehouse, keep={final, *([previous] if previous else [])})
    except WarehouseLockedError as error:
        raise BuildError(str(error)) from None
    return BuildResult(run_id, final, manifest, build.counts)


class _Build:
    """One build, writing into its partial folder."""

    def __init__(
        self, source: Path, partial: Path, run_id: str, progress: bool, marts: bool = True,
        reader: ReaderOutput | None = None, engine: str = "duckdb", spark_conf: Mapping[str, str] | None = None,
    ) -> None:
        self.source, self.partial, self.run_id = source, partial, run_id
        self.progress, self.marts, self.reader = progress, marts, reader
        self.engine, self.spark_conf = engine, spark_conf
        self.timings = Timings()
        self.counts: dict[str, TableCounts] = {}

    def run(
        self,
        found: dict[str, Any],
        ignored: list[str],
        metadata: dict[str, Any],
        period: tuple[date, date] | None,
        council_mapping: Path | None,
        cleaned: list[str],
    ) -> dict[str, Any]:
        """Build everything into the partial folder; return the manifest written there.

        ``cleaned`` names the partial folders of earlier failed builds that were removed.
        """
        scratch = self.partial / "tmp"
        with self.timings.step("total"), BuildProgress(self.progress) as bar:
            with self.timings.step("sources"):
                sources = {
                    name: inspect_source(TABLES[name], fmt, files, self.source, scratch)
                    for name, (fmt, files) in found.items()
                }
            con = _connect(self.engine, self.partial, scratch, self.spark_conf)
            try:
                with self.timings.step("reference"):
                    reference = _load_reference(con, council_mapping)
                self._load_inputs(con, sources, bar)
                with self.timings.step("period"):
                    start, end, origin = resolve_period(period, metadata, lambda t: con.table(f"input__{t}"))
                with self.timings.step("core"):
                    bar.start("core", "core tables")
                    core = _build_core(con, start, end)
                    bar.done("core", f"core tables: {', '.join(f'{k} {v:,}' for k, v in core.items())}")
                marts: dict[str, Any] = {}
                if self.engine == "spark" and self.marts:
                    # The input and core tables are final: loaded into klynge.duckdb while the
                    # marts are computed (the rest follows in the "duckdb" step).
                    con.export_in_background(self.partial / DATABASE)
                if self.marts:
                    with self.timings.step("marts"):
                        bar.start("marts", "indicators and overview")
                        marts = _build_marts(con, start, end)
                        bar.done("marts", f"marts: {marts['indicators']['rows']:,} indicator rows")
                if self.engine == "spark":
                    with self.timings.step("duckdb"):  # the Parquet tables into klynge.duckdb
                        con.export(self.partial / DATABASE)
            finally:
                con.disconnect()
            shutil.rmtree(scratch, ignore_errors=True)
        tables = {name: table_entry(name, sources.get(name), counts) for name, counts in self.counts.items()}
        if self.reader:
            self.reader.annotate(tables)
        manifest = {
            "run_id": self.run_id,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "source": str((self.reader.source if self.reader else self.source).resolve()),
            "format": self.reader.report.format if self.reader else "canonical",
            "engine": self.engine,
            "versions": versions(),
            "period": {"start": start.isoformat(), "end": end.isoformat(), "origin": origin},
            "source_metadata": metadata,
            "tables": tables,
            "ignored": ignored,
            "reference": reference,
            "core": core,
            "marts": marts,
            "timings": dict(self.timings),
            "cleaned_up": cleaned,
        }
        if self.reader:
            manifest["reader"] = self.reader.report.as_dict()
        write_manifest(self.partial / MANIFEST, manifest)
        if self.progress:
            print_reconciliation(bar.console, tables)
        return manifest

    def _load_inputs(self, con: Any, sources: dict[str, SourceTable], bar: BuildProgress) -> None:
        # Tables are loaded in model order, which puts every table after those it references.
        for table in TABLES.values():
            bar.start(table.name, table.name)
            with self.timings.step(f"input:{table.name}"):
                counts = load_input_table(con, table, sources.get(table.name), self.partial / QUARANTINE)
                if self.reader:
                    counts = self.reader.add_counts(table.name, counts, self.partial / QUARANTINE)
            self.counts[table.name] = counts
            bar.done(table.name, counts_line(table.name, counts, table.name in sources))


def _load_reference(con: Any, council_mapping: Path | None) -> dict[str, int]:
    """Create ``ref__region``, ``ref__municipality``, ``ref__health_cluster``, ``ref__health_council``."""
    try:
        frames = load_reference(council_mapping)
    except (OSError, ValueError) as error:
        raise BuildError(f"{council_mapping}: cannot use the council mapping ({error})") from error
    for name, frame in frames.items():
        con.create_table(f"ref__{name}", ibis.memtable(frame))
    return {name: len(frame) for name, frame in frames.items()}


def _build_core(con: Any, start: date, end: date) -> dict[str, int]:
    """Build the ``core__*`` tables; return their row counts.

    Imported at call time: the core layer is its own package, built on top of this one.
    """
    from klynge.core import build_core

    return {str(name): int(rows) for name, rows in build_core(con, start, end).items()}


def _build_marts(con: Any, start: date, end: date) -> dict[str, Any]:
    """Build the marts (population overview, indicator catalogue); return what they report."""
    from klynge.indicators import write_indicators
    from klynge.marts import write_overview

    result: dict[str, Any] = {}
    indicators = write_indicators(con, period=(start, end))
    overview = write_overview(con, reuse_conditions=True)  # the catalogue wrote the conditions
    result["overview"] = {str(k): int(v) for k, v in overview.items()}
    result["indicators"] = {k: indicators[k] for k in ("run_id", "rows", "codelist_versions", "timings", "left_out")}
    return result


ENGINES = ("duckdb", "spark")


def _connect(engine: str, partial: Path, scratch: Path, spark_conf: Mapping[str, str] | None) -> Any:
    """The build's Ibis connection: a new DuckDB file, or a Spark session storing Parquet."""
    if engine == "duckdb":
        return connect(partial / DATABASE, scratch / "spill")
    if engine == "spark":
        from klynge.ingest import _engine_spark

        return _engine_spark.connect(partial, scratch, spark_conf)
    raise BuildError(f"unknown engine {engine!r}; expected one of {', '.join(ENGINES)}")

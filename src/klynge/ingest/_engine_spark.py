"""The engine-specific part of the build on Spark: the session, reading sources, storing tables.

The Spark counterpart of `klynge.ingest._engine`. Validation, core and marts are the same Ibis
expressions as on DuckDB, run by Ibis's pyspark backend. Only this module knows Spark:

* `spark_session` opens (or reuses) a SparkSession: Danish session time zone, Arrow on, UI off,
  bound to 127.0.0.1 in local mode;
* `raw_relation` reads a source table with Spark and numbers its rows as DuckDB does;
* `SparkBuild` is the Ibis connection of a build: every table it creates (``input__*``,
  ``ref__*``, ``core__*``, ``marts__*``) is written as Parquet into the build folder and read
  back from there, and `SparkBuild.export` loads those files into the build's DuckDB file, so
  everything downstream of the build (dashboard, risk, cohorts) is the same for both engines.

Spark keeps timestamps as instants (``TIMESTAMP``, UTC inside) and shows and parses them in the
session time zone, like DuckDB's ``TIMESTAMPTZ`` with ``TimeZone`` set: with Europe/Copenhagen
the calendar dates and months of instants are Danish ones on both engines.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir
import sqlglot.expressions as sge
from ibis.backends.pyspark import Backend as _PySparkBackend
from ibis.backends.pyspark.datatypes import PySparkSchema, PySparkType
from ibis.backends.sql.compilers.pyspark import PySparkCompiler

from klynge.contracts import CPR_PATTERN
from klynge.ingest._errors import BuildError
from klynge.ingest._rules import IBIS_TYPES
from klynge.ingest._sources import SourceTable
from klynge.warehouse._open import DANISH_TIME_ZONE

# An instant, as the model types it (DuckDB TIMESTAMPTZ; Spark TIMESTAMP).
INSTANT = IBIS_TYPES["timestamp"]
# Where the tables of a Spark build are written, inside the build folder.
PARQUET = "parquet"
DEFAULT_MASTER = "local[*]"

# Settings every build needs, whatever the cluster: Danish time, instants written as
# microsecond timestamps (not Spark's legacy INT96, which DuckDB would read as naive),
# Arrow for collecting results, and NULL rather than an error for a failed cast or a
# division by zero (as on DuckDB; every cast in the rules is a TRY_CAST anyway).
RUNTIME_CONF = {
    "spark.sql.session.timeZone": DANISH_TIME_ZONE,
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.ansi.enabled": "false",
    "spark.sql.adaptive.enabled": "true",
}
HUGE_METHODS = "-XX:-DontCompileHugeMethods"
# Defaults for a session this module starts; `--spark-conf` overrides any of them.
SESSION_DEFAULTS = {
    "spark.app.name": "klynge-build",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.memory": "2g",
    "spark.hadoop.mapreduce.fileoutputcommitter.marksuccessfuljobs": "false",
    # The JVM leaves methods of more than 8,000 bytes of bytecode to its interpreter. The code
    # Spark generates for a table's validation rules is larger than that, and was interpreted
    # (the rule pass of hospital_contact at 100k persons: 4.4 s, compiled 2.0 s).
    "spark.driver.extraJavaOptions": HUGE_METHODS,
    "spark.executor.extraJavaOptions": HUGE_METHODS,
    **RUNTIME_CONF,
}
# Local mode: a few shuffle partitions (the default 200 is for clusters), and the driver on
# the loopback address (nothing outside this machine needs to reach it).
LOCAL_DEFAULTS = {
    "spark.sql.shuffle.partitions": "4",
    # The driver is the executor: a table joined by broadcast is never sent anywhere, and up to
    # 200 MB (the persons and residences of a region) it is hashed in memory instead of both
    # sides of the join being sorted.
    "spark.sql.autoBroadcastJoinThreshold": "200MB",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.driver.host": "127.0.0.1",
}


def is_local(master: str) -> bool:
    """Whether a master URL runs everything on this machine (``local``, ``local[2]``, ...)."""
    return master.startswith("local")


def spark_session(conf: Mapping[str, str] | None = None) -> tuple[Any, bool]:
    """The active SparkSession, or a new one; return it and whether it was started here.

    Parameters
    ----------
    conf
        Spark settings (``spark.master``, ``spark.driver.memory``, ...); they override the
        defaults. An active session is reused: its static settings (master, memory) stay as
        they are, the runtime ones given here are applied.

    Examples
    --------
    >>> session, started = spark_session({"spark.master": "local[2]"})  # doctest: +SKIP
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as error:  # pragma: no cover - the spark extra is not installed
        raise BuildError("the Spark engine needs PySpark: pip install 'klynge[spark]'") from error
    conf = dict(conf or {})
    active = SparkSession.getActiveSession()
    if active is not None:
        for key, value in {**RUNTIME_CONF, **conf}.items():
            if active.conf.isModifiable(key):  # static settings (master, memory) stay as started
                active.conf.set(key, value)
        return active, False
    # Under spark-submit the master and resources come from its command line (the JVM is
    # already running and PYSPARK_GATEWAY_PORT names it): they are not overridden here.
    submitted = "PYSPARK_GATEWAY_PORT" in os.environ and "spark.master" not in conf
    master = conf.get("spark.master", "" if submitted else DEFAULT_MASTER)
    settings = {**(RUNTIME_CONF if submitted else SESSION_DEFAULTS), **(LOCAL_DEFAULTS if is_local(master) else {}),
                **conf}
    if master:
        settings["spark.master"] = master
    if is_local(master):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    master = master or "as submitted"
    builder = SparkSession.builder
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as error:  # the JVM did not start: no Java, a bad setting, ...
        raise BuildError(f"cannot start Spark (master {master}): {error}") from error
    session.sparkContext.setLogLevel("ERROR")
    return session, True


# Microseconds per unit of a time difference that is elapsed real time.
_ELAPSED_UNITS = {"microsecond": 1, "millisecond": 1_000, "second": 1_000_000, "minute": 60_000_000,
                  "hour": 3_600_000_000}


class _Compiler(PySparkCompiler):
    """Ibis's Spark SQL, with differences of instants in elapsed time.

    Spark's ``DATEDIFF(MICROSECOND, a, b)`` subtracts the wall-clock times in the session time
    zone, so a hospital stay across the autumn clock change would come out an hour longer than
    it lasted; DuckDB subtracts the instants. Differences in units up to hours are therefore
    computed from ``unix_micros`` here (days and longer are calendar differences on both).

    Hashes are 64 bits, as DuckDB's: Spark's ``HASH`` has 32, so a million keys share about a
    hundred hashes by chance, each a candidate duplicate to check in full.
    """

    SIMPLE_OPS = {**PySparkCompiler.SIMPLE_OPS, ops.Hash: "xxhash64"}

    def visit_TimestampDelta(self, op: Any, *, part: Any, left: Any, right: Any) -> Any:
        unit = str(getattr(op.part, "value", "")).lower()
        if unit not in _ELAPSED_UNITS:
            return super().visit_TimestampDelta(op, part=part, left=left, right=right)
        micros = _ELAPSED_UNITS[unit]

        def count(value: Any) -> Any:
            return self.f.unix_micros(value) if micros == 1 else self.f.div(self.f.unix_micros(value), micros)

        return count(left) - count(right)

    def visit_TimestampAdd(self, op: Any, *, left: Any, right: Any) -> Any:
        micros = _elapsed_micros(op.right)
        if micros is None:
            return super().visit_TimestampAdd(op, left=left, right=right)
        return self.f.timestamp_micros(self.f.unix_micros(left) + micros)

    def visit_TimestampSub(self, op: Any, *, left: Any, right: Any) -> Any:
        micros = _elapsed_micros(op.right)
        if micros is None:
            return super().visit_TimestampSub(op, left=left, right=right)
        return self.f.timestamp_micros(self.f.unix_micros(left) - micros)

    def visit_TryCast(self, op: Any, *, arg: Any, to: Any) -> Any:
        if not (op.arg.dtype.is_string() and to.is_timestamp()):
            return super().visit_TryCast(op, arg=arg, to=to)
        return _text_to_instant(self, arg)


_UNIT_MICROS = {"h": 3_600_000_000, "m": 60_000_000, "s": 1_000_000, "ms": 1_000, "us": 1}


def _elapsed_micros(interval: Any) -> int | None:
    """Microseconds of a literal interval in hours or finer units, else None.

    Spark adds ``INTERVAL '720' HOUR`` to an instant as 30 calendar days in the session time
    zone (719 or 721 real hours across a clock change); DuckDB adds 720 real hours. Such
    intervals (the 30 x 24 h window of home time) are added as elapsed time here.
    """
    if not (isinstance(interval, ops.Literal) and interval.dtype.is_interval()):
        return None
    factor = _UNIT_MICROS.get(interval.dtype.unit.short)
    value = interval.value
    if factor is None or not isinstance(value, int):
        return None
    return value * factor


# Text forms of times: a time of day without seconds right before its zone ("10:00+01:00"),
# a zone after a space ("10:00:00 +01:00"), any explicit zone at the end.
_NO_SECONDS_BEFORE_ZONE = "^([ ]*[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}[T ][0-9]{1,2}:[0-9]{2})(?=[ ]*([Zz]|[+-][0-9]))"
_SPACE_BEFORE_OFFSET = "[0-9][ ]+[+-][0-9]{2}(:?[0-9]{2})?[ ]*$"


def _text_to_instant(compiler: PySparkCompiler, text: Any) -> Any:
    """Spark SQL reading a text as an instant exactly as DuckDB reads it into ``TIMESTAMPTZ``.

    Both read a naive time in the session time zone (Danish time) and move one in the spring
    gap an hour on; they differ in three places, settled here as DuckDB does:

    * a naive time in the repeated autumn hour (2024-10-27 02:30) is its *second* occurrence
      (winter time) on DuckDB, the first on Spark: an instant whose local hour is unchanged an
      hour later is such a first occurrence, and is moved on to the second;
    * ``2024-10-27 10:00+01:00`` (no seconds, then a zone) is a time on DuckDB only;
    * ``2024-10-27 10:00:00 +01:00`` (a space before the offset) is no time on DuckDB.
    """
    padded = compiler.f.regexp_replace(text, sge.convert(_NO_SECONDS_BEFORE_ZONE), sge.convert("$1:00"))
    value = sge.TryCast(this=padded, to=sge.DataType.build("TIMESTAMP"), safe=True)
    later = sge.Add(this=value, expression=sge.Interval(this=sge.convert("1"), unit=sge.Var(this="HOUR")))
    naive = sge.Not(this=sge.RegexpLike(this=text, expression=sge.convert("[0-9]:[0-9]{2}.*([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)[ ]*$")))
    repeated = sge.and_(naive, sge.EQ(this=compiler.f.hour(later), expression=compiler.f.hour(value)))
    return (
        sge.Case()
        .when(sge.RegexpLike(this=text, expression=sge.convert(_SPACE_BEFORE_OFFSET)), sge.Null())
        .when(repeated, later)
        .else_(value)
    )


class SparkBuild(_PySparkBackend):
    """Ibis's pyspark backend, storing each table of a build as Parquet in the build folder.

    ``create_table`` writes the rows as Parquet under ``root/<name>`` and makes ``<name>`` a
    session view of those files (a ``temp`` table is cached in memory instead): a table is computed
    once, and later queries read it back like a DuckDB table. Column types are those of the
    Ibis expression, so that the DuckDB file gets the same types from either engine.
    """

    compiler = _Compiler()

    def connect_build(self, session: Any, root: Path, scratch: Path, owns_session: bool) -> SparkBuild:
        """Connect to ``session`` (Ibis sets its time zone to UTC: it is set back to Danish time)."""
        self.do_connect(session)
        for key, value in RUNTIME_CONF.items():
            session.conf.set(key, value)
        self.root, self.scratch, self.owns_session = root, scratch, owns_session
        self.stored: dict[str, Path] = {}
        self.views: set[str] = set()
        self.cached: dict[str, Any] = {}
        self.exporter: _Exporter | None = None
        return self

    def create_table(  # type: ignore[override]
        self,
        name: str,
        /,
        obj: Any = None,
        *,
        schema: Any = None,
        database: str | None = None,
        temp: bool | None = None,
        overwrite: bool = False,
        **kwargs: Any,
    ) -> ir.Table:
        if database is not None:
            raise NotImplementedError("a build keeps its tables in its own folder, not in a database")
        if name in self.views and not overwrite:
            raise ValueError(f"table {name} exists already")
        if obj is None:
            if schema is None:
                raise ValueError("create_table needs rows or a schema")
            frame = self._session.createDataFrame([], PySparkSchema.from_ibis(ibis.schema(schema)))
        else:
            expr = obj if isinstance(obj, ir.Expr) else ibis.memtable(obj)
            frame = self._frame(expr)
        self._settle(name)
        if name in self.views:
            self.drop_view(name)
        if temp:
            # A staging table (the checked rows) is read a few times and then dropped: kept in
            # memory (spilling to local disk), not written out.
            from pyspark import StorageLevel

            frame = frame.persist(StorageLevel.MEMORY_AND_DISK)
            frame.createOrReplaceTempView(name)
            self.views.add(name)
            self.cached[name] = frame
            return self.table(name)
        path = self.root / name
        fresh = path.with_name(f".{name}.{uuid.uuid4().hex[:8]}")
        frame.write.mode("overwrite").parquet(str(fresh))
        shutil.rmtree(path, ignore_errors=True)
        fresh.rename(path)
        self._session.read.parquet(str(path)).createOrReplaceTempView(name)
        self.views.add(name)
        self.stored[name] = path
        return self.table(name)

    def stored_rows(self, name: str) -> int:
        """Rows of a stored table, from its Parquet footers (no Spark job)."""
        import pyarrow.parquet as pq

        return sum(pq.ParquetFile(part).metadata.num_rows for part in self.stored[name].glob("*.parquet"))

    def _frame(self, expr: ir.Table) -> Any:
        """The Spark DataFrame of an expression, with the column types Ibis gives it.

        Spark sometimes computes a wider or different type than Ibis declares (``DATE_TRUNC``
        of a date is a timestamp in Spark, a date in Ibis); the Ibis type is what a DuckDB
        build stores, so that is what is written.
        """
        from pyspark.sql import functions as F

        self._run_pre_execute_hooks(expr)
        frame = self._session.sql(self.compile(expr))
        columns = []
        for (column, dtype), field in zip(expr.schema().items(), frame.schema.fields, strict=True):
            target = PySparkType.from_ibis(dtype)
            value = F.col(f"`{field.name}`")
            columns.append((value if field.dataType == target else value.cast(target)).alias(column))
        return frame.select(*columns)

    def _register_in_memory_table(self, op: Any) -> None:
        """Hand an in-memory table (reference data, the gated indicator table) to Spark as Arrow.

        Ibis goes through pandas, where nullable integer columns (counts with suppressed cells)
        come out all NULL; Arrow keeps every type and missing value as it is.
        """
        table = op.data.to_pyarrow(op.schema)
        self._session.createDataFrame(table).createOrReplaceTempView(op.name)

    def to_parquet(self, expr: ir.Table, /, path: str | Path, **kwargs: Any) -> None:  # type: ignore[override]
        """Write ``expr`` as one Parquet file at ``path`` (as DuckDB does), in the order of the rows."""
        path = Path(path)
        staging = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
        self._frame(expr).coalesce(1).write.mode("overwrite").parquet(str(staging))
        (part,) = sorted(staging.glob("part-*.parquet"))
        part.replace(path)
        shutil.rmtree(staging, ignore_errors=True)

    def drop_view(self, name: str) -> None:
        """Forget a table of the build (and free its memory if it was a staging table)."""
        if name in self.views:
            self._session.catalog.dropTempView(name)
            self.views.discard(name)
        if name in self.cached:
            self.cached.pop(name).unpersist()

    def drop_table(  # type: ignore[override]
        self, name: str, /, *, database: str | None = None, force: bool = False
    ) -> None:
        """Drop a table of the build: its view, its cached rows, and its files if it was stored."""
        if database is not None:
            raise NotImplementedError("a build keeps its tables in its own folder, not in a database")
        if name not in self.views and not force:
            raise ValueError(f"table {name} does not exist")
        self._settle(name)
        self.drop_view(name)
        path = self.stored.pop(name, None)
        if path is not None:
            shutil.rmtree(path, ignore_errors=True)

    def export_in_background(self, database: Path) -> None:
        """Start loading the tables stored so far into a new DuckDB file while the build goes on.

        On a cluster the driver's cores are idle while the executors compute the marts, and
        the load of the input and core tables costs nothing there; in local mode it shares the
        cores with Spark (about even on 2 cores, `docs/performance.md`). `export` finishes it.
        """
        self.exporter = _Exporter(database, dict(self.stored))
        self.exporter.start()

    def export(self, database: Path) -> dict[str, int]:
        """Load every stored table into the DuckDB file; return the row count of each.

        Tables loaded in the background (`export_in_background`) are not loaded again: a table
        is neither rewritten nor dropped while that load runs (see `_settle`).
        """
        counts: dict[str, int] = {}
        if self.exporter is not None:
            exporter, self.exporter = self.exporter, None
            counts = {name: rows for name, rows in exporter.finish().items() if name in self.stored}
        rest = {name: path for name, path in self.stored.items() if name not in counts}
        con = duckdb_file(database)
        try:
            return counts | load_into_duckdb(con, rest)
        finally:
            con.close()

    def _settle(self, name: str) -> None:
        """Before a table is rewritten or dropped, wait for a background load that reads it."""
        if self.exporter is not None and name in self.exporter.tables:
            self.exporter.join()
            self.exporter.forget(name)

    def disconnect(self) -> None:
        """Forget the build's views; stop the session only if the build started it."""
        if self.exporter is not None:  # the build failed before `export`: stop loading
            self.exporter.cancel()
            self.exporter = None
        for name in list(self.views):
            self.drop_view(name)
        if self.owns_session:
            self._session.stop()


def duckdb_file(database: Path, settings: Mapping[str, Any] | None = None) -> duckdb.DuckDBPyConnection:
    """A connection to the build's DuckDB file, set up to load tables.

    The stored order of rows is not kept (no result depends on it, as in a DuckDB build), so
    DuckDB reads and writes in parallel.
    """
    con = duckdb.connect(str(database))
    con.execute(f"SET TimeZone = '{DANISH_TIME_ZONE}'")
    con.execute("SET preserve_insertion_order = false")
    for key, value in (settings or {}).items():
        con.execute(f"SET {key} = {_literal(str(value))}")
    return con


def load_into_duckdb(
    con: duckdb.DuckDBPyConnection, tables: Mapping[str, Path], stop: threading.Event | None = None
) -> dict[str, int]:
    """Create each table of ``tables`` (name: Parquet folder) in ``con``; return row counts.

    Stops between tables once ``stop`` is set.
    """
    counts = {}
    for name, path in tables.items():
        if stop is not None and stop.is_set():
            break
        files = _literal(str(path / "*.parquet"))
        con.execute(f"DROP TABLE IF EXISTS {_quote(name)}")
        con.execute(f"CREATE TABLE {_quote(name)} AS SELECT * FROM read_parquet({files})")
        counts[name] = con.execute(f"SELECT count(*) FROM {_quote(name)}").fetchone()[0]
    return counts


class _Exporter(threading.Thread):
    """Loads a fixed set of stored tables into the build's DuckDB file, in a thread.

    One DuckDB thread and a modest memory limit: the build's Spark jobs go on beside it.
    DuckDB releases the GIL while it works, so the build's Python is not held up.
    """

    SETTINGS = {"threads": 1, "memory_limit": "2GB"}

    def __init__(self, database: Path, tables: Mapping[str, Path]) -> None:
        super().__init__(name="klynge-duckdb-export", daemon=True)
        self.tables = dict(tables)
        self.counts: dict[str, int] = {}
        self.error: BaseException | None = None
        self.stop = threading.Event()
        self.con = duckdb_file(database, self.SETTINGS)

    def run(self) -> None:
        try:
            self.counts = load_into_duckdb(self.con, self.tables, self.stop)
        except BaseException as error:  # handed to the build's thread by `finish`
            self.error = error

    def forget(self, name: str) -> None:
        """``name`` is about to change: drop it from the DuckDB file; `export` loads it again."""
        self.tables.pop(name, None)
        if self.counts.pop(name, None) is not None:
            self.con.execute(f"DROP TABLE IF EXISTS {_quote(name)}")

    def finish(self) -> dict[str, int]:
        """Wait for the load and close its connection; its row counts (or its error, raised here)."""
        self.join()
        self.con.close()
        if self.error is not None:
            raise self.error
        return dict(self.counts)

    def cancel(self) -> None:
        """Stop the load (the build failed; its DuckDB file is thrown away with the build)."""
        self.stop.set()
        while self.is_alive():
            self.con.interrupt()
            self.join(0.1)
        self.con.close()


def connect(partial: Path, scratch: Path, conf: Mapping[str, str] | None = None) -> SparkBuild:
    """Open the Spark connection of a build writing into the folder ``partial``."""
    session, owns = spark_session(conf)
    ibis.pyspark  # noqa: B018 - loading the backend through Ibis registers its options
    root = partial / PARQUET
    root.mkdir(parents=True, exist_ok=True)
    scratch.mkdir(parents=True, exist_ok=True)
    return SparkBuild().connect_build(session, root.resolve(), scratch.resolve(), owns)


def raw_relation(con: SparkBuild, source: SourceTable) -> ir.Table:
    """The source rows as read, with ``_row``, the 1-based row number in the source.

    The same rows, columns and numbering as `klynge.ingest._engine.raw_relation`: rows of
    several part files are numbered on across the files, in file-name order. Each file is read
    on its own, with its number of rows before it as offset: Parquet rows by their index in
    the file, CSV rows in file order (a CSV file is read as one partition, because a quoted
    value may span lines).
    """
    from pyspark.sql import functions as F
    from pyspark.sql.types import TimestampType

    session = con._session
    frames, offset = [], 0
    for file in source.files:
        if source.format == "csv":
            schema = ", ".join(f"`{c.replace('`', '``')}` STRING" for c in file.columns)
            frame = session.read.csv(
                str(file.read_path), schema=schema, header=True, sep=source.delimiter or ",",
                quote='"', escape='"', multiLine=True, mode="FAILFAST", enforceSchema=True, encoding="UTF-8",
            )
            # One partition per file: the generated id is the row's position in the file.
            frame = frame.withColumn("_row", F.monotonically_increasing_id() + (offset + 1))
            rows = frame.count()
        else:
            frame = session.read.parquet(str(file.read_path))
            frame = frame.withColumn("_row", F.col("_metadata.row_index") + (offset + 1))
            rows = file.rows or 0
        frames.append(frame)
        offset += rows
    frame = frames[0]
    for other in frames[1:]:
        frame = frame.unionByName(other, allowMissingColumns=True)
    frame = frame.select(F.col("_row").cast("bigint"), *(F.col(f"`{c}`") for c in source.source_columns))
    name = f"_raw__{source.table}"
    frame.createOrReplaceTempView(name)
    con.views.add(name)
    table = con.table(name)
    # Spark's TIMESTAMP is an instant (a Parquet timestamp adjusted to UTC), but Ibis types it
    # as a naive timestamp: without the zone the rules would format every instant as text and
    # parse it back (slow, and ambiguous in the repeated autumn hour). A naive Parquet
    # timestamp is TIMESTAMP_NTZ in Spark and stays naive, to be read in Danish time.
    instants = {f.name for f in frame.schema.fields if isinstance(f.dataType, TimestampType)}
    if instants:
        table = table.mutate(**{c: table[c].cast(INSTANT) for c in instants})
    return table.rename({c: s for c, s in source.columns.items() if c != s})


def stored_rows(con: SparkBuild, name: str) -> int:
    """Rows of a table the build stored (counted from the files written, not by a query)."""
    return con.stored_rows(name)


def drop_staging(con: SparkBuild, table: str) -> None:
    """Forget the staging views of one table (their files go with the scratch folder)."""
    for name in (f"_raw__{table}", f"_checked__{table}", f"_repeated__{table}"):
        con.drop_view(name)


@contextmanager
def reading(labels: list[str]) -> Iterator[None]:
    """Turn Spark's errors about unreadable input into a `BuildError` naming the files.

    Analysis and parse errors come from a wrong query (a bug in the build) and are raised as
    they are; any other error of a Spark job while a table is read means its files could not
    be decoded.
    """
    from py4j.protocol import Py4JJavaError
    from pyspark.errors import AnalysisException, ParseException, PySparkException

    try:
        yield
    except (AnalysisException, ParseException):
        raise
    except (PySparkException, Py4JJavaError) as error:
        raise BuildError(
            f"{', '.join(labels)}: cannot read the file; it is corrupt or malformed ({_explain(error)})"
        ) from error


def _explain(error: Exception) -> str:
    """The first line of Spark's message, CPR-masked (a CSV error may quote the offending line)."""
    text = next((line.strip() for line in str(error).splitlines() if line.strip()), type(error).__name__)
    return re.sub(CPR_PATTERN, lambda match: re.sub("[0-9]", "X", match.group()), text[:500])


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"

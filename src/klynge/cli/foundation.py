"""`klynge synth`, `klynge build`, `klynge overview`, `klynge demo` and `klynge docs`."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

console = Console()


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                    TimeElapsedColumn(), console=console, transient=False)


def run_synth(out: Path, persons: int, start: date, end: date, seed: int, municipalities: list[str] | None,
              cluster: int | None, interventions: list[str], chunk_size: int, fmt: str) -> None:
    from klynge.synth import PlantedEffect, synthesise

    effects = [PlantedEffect.parse(x) for x in interventions]
    with _progress() as bar:
        task = bar.add_task(f"Syntetiserer {persons:,} borgere".replace(",", "."), total=None)

        def report(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        result = synthesise(out, persons=persons, start=start, end=end, seed=seed, municipalities=municipalities,
                            cluster=cluster, interventions=effects, chunk_size=chunk_size, fmt=fmt, progress=report)
    console.print(f"Skrev {result.persons:,} personer til {out}".replace(",", "."))


def run_build(source: Path, warehouse: Path, fmt: str = "canonical", engine: str = "duckdb",
              spark_master: str | None = None, spark_conf: list[str] | None = None) -> None:
    from klynge.ingest import BuildError, build_warehouse

    try:
        conf = _spark_conf(spark_master, spark_conf or [])
        result = build_warehouse(source, warehouse, progress=True, format=fmt, engine=engine,
                                 spark_conf=conf if engine == "spark" else None)
    except BuildError as exc:
        console.print(f"[bold red]Fejl:[/] {exc}")
        raise typer.Exit(2) from exc
    console.print(f"Lager bygget: {result.path}")


def _spark_conf(master: str | None, settings: list[str]) -> dict[str, str]:
    """``--spark-master`` and the ``key=value`` pairs of ``--spark-conf`` as Spark settings."""
    from klynge.ingest import BuildError

    conf = {}
    for setting in settings:
        key, sep, value = setting.partition("=")
        if not sep or not key.strip():
            raise BuildError(f"--spark-conf {setting!r}: expected key=value, e.g. spark.driver.memory=4g")
        conf[key.strip()] = value.strip()
    if master:
        conf["spark.master"] = master
    return conf


def print_overview(warehouse: Path) -> None:
    from klynge.overview import population_overview
    from klynge.privacy import render_count
    from klynge.warehouse import open_warehouse

    con = open_warehouse(warehouse)
    ov = population_overview(con)
    ref = ov.reference_date.strftime("%d.%m.%Y")
    persons = ov.tables["persons"]
    t = Table(title=f"Borgere pr. kommune og aldersgruppe, {ref}")
    bands = [c for c in ["0-17", "18-64", "65-79", "80+", "total"] if c in persons.columns]
    t.add_column("Kommune")
    for b in bands:
        t.add_column("I alt" if b == "total" else f"{b} år", justify="right")
    for _, row in persons.iterrows():
        t.add_row(f"{row['name']} ({row['municipality_code']})",
                  *[render_count(row[b], row[f"{b}_suppressed"]) for b in bands])
    console.print(t)
    s = Table(title="Kontakter pr. sektor i perioden")
    s.add_column("Sektor")
    s.add_column("Kontakter/ydelser", justify="right")
    s.add_column("Borgere", justify="right")
    for _, row in ov.tables["sectors"].iterrows():
        s.add_row(row["sector"], render_count(row["events"], row["events_suppressed"]),
                  render_count(row["persons"], row["persons_suppressed"]))
    console.print(s)
    y = Table(title="Indlæggelser (≥ 12 timer) og dødsfald pr. år")
    cols = [("admissions", "Indlæggelser"), ("acute", "Heraf akutte"), ("persons", "Indlagte borgere"),
            ("deaths", "Dødsfald"), ("deaths_in_hospital", "Heraf på sygehus")]
    y.add_column("År")
    for _, label in cols:
        y.add_column(label, justify="right")
    for _, row in ov.tables["yearly"].iterrows():
        y.add_row(str(int(row["year"])), *[render_count(row[c], row[f"{c}_suppressed"]) for c, _ in cols])
    console.print(y)
    console.print("<5: skjult af hensyn til diskretion (tal under 5, eller celler der ellers kunne afsløre dem).",
                  style="dim")


def register(app: typer.Typer) -> None:
    """Mount the foundation commands on the main app."""

    @app.command()
    def synth(
        out: Annotated[Path, typer.Option(help="Folder to write the source tables to.")],
        persons: Annotated[int, typer.Option(help="Residents at the start.")] = 100_000,
        start: Annotated[str, typer.Option(help="First day, YYYY-MM-DD.")] = "2021-01-01",
        end: Annotated[str, typer.Option(help="Last day, YYYY-MM-DD.")] = "2025-12-31",
        seed: Annotated[int, typer.Option(help="Random seed.")] = 2026,
        municipalities: Annotated[str | None, typer.Option(help="Comma-separated municipality codes.")] = None,
        cluster: Annotated[int | None, typer.Option(help="Health cluster id 1-22 (default 10, Fyn).")] = None,
        intervention: Annotated[list[str], typer.Option(help="MUNICIPALITY:SHARE:DATE, fewer readmissions.")] = [],  # noqa: B006
        chunk_size: Annotated[int, typer.Option(help="Persons per chunk (memory bound).")] = 100_000,
        fmt: Annotated[str, typer.Option("--format", help="parquet or csv.")] = "parquet",
    ) -> None:
        """Write a synthetic Danish population as canonical source tables.

        Example: klynge synth --persons 100000 --out src --intervention 461:0.3:2024-01-01
        """
        from klynge.synth import DEFAULT_CLUSTER

        muns = [m.strip().zfill(3) for m in municipalities.split(",")] if municipalities else None
        try:
            run_synth(out, persons, date.fromisoformat(start), date.fromisoformat(end), seed, muns,
                      cluster if cluster is not None else (None if muns else DEFAULT_CLUSTER), intervention,
                      chunk_size, fmt)
        except ValueError as exc:
            console.print(f"[bold red]Fejl:[/] {exc}")
            raise typer.Exit(2) from exc

    @app.command()
    def build(
        source: Annotated[Path, typer.Option(help="Folder with the source tables or files.")],
        warehouse: Annotated[Path, typer.Option(help="Warehouse folder (created if missing).")],
        source_format: Annotated[str, typer.Option(
            "--format", help="canonical (CSV/Parquet per table), lpr3, fhir or omop.")] = "canonical",
        engine: Annotated[str, typer.Option(help="duckdb (one machine) or spark (docs/spark.md).")] = "duckdb",
        spark_master: Annotated[str | None, typer.Option(
            help="Spark master URL, e.g. local[2] or spark://host:7077 (default local[*]).")] = None,
        spark_conf: Annotated[list[str], typer.Option(
            help="A Spark setting key=value; repeat for more.")] = [],  # noqa: B006
    ) -> None:
        """Validate the source tables and build a new warehouse, switching to it only when complete.

        Example: klynge build --source src --warehouse wh
        Example: klynge build --source lpr3-extract --format lpr3 --warehouse wh
        Example: klynge build --source src --warehouse wh --engine spark --spark-master local[2]
        """
        run_build(source, warehouse, source_format, engine, spark_master, spark_conf)

    @app.command()
    def overview(warehouse: Annotated[Path, typer.Option(help="Warehouse folder.")]) -> None:
        """Print the population overview of a warehouse (aggregates behind the privacy gate).

        Example: klynge overview --warehouse wh
        """
        print_overview(warehouse)

    @app.command()
    def demo(
        out: Annotated[Path, typer.Option(help="Folder for the demo source and warehouse.")] = Path("demo"),
        persons: Annotated[int, typer.Option(help="Residents at the start.")] = 100_000,
        seed: Annotated[int, typer.Option(help="Random seed.")] = 2026,
        serve: Annotated[bool | None, typer.Option(
            help="Serve the dashboard at the end (default: when run in a terminal).")] = None,
        port: Annotated[int, typer.Option(help="Port of the dashboard.")] = 8000,
    ) -> None:
        """Synthesise a health cluster, build its warehouse, print the overview and serve the dashboard.

        Example: klynge demo --persons 100000 --no-serve
        """
        from klynge.synth import DEFAULT_CLUSTER

        t0 = time.perf_counter()
        run_synth(out / "source", persons, date(2021, 1, 1), date(2025, 12, 31), seed, None, DEFAULT_CLUSTER,
                  ["461:0.25:2024-01-01"], 100_000, "parquet")
        run_build(out / "source", out / "warehouse")
        print_overview(out / "warehouse")
        from klynge.cli.indicators import print_summary

        print_summary(out / "warehouse")
        console.print(f"Demo færdig på {time.perf_counter() - t0:.0f} s. Lager: {out / 'warehouse'}")
        if serve is None:
            import sys

            serve = sys.stdin.isatty() and sys.stdout.isatty()
        if serve:
            from klynge.cli.web import serve_dashboard

            serve_dashboard(out / "warehouse", port=port)
        else:
            console.print(f"Overblikket: klynge serve --warehouse {out / 'warehouse'} --port {port}")

    @app.command()
    def calibration(
        source: Annotated[Path, typer.Option(help="The synthetic source folder (with truth/).")],
        warehouse: Annotated[Path, typer.Option(help="The warehouse built from it.")],
        markdown: Annotated[Path | None, typer.Option(help="Also write the table as Markdown here.")] = None,
    ) -> None:
        """Compare a synthetic warehouse with the Danish reference figures.

        Example: klynge calibration --source demo/source --warehouse demo/warehouse
        """
        import json

        from klynge.synth.calibration import run_checks
        from klynge.warehouse import open_warehouse

        meta = json.loads((source / "klynge-source.json").read_text(encoding="utf-8"))
        df = run_checks(open_warehouse(warehouse), source, meta["period_start"], meta["period_end"])
        t = Table(title="Calibration against the domain reference")
        for col in ("Check", "Value", "Target", "Accepted range", "Source", ""):
            t.add_column(col)
        lines = ["| check | value | target | accepted range | source |", "|---|---:|---:|---|---|"]
        for _, r in df.iterrows():
            fmt = ".3f" if r["target"] < 2 else ".1f"
            rng = f"{r['low']:{fmt}} - {r['high']:{fmt}}"
            t.add_row(r["check"], f"{r['value']:{fmt}}", f"{r['target']:{fmt}}", rng, r["source"],
                      "ok" if r["ok"] else "[red]OUT[/]")
            lines.append(f"| {r['check']} | {r['value']:{fmt}} | {r['target']:{fmt}} | {rng} | {r['source']} |")
        console.print(t)
        if markdown:
            markdown.write_text("\n".join(lines) + "\n", encoding="utf-8")
        if not df["ok"].all():
            raise typer.Exit(1)

    @app.command()
    def docs(out: Annotated[Path, typer.Option(help="Docs folder.")] = Path("docs")) -> None:
        """Regenerate the generated documentation (data model, indicator catalogue).

        Example: klynge docs
        """
        from klynge.contracts.docs import write_data_model
        from klynge.indicators.docs import write_indicators_doc
        from klynge.indicators.lock import write_lock

        for path in (write_data_model(out / "data-model.md"), write_indicators_doc(out / "indicators.md"), write_lock()):
            console.print(f"Wrote {path}")

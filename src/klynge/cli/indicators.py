"""`klynge indicators list|show`: the catalogue and its results (always through the privacy gate)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="The indicator catalogue and its results.", no_args_is_help=True)
console = Console()

LEVELS = ["municipality", "cluster", "council", "region", "country"]
PERIODS = ["month", "quarter", "year"]


def _number(value, decimals: int = 1) -> str:
    """Danish number format: 1.234,5."""
    if value is None or value != value:
        return ""
    return f"{value:,.{decimals}f}".replace(",", "X").replace(".", ",").replace("X", ".")


@app.command("list")
def list_(
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    lang: Annotated[str, typer.Option(help="da or en.")] = "da",
) -> None:
    """Print the indicator catalogue.

    Example: klynge indicators list --format json
    """
    from klynge.indicators.docs import catalogue_rows

    rows = catalogue_rows(lang)
    if fmt == "json":
        console.print_json(json.dumps(rows, ensure_ascii=False))
        return
    t = Table(title="Indikatorer" if lang == "da" else "Indicators")
    for col in ("id", "title", "family", "unit", "better"):
        t.add_column(col)
    for r in rows:
        t.add_row(r["id"], r["title"], r["family"], r["unit"], r["better"])
    console.print(t)


@app.command()
def show(
    indicator: Annotated[str, typer.Argument(help="Indicator id (see `klynge indicators list`).")],
    warehouse: Annotated[Path, typer.Option(help="Warehouse folder.")],
    level: Annotated[str, typer.Option(help="municipality, cluster, council, region or country.")] = "municipality",
    period: Annotated[str, typer.Option(help="month, quarter or year.")] = "year",
    stratum: Annotated[str, typer.Option(help="all, sex or age_group.")] = "all",
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
) -> None:
    """Show an indicator's results, crude and standardised, after the privacy gate.

    Example: klynge indicators show readmission_30d --warehouse wh --level municipality --period year
    """
    from klynge.indicators import registry
    from klynge.warehouse import open_warehouse

    if indicator not in registry():
        console.print(f"[bold red]Fejl:[/] ukendt indikator {indicator!r}; se `klynge indicators list`")
        raise typer.Exit(2)
    if level not in LEVELS or period not in PERIODS:
        console.print(f"[bold red]Fejl:[/] --level skal være en af {LEVELS} og --period en af {PERIODS}")
        raise typer.Exit(2)
    con = open_warehouse(warehouse)
    t = con.table("marts__indicator_long")
    t = t.filter(t.indicator_id == indicator, t.level == level, t.period_type == period, t.stratum_type == stratum)
    df = t.order_by(["period", "geo_code", "stratum"]).execute()
    cols = ["period", "geo_code", "geo_name", "stratum", "n_units", "numerator", "denominator", "value", "ci_low",
            "ci_high", "std_value", "smr", "suppressed"]
    df = df[cols]
    if fmt == "csv":
        typer.echo(df.to_csv(index=False), nl=False)
        return
    if fmt == "json":
        typer.echo(df.to_json(orient="records", force_ascii=False))
        return
    d = registry()[indicator].definition
    table = Table(title=f"{d.title.da} ({d.unit.da})")
    for col in ("Periode", "Område", "Gruppe", "Tæller", "Nævner", "Værdi", "95 %-KI", "Standardiseret", "SMR"):
        table.add_column(col, justify="left" if col in ("Periode", "Område", "Gruppe") else "right")
    for r in df.itertuples():
        if r.suppressed:
            table.add_row(r.period, r.geo_name, r.stratum, "<5", "", "<5", "", "", "")
            continue
        table.add_row(r.period, r.geo_name, r.stratum, _number(r.numerator, 0 if d.numerator_is_count else 1),
                      _number(r.denominator, 0 if d.family != "rate" else 1), _number(r.value, 2),
                      f"{_number(r.ci_low, 2)}-{_number(r.ci_high, 2)}", _number(r.std_value, 2), _number(r.smr, 2))
    console.print(table)
    console.print("<5: skjult af hensyn til diskretion (tal under 5, eller celler der ellers kunne afsløre dem).",
                  style="dim")


def print_summary(warehouse: Path, lang: str = "da") -> None:
    """The latest full year of every indicator for the whole area, crude and standardised."""
    from klynge.indicators import registry
    from klynge.warehouse import open_warehouse

    con = open_warehouse(warehouse)
    t = con.table("marts__indicator_long")
    years = t.filter(t.period_type == "year").select("period").distinct().execute()["period"]
    if years.empty:
        return
    year = sorted(years)[-1]
    top = t.filter(t.period_type == "year", t.period == year, t.stratum_type == "all")
    top = top.filter((top.level == "cluster") | (top.level == "country")).execute()
    # The area's own level: the cluster if the data cover one cluster, else the whole country.
    level = "cluster" if top[top.level == "cluster"].geo_code.nunique() == 1 else "country"
    top = top[top.level == level].set_index("indicator_id")
    table = Table(title=f"Indikatorer {year}, {top['geo_name'].iloc[0] if len(top) else ''}")
    for col in ("Indikator", "Værdi", "95 %-KI", "Standardiseret", "Enhed"):
        table.add_column(col, justify="left" if col in ("Indikator", "Enhed") else "right")
    for ind in registry().values():
        d = ind.definition
        if d.id not in top.index:
            continue
        r = top.loc[d.id]
        if r["suppressed"]:
            table.add_row(getattr(d.title, lang), "<5", "", "", getattr(d.unit, lang))
            continue
        table.add_row(getattr(d.title, lang), _number(r["value"], 1), f"{_number(r['ci_low'], 1)}-{_number(r['ci_high'], 1)}",
                      _number(r["std_value"], 1), getattr(d.unit, lang))
    console.print(table)

"""`klynge stats ...`: statistics on the command line, a thin shell over :mod:`klynge.stats`."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from klynge.stats import funnel, qic, rate_ratio

app = typer.Typer(help="Statistics: rate ratios, SPC charts, funnel plots.", no_args_is_help=True)

CsvOption = Annotated[
    Path | None, typer.Option("--csv", help="Read columns from this CSV file.", exists=True)
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _clean(value: Any) -> Any:
    """JSON-safe value: NaN and infinity become null, NumPy scalars plain Python."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _print_frame(frame: pd.DataFrame, title: str, as_json: bool) -> None:
    """Print a DataFrame as a rich table or as JSON records."""
    if as_json:
        records = [{key: _clean(value) for key, value in row.items()} for row in frame.to_dict("records")]
        typer.echo(json.dumps(records, indent=2, default=str))
        return
    table = Table(title=title)
    if len(frame) == 1:
        # One result: a field per line reads better than a wide single row.
        table.add_column("field")
        table.add_column("value", justify="right")
        for key, value in frame.iloc[0].items():
            table.add_row(str(key), _text(value))
    else:
        for column in frame.columns:
            table.add_column(str(column), justify="right")
        for row in frame.itertuples(index=False):
            table.add_row(*(_text(value) for value in row))
    console = Console()
    if not console.is_terminal:
        # Piped or redirected output is not wrapped by a terminal: print whole numbers, not "0.…".
        console = Console(width=240)
    console.print(table)


def _text(value: Any) -> str:
    """Four significant digits for floats, plain text otherwise."""
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _numbers(text: str) -> list[float]:
    """Parse '1, 2.5, NA, 4' into floats (NA or an empty item is missing)."""
    values = []
    for item in text.split(","):
        item = item.strip()
        values.append(math.nan if item.upper() in ("", "NA", "NAN") else float(item))
    return values


def _column(csv: pd.DataFrame | None, value: str | None, option: str) -> pd.Series | list[float] | None:
    """Return a CSV column (with --csv) or parse a comma-separated list of numbers."""
    if value is None:
        return None
    if csv is None:
        try:
            return _numbers(value)
        except ValueError as error:
            raise typer.BadParameter(
                f"{option} needs numbers separated by commas, or --csv and a column name"
            ) from error
    if value not in csv.columns:
        raise typer.BadParameter(f"{option}: column {value!r} is not in the CSV ({', '.join(csv.columns)})")
    return csv[value]


def _run(function: Any, *args: Any, **kwargs: Any) -> Any:
    """Call the API and turn its ValueErrors into a clean command-line error."""
    try:
        return function(*args, **kwargs)
    except ValueError as error:
        typer.echo(f"Error: {error}", err=True)
        raise typer.Exit(code=2) from error


@app.command("irr")
def irr_command(
    events_a: Annotated[float, typer.Option(help="Events in the reference group a.")],
    time_a: Annotated[float, typer.Option(help="Person-time in the reference group a.")],
    events_b: Annotated[float, typer.Option(help="Events in the intervention group b.")],
    time_b: Annotated[float, typer.Option(help="Person-time in the intervention group b.")],
    method: Annotated[str, typer.Option(help="wald (Poisson GLM) or exact (conditional binomial).")] = "wald",
    conf: Annotated[float, typer.Option(help="Confidence level.")] = 0.95,
    continuity: Annotated[float, typer.Option(help="Wald only: added to both counts if one is zero.")] = 0.0,
    as_json: JsonOption = False,
) -> None:
    """Rate ratio of group b to group a, with confidence interval and p-value.

    Example: klynge stats irr --events-a 30 --time-a 1000 --events-b 15 --time-b 1000 --method exact
    """
    result = _run(
        rate_ratio, events_a, time_a, events_b, time_b, conf=conf, method=method, continuity=continuity
    )
    _print_frame(pd.DataFrame([result.as_dict()]), "Rate ratio (b / a)", as_json)


@app.command("qic")
def qic_command(
    y: Annotated[str, typer.Option(help="Values '1,2,3' or, with --csv, a column name.")],
    n: Annotated[str | None, typer.Option(help="Denominators, as for --y.")] = None,
    x: Annotated[str | None, typer.Option(help="With --csv: column of point labels.")] = None,
    csv: CsvOption = None,
    chart: Annotated[str, typer.Option(help="run, i, mr, p, u or c.")] = "run",
    part: Annotated[list[int] | None, typer.Option(help="Break point (repeat for several).")] = None,
    freeze: Annotated[int | None, typer.Option(help="Compute the lines from points 1..FREEZE.")] = None,
    exclude: Annotated[list[int] | None, typer.Option(help="Point number to exclude (repeatable).")] = None,
    multiply: Annotated[float, typer.Option(help="Multiply plotted values, e.g. 100.")] = 1.0,
    screened_mr: Annotated[bool, typer.Option(help="I chart: screen large moving ranges.")] = True,
    points: Annotated[
        bool, typer.Option("--points", help="Print every point, not only the summary.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Run or control chart analysis (Anhøj rules and 3-sigma limits), as qicharts2.

    Example: klynge stats qic --csv gtt_by_month.csv --y harms --n days --chart u --multiply 1000
    """
    frame = pd.read_csv(csv) if csv else None
    labels = _column(frame, x, "--x") if frame is not None and x else None
    result = _run(
        qic,
        _column(frame, y, "--y"),
        _column(frame, n, "--n"),
        x=labels,
        chart=chart,
        part=part or None,
        freeze=freeze,
        exclude=exclude or None,
        multiply=multiply,
        screened_mr=screened_mr,
    )
    if points:
        _print_frame(result.points, f"{chart.upper()} chart points", as_json)
    else:
        _print_frame(result.summary, f"{chart.upper()} chart summary", as_json)


@app.command("funnel")
def funnel_command(
    events: Annotated[str, typer.Option(help="Events '1,2,3' or, with --csv, a column name.")],
    n: Annotated[str, typer.Option(help="Denominators (persons or person-time), as for --events.")],
    target: Annotated[float | None, typer.Option(help="Target proportion or rate (default: pooled).")] = None,
    unit: Annotated[str | None, typer.Option(help="With --csv: column of unit names.")] = None,
    csv: CsvOption = None,
    kind: Annotated[str, typer.Option(help="binomial (proportions) or poisson (rates).")] = "binomial",
    method: Annotated[str, typer.Option(help="exact (Spiegelhalter) or normal.")] = "exact",
    as_json: JsonOption = False,
) -> None:
    """Funnel plot limits (95 % and 99.8 %) and which units fall outside.

    Example: klynge stats funnel --events 5,30,12 --n 50,200,60 --target 0.1
    """
    frame = pd.read_csv(csv) if csv else None
    units = frame[unit] if frame is not None and unit else None
    result = _run(
        funnel,
        _column(frame, events, "--events"),
        _column(frame, n, "--n"),
        target,
        kind=kind,
        method=method,
        units=None if units is None else list(units),
    )
    _print_frame(result.reset_index(), "Funnel plot limits", as_json)

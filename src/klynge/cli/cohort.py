"""`klynge cohort count|describe|export`: target groups (målgrupper) from YAML definitions.

``count`` and ``describe`` print gated aggregates only. ``export`` writes the pseudonymous
person list, and only for a role allowed ``cohort.export``; every attempt is audited.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from klynge.privacy import render_count, render_value

app = typer.Typer(help="Target groups: counts, descriptions and audited person lists.", no_args_is_help=True)
console = Console()


def _load(definition: Path):
    from klynge.cohorts import TargetGroupError, load_target_group

    try:
        return load_target_group(definition)
    except TargetGroupError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None


@app.command()
def count(
    definition: Annotated[Path, typer.Argument(help="Target-group YAML file.")],
    warehouse: Annotated[Path, typer.Option(help="Warehouse folder.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    lang: Annotated[str, typer.Option(help="da or en.")] = "da",
) -> None:
    """Members of a target group by municipality (gated).

    Example: klynge cohort count groups/frail.yaml --warehouse wh
    """
    from klynge.cohorts import count as run
    from klynge.warehouse import open_warehouse

    tg = _load(definition)
    frame = run(open_warehouse(warehouse), tg, warehouse).frame
    if as_json:
        print(json.dumps({"id": tg.id, "version": tg.version, "rows": json.loads(frame.to_json(orient="records"))}))
        return
    title = tg.title.da if lang == "da" or not tg.title.en else tg.title.en
    t = Table(title=title)
    heads = ("kommune", "medlemmer", "befolkning", "andel (%)") if lang == "da" else (
        "municipality", "members", "population", "share (%)")
    for h in heads:
        t.add_column(h)
    for r in frame.itertuples():
        t.add_row(r.municipality_code, render_count(r.members, r.members_suppressed, lang=lang),
                  render_count(r.population, r.population_suppressed, lang=lang),
                  render_value(r.share * 100 if r.share == r.share else r.share, r.share_suppressed, 2, lang=lang))
    console.print(t)


@app.command()
def describe(
    definition: Annotated[Path, typer.Argument(help="Target-group YAML file.")],
    warehouse: Annotated[Path, typer.Option(help="Warehouse folder.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    lang: Annotated[str, typer.Option(help="da or en.")] = "da",
) -> None:
    """Members by sex, age band, segment and municipality; their conditions and means (gated).

    Example: klynge cohort describe groups/frail.yaml --warehouse wh --json
    """
    from klynge.cohorts import describe as run
    from klynge.warehouse import open_warehouse

    tg = _load(definition)
    d = run(open_warehouse(warehouse), tg, warehouse)
    tables = {k: d[k].frame for k in ("by", "conditions", "means")}
    if as_json:
        print(json.dumps({"id": tg.id, "version": tg.version, "index_date": str(d["index_date"]),
                          **{k: json.loads(v.to_json(orient="records")) for k, v in tables.items()}}))
        return
    by = tables["by"]
    t = Table(title=f"{tg.title.da if lang == 'da' else tg.title.en or tg.title.da} ({d['index_date']})")
    for h in (("dimension", "gruppe", "medlemmer", "befolkning") if lang == "da" else
              ("dimension", "group", "members", "population")):
        t.add_column(h)
    for r in by[by["dimension"] != "municipality_code"].itertuples():
        t.add_row(r.dimension, r.group, render_count(r.members, r.members_suppressed, lang=lang),
                  render_count(r.population, r.population_suppressed, lang=lang))
    console.print(t)
    c = Table(title="Kroniske sygdomme" if lang == "da" else "Chronic conditions")
    c.add_column("condition")
    c.add_column("medlemmer" if lang == "da" else "members")
    for r in tables["conditions"].itertuples():
        c.add_row(r.condition, render_count(r.members, r.members_suppressed, lang=lang))
    console.print(c)
    m = Table(title="Gennemsnit" if lang == "da" else "Means")
    m.add_column("measure")
    m.add_column("mean")
    for r in tables["means"].itertuples():
        m.add_row(r.measure, render_value(r.mean, r.mean_suppressed, 2, lang=lang))
    console.print(m)


@app.command()
def export(
    definition: Annotated[Path, typer.Argument(help="Target-group YAML file.")],
    warehouse: Annotated[Path, typer.Option(help="Warehouse folder.")],
    out: Annotated[Path, typer.Option(help="CSV file to write (pseudonymous ids).")],
    user: Annotated[str, typer.Option(help="Who exports (logged).")],
    role: Annotated[str, typer.Option(help="pseudonymised_analyst or data_steward may export.")],
    organisation: Annotated[str, typer.Option(help="e.g. municipality:461 or region:1083.")],
    purpose: Annotated[str, typer.Option(help="Why the list is needed (logged).")],
) -> None:
    """Write the members' pseudonymous ids, for an allowed role; every attempt is audited.

    Example: klynge cohort export g.yaml --warehouse wh --out list.csv --user ana --role pseudonymised_analyst
    --organisation region:1083 --purpose "invitation to a falls-prevention offer"
    """
    from klynge.access import AccessDenied, Principal, Role
    from klynge.cohorts import export as run

    tg = _load(definition)
    try:
        principal = Principal(user, Role(role), organisation)
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    try:
        entry = run(warehouse, tg, principal, purpose=purpose, out=out)
    except AccessDenied as exc:
        console.print(f"[red]Adgang nægtet / access denied: {exc}[/red]")
        raise typer.Exit(3) from None
    console.print(f"{len(entry['subjects'])} personer skrevet til {out} (audit #{entry['seq']})")

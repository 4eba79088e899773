"""`klynge export indicators|canonical`: outputs for other tools (docs/outputs.md).

``indicators`` writes the gated indicator table (CSV, Parquet or FHIR R4 MeasureReport).
``canonical`` writes the person-level canonical tables as a Frictionless Data Package, only for
a role allowed person-level (pseudonymised) reading; every attempt is audited.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(help="Exports: indicator results and the canonical model.", no_args_is_help=True)
console = Console()


@app.command()
def indicators(
    warehouse: Annotated[Path, typer.Option(help="Warehouse folder.")],
    out: Annotated[Path, typer.Option(help="File to write (csv, parquet) or folder (measurereport).")],
    fmt: Annotated[str, typer.Option("--format", help="csv, parquet or measurereport (FHIR R4).")] = "csv",
    indicator: Annotated[list[str] | None, typer.Option(help="Indicator id; repeat for more. Default: all.")] = None,
    level: Annotated[list[str] | None, typer.Option(
        help="municipality, cluster, council, region or country; repeat for more. Default: all.")] = None,
    period: Annotated[list[str] | None, typer.Option(
        help="Period type (month, quarter, year) or period (2024, 2024-Q1, 2024-01); repeat. Default: all.")] = None,
    excel: Annotated[bool, typer.Option(help="CSV for Danish Excel: ';', decimal comma, UTF-8 with BOM.")] = False,
    bundle: Annotated[bool, typer.Option(help="FHIR: also write bundle.json (a collection Bundle).")] = False,
) -> None:
    """Write indicator results as they left the privacy gate (suppressed cells empty, never 0).

    Example: klynge export indicators --warehouse wh --out ind.csv --indicator readmission_30d --level municipality
    """
    from klynge.exports import NotGatedError, export_indicators

    if fmt not in ("csv", "parquet", "measurereport"):
        console.print("[bold red]Fejl:[/] --format skal være csv, parquet eller measurereport")
        raise typer.Exit(2)
    try:
        result = export_indicators(warehouse, out, format=fmt, indicators=indicator or None, level=level or None,
                                   period=period or None, excel=excel, bundle=bundle)
    except (ValueError, NotGatedError, FileNotFoundError) as exc:
        console.print(f"[bold red]Fejl:[/] {exc}")
        raise typer.Exit(2) from None
    extra = ", ".join(f"{n} {k}" for k, n in result.resources.items())
    console.print(f"{result.rows} rækker ({result.suppressed} diskretionerede) skrevet til {out}"
                  + (f" ({extra})" if extra else ""))


@app.command()
def canonical(
    warehouse: Annotated[Path, typer.Option(help="Warehouse folder.")],
    out: Annotated[Path, typer.Option(help="New or empty folder for the data package.")],
    user: Annotated[str, typer.Option(help="Who exports (logged).")],
    role: Annotated[str, typer.Option(help="Only pseudonymised_analyst may export person-level data.")],
    organisation: Annotated[str, typer.Option(help="e.g. municipality:461 or region:1083.")],
    purpose: Annotated[str, typer.Option(help="Why the data are needed (logged).")],
    fmt: Annotated[str, typer.Option("--format", help="parquet or csv.")] = "parquet",
) -> None:
    """Write the canonical tables (pseudonymous, person-level) as a Frictionless Data Package; audited.

    Example: klynge export canonical --warehouse wh --out export --format parquet --user ana
    --role pseudonymised_analyst --organisation region:1083 --purpose "readmission study"
    """
    from klynge.access import AccessDenied, Principal, Role
    from klynge.exports import export_canonical

    if fmt not in ("parquet", "csv"):
        console.print("[bold red]Fejl:[/] --format skal være parquet eller csv")
        raise typer.Exit(2)
    try:
        principal = Principal(user, Role(role), organisation)
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    try:
        result = export_canonical(warehouse, out, format=fmt, principal=principal, purpose=purpose)
    except AccessDenied as exc:
        console.print(f"[red]Adgang nægtet / access denied: {exc}[/red]")
        raise typer.Exit(3) from None
    except (ValueError, FileExistsError, FileNotFoundError) as exc:
        console.print(f"[bold red]Fejl:[/] {exc}")
        raise typer.Exit(2) from None
    console.print(f"{sum(result.rows.values())} rækker i {len(result.rows)} tabeller skrevet til {out} "
                  f"(audit #{result.audit['seq']})")


@app.command()
def source(
    source: Annotated[Path, typer.Option(help="Canonical source folder (as written by klynge synth or export canonical).")],
    out: Annotated[Path, typer.Option(help="New or empty folder for the files.")],
    fmt: Annotated[str, typer.Option("--format", help="fhir (bulk NDJSON) or lpr3 (research extract).")] = "fhir",
) -> None:
    """Write a canonical source folder in a foreign format, which `klynge build --format` reads back.

    The files are as person-level as the folder they come from. Used for round trips and to hand
    test data to other tools.

    Example: klynge export source --source demo/source --out demo/fhir --format fhir
    """
    if out.exists() and any(out.iterdir()):
        console.print(f"[bold red]Fejl:[/] {out} er ikke tom / is not empty")
        raise typer.Exit(2)
    if fmt == "fhir":
        from klynge.readers.fhir import write_fhir

        written = write_fhir(source, out)
    elif fmt == "lpr3":
        written = _write_lpr3(source, out)
    else:
        console.print("[bold red]Fejl:[/] --format skal være fhir eller lpr3")
        raise typer.Exit(2)
    console.print(", ".join(f"{name} {count:,}" for name, count in written.items()) + f" skrevet til {out}")


def _write_lpr3(source: Path, out: Path) -> dict[str, int]:
    """The hospital tables as an LPR3 extract; the other canonical tables copied beside it."""
    import shutil

    from klynge.ingest._sources import SOURCE_METADATA, find_sources
    from klynge.readers.lpr3_write import write_lpr3

    written = write_lpr3(source, out)
    found, _ = find_sources(source)
    for name, (_fmt, files) in found.items():
        if name in ("hospital_contact", "diagnosis", "procedure", "hospital_unit"):
            continue
        entry = files[0] if files[0].parent == source else files[0].parent
        (shutil.copytree if entry.is_dir() else shutil.copy)(entry, out / entry.name)
        written[name] = len(files)
    if (source / SOURCE_METADATA).is_file():
        shutil.copy(source / SOURCE_METADATA, out / SOURCE_METADATA)
    return written

"""`klynge serve` and `klynge report`: the dashboard and the meeting report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

console = Console()


def serve_dashboard(warehouse: Path, host: str = "127.0.0.1", port: int = 8000, targets: Path | None = None) -> None:
    """Load the warehouse and serve the dashboard until Ctrl-C."""
    import uvicorn

    from klynge.web import create_app

    console.print(f"Indlæser {warehouse} ...")
    app = create_app(warehouse, config={"targets": targets} if targets else None)
    console.print(f"Overblikket kører på [bold]http://{host}:{port}/[/] (API: http://{host}:{port}/docs). "
                  "Tryk Ctrl-C for at stoppe.")
    uvicorn.run(app, host=host, port=port, log_level="warning")


def register(app: typer.Typer) -> None:
    """Mount `serve` and `report` on the main app."""

    @app.command()
    def serve(
        warehouse: Annotated[Path, typer.Option(help="Warehouse folder.")],
        host: Annotated[str, typer.Option(help="Address to listen on (default: this machine only).")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port.")] = 8000,
        targets: Annotated[Path | None, typer.Option(help="The council's targets (YAML); default the packaged example.")]
        = None,
    ) -> None:
        """Serve the dashboard and its JSON API (OpenAPI at /docs).

        Example: klynge serve --warehouse demo/warehouse --port 8000
        """
        serve_dashboard(warehouse, host, port, targets)

    @app.command()
    def report(
        warehouse: Annotated[Path, typer.Option(help="Warehouse folder.")],
        out: Annotated[Path, typer.Option(help="report.html (self-contained) or report.pdf.")],
        lang: Annotated[str, typer.Option(help="da or en.")] = "da",
        geo: Annotated[str, typer.Option(help="Area, e.g. country:DK, cluster:10, municipality:461.")] = "country:DK",
        period_type: Annotated[str, typer.Option(help="year, quarter or month.")] = "quarter",
        period: Annotated[str | None, typer.Option(help="e.g. 2025-Q3; default the latest.")] = None,
        targets: Annotated[Path | None, typer.Option(help="The council's targets (YAML).")] = None,
        indicator: Annotated[list[str] | None, typer.Option(help="Only these indicators (repeat the option).")]
        = None,
    ) -> None:
        """Write the meeting report: overview, targets and every indicator with a short text.

        Example: klynge report --warehouse demo/warehouse --out report.pdf
        """
        from klynge.web import Filters
        from klynge.web.report import write_report

        try:
            path = write_report(warehouse, out, lang=lang, targets=targets, indicators=indicator or None,
                                filters=Filters(period_type=period_type, period=period, geo=geo, lang=lang))
        except (ValueError, KeyError) as exc:
            console.print(f"[bold red]Fejl:[/] {exc}")
            raise typer.Exit(2) from exc
        console.print(f"Skrev {path}")

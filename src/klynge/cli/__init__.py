"""The `klynge` command line: a thin shell over the Python API.

Each command group lives in its own module and is mounted here.
"""

from __future__ import annotations

import typer

from klynge.cli import access as access_cli
from klynge.cli import cohort, foundation, indicators, risk, stats
from klynge.cli import export as export_cli
from klynge.cli import web as web_cli

app = typer.Typer(
    name="klynge",
    help="Cross-sector population health management for Danish health councils.",
    no_args_is_help=True,
    add_completion=False,
)
foundation.register(app)
web_cli.register(app)
access_cli.register(app)
app.add_typer(stats.app, name="stats")
app.add_typer(indicators.app, name="indicators")
app.add_typer(risk.app, name="risk")
app.add_typer(cohort.app, name="cohort")
app.add_typer(export_cli.app, name="export")


def main() -> None:
    """Entry point of the `klynge` script."""
    app()

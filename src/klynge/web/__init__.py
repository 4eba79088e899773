"""The health council's dashboard: JSON API, pages and meeting report (issue 5).

`create_app(warehouse_dir)` returns the FastAPI application (`klynge serve`); `write_report`
writes the self-contained meeting report (`klynge report`). Every number comes from the
privacy gate: the indicator table is stored gated, and the overview marts are gated together
at start-up (`klynge.web._overview`). See docs/dashboard.md.
"""

from klynge.web._app import create_app
from klynge.web._filters import Filters, Geography
from klynge.web._i18n import fmt_count, fmt_date, fmt_number
from klynge.web._targets import Target, load_targets
from klynge.web._views import Dashboard

__all__ = [
    "Dashboard",
    "Filters",
    "Geography",
    "Target",
    "create_app",
    "fmt_count",
    "fmt_date",
    "fmt_number",
    "load_targets",
]

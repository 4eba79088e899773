"""The meeting report: one self-contained HTML file (or PDF) with the dashboard's charts.

The report is built from the same view functions as the pages and the API (so from the same
gated numbers); its charts are the same Vega-Lite specs rendered to SVG on the server with
``vl-convert`` and inlined, so the file needs nothing else to open. The PDF is Chromium's print
of that HTML (Playwright with the system Chromium). Each indicator gets a short generated text:
its level, the trend signal, the municipalities outside the funnel's 99.8 % limits and the
status of any target on it.
"""

from __future__ import annotations

import html
import threading
from datetime import date
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from klynge._version import __version__
from klynge.web import _views as views
from klynge.web._filters import Filters
from klynge.web._i18n import fmt_date, strings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def svg(spec: dict, lang: str = "da") -> str:
    """A Vega-Lite spec as inline SVG (Danish or English number formats)."""
    import vl_convert as vlc

    spec = dict(spec)
    if spec.get("width") == "container":
        spec["width"] = 640
    locale = "da-DK" if lang == "da" else "en-GB"
    return vlc.vegalite_to_svg(spec, vl_version="v6_4", format_locale=locale, time_format_locale=locale)


def indicator_text(entry: dict, target: dict | None, lang: str) -> str:
    """Two or three sentences on an indicator: level, trend signal, outliers, target status."""
    ind = entry["indicator"]
    cur, nat = entry["current"], entry["national"]
    period = entry["period_text"]
    if lang == "da":
        parts = [f"{entry['geo_name']}: {cur['value']['text'] or 'ingen værdi'} {ind['unit']} i {period}"
                 + (f" (hele befolkningen {nat['value']['text']})." if entry["geo"] != "country:DK" else ".")]
        parts.append(f"Udvikling: {entry['signal_text'].lower() or 'for få punkter til en vurdering'}.")
        above = [r["name"] for r in entry["municipalities"] if r["category"] == "above"]
        below = [r["name"] for r in entry["municipalities"] if r["category"] == "below"]
        if above or below:
            parts.append("Uden for tragtens 99,8 %-grænser: "
                         + "; ".join(x for x in [f"over: {', '.join(above)}" if above else "",
                                                 f"under: {', '.join(below)}" if below else ""] if x) + ".")
        else:
            parts.append("Ingen kommuner ligger uden for tragtens 99,8 %-grænser.")
        if target:
            parts.append(f"Mål ({target['direction_text']} {target['target_text']} senest {target['date_text']}): "
                         f"{target['status_text'].lower()}.")
    else:
        parts = [f"{entry['geo_name']}: {cur['value']['text'] or 'no value'} {ind['unit']} in {period}"
                 + (f" (whole population {nat['value']['text']})." if entry["geo"] != "country:DK" else ".")]
        parts.append(f"Trend: {entry['signal_text'].lower() or 'too few points to assess'}.")
        above = [r["name"] for r in entry["municipalities"] if r["category"] == "above"]
        below = [r["name"] for r in entry["municipalities"] if r["category"] == "below"]
        if above or below:
            parts.append("Outside the funnel's 99.8 % limits: "
                         + "; ".join(x for x in [f"above: {', '.join(above)}" if above else "",
                                                 f"below: {', '.join(below)}" if below else ""] if x) + ".")
        else:
            parts.append("No municipality lies outside the funnel's 99.8 % limits.")
        if target:
            parts.append(f"Target ({target['direction_text']} {target['target_text']} by {target['date_text']}): "
                         f"{target['status_text'].lower()}.")
    return " ".join(parts)


def build_report(dash: views.Dashboard, f: Filters, indicators: list[str] | None = None) -> str:
    """The report as one HTML string (charts inlined as SVG)."""
    lang = f.lang
    s = strings(lang)
    ov = views.overview(dash, f)
    cat = views.catalogue(dash, f)
    tg = views.targets(dash, f)
    by_indicator = {g["indicator"]["id"]: g for g in tg["targets"]}
    chosen = indicators or list(dash.indicators.info)
    sections = []
    for ind_id in chosen:
        entry = views.indicator(dash, ind_id, f)
        sections.append({"entry": entry, "text": indicator_text(entry, by_indicator.get(ind_id), lang),
                         "trend_svg": svg(entry["charts"]["trend"], lang),
                         "funnel_svg": svg(entry["charts"]["funnel"], lang)})
    env = Environment(loader=PackageLoader("klynge.web", "templates"), autoescape=select_autoescape(["html"]))
    css = (Path(__file__).parent / "static" / "klynge.css").read_text(encoding="utf-8")
    overview_svgs = {k: svg(v, lang) for k, v in ov.get("charts", {}).items()}
    return env.get_template("report.html").render(
        s=s, lang=lang, f=f, ov=ov, cat=cat, tg=tg, sections=sections, overview_svgs=overview_svgs,
        target_svgs={g["id"]: svg(g["chart"], lang) for g in tg["targets"]}, css=css,
        generated=fmt_date(date.today(), lang), version=__version__, escape=html.escape,
        legend=s["suppressed_legend"])


def write_report(warehouse: str | Path, out: str | Path, *, lang: str = "da", filters: Filters | None = None,
                 targets: str | Path | None = None, indicators: list[str] | None = None,
                 dashboard: views.Dashboard | None = None) -> Path:
    """Write the meeting report to ``out``: ``.html`` (self-contained) or ``.pdf`` (via Chromium).

    Example
    -------
    >>> write_report("demo/warehouse", "report.pdf")            # doctest: +SKIP
    PosixPath('report.pdf')
    """
    out = Path(out)
    if out.suffix.lower() not in (".html", ".htm", ".pdf"):
        raise ValueError("the report is written as .html or .pdf")
    dash = dashboard or views.Dashboard.load(Path(warehouse), targets)
    f = (filters or Filters(lang=lang)).validate(dash.geo)
    text = build_report(dash, f, indicators)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".pdf":
        _pdf(text, out)
    else:
        out.write_text(text, encoding="utf-8")
    return out


def _pdf(text: str, out: Path) -> None:
    """Print the HTML with Chromium, in a thread of its own (Playwright's sync API refuses to run
    inside a thread that already has an event loop, e.g. beside another Playwright session)."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            _print_pdf(text, out)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            errors.append(exc)

    worker = threading.Thread(target=run, name="klynge-pdf")
    worker.start()
    worker.join()
    if errors:
        raise errors[0]


def _print_pdf(text: str, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            # The report loads nothing: abort any request, so a stray reference cannot reach the network.
            page.route("**/*", lambda route: route.abort())
            page.set_content(text, wait_until="load")
            page.pdf(path=str(out), format="A4", print_background=True,
                     margin={"top": "15mm", "bottom": "15mm", "left": "12mm", "right": "12mm"})
        finally:
            browser.close()

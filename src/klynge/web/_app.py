"""The FastAPI application: JSON API under /api, HTML pages, our own /docs, offline assets.

``create_app(warehouse_dir)`` loads the warehouse once (`Dashboard.load`) and mounts two
routers that call the same view functions: ``/api/...`` returns their dicts as JSON, the pages
render them with Jinja2 templates. Another router (the citizen overview, with its own
authentication) is added with ``app.include_router(router)``; the aggregate pages never hold
person-level data.
"""

from __future__ import annotations

import json
import threading
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape

from klynge._version import __version__
from klynge.web import _views as views
from klynge.web._filters import Filters
from klynge.web._i18n import strings, t

VEGA_LITE = "v6_4"


@cache
def vega_bundle() -> str:
    """Vega, Vega-Lite and vega-embed as one script, from the installed vl-convert package."""
    import vl_convert as vlc

    return vlc.javascript_bundle(vl_version=VEGA_LITE)


@cache
def locale_script() -> str:
    """Danish and English number and time formats for Vega, from vl-convert's locale tables."""
    import vl_convert as vlc

    locales = {"da": {"number": vlc.get_format_locale("da-DK"), "time": vlc.get_time_format_locale("da-DK")},
               "en": {"number": vlc.get_format_locale("en-GB"), "time": vlc.get_time_format_locale("en-GB")}}
    return f"window.KLYNGE_LOCALES = {json.dumps(locales)};\n"


def _env() -> Environment:
    env = Environment(loader=PackageLoader("klynge.web", "templates"), autoescape=select_autoescape(["html"]))
    env.filters["tojson_script"] = lambda obj: json.dumps(views.to_json(obj), ensure_ascii=False).replace(
        "</", "<\\/")
    return env


def filters_dep(
    period_type: Annotated[str, Query(description="year, quarter or month")] = "quarter",
    period: Annotated[str | None, Query(description="e.g. 2024, 2024-Q2, 2024-03; default the latest")] = None,
    geo: Annotated[str, Query(description="country:DK, region:<code>, cluster:<id>, council:<id>, "
                                          "municipality:<code>")] = "country:DK",
    age: Annotated[str, Query(description="all, 0-19, 20-64, 65-79 or 80+")] = "all",
    sex: Annotated[str, Query(description="all, F or M")] = "all",
    lang: Annotated[str, Query(description="da or en")] = "da",
) -> Filters:
    return Filters(period_type, period or None, geo, age, sex, lang)


def create_app(warehouse_dir: str | Path, *, config: dict[str, Any] | None = None) -> FastAPI:
    """The dashboard application for one warehouse.

    Parameters
    ----------
    warehouse_dir
        The warehouse folder (``klynge build --warehouse``).
    config
        Optional settings: ``targets`` (a targets YAML file instead of the packaged one).

    Example
    -------
    >>> app = create_app("demo/warehouse")            # doctest: +SKIP
    >>> app.include_router(citizen_router)            # doctest: +SKIP
    """
    config = dict(config or {})
    dash = views.Dashboard.load(Path(warehouse_dir), config.get("targets"))
    app = FastAPI(title="klynge", version=__version__, docs_url=None, redoc_url=None,
                  description="The health council's dashboard data: every number has passed the privacy gate.")
    app.state.dashboard = dash
    env = _env()

    # The warehouse does not change while the app runs, so a view's answer for the same filters
    # is the same: keep the recent ones (the answers are never modified after they are made).
    @lru_cache(maxsize=int(config.get("cache_size", 1024)))
    def cached_view(name: str, f: Filters, *extra: str) -> dict:
        fn = {"meta": views.meta, "overview": views.overview, "catalogue": views.catalogue,
              "targets": views.targets, "risk": views.risk, "evaluation": views.evaluation}.get(name)
        if fn is not None:
            return fn(dash, f)
        return views.indicator(dash, extra[0], f, extra[1])

    def view(name: str, f: Filters, *extra: str) -> dict:
        if name in ("targets", "risk", "evaluation"):
            f = Filters(lang=f.lang)      # these answers depend on the language only
        return cached_view(name, f, *extra)

    app.state.view = view

    def checked(f: Filters = Depends(filters_dep)) -> Filters:  # noqa: B008
        try:
            return f.validate(dash.geo)
        except ValueError as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from exc

    api = APIRouter(prefix="/api", tags=["api"])

    def answer(data: dict) -> JSONResponse:
        return JSONResponse(views.to_json(data))

    @api.get("/meta", summary="Filter choices and the privacy policy")
    def api_meta(f: Filters = Depends(checked)) -> JSONResponse:  # noqa: B008
        return answer(view("meta", f))

    @api.get("/overview", summary="Population overview: pyramid, sector overlap, conditions, cost")
    def api_overview(f: Filters = Depends(checked)) -> JSONResponse:  # noqa: B008
        return answer(view("overview", f))

    @api.get("/indicators", summary="The indicator catalogue with the latest values and trend signals")
    def api_catalogue(f: Filters = Depends(checked)) -> JSONResponse:  # noqa: B008
        return answer(view("catalogue", f))

    @api.get("/indicators/{indicator_id}", summary="One indicator: SPC trend, funnel, tile map")
    def api_indicator(indicator_id: str, f: Filters = Depends(checked),  # noqa: B008
                      chart: Annotated[str, Query(pattern="^(control|run)$")] = "control") -> JSONResponse:
        return answer(_indicator(indicator_id, f, chart))

    @api.get("/targets", summary="The council's targets with status")
    def api_targets(f: Filters = Depends(checked)) -> JSONResponse:  # noqa: B008
        return answer(view("targets", f))

    @api.get("/risk", summary="Cohorts and risk segments (when the risk module has run)")
    def api_risk(f: Filters = Depends(checked)) -> JSONResponse:  # noqa: B008
        return answer(view("risk", f))

    @api.get("/evaluation", summary="Evaluation results (when available)")
    def api_evaluation(f: Filters = Depends(checked)) -> JSONResponse:  # noqa: B008
        return answer(view("evaluation", f))

    def _indicator(indicator_id: str, f: Filters, chart: str) -> dict:
        try:
            return view("indicator", f, indicator_id, chart)
        except KeyError as exc:
            raise HTTPException(status_code=404, detail=f"unknown indicator {indicator_id!r}") from exc

    pages = APIRouter(include_in_schema=False)

    def render(request: Request, template: str, f: Filters, page: str, data: dict, title: str) -> HTMLResponse:
        lang = f.lang
        html = env.get_template(template).render(
            s=strings(lang), lang=lang, f=f, page=page, data=data, meta=view("meta", f), title=title,
            path=request.url.path, other_lang="en" if lang == "da" else "da", version=__version__)
        return HTMLResponse(html)

    @pages.get("/", response_class=HTMLResponse)
    def page_overview(request: Request, f: Filters = Depends(checked)) -> HTMLResponse:  # noqa: B008
        return render(request, "overview.html", f, "overview", view("overview", f), t("overview_title", f.lang))

    @pages.get("/indicators", response_class=HTMLResponse)
    def page_catalogue(request: Request, f: Filters = Depends(checked)) -> HTMLResponse:  # noqa: B008
        return render(request, "catalogue.html", f, "indicators", view("catalogue", f),
                      t("indicators_title", f.lang))

    @pages.get("/indicators/{indicator_id}", response_class=HTMLResponse)
    def page_indicator(request: Request, indicator_id: str, f: Filters = Depends(checked),  # noqa: B008
                       chart: Annotated[str, Query(pattern="^(control|run)$")] = "control") -> HTMLResponse:
        data = _indicator(indicator_id, f, chart)
        return render(request, "indicator.html", f, "indicators", data, data["indicator"]["title"])

    @pages.get("/targets", response_class=HTMLResponse)
    def page_targets(request: Request, f: Filters = Depends(checked)) -> HTMLResponse:  # noqa: B008
        return render(request, "targets.html", f, "targets", view("targets", f), t("targets_title", f.lang))

    @pages.get("/risk", response_class=HTMLResponse)
    def page_risk(request: Request, f: Filters = Depends(checked)) -> HTMLResponse:  # noqa: B008
        return render(request, "pending.html", f, "risk", view("risk", f), t("risk_title", f.lang))

    @pages.get("/evaluation", response_class=HTMLResponse)
    def page_evaluation(request: Request, f: Filters = Depends(checked)) -> HTMLResponse:  # noqa: B008
        return render(request, "pending.html", f, "evaluation", view("evaluation", f),
                      t("evaluation_title", f.lang))

    @pages.get("/docs", response_class=HTMLResponse)
    def page_docs(request: Request, lang: str = "da") -> HTMLResponse:
        f = Filters(lang=lang if lang in ("da", "en") else "da")
        spec = app.openapi()
        endpoints = [{"path": p, "method": m.upper(), "summary": op.get("summary", ""),
                      "params": [{"name": q["name"], "description": q.get("description", "")}
                                 for q in op.get("parameters", [])]}
                     for p, ops in spec["paths"].items() for m, op in ops.items()]
        return render(request, "docs.html", f, "api", {"endpoints": endpoints}, t("api_title", f.lang))

    @pages.get("/static/vega-bundle.js")
    def vega_js() -> Response:
        return Response(vega_bundle(), media_type="text/javascript",
                        headers={"Cache-Control": "public, max-age=86400"})

    @pages.get("/static/locales.js")
    def locales_js() -> Response:
        return Response(locale_script(), media_type="text/javascript",
                        headers={"Cache-Control": "public, max-age=86400"})

    @pages.get("/favicon.ico")
    def favicon() -> Response:
        return Response(status_code=204)

    @pages.get("/api")
    def api_root() -> RedirectResponse:
        return RedirectResponse("/docs")

    app.include_router(api)
    app.include_router(pages)
    static = Path(str(resources.files("klynge.web").joinpath("static")))
    app.mount("/static", StaticFiles(directory=static), name="static")
    if config.get("warm", True):
        # Build the Vega bundle and the default answers in the background, so the first visitor
        # does not wait for them.
        threading.Thread(target=_warm, args=(view,), daemon=True, name="klynge-warm").start()
    return app


def _warm(view) -> None:
    vega_bundle()
    locale_script()
    for lang in ("da", "en"):
        f = Filters(lang=lang)
        for name in ("meta", "overview", "catalogue", "targets"):
            view(name, f)

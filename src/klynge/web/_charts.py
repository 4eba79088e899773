"""Vega-Lite specifications of the dashboard's and report's charts, built from gated rows.

The specs are plain dictionaries (Vega-Lite 6); the browser renders them with the Vega bundle of
the installed ``vl-convert-python`` package, and the report renders the same specs to SVG with
it. Only published numbers go into a spec: suppressed cells are left out of the data and
listed in the table behind the chart as "<5".
"""

from __future__ import annotations

from klynge.web._i18n import t

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
# Colours with at least 4.5:1 contrast against white for marks that carry meaning.
BLUE, ORANGE, GREY, DARK, GREEN, RED = "#1f5fa8", "#b4540a", "#6b6b6b", "#1a1a1a", "#1e7a3c", "#b3261e"
CATEGORY_COLOURS = {"above": RED, "below": "#5a2ca0", "above95": "#e08a7e", "below95": "#a995d6",
                    "within": "#9fb9d9", "hidden": "#e4e4e4"}


def _base(title: str, width: int | str = "container", height: int = 260) -> dict:
    return {"$schema": SCHEMA, "title": title, "width": width, "height": height,
            "config": {"font": "system-ui, sans-serif", "axis": {"labelColor": DARK, "titleColor": DARK},
                       "legend": {"labelColor": DARK, "titleColor": DARK}, "view": {"stroke": None}}}


def pyramid(rows: list[dict], lang: str) -> dict:
    """Population pyramid: persons by 5-year band, women left and men right."""
    data = [{"age": r["age"], "start": r["start"], "sex": t(r["sex"], lang),
             "persons": r["n"] if r["sex"] == "M" else -r["n"], "count": r["n"]}
            for r in rows if r["n"] is not None]
    spec = _base(t("pyramid", lang), height=320)
    spec.update({
        "data": {"values": data},
        "mark": {"type": "bar"},
        "encoding": {
            "y": {"field": "age", "type": "ordinal", "sort": {"field": "start", "order": "descending"},
                  "title": t("age_band", lang)},
            "x": {"field": "persons", "type": "quantitative", "title": t("persons", lang),
                  "axis": {"labelExpr": "format(abs(datum.value), ',')"}},
            "color": {"field": "sex", "type": "nominal", "title": t("sex", lang),
                      "scale": {"range": [ORANGE, BLUE]}},
            "tooltip": [{"field": "age", "title": t("age_band", lang)}, {"field": "sex", "title": t("sex", lang)},
                        {"field": "count", "title": t("persons", lang), "format": ","}],
        },
    })
    return spec


def bars(rows: list[dict], label: str, value: str, title: str, value_title: str, lang: str,
         fmt: str = ".1%", colour: str = BLUE, sort: str | None = "-x") -> dict:
    """Horizontal bars of published values, one per row."""
    data = [r for r in rows if r.get(value) is not None]
    spec = _base(title, height=max(120, 24 * len(rows)))
    spec.update({
        "data": {"values": data},
        "mark": {"type": "bar", "color": colour},
        "encoding": {
            "y": {"field": label, "type": "nominal", "sort": sort, "title": None},
            "x": {"field": value, "type": "quantitative", "title": value_title, "axis": {"format": fmt}},
            "tooltip": [{"field": label, "title": None}, {"field": value, "title": value_title, "format": fmt}],
        },
    })
    return spec


def grouped_bars(rows: list[dict], lang: str) -> dict:
    """Cost per citizen by sector (colour) and age group (rows)."""
    data = [r for r in rows if r.get("cost_per_citizen") is not None]
    spec = _base(t("cost", lang), height=260)
    spec.update({
        "data": {"values": data},
        "mark": {"type": "bar"},
        "encoding": {
            "y": {"field": "age", "type": "nominal", "title": t("age", lang)},
            "yOffset": {"field": "sector_name"},
            "x": {"field": "cost_per_citizen", "type": "quantitative", "title": t("cost_per_citizen", lang),
                  "axis": {"format": ",.0f"}},
            "color": {"field": "sector_name", "type": "nominal", "title": t("sector", lang),
                      "scale": {"range": [BLUE, ORANGE, GREEN, "#5a2ca0"]}},
            "tooltip": [{"field": "age", "title": t("age", lang)}, {"field": "sector_name", "title": t("sector", lang)},
                        {"field": "cost_per_citizen", "title": t("cost_per_citizen", lang), "format": ",.0f"}],
        },
    })
    return spec


def spc_chart(points: list[dict], title: str, unit: str, lang: str, run: bool = False) -> dict:
    """Run or control chart: the published values, centre line, limits and signals."""
    data = [{"period": p["period"], "value": p["value"], "cl": p["cl"], "lcl": p["lcl"], "ucl": p["ucl"],
             "signal": t("signal_sigma", lang) if p["sigma_signal"] else (
                 t("signal_runs", lang) if p["runs_signal"] else t("within", lang))}
            for p in points]
    layers: list[dict] = [
        {"mark": {"type": "line", "color": GREY, "strokeDash": [6, 3]},
         "encoding": {"y": {"field": "cl", "type": "quantitative"}}},
    ]
    if not run:
        for lim in ("lcl", "ucl"):
            layers.append({"mark": {"type": "line", "color": RED, "strokeDash": [2, 2], "interpolate": "step-after"},
                           "encoding": {"y": {"field": lim, "type": "quantitative"}}})
    layers += [
        {"transform": [{"filter": "isValid(datum.value)"}],
         "mark": {"type": "line", "color": BLUE, "point": False},
         "encoding": {"y": {"field": "value", "type": "quantitative", "title": unit}}},
        {"transform": [{"filter": "isValid(datum.value)"}],
         "mark": {"type": "point", "filled": True, "size": 50},
         "encoding": {"y": {"field": "value", "type": "quantitative"},
                      "color": {"field": "signal", "type": "nominal", "title": t("signal", lang),
                                "scale": {"domain": [t("within", lang), t("signal_runs", lang), t("signal_sigma", lang)],
                                          "range": [BLUE, ORANGE, RED]}},
                      "tooltip": [{"field": "period", "title": t("period", lang)},
                                  {"field": "value", "title": unit, "format": ",.2f"},
                                  {"field": "signal", "title": t("signal", lang)}]}},
    ]
    spec = _base(title)
    spec.update({"data": {"values": data},
                 "encoding": {"x": {"field": "period", "type": "ordinal", "title": t("period", lang),
                                    "axis": {"labelAngle": -45, "labelOverlap": True}}},
                 "layer": layers})
    return spec


def funnel_chart(rows: list[dict], curve: dict | None, names: dict[str, str], title: str, unit: str,
                 lang: str) -> dict:
    """Funnel plot: each municipality's value against its denominator, with 95 % and 99.8 % limits."""
    data = [{"name": names.get(r["geo_code"], r["geo_code"]), "value": r["value"], "denominator": r["denominator"],
             "category": t(r["category"], lang), "selected": r.get("selected", False)}
            for r in rows if r["value"] is not None and r["denominator"] is not None]
    layers: list[dict] = []
    if curve:
        lines = []
        for i, d in enumerate(curve["denominator"]):
            lines.append({"denominator": d, "limit": "95 %", "lo": curve["lower_95"][i], "hi": curve["upper_95"][i]})
            lines.append({"denominator": d, "limit": "99,8 %" if lang == "da" else "99.8 %",
                          "lo": curve["lower_998"][i], "hi": curve["upper_998"][i]})
        for edge in ("lo", "hi"):
            layers.append({"data": {"values": lines}, "mark": {"type": "line", "color": GREY, "strokeWidth": 1},
                           "encoding": {"x": {"field": "denominator", "type": "quantitative"},
                                        "y": {"field": edge, "type": "quantitative"},
                                        "strokeDash": {"field": "limit", "type": "nominal", "title": None}}})
        layers.append({"data": {"values": [{"target": curve["target"]}]}, "mark": {"type": "rule", "color": DARK},
                       "encoding": {"y": {"field": "target", "type": "quantitative"}}})
    layers.append({
        "data": {"values": data},
        "mark": {"type": "point", "filled": True, "size": 60, "stroke": DARK, "strokeWidth": 0.5},
        "encoding": {
            "x": {"field": "denominator", "type": "quantitative", "title": t("denominator", lang),
                  "scale": {"type": "log"}},
            "y": {"field": "value", "type": "quantitative", "title": unit},
            "color": {"field": "category", "type": "nominal", "title": None,
                      "scale": {"domain": [t(k, lang) for k in CATEGORY_COLOURS if k != "hidden"],
                                "range": [v for k, v in CATEGORY_COLOURS.items() if k != "hidden"]}},
            "size": {"field": "selected", "type": "nominal", "legend": None,
                     "scale": {"domain": [False, True], "range": [50, 160]}},
            "tooltip": [{"field": "name", "title": t("municipality", lang)},
                        {"field": "value", "title": unit, "format": ",.2f"},
                        {"field": "denominator", "title": t("denominator", lang), "format": ",.0f"},
                        {"field": "category", "title": t("status", lang)}]}})
    spec = _base(title, height=300)
    spec["layer"] = layers
    return spec


def tile_map(rows: list[dict], tiles: list[dict], names: dict[str, str], title: str, unit: str, lang: str) -> dict:
    """Grid cartogram: one tile per municipality, coloured by its funnel category."""
    by_code = {r["geo_code"]: r for r in rows}
    data = []
    for tile in tiles:
        code = tile["municipality_code"]
        r = by_code.get(code)
        cat = r["category"] if r else "hidden"
        data.append({"col": tile["col"], "row": tile["row"], "name": names.get(code, code),
                     "short": names.get(code, code)[:4], "value": r["value"] if r else None,
                     "category": t(cat, lang)})
    spec = _base(title, width=17 * 27, height=15 * 27)
    spec.update({
        "data": {"values": data},
        "encoding": {"x": {"field": "col", "type": "ordinal", "axis": None},
                     "y": {"field": "row", "type": "ordinal", "axis": None}},
        "layer": [
            {"mark": {"type": "rect", "stroke": "white", "strokeWidth": 2},
             "encoding": {"color": {"field": "category", "type": "nominal", "title": None,
                                    "legend": {"orient": "bottom", "columns": 3},
                                    "scale": {"domain": [t(k, lang) for k in CATEGORY_COLOURS],
                                              "range": list(CATEGORY_COLOURS.values())}},
                          "tooltip": [{"field": "name", "title": t("municipality", lang)},
                                      {"field": "value", "title": unit, "format": ",.2f"},
                                      {"field": "category", "title": t("status", lang)}]}},
            {"mark": {"type": "text", "fontSize": 7, "color": DARK}, "encoding": {"text": {"field": "short"}}},
        ],
    })
    return spec


def crude_vs_std(rows: list[dict], names: dict[str, str], title: str, unit: str, lang: str) -> dict:
    """Crude and standardised value side by side for each municipality."""
    data = []
    for r in rows:
        name = names.get(r["geo_code"], r["geo_code"])
        if r["value"] is not None:
            data.append({"name": name, "kind": t("crude", lang), "value": r["value"]})
        if r.get("std_value") is not None and not r["suppressed"]:
            data.append({"name": name, "kind": t("standardised", lang), "value": r["std_value"]})
    spec = _base(title, height=max(160, 9 * len({d["name"] for d in data})))
    spec.update({
        "data": {"values": data},
        "mark": {"type": "point", "filled": True},
        "encoding": {"y": {"field": "name", "type": "nominal", "title": None, "sort": "-x",
                           "axis": {"labelFontSize": 8}},
                     "x": {"field": "value", "type": "quantitative", "title": unit, "scale": {"zero": False}},
                     "color": {"field": "kind", "type": "nominal", "title": None, "scale": {"range": [BLUE, ORANGE]}},
                     "shape": {"field": "kind", "type": "nominal", "title": None},
                     "tooltip": [{"field": "name"}, {"field": "kind"}, {"field": "value", "format": ",.2f"}]},
    })
    return spec


def target_chart(points: list[dict], target: dict, title: str, unit: str, lang: str) -> dict:
    """A target's series, the target value and the linear projection to its deadline."""
    data = [{"period": p["period"], "date": p["date"], "value": p["value"]} for p in points if p["value"] is not None]
    layers: list[dict] = [
        {"data": {"values": data}, "mark": {"type": "line", "point": True, "color": BLUE},
         "encoding": {"x": {"field": "date", "type": "temporal", "title": t("period", lang)},
                      "y": {"field": "value", "type": "quantitative", "title": unit, "scale": {"zero": False}},
                      "tooltip": [{"field": "period"}, {"field": "value", "format": ",.2f", "title": unit}]}},
        {"data": {"values": [{"target": target["target"]}]}, "mark": {"type": "rule", "color": GREEN, "strokeWidth": 2},
         "encoding": {"y": {"field": "target", "type": "quantitative"}}},
    ]
    if target.get("projection"):
        layers.append({"data": {"values": target["projection"]}, "mark": {"type": "line", "color": ORANGE,
                                                                          "strokeDash": [4, 4]},
                       "encoding": {"x": {"field": "date", "type": "temporal"},
                                    "y": {"field": "value", "type": "quantitative"}}})
    spec = _base(title, height=220)
    spec["layer"] = layers
    return spec

"""The JSON API on the 40,000-person warehouse, checked against independent computations."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps

from klynge.web import fmt_count, fmt_date, fmt_number
from klynge.web._targets import quarter_end

ENDPOINTS = ["/api/meta", "/api/overview", "/api/indicators", "/api/indicators/readmission_30d", "/api/targets",
             "/api/risk", "/api/evaluation"]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_every_endpoint_answers_json(api, path):
    r = api.get(path)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert isinstance(r.json(), dict) and r.json()


def test_openapi_lists_every_endpoint_and_docs_page_is_offline(api):
    spec = api.get("/openapi.json").json()
    for path in ENDPOINTS[:3] + ["/api/indicators/{indicator_id}", "/api/targets"]:
        assert path in spec["paths"]
    page = api.get("/docs").text
    assert "/api/indicators/{indicator_id}" in page
    assert "cdn" not in page.lower() and "swagger" not in page.lower()


@pytest.mark.parametrize("query, status", [
    ("geo=municipality:999", 422), ("age=12-17", 422), ("sex=X", 422), ("period_type=week", 422),
    ("period_type=quarter&period=2024", 422), ("lang=de", 422), ("geo=region:1083&age=80%2B&sex=F", 200),
])
def test_filters_are_validated(api, query, status):
    assert api.get(f"/api/overview?{query}").status_code == status
    assert api.get(f"/api/indicators?{query}").status_code == status


def test_unknown_indicator_is_404(api):
    assert api.get("/api/indicators/no_such_thing").status_code == 404
    assert api.get("/indicators/no_such_thing").status_code == 404


def test_overview_population_matches_sql(api, sql):
    years = api.get("/api/meta").json()["overview_years"]
    year = years[-1]
    expected = int(sql(f"select sum(persons_at_start) n from marts__population where period = '{year}'")["n"][0])
    body = api.get(f"/api/overview?period_type=year&period={year}").json()
    assert body["year"] == year
    assert body["population"]["value"] == expected
    assert body["population"]["text"] == fmt_count(expected)
    # A region, women aged 65-79: the sum over its municipalities and 5-year bands.
    exp = int(sql(f"""select sum(persons_at_start) n from marts__population p join ref__municipality m
                      using (municipality_code) where period = '{year}' and m.region_code = '1083' and sex = 'F'
                      and age_band_start between 65 and 79""")["n"][0])
    got = api.get(f"/api/overview?period_type=year&period={year}&geo=region:1083&age=65-79&sex=F").json()
    # On this sparse population the audit may hide the cell (complementary suppression).
    assert got["population"]["value"] == (None if got["population"]["suppressed"] else exp)


def test_overview_shares_match_sql(api, sql):
    # Every region: on this sparse population the audit hides many cells of one region, so the
    # published ones are checked across all of them.
    checked = 0
    for region in ("1081", "1082", "1083", "1084", "1085"):
        checked += _check_region_shares(api, sql, region)
    assert checked >= 4


def _check_region_shares(api, sql, region: str) -> int:
    body = api.get(f"/api/overview?geo=region:{region}").json()
    year = body["year"]
    prev = sql(f"""select condition, sum(persons) n, sum(population) pop from marts__condition_prevalence c
                   join ref__municipality m using (municipality_code)
                   where period = '{year}' and m.region_code = '{region}' group by condition""").set_index("condition")
    for row in body["prevalence"]:
        if row["persons"]["suppressed"]:
            continue
        assert row["persons"]["value"] == prev.loc[row["condition"], "n"]
        if body["population"]["value"] is not None:
            assert row["share"]["value"] == pytest.approx(100 * prev.loc[row["condition"], "n"]
                                                          / body["population"]["value"])
    overlap = sql(f"""select combination, sum(persons) n from marts__sector_overlap o join ref__municipality m
                      using (municipality_code) where period = '{year}' and m.region_code = '{region}'
                      group by combination""").set_index("combination")
    checked = 0
    for row in body["overlap"]:
        if not row["persons"]["suppressed"]:
            assert row["persons"]["value"] == overlap.loc[row["combination"], "n"]
            checked += 1
    cost = sql(f"""select sector, sum(cost) cost from marts__cost c join ref__municipality m
                   using (municipality_code) where period = '{year}' and m.region_code = '{region}'
                   and age_band_start >= 80 group by sector""").set_index("sector")
    pop80 = sql(f"""select sum(population) n from (select distinct period, municipality_code, age_band, population
                    from marts__sector_overlap o join ref__municipality m using (municipality_code)
                    where period = '{year}' and m.region_code = '{region}' and age_band_start >= 80)""")["n"][0]
    for row in body["cost"]:
        if row["age_key"] == "80+" and row["cost_per_citizen"] is not None:
            assert row["cost_per_citizen"] == pytest.approx(cost.loc[row["sector"], "cost"] / pop80)
    return checked


def test_catalogue_values_are_the_gated_table(api, sql):
    body = api.get("/api/indicators?period_type=year&period=2024&geo=region:1082").json()
    table = sql("""select indicator_id, value, std_value, suppressed, n_units from marts__indicator_long
                   where period_type = 'year' and period = '2024' and level = 'region' and geo_code = '1082'
                   and stratum_type = 'all'""").set_index("indicator_id")
    assert len(body["indicators"]) == 21
    for row in body["indicators"]:
        ind = row["indicator"]["id"]
        if ind not in table.index:
            assert row["value"]["value"] is None
            continue
        if table.loc[ind, "suppressed"]:
            assert row["value"]["value"] is None and row["value"]["text"] == "<5"
        else:
            assert row["value"]["value"] == pytest.approx(table.loc[ind, "value"])
            assert row["n_units"]["value"] == table.loc[ind, "n_units"]


def test_spc_centre_line_and_runs_are_independent(api, sql):
    body = api.get("/api/indicators/readmission_30d?period_type=month").json()
    df = sql("""select period, numerator, denominator, value, suppressed from marts__indicator_long
                where indicator_id = 'readmission_30d' and period_type = 'month' and level = 'country'
                and stratum_type = 'all' order by period""")
    pub = df[~df["suppressed"].astype(bool)]
    cl = 100 * pub["numerator"].sum() / pub["denominator"].sum()
    assert body["trend"]["chart"] == "p"
    assert body["trend"]["points"][0]["cl"] == pytest.approx(cl)
    # Anhøj: longest run of points on one side of the centre line.
    side = np.sign(pub["value"].to_numpy() - cl)
    side = side[side != 0]
    longest = max(len(list(g)) for _, g in __import__("itertools").groupby(side))
    assert body["trend"]["longest_run"] == longest
    assert body["trend"]["longest_run_max"] == round(np.log2(len(side))) + 3
    # P-chart limits: cl +- 3 sqrt(p(1-p)/n), per point.
    p = cl / 100
    for point, n in zip(body["trend"]["points"], df["denominator"], strict=True):
        if point["ucl"] is not None and not np.isnan(n):
            assert point["ucl"] == pytest.approx(min(100, 100 * (p + 3 * np.sqrt(p * (1 - p) / n))), rel=1e-6)


def test_funnel_limits_and_categories(api):
    body = api.get("/api/indicators/readmission_30d?period_type=year&period=2024").json()
    nat = body["national"]["value"]["value"] / 100
    rows = [r for r in body["municipalities"] if not r["suppressed"]]
    assert len(rows) > 20
    for r in rows:
        n = round(r["denominator"])
        # Exact binomial 99.8 % limits at the national proportion, within one count's step of interpolation.
        lo = sps.binom.ppf(0.001, n, nat) / n * 100
        hi = sps.binom.ppf(0.999, n, nat) / n * 100
        assert lo - 100 / n - 1e-9 <= r["lower_998"] <= lo + 100 / n + 1e-9
        assert hi - 100 / n - 1e-9 <= r["upper_998"] <= hi + 100 / n + 1e-9
        expected = ("above" if r["value"] > r["upper_998"] else "below" if r["value"] < r["lower_998"]
                    else "above95" if r["value"] > r["upper_95"] else "below95" if r["value"] < r["lower_95"]
                    else "within")
        assert r["category"] == expected
    hidden = [r for r in body["municipalities"] if r["suppressed"]]
    assert all(r["value"] is None and r["value_text"] == "<5" and r["category"] == "hidden" for r in hidden)


def test_mean_indicator_compares_with_intervals(api):
    body = api.get("/api/indicators/length_of_stay?period_type=year&period=2024").json()
    assert body["funnel_kind"] == "ci" and body["trend"]["chart"] == "i"
    nat = body["national"]["value"]["value"]
    for r in body["municipalities"]:
        if r["suppressed"]:
            continue
        expected = "above95" if r["ci_low"] > nat else "below95" if r["ci_high"] < nat else "within"
        assert r["category"] == expected


def test_targets_status_matches_independent_fit(api, dashboard):
    body = api.get("/api/targets").json()
    assert len(body["targets"]) == len(dashboard.targets) >= 3
    for g in body["targets"]:
        pts = [(quarter_end(p["period"]), p["value"]) for p in g["points"] if p["value"] is not None]
        assert g["latest"] == pytest.approx(pts[-1][1])
        recent = pts[-8:]
        x = np.array([(d - recent[0][0]).days for d, _ in recent], float)
        fit = sps.linregress(x, [v for _, v in recent])
        deadline = np.datetime64(g["date"]) - np.datetime64(recent[0][0].isoformat())
        projected = fit.intercept + fit.slope * deadline.astype(int)
        assert g["projected"] == pytest.approx(projected)
        target, at_most = g["target"], g["direction"] == "at_most"
        met = [v <= target if at_most else v >= target for v in (g["latest"], projected)]
        assert g["status"] == ("on_track" if any(met) else "off_track")


def test_danish_and_english_formats(api):
    assert fmt_number(1234.5) == "1.234,5" and fmt_number(1234.5, lang="en") == "1,234.5"
    assert fmt_count(12345) == "12.345" and fmt_count(3, suppressed=True) == "<5"
    from datetime import date

    assert fmt_date(date(2026, 11, 23)) == "23.11.2026" and fmt_date(date(2026, 11, 23), "en") == "23 Nov 2026"
    da = api.get("/api/overview").json()
    en = api.get("/api/overview?lang=en").json()
    assert da["population"]["value"] == en["population"]["value"] > 1000
    assert "." in da["population"]["text"] and "," in en["population"]["text"]
    assert da["prevalence"][1]["label"] == "Type 2-diabetes" and en["prevalence"][1]["label"] == "Type 2 diabetes"


def test_pages_render_in_both_languages(api):
    for path in ["/", "/indicators", "/indicators/mortality", "/targets", "/risk", "/evaluation", "/docs"]:
        da, en = api.get(path), api.get(path + "?lang=en")
        assert da.status_code == en.status_code == 200
        assert '<html lang="da">' in da.text and '<html lang="en">' in en.text
        assert 'class="skip" href="#main"' in da.text


def test_pages_load_nothing_from_outside(api):
    import re

    for path in ["/", "/indicators", "/indicators/readmission_30d", "/targets", "/risk", "/docs"]:
        html = api.get(path).text
        for ref in re.findall(r'(?:src|href)="([^"]+)"', html):
            assert not ref.startswith(("http:", "https:", "//")), (path, ref)
    bundle = api.get("/static/vega-bundle.js")
    assert bundle.status_code == 200 and "vegaEmbed" in bundle.text


def test_every_chart_has_a_table(api):
    for path in ["/", "/indicators/readmission_30d", "/targets"]:
        html = api.get(path).text
        assert html.count('class="vl-spec"') == html.count('<details class="chart-table">') > 0
        assert html.count("<table") >= html.count('class="vl-spec"')


def test_pending_pages_without_risk_tables(api, dashboard):
    if dashboard.risk_tables:
        pytest.skip("the warehouse has risk tables")
    body = api.get("/api/risk").json()
    assert body["available"] is False and "risk__" in body["message"]
    assert "Endnu ikke tilgængelig" in api.get("/risk").text


def test_a_router_can_be_added_in_one_line(web_app, api):
    from fastapi import APIRouter

    app = web_app
    router = APIRouter(prefix="/citizen")

    @router.get("/ping")
    def ping() -> dict:
        return {"ok": True}

    app.include_router(router)
    assert api.get("/citizen/ping").json() == {"ok": True}


def test_tile_layout_covers_the_98_municipalities(dashboard):
    tiles = dashboard.geo.tiles
    assert len(tiles) == 98 and not tiles.duplicated(["col", "row"]).any()
    assert set(tiles["municipality_code"]) == set(dashboard.geo.municipalities["municipality_code"])


@pytest.mark.parametrize("query", ["period_type=month&period=2025-12&age=0-19&geo=council%3A14",
                                   "period_type=year&geo=municipality%3A825&sex=F"])
def test_every_indicator_answers_for_sparse_cells(api, dashboard, query):
    """Small areas and strata, where national values can be 0 and most cells are suppressed."""
    for ind in dashboard.indicators.info:
        r = api.get(f"/api/indicators/{ind}?{query}")
        assert r.status_code == 200, (ind, r.text[:200])
        body = r.json()
        if body["national"]["value"]["value"] == 0:
            assert all(m["category"] in ("within", "hidden") for m in body["municipalities"])


def _luminance(hex_colour: str) -> float:
    rgb = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def test_text_and_mark_colours_have_enough_contrast(api):
    """WCAG 2 contrast of at least 4.5:1 against white for text colours and meaningful marks."""
    import re

    from klynge.web import _charts

    css = api.get("/static/klynge.css").text
    variables = dict(re.findall(r"--([a-z]+):\s*(#[0-9a-fA-F]{6})", css))
    text_colours = [variables[k] for k in ("ink", "muted", "accent", "good", "bad")]
    text_colours += [_charts.BLUE, _charts.ORANGE, _charts.DARK, _charts.GREEN, _charts.RED, _charts.GREY]
    for colour in text_colours:
        ratio = (1.05) / (_luminance(colour) + 0.05)
        assert ratio >= 4.5, (colour, round(ratio, 2))

"""End-to-end in headless Chromium (Debian's, driven by Playwright): pages, filters, numbers, offline.

One browser for the session. Every page is opened with a route guard that aborts and records any
request not going to 127.0.0.1; screenshots are kept in ``test-artifacts/web/``.
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlparse

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium is not installed")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    outside: list[str] = []
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    pg = context.new_page()
    errors: list[str] = []

    def guard(route):
        host = urlparse(route.request.url).hostname
        if host != "127.0.0.1":
            outside.append(route.request.url)
            return route.abort()
        return route.continue_()

    pg.route("**/*", guard)
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.outside = outside
    pg.errors = errors
    yield pg
    context.close()
    assert outside == [], f"requests left localhost: {outside}"
    assert errors == [], f"JavaScript errors: {errors}"


READY = "document.body !== null && document.body.dataset.chartsReady === 'true'"


def _open(page, server, path: str, artifacts, shot: str):
    page.goto(server + path)
    page.wait_for_function(READY, timeout=60_000)
    rendered = page.eval_on_selector_all(".vl", "els => els.map(e => e.dataset.rendered)")
    assert rendered and all(r == "true" for r in rendered), rendered
    assert page.locator(".vl svg").count() == len(rendered)
    path_png = artifacts / f"{shot}.png"
    page.screenshot(path=str(path_png), full_page=True)
    print(f"screenshot: {path_png}")


def test_every_page_renders_offline(page, server, artifacts):
    for path, shot in [("/", "overview"), ("/indicators", "catalogue"), ("/indicators/readmission_30d", "indicator"),
                       ("/indicators/length_of_stay?chart=run", "indicator-run"), ("/targets", "targets")]:
        if path == "/indicators":
            page.goto(server + path)
            page.screenshot(path=str(artifacts / f"{shot}.png"), full_page=True)
            assert page.locator("#table-catalogue tbody tr").count() == 21
            continue
        _open(page, server, path, artifacts, shot)
    for path in ["/risk", "/evaluation", "/docs"]:
        page.goto(server + path)
        assert page.locator("h1").count() == 1
        page.screenshot(path=str(artifacts / f"{path.strip('/')}.png"), full_page=True)


def test_filters_change_the_address_and_numbers_match_the_api(page, server, api, artifacts):
    _open(page, server, "/", artifacts, "overview-before")
    page.select_option("#f-geo", "region:1083")
    page.select_option("#f-age", "65-79")
    page.select_option("#f-sex", "F")
    with page.expect_navigation():
        page.click("#f-apply")
    page.wait_for_function(READY, timeout=60_000)
    url = page.url
    assert "geo=region%3A1083" in url and "age=65-79" in url and "sex=F" in url
    page.screenshot(path=str(artifacts / "overview-filtered.png"), full_page=True)
    body = api.get("/api/overview?" + urlparse(url).query).json()
    assert page.inner_text("#population-total") == body["population"]["text"]
    shown = page.eval_on_selector_all("#table-prevalence tbody tr", "rows => rows.map(r => r.cells[1].textContent)")
    assert shown == [p["persons"]["text"] for p in body["prevalence"]]
    # The address is a shareable link: opening it again shows the same numbers.
    page.goto(url)
    assert page.inner_text("#population-total") == body["population"]["text"]


def test_indicator_numbers_match_the_api(page, server, api, artifacts):
    q = "period_type=year&period=2024&geo=cluster%3A10"
    _open(page, server, f"/indicators/readmission_30d?{q}", artifacts, "indicator-cluster")
    body = api.get(f"/api/indicators/readmission_30d?{q}").json()
    assert body["current"]["value"]["text"] in page.inner_text("#current-value")
    assert page.inner_text("#national-value") == body["national"]["value"]["text"]
    shown = page.eval_on_selector_all("#table-municipalities tbody tr",
                                      "rows => rows.map(r => [r.dataset.code, r.cells[1].textContent])")
    assert shown == [[r["geo_code"], r["value_text"]] for r in body["municipalities"]]
    assert any(text == "<5" for _, text in shown)       # suppressed municipalities show as <5
    page.goto(server + f"/indicators?{q}")
    cat = api.get(f"/api/indicators?{q}").json()
    cells = page.eval_on_selector_all("#table-catalogue tbody tr",
                                      "rows => rows.map(r => [r.dataset.id, r.querySelector('.value').textContent])")
    assert cells == [[r["indicator"]["id"], r["value"]["text"]] for r in cat["indicators"]]


def test_keyboard_and_language_switch(page, server, artifacts):
    page.goto(server + "/indicators")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"#main$"), timeout=5_000)  # the jump to the anchor is asynchronous
    # The filters are reachable and usable with the keyboard alone.
    page.focus("#f-period-type")
    page.keyboard.press("ArrowDown")   # quarter -> month
    assert page.input_value("#f-period-type") == "month"
    page.focus("#f-apply")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "period_type=month" in page.url
    assert page.get_attribute("html", "lang") == "da"
    with page.expect_navigation():
        page.click("#lang-switch")
    assert page.get_attribute("html", "lang") == "en"
    assert "period_type=month" in page.url and "lang=en" in page.url
    assert page.inner_text("nav") .split("\n")[0].strip() == "Overview"
    page.screenshot(path=str(artifacts / "catalogue-en.png"), full_page=True)

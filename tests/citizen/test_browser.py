"""A headless Chromium opens the overview as a clinician with a care relation; one without is refused."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import uvicorn

from .conftest import PASSWORD

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def server(citizen_env):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(citizen_env.app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(100):
        if srv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        yield b
        b.close()


def _page(browser, outside: list[str]):
    context = browser.new_context()
    page = context.new_page()

    def guard(route):
        if route.request.url.startswith("http://127.0.0.1"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    return context, page


def _login(page, base, user):
    page.goto(f"{base}/login")
    page.fill("input[name=user]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{base}/borger?lang=da")


def test_clinician_with_care_relation_sees_overview(server, browser, citizen_env):
    env = citizen_env
    ident = env.app.state.citizen.identity.get(env.pid)
    outside: list[str] = []
    context, page = _page(browser, outside)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _login(page, server, "clin_gp")
    page.fill("input[name=cpr]", ident.cpr)
    page.click("#lookup-form button[type=submit]")
    page.wait_for_selector("#citizen-name")
    assert page.text_content("#citizen-name") == ident.name
    assert page.text_content("#citizen-cpr") == ident.cpr
    assert page.locator("#timeline-table tbody tr").count() > 10
    total = page.locator("#timeline-table tbody tr").count()
    # the search box filters the timeline in the browser (our own script)
    page.fill("#record-search", "epikrise")
    visible = page.locator("#timeline-table tbody tr:not(.is-hidden)").count()
    assert 0 < visible < total
    assert page.text_content("#shown-count") == str(visible)
    assert page.locator("#labs tbody tr").count() >= 1
    # write the shared status through the form
    page.fill("#status-form textarea", "Set af egen læge i browsertest")
    page.click("#status-form button[type=submit]")
    page.wait_for_selector("#status-text")
    assert page.text_content("#status-text") == "Set af egen læge i browsertest"
    page.click("#lang-switch")
    page.wait_for_selector("text=Timeline across sectors")
    assert outside == [] and errors == []
    context.close()


def test_clinician_without_care_relation_is_refused(server, browser, citizen_env):
    env = citizen_env
    ident = env.app.state.citizen.identity.get(env.pid)
    outside: list[str] = []
    context, page = _page(browser, outside)
    _login(page, server, "clin_other")
    response = page.goto(f"{server}/borger/{env.pid}")
    assert response.status == 403
    assert page.text_content("#denied") == "Adgang nægtet"
    assert ident.name not in page.content() and ident.cpr not in page.content()
    # the CPR lookup is refused the same way
    page.goto(f"{server}/borger")
    page.fill("input[name=cpr]", ident.cpr)
    page.click("#lookup-form button[type=submit]")
    page.wait_for_selector(".error")
    assert "behandlingsrelation" in page.text_content(".error")
    assert outside == []
    context.close()

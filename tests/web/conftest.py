"""Fixtures of the dashboard tests: the app on the 40,000-person warehouse, served on 127.0.0.1.

One app and one uvicorn server (in a thread, on a free port) per session; the API tests talk to
it with httpx, the browser tests with Chromium. Screenshots go to ``test-artifacts/web/`` at the
repository root.
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn

from klynge.web import create_app

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def web_app(synthetic_warehouse):
    return create_app(synthetic_warehouse[0])


@pytest.fixture(scope="session")
def dashboard(web_app):
    return web_app.state.dashboard


@pytest.fixture(scope="session")
def server(web_app):
    port = _free_port()
    config = uvicorn.Config(web_app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the dashboard server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def api(server):
    with httpx.Client(base_url=server, timeout=60) as client:
        yield client


@pytest.fixture(scope="session")
def artifacts():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS

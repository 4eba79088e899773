"""Security middleware: headers, request size limit, rate limit, detail-free errors, log scrubbing."""

from __future__ import annotations

import logging
import warnings

from fastapi import FastAPI, Request

from klynge.access._security import (
    SECURITY_HEADERS,
    CPRScrubFilter,
    SecuritySettings,
    install_security,
    mask_cpr,
)

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


def _app(**settings):
    app = FastAPI()

    @app.get("/ok")
    def ok():
        return {"ok": True}

    @app.post("/echo")
    async def echo(request: Request):
        return {"n": len(await request.body())}

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret detail 010190-2013")

    install_security(app, SecuritySettings(**settings))
    return app


def test_security_headers():
    r = TestClient(_app()).get("/ok")
    assert r.status_code == 200
    for k, v in SECURITY_HEADERS.items():
        assert r.headers[k] == v
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


def test_size_limit_declared_and_chunked():
    client = TestClient(_app(max_body_bytes=1000))
    assert client.post("/echo", content=b"x" * 1000).json() == {"n": 1000}
    r = client.post("/echo", content=b"x" * 1001)
    assert r.status_code == 413

    def chunks():
        for _ in range(5):
            yield b"y" * 300
    r = client.post("/echo", content=chunks())      # no content-length: streamed
    assert r.status_code == 413
    assert r.headers["x-content-type-options"] == "nosniff"


def test_rate_limit():
    client = TestClient(_app(rate_per_minute=5))
    codes = [client.get("/ok").status_code for _ in range(7)]
    assert codes == [200] * 5 + [429, 429]
    r = client.get("/ok")
    assert 1 <= int(r.headers["retry-after"]) <= 61


def test_error_has_no_details():
    client = TestClient(_app(), raise_server_exceptions=False)
    r = client.get("/boom")
    assert r.status_code == 500
    assert r.json() == {"detail": "internal error"}
    assert "secret" not in r.text and "2013" not in r.text


def test_log_scrubbing(caplog):
    logger = logging.getLogger("klynge.test.scrub")
    logger.addFilter(CPRScrubFilter())
    with caplog.at_level(logging.INFO, logger="klynge.test.scrub"):
        logger.info("looked up %s for %s", "010190-2013", "anna")
        logger.info("number 0101902013 in text")
    text = caplog.text
    assert "010190-2013" not in text and "0101902013" not in text
    assert "XXXXXX-XXXX for anna" in text and "XXXXXXXXXX in text" in text
    assert mask_cpr("no number here 12345") == "no number here 12345"


def test_csp_can_be_set_per_app():
    r = TestClient(_app(content_security_policy="default-src 'self'", hsts=False)).get("/ok")
    assert r.headers["content-security-policy"] == "default-src 'self'"
    assert "strict-transport-security" not in r.headers

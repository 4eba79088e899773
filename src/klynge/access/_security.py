"""Hardening for the web apps: security headers, a request size limit, rate limits, log scrubbing.

Mount on any FastAPI/Starlette app with one line: ``install_security(app)``.

* Headers: a strict Content-Security-Policy (own scripts and styles only, no inline script, no
  framing), ``nosniff``, ``no-referrer``, a restrictive Permissions-Policy, ``no-store`` caching
  (pages carry health data) and HSTS.
* Size: a request body above ``max_body_bytes`` is refused with 413, whether or not it declares
  its length.
* Rate: at most ``rate_per_minute`` requests per client address per minute (sliding window) give
  429 with ``Retry-After``.
* Logs and errors: a logging filter masks anything that looks like a CPR number in every record
  of the root, uvicorn and fastapi loggers, and unhandled errors answer a plain 500 without
  details.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass

from klynge.contracts import CPR_PATTERN

_CPR = re.compile(CPR_PATTERN)

SECURITY_HEADERS = {
    "content-security-policy": ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "cache-control": "no-store",
    "strict-transport-security": "max-age=31536000; includeSubDomains",
}


def mask_cpr(text: str) -> str:
    """Replace every digit of anything that looks like a CPR number by X.

    Examples
    --------
    A made-up number:

    >>> mask_cpr("looked up 010190-2013 today")
    'looked up XXXXXX-XXXX today'
    """
    return _CPR.sub(lambda m: re.sub("[0-9]", "X", m.group()), text)


class CPRScrubFilter(logging.Filter):
    """A logging filter that masks CPR numbers in the message and its arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001  (a broken format string: keep the raw message)
            message = str(record.msg)
        if _CPR.search(message):
            record.msg = mask_cpr(message)
            record.args = None
        if record.exc_text:
            record.exc_text = mask_cpr(record.exc_text)
        return True


def install_log_scrubbing(names: tuple[str, ...] = ("", "uvicorn", "uvicorn.access", "uvicorn.error",
                                                  "fastapi", "klynge")) -> None:
    """Attach :class:`CPRScrubFilter` to the named loggers and their handlers (idempotent)."""
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, CPRScrubFilter) for f in logger.filters):
            logger.addFilter(CPRScrubFilter())
        for handler in logger.handlers:
            if not any(isinstance(f, CPRScrubFilter) for f in handler.filters):
                handler.addFilter(CPRScrubFilter())


@dataclass(frozen=True)
class SecuritySettings:
    max_body_bytes: int = 64 * 1024
    rate_per_minute: int = 600
    hsts: bool = True
    content_security_policy: str = SECURITY_HEADERS["content-security-policy"]   # loosen per app if needed


async def _send_json(send, status: int, body: dict, headers: list[tuple[bytes, bytes]] = ()) -> None:
    data = json.dumps(body).encode()
    hdrs = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()), *headers]
    hdrs += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
    await send({"type": "http.response.start", "status": status, "headers": hdrs})
    await send({"type": "http.response.body", "body": data})


class SecurityMiddleware:
    """Pure ASGI middleware: rate limit, size limit, headers and a detail-free 500."""

    def __init__(self, app, settings: SecuritySettings = SecuritySettings()) -> None:
        self.app = app
        self.settings = settings
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _rate_ok(self, client: str) -> tuple[bool, int]:
        now = time.monotonic()
        with self._lock:
            hits = self._hits[client]
            while hits and hits[0] <= now - 60:
                hits.popleft()
            if len(hits) >= self.settings.rate_per_minute:
                return False, max(1, int(60 - (now - hits[0])) + 1)
            hits.append(now)
        return True, 0

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("-", 0))[0]
        ok, retry = self._rate_ok(client)
        if not ok:
            await _send_json(send, 429, {"detail": "too many requests"}, [(b"retry-after", str(retry).encode())])
            return
        limit = self.settings.max_body_bytes
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await _send_json(send, 400, {"detail": "bad content-length"})
                    return
                if declared > limit:
                    await _send_json(send, 413, {"detail": f"request body larger than {limit} bytes"})
                    return
        # read the body up front (bounded), so that an over-long chunked body is refused before
        # any handler sees it
        chunks: list[bytes] = []
        received = 0
        more = scope.get("method", "GET") not in ("GET", "HEAD", "OPTIONS")
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            received += len(body)
            if received > limit:
                await _send_json(send, 413, {"detail": f"request body larger than {limit} bytes"})
                return
            chunks.append(body)
            more = message.get("more_body", False)
        replayed = False

        async def limited_receive():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        started = False

        async def send_with_headers(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                present = {k.lower() for k, _ in message.get("headers", [])}
                headers = {**SECURITY_HEADERS, "content-security-policy": self.settings.content_security_policy}
                extra = [(k.encode(), v.encode()) for k, v in headers.items()
                         if k.encode() not in present and (self.settings.hsts or k != "strict-transport-security")]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except Exception:  # noqa: BLE001  (never leak details, which may hold data, to the client)
            logging.getLogger("klynge").error("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if not started:
                await _send_json(send, 500, {"detail": "internal error"})


def install_security(app, settings: SecuritySettings | None = None) -> None:
    """Add the security middleware and log scrubbing to a FastAPI/Starlette app.

    Examples
    --------
    >>> app = FastAPI()  # doctest: +SKIP
    >>> install_security(app)  # doctest: +SKIP
    """
    app.add_middleware(SecurityMiddleware, settings=settings or SecuritySettings())
    install_log_scrubbing()

"""The pages of the citizen overview (server-rendered, Danish by default, ``?lang=en`` for English).

The pages use the same service calls as the JSON API (one view of the record); they sign in with
the session cookie, and every form carries the session's CSRF token.
"""

from __future__ import annotations

import hmac
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from klynge.access._roles import AccessDenied, Principal, Role
from klynge.access._users import LoginThrottled
from klynge.citizen._labels import danish_date, denial, ui
from klynge.citizen._service import NotFound, valid_person_id
from klynge.citizen.api import COOKIE, csrf_token
from klynge.identity import InvalidCPR

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
STATIC_DIR = Path(__file__).parent / "static"
TIMELINE_ON_PAGE = 400

pages = APIRouter(include_in_schema=False)


def _lang(request: Request) -> str:
    return "en" if request.query_params.get("lang") == "en" else "da"


def _principal(request: Request) -> tuple[Principal | None, str]:
    token = request.cookies.get(COOKIE, "")
    principal = request.app.state.citizen.users.principal_for_token(token) if token else None
    return principal, (csrf_token(token) if principal else "")


def _render(request: Request, name: str, status: int = 200, **ctx) -> HTMLResponse:
    lang = _lang(request)
    principal, csrf = _principal(request)
    return TEMPLATES.TemplateResponse(request, name, {
        "lang": lang, "t": lambda k: ui(k, lang), "d": danish_date, "principal": principal, "csrf": csrf, **ctx},
        status_code=status)


def _to_login(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/login?lang={_lang(request)}", status_code=303)


def _csrf_ok(request: Request, sent: str) -> bool:
    _, expected = _principal(request)
    return bool(expected) and hmac.compare_digest(sent or "", expected)


@pages.get("/login", response_class=HTMLResponse)
def login_page(request: Request):
    return _render(request, "login.html")


@pages.post("/login")
def login_submit(request: Request, user: Annotated[str, Form(max_length=100)],
                 password: Annotated[str, Form(max_length=200)]):
    svc = request.app.state.citizen
    lang = _lang(request)
    try:
        session = svc.users.login(user, password, client=request.client.host if request.client else "-")
    except LoginThrottled:
        return _render(request, "login.html", 429, error=ui("throttled", lang))
    if session is None:
        return _render(request, "login.html", 401, error=ui("wrong_login", lang))
    response = RedirectResponse(f"/borger?lang={lang}", status_code=303)
    response.set_cookie(COOKIE, session.token, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", max_age=int(svc.users.session_s), path="/")
    return response


@pages.post("/logout")
def logout_submit(request: Request, csrf: Annotated[str, Form(max_length=100)] = ""):
    if _csrf_ok(request, csrf):
        request.app.state.citizen.users.logout(request.cookies.get(COOKIE, ""))
    response = _to_login(request)
    response.delete_cookie(COOKIE, path="/")
    return response


@pages.get("/borger", response_class=HTMLResponse)
def lookup_page(request: Request):
    principal, _ = _principal(request)
    if principal is None:
        return _to_login(request)
    return _render(request, "lookup.html")


@pages.post("/borger/opslag")
def lookup_submit(request: Request, cpr: Annotated[str, Form(max_length=11)],
                  purpose: Annotated[str, Form(max_length=30)] = "treatment",
                  csrf: Annotated[str, Form(max_length=100)] = ""):
    principal, _ = _principal(request)
    if principal is None:
        return _to_login(request)
    if not _csrf_ok(request, csrf):
        return _render(request, "denied.html", 403, heading=ui("denied", _lang(request)), reason="CSRF")
    try:
        person_id = request.app.state.citizen.lookup(principal, cpr, purpose=purpose)
    except InvalidCPR:
        return _render(request, "lookup.html", 422, error=ui("cpr", _lang(request)) + " ?")
    except AccessDenied as denied:
        return _render(request, "lookup.html", 403, error=denial(denied.reason, _lang(request)))
    return RedirectResponse(f"/borger/{person_id}?lang={_lang(request)}&purpose={purpose}", status_code=303)


def _show(request: Request, person_id: str, purpose: str, override_reason: str | None = None) -> Response:
    principal, _ = _principal(request)
    if principal is None:
        return _to_login(request)
    lang = _lang(request)
    if not valid_person_id(person_id):
        return _render(request, "denied.html", 404, heading=ui("not_found", lang), reason="")
    svc = request.app.state.citizen
    try:
        record = svc.read(principal, person_id, purpose=purpose, lang=lang, override_reason=override_reason)
    except AccessDenied as denied:
        blocked = "blocked" in denied.reason
        return _render(request, "denied.html", 403, heading=ui("denied", lang), reason=denial(denied.reason, lang),
                       can_override=blocked and principal.role is Role.CLINICIAN, person_id=person_id)
    except NotFound:
        return _render(request, "denied.html", 404, heading=ui("not_found", lang), reason="")
    except ValueError as err:
        return _render(request, "denied.html", 422, heading=ui("denied", lang), reason=str(err))
    clinician = principal.role is Role.CLINICIAN
    return _render(request, "citizen.html", record=record, timeline=record["timeline"][:TIMELINE_ON_PAGE],
                   can_write_status=clinician, can_override=clinician and not record["consent_overridden"])


@pages.get("/borger/{person_id}", response_class=HTMLResponse)
def citizen_page(request: Request, person_id: str, purpose: str = "treatment"):
    return _show(request, person_id, purpose if purpose in ("treatment", "care_coordination", "analysis", "quality")
                 else "treatment")


@pages.post("/borger/{person_id}/vaerdispring", response_class=HTMLResponse)
def override_submit(request: Request, person_id: str, reason: Annotated[str, Form(max_length=1000)],
                    csrf: Annotated[str, Form(max_length=100)] = ""):
    if not _csrf_ok(request, csrf):
        return _render(request, "denied.html", 403, heading=ui("denied", _lang(request)), reason="CSRF")
    return _show(request, person_id, "treatment", override_reason=reason)


@pages.post("/borger/{person_id}/status")
def status_submit(request: Request, person_id: str, text: Annotated[str, Form(max_length=2000)],
                  csrf: Annotated[str, Form(max_length=100)] = ""):
    principal, _ = _principal(request)
    if principal is None:
        return _to_login(request)
    lang = _lang(request)
    if not _csrf_ok(request, csrf):
        return _render(request, "denied.html", 403, heading=ui("denied", lang), reason="CSRF")
    try:
        request.app.state.citizen.write_status(principal, person_id, text, purpose="care_coordination")
    except AccessDenied as denied:
        return _render(request, "denied.html", 403, heading=ui("denied", lang), reason=denial(denied.reason, lang))
    except (ValueError, NotFound) as err:
        return _render(request, "denied.html", 422, heading=ui("denied", lang), reason=str(err))
    return RedirectResponse(f"/borger/{person_id}?lang={lang}&purpose=care_coordination", status_code=303)

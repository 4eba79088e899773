"""The JSON API of the citizen overview, access control, consent and audit (a FastAPI router).

Mount with ``app.include_router(klynge.citizen.api.router)`` on an app whose ``state.citizen`` is a
:class:`~klynge.citizen.CitizenService` (``klynge.citizen.app.install_citizen`` does both).
Authentication: ``Authorization: Bearer <token>`` from ``POST /api/auth/login``, or the session
cookie set by the same call or the login page; cookie-authenticated changes need the
``X-CSRF-Token`` header.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from klynge.access._consent import MIN_REASON_CHARS
from klynge.access._oidc import OIDCError, verify_id_token
from klynge.access._roles import AccessDenied, Principal, Role, authorize
from klynge.access._users import LoginThrottled
from klynge.citizen._service import NotFound, valid_person_id
from klynge.identity import InvalidCPR

COOKIE = "klynge_session"
PID = Annotated[str, Path(pattern=r"^[0-9A-Za-z_.:-]{1,64}$", max_length=64)]
Purpose = Literal["treatment", "care_coordination", "analysis", "quality", "citizen_request", "administration"]
Lang = Literal["da", "en"]

router = APIRouter(prefix="/api", tags=["citizen"])


# -- models ------------------------------------------------------------------------------------
class LoginIn(BaseModel):
    user: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=200)


class LookupIn(BaseModel):
    cpr: str = Field(min_length=10, max_length=11)
    purpose: Purpose = "treatment"


class OverrideIn(BaseModel):
    reason: str = Field(min_length=MIN_REASON_CHARS, max_length=1000)
    purpose: Purpose = "treatment"


class StatusIn(BaseModel):
    text: str = Field(min_length=1, max_length=2000)
    purpose: Purpose = "care_coordination"


class BlockIn(BaseModel):
    direction: Literal["source", "viewer"]
    kind: Literal["sector", "party"]
    value: str = Field(min_length=2, max_length=60, pattern=r"^[0-9A-Za-z_.:-]+$")
    note: str = Field(default="", max_length=500)


class ReviewIn(BaseModel):
    note: str = Field(min_length=1, max_length=1000)


class UserIn(BaseModel):
    user: str = Field(min_length=1, max_length=100, pattern=r"^[0-9A-Za-z_.@-]+$")
    role: Role
    organisation: str = Field(min_length=3, max_length=60, pattern=r"^[a-z]+:[0-9A-Za-z_.-]+$")
    password: str | None = Field(default=None, min_length=12, max_length=200)


# -- authentication ------------------------------------------------------------------------------
def service(request: Request):
    return request.app.state.citizen


def csrf_token(session_token: str) -> str:
    """The CSRF token that goes with a session (double submit, bound to the session)."""
    return hmac.new(session_token.encode(), b"klynge-csrf", hashlib.sha256).hexdigest()


def _session_token(request: Request) -> tuple[str | None, bool]:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip(), False
    cookie = request.cookies.get(COOKIE)
    return (cookie, True) if cookie else (None, False)


def current_principal(request: Request) -> Principal:
    """The principal of the request, or 401."""
    token, from_cookie = _session_token(request)
    principal = request.app.state.citizen.users.principal_for_token(token) if token else None
    oidc = getattr(request.app.state, "oidc", None)
    if principal is None and token and not from_cookie and oidc is not None and token.count(".") == 2:
        try:   # an ID token from the configured OpenID Connect provider
            principal = verify_id_token(token, oidc, request.app.state.citizen.users)
        except OIDCError:
            principal = None
    if principal is None:
        raise HTTPException(401, "not signed in", headers={"WWW-Authenticate": "Bearer"})
    if from_cookie and request.method not in ("GET", "HEAD", "OPTIONS"):
        sent = request.headers.get("x-csrf-token", "")
        if not hmac.compare_digest(sent, csrf_token(token)):
            raise HTTPException(403, "missing or wrong CSRF token")
    return principal


User = Annotated[Principal, Depends(current_principal)]


def _guard(call, *args, **kwargs):
    """Run a service call and turn its refusals into HTTP answers (never quoting data)."""
    try:
        return call(*args, **kwargs)
    except AccessDenied as denied:
        raise HTTPException(403, denied.reason) from None
    except NotFound:
        raise HTTPException(404, "no such citizen") from None
    except InvalidCPR:
        raise HTTPException(422, "not a valid CPR number") from None
    except ValueError as err:
        raise HTTPException(422, str(err)) from None


# -- auth endpoints ------------------------------------------------------------------------------
@router.post("/auth/login")
def login(body: LoginIn, request: Request, response: Response) -> dict[str, Any]:
    """Sign in with user and password; returns a bearer token and sets the session cookie."""
    svc = service(request)
    client = request.client.host if request.client else "-"
    try:
        session = svc.users.login(body.user, body.password, client=client)
    except LoginThrottled as throttled:
        raise HTTPException(429, str(throttled), headers={"Retry-After": str(throttled.retry_after)}) from None
    if session is None:
        raise HTTPException(401, "wrong user or password")
    response.set_cookie(COOKIE, session.token, httponly=True, samesite="strict", secure=request.url.scheme == "https",
                        max_age=int(svc.users.session_s), path="/")
    p = session.principal
    return {"token": session.token, "csrf": csrf_token(session.token), "expires": session.expires,
            "user": p.user, "role": p.role.value, "organisation": p.organisation}


@router.post("/auth/logout")
def logout(request: Request, response: Response, principal: User) -> dict[str, str]:
    """End the session."""
    token, _ = _session_token(request)
    service(request).users.logout(token)
    response.delete_cookie(COOKIE, path="/")
    return {"status": "signed out"}


@router.get("/auth/me")
def me(principal: User) -> dict[str, str]:
    """Who is signed in."""
    return {"user": principal.user, "role": principal.role.value, "organisation": principal.organisation}


# -- citizen endpoints -----------------------------------------------------------------------------
@router.post("/citizens/lookup")
def lookup(body: LookupIn, request: Request, principal: User) -> dict[str, str]:
    """Find a citizen by CPR number (clinicians with a care relation). The number is never logged."""
    return {"person_id": _guard(service(request).lookup, principal, body.cpr, purpose=body.purpose)}


@router.get("/citizens/{person_id}")
def citizen(person_id: PID, request: Request, principal: User, purpose: Purpose = "treatment",
            lang: Lang = "da") -> dict[str, Any]:
    """The citizen overview: master data, GP, residence, timeline, appointments, diagnoses, letters, labs, status."""
    return _guard(service(request).read, principal, person_id, purpose=purpose, lang=lang)


@router.get("/citizens/{person_id}/search")
def search(person_id: PID, request: Request, principal: User,
           q: Annotated[str, Query(min_length=1, max_length=200)], purpose: Purpose = "treatment",
           lang: Lang = "da") -> dict[str, Any]:
    """Search within the citizen's record."""
    hits = _guard(service(request).search, principal, person_id, q, purpose=purpose, lang=lang)
    return {"query": q, "count": len(hits), "items": hits}


@router.get("/citizens/{person_id}/export")
def export(person_id: PID, request: Request, principal: User, purpose: Purpose = "treatment",
           lang: Lang = "da") -> JSONResponse:
    """The whole record as a JSON download (logged as an export)."""
    record = _guard(service(request).export, principal, person_id, purpose=purpose, lang=lang)
    return JSONResponse(record, headers={"Content-Disposition": f'attachment; filename="borger-{person_id}.json"'})


@router.post("/citizens/{person_id}/override")
def override(person_id: PID, body: OverrideIn, request: Request, principal: User,
             lang: Lang = "da") -> dict[str, Any]:
    """Emergency override (værdispring): lifts the citizen's blocks for one look; logged and reviewed."""
    return _guard(service(request).read, principal, person_id, purpose=body.purpose, lang=lang,
                  override_reason=body.reason)


@router.get("/citizens/{person_id}/status")
def get_status(person_id: PID, request: Request, principal: User,
               purpose: Purpose = "care_coordination") -> dict[str, Any]:
    """The shared status field and its history."""
    return {"history": _guard(service(request).read_status, principal, person_id, purpose=purpose)}


@router.put("/citizens/{person_id}/status")
def put_status(person_id: PID, body: StatusIn, request: Request, principal: User) -> dict[str, Any]:
    """Set the shared status field (text, who, when)."""
    return _guard(service(request).write_status, principal, person_id, body.text, purpose=body.purpose)


@router.get("/citizens/{person_id}/access-log")
def access_log(person_id: PID, request: Request, principal: User) -> dict[str, Any]:
    """Who looked at this citizen's data (the citizen-facing export; data steward)."""
    return _guard(service(request).access_report, principal, person_id)


# -- consent (data steward) ------------------------------------------------------------------------
def _steward(principal: Principal, action: str, person_id: str | None = None) -> None:
    if person_id is not None and not valid_person_id(person_id):
        raise HTTPException(422, "not a valid person id")
    try:
        authorize(principal, action)
    except AccessDenied as denied:
        raise HTTPException(403, denied.reason) from None


def _block_dict(b) -> dict[str, Any]:
    return {"id": b.id, "direction": b.direction, "kind": b.kind, "value": b.value, "note": b.note}


@router.get("/consent/{person_id}")
def consent_list(person_id: PID, request: Request, principal: User) -> dict[str, Any]:
    """The citizen's active blocks."""
    _steward(principal, "consent.read", person_id)
    svc = service(request)
    svc.audit.append(principal, "consent.read", purpose="administration", subjects=[person_id], what="consent blocks")
    return {"person_id": person_id, "blocks": [_block_dict(b) for b in svc.consent.blocks(person_id)]}


@router.post("/consent/{person_id}", status_code=201)
def consent_add(person_id: PID, body: BlockIn, request: Request, principal: User) -> dict[str, Any]:
    """Register a block on sharing (by sector or party, on data from it or on it as a viewer)."""
    _steward(principal, "consent.write", person_id)
    svc = service(request)
    block = _guard(svc.consent.add_block, person_id, body.direction, body.kind, body.value,
                   created_by=principal.user, note=body.note)
    svc.audit.append(principal, "consent.write", purpose="administration", subjects=[person_id],
                     what=f"block {body.direction} {body.kind} {body.value}")
    return _block_dict(block)


@router.delete("/consent/{person_id}/{block_id}")
def consent_revoke(person_id: PID, block_id: Annotated[int, Path(ge=1, le=2**62)], request: Request,
                   principal: User) -> dict[str, Any]:
    """Lift a block."""
    _steward(principal, "consent.write", person_id)
    svc = service(request)
    if not svc.consent.revoke(block_id, person_id):
        raise HTTPException(404, "no such active block")
    svc.audit.append(principal, "consent.write", purpose="administration", subjects=[person_id],
                     what=f"revoked block {block_id}")
    return {"revoked": block_id}


# -- audit (data steward) --------------------------------------------------------------------------
@router.get("/audit/verify")
def audit_verify(request: Request, principal: User) -> dict[str, Any]:
    """Verify the hash chain of the audit log."""
    _steward(principal, "audit.verify")
    res = service(request).audit.verify()
    return {"ok": res.ok, "entries": res.entries, "problems": res.problems[:100]}


@router.get("/audit/overrides")
def overrides(request: Request, principal: User, pending: bool = True) -> dict[str, Any]:
    """Emergency overrides waiting for (or past) review."""
    _steward(principal, "audit.read")
    rows = service(request).consent.overrides(pending_only=pending)
    return {"overrides": [o.__dict__ for o in rows]}


@router.post("/audit/overrides/{override_id}/review")
def review(override_id: Annotated[int, Path(ge=1, le=2**62)], body: ReviewIn, request: Request,
           principal: User) -> dict[str, Any]:
    """Mark an emergency override as reviewed."""
    _steward(principal, "audit.read")
    svc = service(request)
    if not _guard(svc.consent.review, override_id, principal.user, body.note):
        raise HTTPException(404, "no such pending override")
    svc.audit.append(principal, "audit.review", purpose="administration", what=f"reviewed override {override_id}")
    return {"reviewed": override_id}


# -- users (data steward) --------------------------------------------------------------------------
@router.get("/users")
def users(request: Request, principal: User) -> dict[str, Any]:
    """All active users with role and organisation."""
    _steward(principal, "user.admin")
    return {"users": [{"user": p.user, "role": p.role.value, "organisation": p.organisation}
                      for p in service(request).users.list()]}


@router.post("/users", status_code=201)
def add_user(body: UserIn, request: Request, principal: User) -> dict[str, str]:
    """Create or replace a user (password hashed with argon2id; none for OIDC-only users)."""
    _steward(principal, "user.admin")
    svc = service(request)
    p = _guard(svc.users.add, body.user, body.role, body.organisation, body.password)
    svc.audit.append(principal, "user.admin", purpose="administration", what=f"user {p.user} as {p.role.value}")
    return {"user": p.user, "role": p.role.value, "organisation": p.organisation}

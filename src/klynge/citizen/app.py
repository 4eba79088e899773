"""A stand-alone app for the citizen overview, and the one call that mounts it on another app.

Examples
--------
>>> app = create_citizen_app("warehouse")  # doctest: +SKIP
>>> # on the dashboard: install_citizen(app, warehouse_dir)  # router, pages, static, security
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from klynge.access._oidc import OIDCSettings
from klynge.access._security import SecuritySettings, install_security
from klynge.citizen._service import CitizenService
from klynge.citizen.api import router
from klynge.citizen.pages import STATIC_DIR, pages


def install_citizen(app: FastAPI, warehouse_dir: Path | str, *, state_dir: Path | str | None = None,
                    as_of: date | None = None, hospital_days: int = 30) -> CitizenService:
    """Mount the citizen API (``/api/...``), pages (``/login``, ``/borger/...``) and static files on ``app``."""
    service = CitizenService(Path(warehouse_dir), None if state_dir is None else Path(state_dir), as_of, hospital_days)
    app.state.citizen = service
    app.state.oidc = OIDCSettings.from_env()      # None unless KLYNGE_OIDC_ISSUER is set
    app.include_router(router)
    app.include_router(pages)
    app.mount("/citizen-static", StaticFiles(directory=str(STATIC_DIR)), name="citizen-static")
    return service


def create_citizen_app(warehouse_dir: Path | str, *, state_dir: Path | str | None = None, as_of: date | None = None,
                       hospital_days: int = 30, security: SecuritySettings | None = None) -> FastAPI:
    """A FastAPI app with the citizen overview, access control and the security middleware."""
    app = FastAPI(title="klynge: shared citizen overview", version="1",
                  description="Person-level access with care relations, consent and an audit log.")
    install_citizen(app, warehouse_dir, state_dir=state_dir, as_of=as_of, hospital_days=hospital_days)
    install_security(app, security)
    return app

"""The FastAPI application: routers per resource, one error shape, state (database, settings) on app.state."""

from __future__ import annotations

from fastapi import FastAPI

from dataforge import __version__
from dataforge.service import errors
from dataforge.service.config import ServiceConfig
from dataforge.service.db import Database


def create_app(cfg: ServiceConfig, db: Database | None = None) -> FastAPI:
    from dataforge.service import generate
    from dataforge.service.routes import datasets, health, jobs, runs

    app = FastAPI(title="dataforge", version=__version__,
                  description="The SFT data service: datasets, content-addressed versions, jobs, gated training.")
    app.state.config = cfg
    app.state.db = db or Database(cfg.db_url)
    errors.install(app)
    for module in (health, datasets, jobs, runs, generate):
        app.include_router(module.router)
    from dataforge.service import ui

    ui.install(app)  # the web UI at /, on the same functions as the API
    return app


def app_from_env() -> FastAPI:
    """For `uvicorn --factory dataforge.service.app:app_from_env` (DATAFORGE_HOME, DATAFORGE_DB)."""
    import os

    return create_app(ServiceConfig.from_env(os.environ["DATAFORGE_HOME"], os.environ.get("DATAFORGE_DB")))

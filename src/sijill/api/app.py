"""The FastAPI application: API under /api (docs at /api/docs), pages at /."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from importlib import resources
from pathlib import Path

import anyio.to_thread
from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine, text

from sijill.api import (
    applications,
    audit,
    auth,
    complaints,
    duplicates,
    eligibility,
    households,
    models,
    operators,
    persons,
    quality,
    registrations,
    simulations,
    territory,
    users,
)
from sijill.api.errors import install_error_handlers
from sijill.config import Settings, get_settings
from sijill.db import make_engine, make_sessionmaker
from sijill.dci import api as dci_api
from sijill.dci import worker as dci_worker
from sijill.web import pages
from sijill.web.deps import LoginRequiredError
from sijill.web.error_pages import to_login


def _lifespan(settings: Settings) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Synchronous handlers run on anyio's worker threads; its limiter is per event loop, so it
        # is set here, once the server's loop runs.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.request_threads
        # Everything loaded so far (modules, the app, the libraries' tables) lives as long as the
        # process: kept out of the collector's full passes, which otherwise walked it all now and
        # then and stalled every request in flight (register benchmark p99 264-283 ms -> 193-219 ms).
        gc.collect()
        gc.freeze()
        async with anyio.create_task_group() as background:
            if settings.dci_worker_interval_s > 0:
                background.start_soon(dci_worker.run_forever, app.state, settings.dci_worker_interval_s)
            yield
            background.cancel_scope.cancel()
        app.state.dci_http.close()

    return lifespan


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()
    engine = engine or make_engine(settings.database_url)
    app = FastAPI(
        lifespan=_lifespan(settings),
        title="Sijill API",
        version="0.1.0",
        description="Population register, social registry, programmes. Every call is scoped and audited.",
        docs_url=None,  # served below with local assets: no CDN
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    # What the DCI interface sends partners (async answers, notifications) goes out through these.
    app.state.dci_http = dci_worker.callback_http()
    app.state.dci_signer = dci_worker.message_signer(settings)
    install_error_handlers(app)

    api = APIRouter(prefix="/api")
    for module in (auth, users, territory, persons, registrations, households, eligibility, simulations, models, audit):
        api.include_router(module.router)
    api.include_router(duplicates.router)
    api.include_router(quality.router)
    api.include_router(applications.router)
    api.include_router(applications.public_router)
    api.include_router(operators.router)
    api.include_router(complaints.router)
    api.include_router(complaints.public_router)
    api.include_router(complaints.messages_router)
    app.include_router(api)
    app.include_router(dci_api.router)
    app.include_router(pages.router)
    app.add_exception_handler(LoginRequiredError, to_login)
    pages.mount_assets(app)

    # Swagger UI's JavaScript and CSS come from an installed wheel, so the docs work offline.
    swagger_assets = Path(str(resources.files("fastapi_offline").joinpath("static")))
    app.mount("/api/docs-assets", StaticFiles(directory=swagger_assets), name="docs-assets")

    @app.get("/api/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/api/openapi.json",
            title="Sijill API",
            swagger_js_url="/api/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/api/docs-assets/swagger-ui.css",
            swagger_favicon_url="/api/docs-assets/favicon.png",
        )

    @app.get("/health", include_in_schema=False)
    def health() -> dict[str, str]:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return {"status": "ok", "database": engine.dialect.name}

    return app


def app_from_environment() -> FastAPI:
    """Factory for `uvicorn --factory` / `sijill serve --workers N`: each worker builds its own app."""
    from sijill.api import log_redaction

    log_redaction.install()
    return create_app()

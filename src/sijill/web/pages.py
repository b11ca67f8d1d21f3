"""The web pages: every group of pages' router, and the assets they load (ours, and plotly's
bundle from its installed wheel: no CDN)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from sijill.web import (
    analysis,
    applications,
    auth_pages,
    citizen,
    home,
    households,
    operator,
    persons,
    review,
    supervision,
)

router = APIRouter(include_in_schema=False)
for module in (home, auth_pages, persons, households, applications, review, supervision, operator, analysis, citizen):
    router.include_router(module.router)


def mount_assets(app: FastAPI) -> None:
    # The longer prefix first: a mount matches every path under it.
    plotly_bundle = Path(str(resources.files("plotly").joinpath("package_data")))
    app.mount("/static/vendor/plotly", StaticFiles(directory=plotly_bundle), name="plotly")
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")

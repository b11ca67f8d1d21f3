"""The first page: what the signed-in user can do today; for visitors, sign-in and the citizen
services."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from sijill.api.deps import SessionDep, SettingsDep, client_source
from sijill.web.sessions import COOKIE, current
from sijill.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    # Open to visitors, so the session is looked up rather than required.
    user = current(session, request.cookies.get(COOKIE), settings, client_source(request))
    response = render(request, "home.html", user)
    if request.query_params.get("lang") in ("ar", "fr") and user is None:
        response.set_cookie("sijill_lang", request.query_params["lang"], samesite="lax", path="/")
    return response


@router.get("/favicon.ico")
def favicon() -> RedirectResponse:
    # Browsers ask for it on pages that name no icon (the API's JSON, its docs).
    return RedirectResponse("/static/favicon.svg", status_code=301)

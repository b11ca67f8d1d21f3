"""Logging in and out, and the page language.

The login form carries a visitor's CSRF token (there is no session yet), see web/deps.py.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sijill.access.service import authenticate
from sijill.api.deps import SessionDep, SettingsDep, client_source
from sijill.config import Settings
from sijill.web.deps import (
    CSRF_FIELD,
    CheckedForm,
    PageUser,
    keep_visitor_token,
    new_visitor_token,
    safe_next,
    visitor_token_ok,
)
from sijill.web.forms import FormErrors
from sijill.web.i18n import LANGUAGES, language_or_default, translate
from sijill.web.sessions import COOKIE, close_session, open_session, set_language
from sijill.web.templating import LANGUAGE_COOKIE, page_language, render

router = APIRouter(include_in_schema=False)
YEAR = 365 * 24 * 3600


def _login_page(
    request: Request, settings: Settings, next_path: str, errors: FormErrors | None, username: str, status: int
) -> HTMLResponse:
    token = new_visitor_token()
    response = render(
        request,
        "login.html",
        None,
        {
            "next": safe_next(next_path),
            "login_token": token,
            "max_failures": settings.login_max_failures,
            "lock_minutes": settings.login_lock_minutes,
        },
        status_code=status,
        errors=errors,
        values={"username": username},
    )
    keep_visitor_token(response, token, settings)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(
    request: Request, settings: SettingsDep, next_path: Annotated[str, Query(alias="next", max_length=500)] = "/"
) -> HTMLResponse:
    return _login_page(request, settings, next_path, None, "", 200)


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    next_path: Annotated[str, Form(alias="next", max_length=500)] = "/",
    csrf: Annotated[str, Form(alias=CSRF_FIELD, max_length=100)] = "",
) -> Response:
    language = page_language(request, None)
    errors = FormErrors()
    if not visitor_token_ok(request, csrf):
        errors.add(None, translate(language, "login.error.expired_form"))
        return _login_page(request, settings, next_path, errors, username, 403)
    if not username.strip():
        errors.add("username", translate(language, "form.error.missing"))
    if not password:
        errors.add("password", translate(language, "form.error.missing"))
    if errors:
        return _login_page(request, settings, next_path, errors, username, 422)
    actor = authenticate(
        session=session,
        username=username.strip(),
        password=password,
        source=client_source(request),
        max_failures=settings.login_max_failures,
        lock_minutes=settings.login_lock_minutes,
    )
    if actor is None:
        # One answer for unknown, wrong, disabled and locked: nothing to learn about accounts.
        errors.add(
            None,
            translate(
                language,
                "login.error.refused",
                minutes=settings.login_lock_minutes,
                failures=settings.login_max_failures,
            ),
        )
        return _login_page(request, settings, next_path, errors, username, 401)
    token = open_session(session, actor, settings)
    response = RedirectResponse(safe_next(next_path), status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=settings.web_secure_cookies,
        max_age=settings.web_session_max_hours * 3600,
        path="/",
    )
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep, user: PageUser, _form: CheckedForm) -> Response:
    close_session(session, request.cookies.get(COOKIE), user.actor)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.post("/language")
def change_language(session: SessionDep, user: PageUser, form: CheckedForm) -> Response:
    language = language_or_default(str(form.get("language", "")))
    set_language(session, user.actor, language)
    response = RedirectResponse(safe_next(str(form.get("next", "/"))), status_code=303)
    response.set_cookie(LANGUAGE_COOKIE, language, max_age=YEAR, samesite="lax", path="/")
    return response


@router.get("/lang/{language}")
def visitor_language(request: Request, language: str, next_path: Annotated[str, Query(alias="next")] = "/") -> Response:
    """For visitors not signed in (citizens, the login page): the choice is kept in a cookie."""
    response = RedirectResponse(safe_next(next_path), status_code=303)
    if language in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, language, max_age=YEAR, samesite="lax", path="/")
    return response

"""Errors on pages: an HTML page in the user's language, with the same status the API gives."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sijill.errors import SijillError
from sijill.web.deps import LoginRequiredError, login_url
from sijill.web.sessions import SignedIn
from sijill.web.templating import render

API_PREFIXES = ("/api", "/dci", "/health")


def is_page(request: Request) -> bool:
    return not request.url.path.startswith(API_PREFIXES)


def error_page(request: Request, exc: SijillError) -> HTMLResponse:
    user: SignedIn | None = getattr(request.state, "signed_in", None)
    return render(request, "error.html", user, {"error": exc}, status_code=exc.status)


def to_login(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequiredError)
    # 303: the browser asks the login page with GET, whatever the method that found the session gone.
    return RedirectResponse(login_url(exc.next_path), status_code=303)

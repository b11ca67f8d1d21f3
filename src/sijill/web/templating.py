"""Rendering a page: the user's language and direction, the menu, the form token, and headers
that keep the page from being framed, cached or fed scripts from elsewhere."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import StrictUndefined

from sijill.access.roles import ROLE_LABELS
from sijill.web.forms import FormErrors
from sijill.web.i18n import language_or_default, pick, translate
from sijill.web.navigation import menu_for
from sijill.web.sessions import SignedIn

LANGUAGE_COOKIE = "sijill_lang"

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
# A misspelt variable is an error in the tests, not an empty spot on a page.
templates.env.undefined = StrictUndefined

# Scripts only from this server (plotly's bundle and ours); plotly sets inline styles on charts.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    # Pages show personal data: never kept by a shared browser's cache or a proxy.
    "Cache-Control": "no-store",
}


def ltr(value: object) -> str:
    """A number, code or date set inside a sentence, kept left to right in an Arabic one (Unicode
    isolates: the receipt AT26-12345678-9 would otherwise be shown as 9-AT26-12345678)."""
    return f"\u2066{value}\u2069"


def page_language(request: Request, user: SignedIn | None) -> str:
    if user is not None:
        return language_or_default(user.language)
    return language_or_default(request.query_params.get("lang") or request.cookies.get(LANGUAGE_COOKIE))


def render(
    request: Request,
    template: str,
    user: SignedIn | None,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    errors: FormErrors | None = None,
    values: dict[str, Any] | None = None,
) -> HTMLResponse:
    language = page_language(request, user)
    full_context: dict[str, Any] = {
        "lang": language,
        "dir": "rtl" if language == "ar" else "ltr",
        "t": partial(translate, language),
        "pick": partial(pick, language),
        "ltr": ltr,
        "user": user,
        "role_label": pick(language, ROLE_LABELS[user.actor.role]) if user else "",
        "csrf_token": user.csrf_token if user else "",
        "menu": menu_for(user.actor if user else None),
        "current_path": request.url.path,
        "errors": errors or FormErrors(),
        "values": values or {},
    }
    full_context.update(context or {})
    response = templates.TemplateResponse(request, template, full_context, status_code=status_code)
    response.headers.update(PAGE_HEADERS)
    return response

"""Dependencies of the pages: the signed-in user (or a trip to the login page), and forms whose
CSRF token has been checked against the user's session."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, Request, Response
from starlette.datastructures import FormData

from sijill.access.roles import Permission
from sijill.api.deps import SessionDep, SettingsDep, client_source
from sijill.config import Settings
from sijill.errors import SijillError, Text
from sijill.web.sessions import COOKIE, SignedIn, current

CSRF_FIELD = "csrf_token"
# Forms of visitors without a session (login, the citizens' pages) carry a random token that is
# also set in this cookie: another site can neither read nor set it, so it cannot forge the form.
VISITOR_CSRF_COOKIE = "sijill_visitor_csrf"


class LoginRequiredError(Exception):
    """No live session: the browser goes to the login page, which brings it back here after."""

    def __init__(self, next_path: str) -> None:
        super().__init__("login required")
        self.next_path = next_path


def safe_next(path: str | None) -> str:
    """Only a path of this site: `next` must never send a user who just logged in elsewhere."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path or "\n" in path:
        return "/"
    return path


def login_url(next_path: str) -> str:
    return "/login?" + urlencode({"next": safe_next(next_path)})


def _asked_path(request: Request) -> str:
    # After logging in, a POST cannot be replayed: the form's own page (same path) is shown again.
    query = f"?{request.url.query}" if request.method == "GET" and request.url.query else ""
    return request.url.path + query


def signed_in(request: Request, session: SessionDep, settings: SettingsDep) -> SignedIn:
    user = current(session, request.cookies.get(COOKIE), settings, client_source(request))
    if user is None:
        raise LoginRequiredError(_asked_path(request))
    # For the error pages, which render outside the handler: in the user's language, with the menu.
    request.state.signed_in = user
    return user


PageUser = Annotated[SignedIn, Depends(signed_in)]


def csrf_refused() -> SijillError:
    return SijillError(
        code="csrf_refused",
        status=403,
        message=Text(
            "انتهت صلاحية الاستمارة أو لم تُرسل من هذا الموقع",
            "Le formulaire a expiré ou ne vient pas de ce site",
            "form token missing or wrong",
        ),
        fix=Text("أعيدوا فتح الصفحة وأرسلوا الاستمارة مجددا", "Rouvrez la page et renvoyez le formulaire", "reload"),
    )


def tokens_match(sent: object, expected: str) -> bool:
    return isinstance(sent, str) and bool(expected) and hmac.compare_digest(sent.encode(), expected.encode())


async def checked_form(request: Request, user: PageUser) -> FormData:
    form = await request.form()
    if not tokens_match(form.get(CSRF_FIELD), user.csrf_token):
        raise csrf_refused()
    return form


CheckedForm = Annotated[FormData, Depends(checked_form)]


def require(user: SignedIn, permission: Permission) -> None:
    """A page of another role answers 403 (the services check again, in the query itself)."""
    user.actor.require(permission)


def new_visitor_token() -> str:
    return secrets.token_urlsafe(24)


def keep_visitor_token(response: Response, token: str, settings: Settings) -> None:
    response.set_cookie(
        VISITOR_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=settings.web_secure_cookies, path="/"
    )


def visitor_token_ok(request: Request, sent: object) -> bool:
    return tokens_match(sent, request.cookies.get(VISITOR_CSRF_COOKIE, ""))

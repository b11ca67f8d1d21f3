"""Signing in and out of the pages: session cookie, CSRF, lock-out, expiry, the way back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from sijill.access.models import AuditEntry, User
from sijill.db import transaction
from sijill.web.models import WebSession
from sijill.web.sessions import COOKIE
from tests.web.support import csrf_of, log_in, post_form, signed_in


def test_a_page_asked_without_a_session_goes_to_login_and_back_after(web: TestClient) -> None:
    answer = web.get("/persons/new", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=%2Fpersons%2Fnew"
    logged = log_in(web, "agent_a", next_path="/persons/new")
    assert logged.status_code == 303
    assert logged.headers["location"] == "/persons/new"
    page = web.get("/persons/new")
    assert page.status_code == 200
    assert 'name="given_name_ar"' in page.text


def test_the_session_cookie_is_http_only_and_not_readable_by_scripts(web: TestClient) -> None:
    answer = log_in(web, "agent_a")
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()


def test_next_never_leads_off_the_site(web: TestClient) -> None:
    for outside in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        answer = log_in(web, "agent_a", next_path=outside)
        assert answer.headers["location"] == "/"


def test_a_wrong_password_keeps_the_username_and_says_why_in_the_user_language(web: TestClient) -> None:
    web.get("/lang/fr")
    answer = log_in(web, "agent_a", password="wrong-password")
    assert answer.status_code == 401
    assert "Identifiant ou mot de passe incorrect" in answer.text
    assert 'value="agent_a"' in answer.text
    assert COOKIE not in answer.headers.get("set-cookie", "")
    web.get("/lang/ar")
    answer = log_in(web, "agent_a", password="wrong-password")
    assert "اسم المستخدم أو كلمة المرور غير صحيحة" in answer.text


def test_empty_fields_are_named(web: TestClient) -> None:
    form = web.get("/login")
    answer = web.post("/login", data={"username": "", "password": "", "csrf_token": csrf_of(form)})
    assert answer.status_code == 422
    assert 'id="e-username"' in answer.text
    assert 'id="e-password"' in answer.text


def test_login_without_its_form_token_is_refused(web: TestClient) -> None:
    web.get("/login")
    answer = web.post("/login", data={"username": "agent_a", "password": "x", "csrf_token": "forged"})
    assert answer.status_code == 403
    assert COOKIE not in answer.headers.get("set-cookie", "")


def test_repeated_failures_lock_the_account_even_for_the_right_password(
    web: TestClient, session_factory: sessionmaker[Session]
) -> None:
    for _ in range(3):  # the web fixture's limit
        assert log_in(web, "agent_a", password="wrong-password").status_code == 401
    assert log_in(web, "agent_a").status_code == 401
    with transaction(session_factory) as session:
        locked = session.execute(select(User.locked_until).where(User.username == "agent_a")).scalar_one()
        actions = session.execute(select(AuditEntry.action).where(AuditEntry.actor == "agent_a")).scalars().all()
    assert locked is not None
    assert "auth.locked" in actions and "auth.refused_locked" in actions


def test_a_form_without_the_session_token_changes_nothing(
    web: TestClient, session_factory: sessionmaker[Session]
) -> None:
    signed_in(web, "agent_a")
    answer = post_form(web, "/language", "not-the-token", {"language": "fr", "next": "/"})
    assert answer.status_code == 403
    with transaction(session_factory) as session:
        assert session.execute(select(User.language).where(User.username == "agent_a")).scalar_one() == "ar"


def test_the_language_is_the_user_choice_and_follows_them(
    web: TestClient, session_factory: sessionmaker[Session]
) -> None:
    token = signed_in(web, "agent_a")
    assert 'dir="rtl"' in web.get("/").text
    answer = post_form(web, "/language", token, {"language": "fr", "next": "/persons/new"})
    assert answer.headers["location"] == "/persons/new"
    page = web.get("/persons/new")
    assert 'lang="fr" dir="ltr"' in page.text
    assert "Enregistrer une personne" in page.text
    with transaction(session_factory) as session:
        assert session.execute(select(User.language).where(User.username == "agent_a")).scalar_one() == "fr"


def test_logout_ends_the_session_on_the_server(web: TestClient, session_factory: sessionmaker[Session]) -> None:
    token = signed_in(web, "agent_a")
    cookie = web.cookies.get(COOKIE)
    assert post_form(web, "/logout", token, {}).headers["location"] == "/login"
    # Even a copy of the old cookie no longer opens a page.
    web.cookies.set(COOKIE, str(cookie))
    assert web.get("/persons/new", follow_redirects=False).status_code == 303
    with transaction(session_factory) as session:
        assert session.execute(select(func.count()).select_from(WebSession)).scalar_one() == 0


def test_an_idle_session_expires_and_the_page_asked_comes_back_after_login(
    web: TestClient, session_factory: sessionmaker[Session]
) -> None:
    signed_in(web, "agent_a")
    with transaction(session_factory) as session:
        session.execute(update(WebSession).values(last_seen_at=datetime.now(UTC) - timedelta(minutes=31)))
    answer = web.get("/registrations/1?from=queue", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=%2Fregistrations%2F1%3Ffrom%3Dqueue"


def test_a_disabled_account_loses_its_open_session(web: TestClient, session_factory: sessionmaker[Session]) -> None:
    signed_in(web, "agent_a")
    with transaction(session_factory) as session:
        session.execute(update(User).where(User.username == "agent_a").values(is_active=False))
    assert web.get("/persons/new", follow_redirects=False).status_code == 303


def test_pages_carry_headers_against_framing_caching_and_foreign_scripts(web: TestClient) -> None:
    page = web.get("/login")
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_another_role_page_is_refused_in_the_user_language(web: TestClient) -> None:
    signed_in(web, "analyst")
    page = web.get("/persons/new")
    assert page.status_code == 403
    assert "دوركم لا يسمح بهذه العملية" in page.text


def test_assets_come_from_this_server(web: TestClient) -> None:
    assert web.get("/static/sijill.css").status_code == 200
    plotly = web.get("/static/vendor/plotly/plotly.min.js")
    assert plotly.status_code == 200 and len(plotly.content) > 1_000_000

"""Driving the pages as a browser does, without one: log in through the form, send forms with
the session's CSRF token, read what the page says."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from tests.factories import PASSWORD

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(page: Response) -> str:
    found = _TOKEN.search(page.text)
    assert found, "the page has no form token"
    return found.group(1)


def log_in(client: TestClient, username: str, password: str = PASSWORD, next_path: str = "/") -> Response:
    form_page = client.get("/login", params={"next": next_path})
    answer: Response = client.post(
        "/login",
        data={"username": username, "password": password, "next": next_path, "csrf_token": csrf_of(form_page)},
        follow_redirects=False,
    )
    return answer


def signed_in(client: TestClient, username: str) -> str:
    """Log in and return the session's form token (read from the home page)."""
    answer = log_in(client, username)
    assert answer.status_code == 303, answer.text
    return csrf_of(client.get("/"))


def post_form(client: TestClient, path: str, token: str, fields: dict[str, Any]) -> Response:
    answer: Response = client.post(path, data={"csrf_token": token, **fields}, follow_redirects=False)
    return answer


def field_error(page: Response, name: str) -> str:
    """The error text shown under a field (empty when there is none)."""
    found = re.search(rf'<p class="field-error" id="e-{re.escape(name)}">(.*?)</p>', page.text, re.S)
    return found.group(1).strip() if found else ""


def typed_value(page: Response, name: str) -> str:
    found = re.search(
        rf'<input id="f-{re.escape(name)}" name="{re.escape(name)}" type="[a-z]+" value="([^"]*)"', page.text
    )
    return found.group(1) if found else ""

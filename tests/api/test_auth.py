"""OAuth2 password flow and bearer tokens: 401 without detail leaks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import jwt
from fastapi.testclient import TestClient

from sijill.access.tokens import issue_token
from tests.api.conftest import TEST_SECRET
from tests.factories import PASSWORD


def test_login_returns_a_short_lived_bearer_token(client: TestClient) -> None:
    response = client.post("/api/auth/token", data={"username": "agent_a", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 300
    claims = jwt.decode(body["access_token"], TEST_SECRET, algorithms=["HS256"], issuer="sijill")
    assert claims["sub"] == "agent_a"
    assert claims["exp"] - claims["iat"] == 300
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["role"] == "annex_agent"
    assert me.json()["scope_code"] == "03.02.001.01"
    assert "password_hash" not in me.text


def test_wrong_password_and_unknown_user_get_the_same_401(client: TestClient) -> None:
    wrong = client.post("/api/auth/token", data={"username": "agent_a", "password": "not-the-password"})
    unknown = client.post("/api/auth/token", data={"username": "nobody", "password": "not-the-password"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.headers["www-authenticate"] == "Bearer"
    assert "fr" in wrong.json()["detail"]["message"] and "ar" in wrong.json()["detail"]["message"]


def test_missing_expired_forged_and_garbage_tokens_are_401(client: TestClient) -> None:
    past = datetime.now(UTC) - timedelta(hours=1)
    expired = issue_token("agent_a", TEST_SECRET, minutes=5, now=past)
    forged = issue_token("admin", "another-secret-key-that-is-long-enough-000", minutes=5)
    unsigned = jwt.encode({"sub": "admin", "iss": "sijill", "iat": 1, "exp": 4102444800}, key="", algorithm="none")
    answers = [client.get("/api/auth/me")]
    for token in (expired, forged, unsigned, "not.a.token"):
        answers.append(client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}))
    assert [a.status_code for a in answers] == [401] * 5
    # The same body every time: nothing tells a caller why the token was refused.
    assert len({a.text for a in answers}) == 1


def test_disabled_user_token_stops_working_at_once(client: TestClient, login: Callable[[str], dict[str, str]]) -> None:
    agent = login("agent_b")
    admin = login("admin")
    assert client.get("/api/auth/me", headers=agent).status_code == 200
    assert client.post("/api/users/agent_b/disable", headers=admin).status_code == 200
    assert client.get("/api/auth/me", headers=agent).status_code == 401
    again = client.post("/api/auth/token", data={"username": "agent_b", "password": PASSWORD})
    assert again.status_code == 401


def test_login_is_audited_without_the_password(client: TestClient, login: Callable[[str], dict[str, str]]) -> None:
    login("agent_a")
    entries = client.get(
        "/api/audit/entries", params={"action": "auth.login", "username": "agent_a"}, headers=login("auditor")
    ).json()
    assert len(entries) == 1
    assert PASSWORD not in entries[0]["details"]
    assert entries[0]["source"] == "testclient"


def test_repeated_failures_lock_the_account_even_against_the_right_password(client: TestClient) -> None:
    for _ in range(5):
        wrong = client.post("/api/auth/token", data={"username": "reviewer", "password": "guess-guess-guess"})
        assert wrong.status_code == 401
    right = client.post("/api/auth/token", data={"username": "reviewer", "password": PASSWORD})
    assert right.status_code == 401
    # Other accounts are untouched.
    assert client.post("/api/auth/token", data={"username": "agent_a", "password": PASSWORD}).status_code == 200


def test_failures_below_the_limit_are_forgotten_after_a_success(client: TestClient) -> None:
    for _ in range(3):
        client.post("/api/auth/token", data={"username": "reviewer", "password": "guess-guess-guess"})
    assert client.post("/api/auth/token", data={"username": "reviewer", "password": PASSWORD}).status_code == 200
    for _ in range(4):
        client.post("/api/auth/token", data={"username": "reviewer", "password": "guess-guess-guess"})
    assert client.post("/api/auth/token", data={"username": "reviewer", "password": PASSWORD}).status_code == 200


def test_control_characters_in_credentials_are_refused_cleanly(client: TestClient) -> None:
    response = client.post("/api/auth/token", data={"username": "agent_a\x00", "password": PASSWORD})
    assert response.status_code in (401, 422)
    assert "Traceback" not in response.text
    # The failed attempt did not break the session: the next login works.
    assert client.post("/api/auth/token", data={"username": "agent_a", "password": PASSWORD}).status_code == 200

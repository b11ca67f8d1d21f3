"""A household declared through the API, with its index corrected: for tests of what reads it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from sijill.db import transaction
from tests.factories import ANNEX_A
from tests.social_registry.support import add_person, form, member

Login = Callable[[str], dict[str, str]]


def parent_and_child(
    client: TestClient, login: Login, factory: sessionmaker[Session], *, prefix: str, score: float
) -> str:
    """A father (born 1970) and a schoolchild (born 2016) at annex A, IDCS ``prefix`` + 00000001/2,
    declared by annex A's agent; a reviewer sets the index to ``score``. Returns the household number."""
    father, child = f"{prefix}00000001", f"{prefix}00000002"
    with transaction(factory) as session:
        add_person(session, father, ANNEX_A, sex="M", born=date(1970, 3, 3))
        add_person(session, child, ANNEX_A, born=date(2016, 9, 9))
    family = form(ANNEX_A, [member(father, "head"), member(child, "child", in_school=True, occupation=None)])
    created = client.post("/api/households", json=family, headers=login("agent_a"))
    assert created.status_code == 201, created.text
    number: str = created.json()["number"]
    correction = {"score": score, "reason": "enquête sur place du 2 juin"}
    corrected = client.post(f"/api/households/{number}/score/corrections", json=correction, headers=login("reviewer"))
    assert corrected.status_code == 201, corrected.text
    return number

"""Territorial scope: an annex agent never sees another annex's people, through any endpoint."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sijill.db import transaction
from sijill.linkage.models import DedupRun, DuplicatePair
from sijill.population.models import Person
from tests.factories import ANNEX_A, ANNEX_B, ANNEX_OTHER_PROVINCE, PERSONS
from tests.social_registry.support import form, member

OUTSIDE_A = [PERSONS[ANNEX_B], PERSONS[ANNEX_OTHER_PROVINCE]]
# Values that would point an endpoint at data outside annex A, by path parameter name.
PATH_VALUES = {
    "idcs": PERSONS[ANNEX_B][0],
    "code": ANNEX_B,
    "username": "agent_b",
    "registration_id": "1",
    "merge_id": "1",
    # Annex B's household, declared in the test below.
    "number": "HH000000001",
    "ref": "2026.1",
    "programme": "asd",
    # A duplicate pair between annex B and another province, stored by the test below.
    "pair_id": "1",
    "gap": "rnp_not_rsu",
    "rule": "phone_missing",
    "alert_id": "1",
}
QUERY_VALUES = {"annex_code": ANNEX_B, "within": "03.02.001", "username": "agent_b", "annex": ANNEX_B}


def _leaks(text: str, sent: set[str]) -> list[str]:
    """Values of people outside annex A found in a response, beyond what the caller sent itself."""
    return [value for person in OUTSIDE_A for value in person if value in text and value not in sent]


def test_agent_cannot_read_a_person_of_another_annex(
    client: TestClient, login: Callable[[str], dict[str, str]]
) -> None:
    agent = login("agent_a")
    own = client.get(f"/api/persons/{PERSONS[ANNEX_A][0]}", headers=agent)
    assert own.status_code == 200 and own.json()["annex_code"] == ANNEX_A
    for idcs in (PERSONS[ANNEX_B][0], PERSONS[ANNEX_OTHER_PROVINCE][0], "9999999999"):
        other = client.get(f"/api/persons/{idcs}", headers=agent)
        # 404 like a number that does not exist: the answer must not reveal existence.
        assert other.status_code == 404
        assert other.json()["error"]["code"] == "not_found"
    missing = client.get("/api/persons/9999999999", headers=agent).json()
    hidden = client.get(f"/api/persons/{PERSONS[ANNEX_B][0]}", headers=agent).json()
    assert missing["error"]["message"].keys() == hidden["error"]["message"].keys()


def test_listing_returns_only_the_actors_territory(client: TestClient, login: Callable[[str], dict[str, str]]) -> None:
    def annexes(username: str, **params: str) -> set[str]:
        response = client.get("/api/persons", headers=login(username), params=params)
        assert response.status_code == 200
        return {p["annex_code"] for p in response.json()["items"]}

    assert annexes("agent_a") == {ANNEX_A}
    assert annexes("agent_a", annex_code=ANNEX_B) == set()
    assert annexes("agent_b") == {ANNEX_B}
    assert annexes("sup_province") == {ANNEX_A, ANNEX_B}
    assert annexes("sup_region") == {ANNEX_A, ANNEX_B}
    assert annexes("sup_national") == {ANNEX_A, ANNEX_B, ANNEX_OTHER_PROVINCE}


def test_no_get_endpoint_leaks_another_annexs_people(
    client: TestClient, login: Callable[[str], dict[str, str]]
) -> None:
    # Annex B also has a registration (id 1) and a correction history, reachable by path.
    registered = client.post(
        "/api/persons",
        headers=login("agent_b"),
        json={
            "given_name_lat": "Brahim",
            "family_name_lat": "Berrada",
            "sex": "M",
            "birth_date": "1975-03-02",
            "birth_date_precision": "day",
            "nationality": "MAR",
            "annex_code": ANNEX_B,
            "cin": "BB200002",
        },
    )
    assert registered.status_code == 202  # same CIN as the seeded Brahim Berrada: held for review
    assert registered.json()["registration_id"] == 1
    household = client.post(
        "/api/households",
        headers=login("agent_b"),
        json=form(ANNEX_B, [member(PERSONS[ANNEX_B][0], "head", occupation="employed_formal")]),
    )
    assert household.status_code == 201, household.text
    assert household.json()["number"] == PATH_VALUES["number"]
    # And an application of that household, taken at annex B.
    application = client.post(
        "/api/applications",
        headers=login("agent_b"),
        json={"workflow": "amo-tadamon", "form": {"applicant_idcs": PERSONS[ANNEX_B][0], "members": []}},
    )
    assert application.status_code == 201, application.text
    values = {**PATH_VALUES, "receipt": application.json()["receipt"]}
    agent = login("agent_a")
    # Read from the OpenAPI document so that every endpoint added later is covered too.
    paths = client.get("/api/openapi.json").json()["paths"]
    gets = {path: item["get"] for path, item in paths.items() if "get" in item}
    assert len(gets) >= 6
    for template, operation in gets.items():
        names = re.findall(r"{(\w+)}", template)
        unknown = [n for n in names if n not in values]
        assert not unknown, f"add a value for path parameter(s) {unknown} of {template} to this test"
        path = template.format(**{n: values[n] for n in names})
        query = {
            p["name"]: QUERY_VALUES[p["name"]]
            for p in operation.get("parameters", [])
            if p["in"] == "query" and p["name"] in QUERY_VALUES
        }
        response = client.get(path, headers=agent, params=query)
        assert response.status_code in (200, 403, 404), (template, response.status_code)
        sent = set(query.values()) | {values[n] for n in names}
        assert _leaks(response.text, sent) == [], f"{template} leaked data outside annex A"


def _store_pair(session_factory: sessionmaker[Session]) -> int:
    """A pair a run found between annex B's person and the other province's (as a run stores it)."""
    with transaction(session_factory) as session:
        ids = dict(session.execute(select(Person.annex_code, Person.id)).all())
        run = DedupRun(
            scope_code=None,
            started_by="admin",
            started_at=datetime.now(UTC),
            finished_at=datetime.now(UTC),
            records=3,
            threshold=0.98,
            pairs_proposed=1,
            pairs_known_different=0,
            model={},
            blocking={},
        )
        session.add(run)
        session.flush()
        pair = DuplicatePair(
            run_id=run.id,
            person_a_id=ids[ANNEX_B],
            person_b_id=ids[ANNEX_OTHER_PROVINCE],
            annex_a=ANNEX_B,
            annex_b=ANNEX_OTHER_PROVINCE,
            cluster="1",
            match_probability=0.99,
            match_weight=7.0,
            evidence={},
            status="open",
        )
        session.add(pair)
        session.flush()
        return pair.id


def test_a_duplicate_pair_is_a_reviewers_only_when_both_records_are_in_their_territory(
    client: TestClient, login: Callable[[str], dict[str, str]], session_factory: sessionmaker[Session]
) -> None:
    pair = _store_pair(session_factory)
    provincial = login("reviewer")  # province 03.02: annex B, not the other province
    assert client.get(f"/api/duplicates/{pair}", headers=provincial).status_code == 404
    assert client.get("/api/duplicates", headers=provincial).json() == []
    decided = client.post(
        f"/api/duplicates/{pair}/decision", json={"decision": "different", "reason": "x"}, headers=provincial
    )
    assert decided.status_code == 404
    national = client.get("/api/duplicates", headers=login("admin")).json()
    assert [p["id"] for p in national] == [pair]


def test_role_without_permission_gets_403(client: TestClient, login: Callable[[str], dict[str, str]]) -> None:
    analyst = login("analyst")
    # Analysts work on aggregates: named people are not theirs to read.
    response = client.get(f"/api/persons/{PERSONS[ANNEX_A][0]}", headers=analyst)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert client.get("/api/audit/entries", headers=login("agent_a")).status_code == 403
    assert client.get("/api/users", headers=login("sup_national")).status_code == 403


@pytest.mark.parametrize("username", ["agent_a", "sup_province"])
def test_every_read_of_personal_data_is_audited(
    client: TestClient, login: Callable[[str], dict[str, str]], username: str
) -> None:
    headers = login(username)
    idcs = PERSONS[ANNEX_A][0]
    assert client.get(f"/api/persons/{idcs}", headers=headers).status_code == 200
    assert client.get("/api/persons", headers=headers).status_code == 200
    trail = client.get("/api/audit/entries", params={"username": username}, headers=login("auditor")).json()
    reads = [e for e in trail if e["action"] == "person.read"]
    lists = [e for e in trail if e["action"] == "person.list"]
    assert [(r["entity_id"], r["scope_code"]) for r in reads] == [(idcs, ANNEX_A)]
    assert len(lists) == 1 and idcs in lists[0]["details"]
    # A refused read (out of scope) leaves no trace of a read that did not happen.
    client.get(f"/api/persons/{PERSONS[ANNEX_OTHER_PROVINCE][0]}", headers=headers)
    again = client.get(
        "/api/audit/entries", params={"username": username, "action": "person.read"}, headers=login("auditor")
    ).json()
    assert len(again) == 1


def test_province_supervisor_cannot_manage_users_of_other_provinces(
    client: TestClient, login: Callable[[str], dict[str, str]]
) -> None:
    response = client.post(
        "/api/users",
        headers=login("sup_province"),
        json={
            "username": "intruder",
            "full_name": "X",
            "password": "long-enough-pw",
            "role": "annex_agent",
            "scope_code": ANNEX_OTHER_PROVINCE,
        },
    )
    assert response.status_code == 403

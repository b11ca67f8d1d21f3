"""Registering a person from the agent's page."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from sijill.db import transaction
from sijill.population.models import Person
from tests.factories import ANNEX_A, ANNEX_B
from tests.web.support import field_error, post_form, signed_in, typed_value

GOOD = {
    "given_name_ar": "سلمى",
    "family_name_ar": "الإدريسي",
    "given_name_lat": "Salma",
    "family_name_lat": "Idrissi",
    "sex": "F",
    "birth_date": "1991-04-12",
    "birth_date_precision": "day",
    "nationality": "MAR",
    "annex_code": ANNEX_A,
}


def _persons(session_factory: sessionmaker[Session]) -> int:
    with transaction(session_factory) as session:
        return int(session.execute(select(func.count()).select_from(Person)).scalar_one())


def test_a_new_person_gets_an_idcs_shown_on_the_registration_page(
    web: TestClient, session_factory: sessionmaker[Session]
) -> None:
    token = signed_in(web, "agent_a")
    before = _persons(session_factory)
    answer = post_form(web, "/persons/new", token, GOOD)
    assert answer.status_code == 303
    page = web.get(answer.headers["location"])
    with transaction(session_factory) as session:
        idcs = session.execute(select(Person.idcs).where(Person.given_name_lat == "Salma")).scalar_one()
    assert f"تم منح المعرف المدني والاجتماعي: {idcs}" in page.text
    assert _persons(session_factory) == before + 1


def test_every_bad_field_is_shown_beside_it_with_what_was_typed_and_nothing_is_written(
    web: TestClient, session_factory: sessionmaker[Session]
) -> None:
    token = signed_in(web, "agent_a")
    before = _persons(session_factory)
    bad = {**GOOD, "cin": "12", "phone": "123", "birth_date": "2999-01-01", "given_name_lat": "Salma"}
    page = post_form(web, "/persons/new", token, bad)
    assert page.status_code == 422
    for name in ("cin", "phone", "birth_date"):
        assert field_error(page, name), name
    assert typed_value(page, "cin") == "12"
    assert typed_value(page, "given_name_lat") == "Salma"
    assert _persons(session_factory) == before


def test_a_malformed_number_is_explained_in_french_for_a_french_user(web: TestClient) -> None:
    token = signed_in(web, "agent_a")
    post_form(web, "/language", token, {"language": "fr", "next": "/"})
    page = post_form(web, "/persons/new", token, {**GOOD, "birth_year": "mille", "birth_date": ""})
    assert page.status_code == 422
    assert field_error(page, "birth_year") == "Saisissez un nombre entier"


def test_an_agent_cannot_register_into_another_annex(web: TestClient, session_factory: sessionmaker[Session]) -> None:
    token = signed_in(web, "agent_a")
    before = _persons(session_factory)
    page = post_form(web, "/persons/new", token, {**GOOD, "annex_code": ANNEX_B})
    assert page.status_code == 422
    assert field_error(page, "annex_code") or "annex" in page.text
    assert _persons(session_factory) == before


def test_the_registration_of_another_annex_is_not_shown(web: TestClient) -> None:
    token = signed_in(web, "agent_a")
    answer = post_form(web, "/persons/new", token, GOOD)
    web.cookies.clear()
    signed_in(web, "agent_b")
    page = web.get(answer.headers["location"])
    assert page.status_code == 404
    assert "Salma" not in page.text


def test_a_hand_edited_address_is_a_page_not_a_trace(web: TestClient) -> None:
    signed_in(web, "agent_a")
    page = web.get("/registrations/not-a-number")
    assert page.status_code == 404
    assert "هذه الصفحة غير موجودة" in page.text

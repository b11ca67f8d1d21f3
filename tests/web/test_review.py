"""Reviewers' pages: registrations held as likely duplicates, and the register's duplicate pairs."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from sijill.access.roles import Role
from sijill.linkage.models import DifferentPersons, DuplicatePair
from sijill.population.models import Person, Registration
from tests.conftest import actor
from tests.factories import ANNEX_OTHER_PROVINCE
from tests.web.review_support import AMINA, TWIN, duplicate_pairs, held_registration
from tests.web.support import field_error, post_form, signed_in

ADMIN = actor(Role.ADMIN, None, "admin")


def _registration(factory: sessionmaker[Session], registration_id: int) -> tuple[str, int | None, int]:
    with factory() as session:
        found = session.get(Registration, registration_id)
        assert found is not None
        persons = session.execute(select(func.count()).select_from(Person)).scalar_one()
    return found.status, found.person_id, persons


def _said(page_text: str) -> str:
    return html.unescape(page_text)


def test_the_queue_lists_held_registrations_of_the_reviewer_s_territory(
    web: TestClient, session_factory: sessionmaker[Session]
) -> None:
    mine, _ = held_registration(session_factory)
    other = {"given_name_lat": "Hamid", "family_name_lat": "Chraibi", "given_name_ar": "حميد", "cin": "E654321"}
    elsewhere, _ = held_registration(
        session_factory, by=ADMIN, annex=ANNEX_OTHER_PROVINCE, first_annex=ANNEX_OTHER_PROVINCE, person=other
    )
    signed_in(web, "reviewer")
    page = web.get("/review/registrations")
    assert page.status_code == 200
    assert f'href="/review/registrations/{mine}"' in page.text
    assert f'href="/review/registrations/{elsewhere}"' not in page.text
    assert web.get(f"/review/registrations/{elsewhere}").status_code == 404


def test_agents_do_not_reach_the_review_pages(web: TestClient, session_factory: sessionmaker[Session]) -> None:
    held, _ = held_registration(session_factory)
    signed_in(web, "agent_a")
    for path in ("/review/registrations", f"/review/registrations/{held}", "/review/duplicates"):
        assert web.get(path).status_code == 403, path


def test_what_was_typed_stands_beside_each_candidate_with_the_differences_marked(
    web: TestClient, session_factory: sessionmaker[Session]
) -> None:
    held, first = held_registration(session_factory)
    signed_in(web, "reviewer")
    page = web.get(f"/review/registrations/{held}")
    assert page.status_code == 200
    typed, candidate = page.text.split('class="card candidate"', 1)
    assert "Youcef" in typed and "Tazzi" in typed
    assert first in candidate and "Youssef" in candidate
    # The spelling differs (marked); the birth date is the same (not marked).
    assert '<dd class="diff">Youssef</dd>' in candidate
    assert "<dd>1990-04-12</dd>" in candidate
    assert "نفس تاريخ الازدياد" in candidate
    assert re.search(r"الاسم الشخصي متشابه بنسبة \d+٪", candidate)


def test_a_short_note_and_a_missing_candidate_are_explained_beside_them_and_nothing_is_decided(
    web: TestClient, session_factory: sessionmaker[Session]
) -> None:
    held, _ = held_registration(session_factory)
    before = _registration(session_factory, held)
    token = signed_in(web, "reviewer")
    page = post_form(web, f"/review/registrations/{held}", token, {"decision": "same_person", "note": "ok"})
    assert page.status_code == 422
    assert field_error(page, "note") == "النص قصير جدا (الحد الأدنى 3 أحرف)"
    assert field_error(page, "person_idcs") == "اختاروا المرشح الذي هو نفس الشخص"
    assert ">ok</textarea>" in page.text
    post_form(web, "/language", token, {"language": "fr", "next": "/"})
    french = post_form(web, f"/review/registrations/{held}", token, {"decision": "different", "note": "ok"})
    assert _said(field_error(french, "note")) == "Texte trop court (minimum 3 caractères)"
    assert _registration(session_factory, held) == before == ("pending_review", None, before[2])


def test_same_person_returns_the_existing_idcs_and_creates_no_record(
    web: TestClient, session_factory: sessionmaker[Session]
) -> None:
    held, first = held_registration(session_factory)
    persons = _registration(session_factory, held)[2]
    token = signed_in(web, "reviewer")
    answer = post_form(
        web,
        f"/review/registrations/{held}",
        token,
        {"decision": "same_person", "person_idcs": first, "note": "même père, même date"},
    )
    assert answer.status_code == 303 and answer.headers["location"] == f"/review/registrations/{held}"
    status, person_id, after = _registration(session_factory, held)
    assert (status, after) == ("same_person", persons)
    page = web.get(answer.headers["location"])
    assert "نفس الشخص: أعيد المعرف الموجود" in page.text and f"<strong>{first}</strong>" in page.text
    assert "même père, même date" in page.text and 'name="decision"' not in page.text
    # Decided once: a second decision is refused and changes nothing.
    again = post_form(web, f"/review/registrations/{held}", token, {"decision": "different", "note": "revu"})
    assert again.status_code == 409 and "تم البت في هذا الطلب من قبل" in again.text
    assert _registration(session_factory, held) == (status, person_id, after)


def test_different_issues_a_new_idcs(web: TestClient, session_factory: sessionmaker[Session]) -> None:
    held, first = held_registration(session_factory)
    persons = _registration(session_factory, held)[2]
    token = signed_in(web, "reviewer")
    # A candidate left selected means nothing for "different".
    answer = post_form(
        web,
        f"/review/registrations/{held}",
        token,
        {"decision": "different", "person_idcs": first, "note": "CIN différente vérifiée"},
    )
    assert answer.status_code == 303
    status, person_id, after = _registration(session_factory, held)
    assert (status, after) == ("different", persons + 1)
    with session_factory() as session:
        issued = session.get(Person, person_id)
    assert issued is not None and issued.idcs != first and issued.given_name_lat == "Youcef"
    assert issued.idcs in web.get(answer.headers["location"]).text


def test_the_registering_agent_s_own_registration_is_refused_on_the_page(
    web: TestClient, session_factory: sessionmaker[Session]
) -> None:
    # The administrator may both register and review: their own registration still needs another reviewer.
    held, first = held_registration(session_factory, by=ADMIN)
    token = signed_in(web, "admin")
    page = post_form(
        web, f"/review/registrations/{held}", token, {"decision": "same_person", "person_idcs": first, "note": "moi"}
    )
    assert page.status_code == 403
    assert "لا يمكن للعون الذي سجل الطلب أن يبت فيه" in page.text
    assert _registration(session_factory, held)[:2] == ("pending_review", None)


def test_duplicate_pairs_of_the_territory_side_by_side_with_the_evidence(
    web: TestClient, session_factory: sessionmaker[Session]
) -> None:
    pairs = duplicate_pairs(session_factory)
    signed_in(web, "reviewer")
    queue = web.get("/review/duplicates")
    assert queue.status_code == 200
    assert f'href="/review/duplicates/{pairs["amina"]}"' in queue.text
    assert f'href="/review/duplicates/{pairs["karima"]}"' not in queue.text and "Karima" not in queue.text
    assert web.get(f"/review/duplicates/{pairs['karima']}").status_code == 404
    page = web.get(f"/review/duplicates/{pairs['amina']}")
    assert AMINA in page.text and TWIN in page.text
    assert '<dd class="diff">AA100001</dd>' in page.text and "<dd>Amina</dd>" in page.text
    assert "+4.10" in page.text and "-2.50" in page.text and "ضد نفس الشخص" in page.text


def test_a_pair_decision_without_a_reason_changes_nothing(
    web: TestClient, session_factory: sessionmaker[Session]
) -> None:
    pairs = duplicate_pairs(session_factory)
    token = signed_in(web, "reviewer")
    page = post_form(web, f"/review/duplicates/{pairs['amina']}", token, {"decision": "same"})
    assert page.status_code == 422 and field_error(page, "reason") == "هذا الحقل إلزامي"
    with session_factory() as session:
        pair = session.get(DuplicatePair, pairs["amina"])
    assert pair is not None and pair.status == "open"


def test_same_merges_into_the_chosen_survivor_and_different_is_remembered(
    web: TestClient, session_factory: sessionmaker[Session]
) -> None:
    pairs = duplicate_pairs(session_factory)
    token = signed_in(web, "reviewer")
    path = f"/review/duplicates/{pairs['amina']}"
    answer = post_form(web, path, token, {"decision": "same", "survivor_idcs": TWIN, "reason": "même CIN au guichet"})
    assert answer.status_code == 303
    with session_factory() as session:
        amina = session.execute(select(Person).where(Person.idcs == AMINA)).scalar_one()
        pair = session.get(DuplicatePair, pairs["amina"])
    assert amina.status == "merged" and pair is not None and pair.status == "same"
    page = web.get(path)
    assert "نفس الشخص: تم دمج السجلين" in page.text and "même CIN au guichet" in page.text
    again = post_form(web, path, token, {"decision": "different", "reason": "revu"})
    assert again.status_code == 409 and "هذا الزوج لم يعد في الانتظار" in again.text

    web.cookies.clear()
    national = signed_in(web, "admin")
    karima = f"/review/duplicates/{pairs['karima']}"
    answer = post_form(web, karima, national, {"decision": "different", "reason": "deux sœurs jumelles"})
    assert answer.status_code == 303
    with session_factory() as session:
        remembered = session.execute(select(DifferentPersons.reason)).scalars().all()
    assert remembered == ["deux sœurs jumelles"]

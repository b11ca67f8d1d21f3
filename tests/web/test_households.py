"""Declaring a household from the agent's page, its index explained, and a declared update."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sijill.db import transaction
from sijill.social_registry.models import Declaration, Household, IndexScore
from tests.factories import ANNEX_B
from tests.web.agent_support import add_family, count, declared, family, household_fields
from tests.web.support import field_error, post_form, signed_in, typed_value


def _selected(page_text: str, name: str) -> str:
    select_html = re.search(rf'<select id="f-{re.escape(name)}" name="{re.escape(name)}".*?</select>', page_text, re.S)
    assert select_html, name
    chosen = re.search(r'<option value="([^"]*)" selected>', select_html.group(0))
    return chosen.group(1) if chosen else ""


def test_the_form_asks_the_questionnaire_of_the_annex_milieu(web: TestClient) -> None:
    signed_in(web, "agent_a")
    page = web.get("/households/new")
    assert page.status_code == 200
    # Questions of the urban form, labelled as the questionnaire words them; none of the rural one.
    assert 'name="answers.spend_water"' in page.text
    assert "Dépense mensuelle d'eau" not in page.text and "مصاريف الماء الشهرية (درهم)" in page.text
    assert 'name="answers.land_ha"' not in page.text
    assert 'name="answers.household_size"' not in page.text  # computed from the members, not asked
    assert typed_value(page, "annex_code") == "03.02.001.01"
    assert '<option value="shanty">براكة أو سكن صفيحي</option>' in page.text


def test_a_declared_household_is_shown_with_its_index_and_its_explanation(
    web: TestClient, session_factory: sessionmaker[Session]
) -> None:
    add_family(session_factory, "81")
    token = signed_in(web, "agent_a")
    post_form(web, "/language", token, {"language": "fr", "next": "/"})
    answer = post_form(web, "/households/new", token, {**household_fields("81"), "action": "save"})
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert re.fullmatch(r"/households/HH\d{9}\?saved=1", location)
    with transaction(session_factory) as session:
        household = session.execute(select(Household)).scalar_one()
        score = session.execute(select(IndexScore)).scalar_one()
        assert household.annex_code == "03.02.001.01"
    page = web.get(location)
    assert page.status_code == 200
    assert "La déclaration est enregistrée" in page.text
    assert f"{score.score:.4f}" in page.text
    # Each variable's contribution, the question as the form words it and the answer in words.
    assert "Type de logement" in page.text and "Baraque ou bidonville" in page.text
    assert "-0.1971" in page.text and "-0.0000" not in page.text
    assert "Sexe du déclarant" in page.text and "Homme" in page.text
    assert "Indice au plus égal au seuil" in page.text
    # The household entered both programmes' brackets with this first declaration.
    assert "Entrée sous le seuil" in page.text
    for idcs in family("81"):
        assert idcs in page.text


def test_the_live_index_shows_the_score_of_the_typed_answers_and_writes_nothing(
    web: TestClient, session_factory: sessionmaker[Session]
) -> None:
    add_family(session_factory, "82")
    token = signed_in(web, "agent_a")
    page = post_form(web, "/households/new", token, {**household_fields("82"), "action": "preview"})
    assert page.status_code == 200, page.text
    assert "معاينة فقط: لم يسجل أي شيء" in page.text
    shown = re.search(r'<span class="index-value" dir="ltr">([0-9.]+)</span>', page.text)
    assert shown is not None
    assert 8.0 < float(shown.group(1)) < 9.3264284
    assert typed_value(page, "members.1.idcs") == family("82")[1]
    assert _selected(page.text, "answers.dwelling_type") == "shanty"
    assert count(session_factory, Household) == 0
    # The same answers declared get the index the preview showed.
    saved = post_form(web, "/households/new", token, {**household_fields("82"), "action": "save"})
    assert saved.status_code == 303
    with transaction(session_factory) as session:
        assert round(session.execute(select(IndexScore.score)).scalar_one(), 4) == float(shown.group(1))


def test_every_problem_is_shown_beside_its_field_and_nothing_is_written(
    web: TestClient, session_factory: sessionmaker[Session]
) -> None:
    add_family(session_factory, "83")
    token = signed_in(web, "agent_a")
    fields = {
        **household_fields("83", rooms="trois", spend_phone="-5"),
        "members.1.idcs": "9999999999",
        "members.2.education": "",
        "action": "save",
    }
    page = post_form(web, "/households/new", token, fields)
    assert page.status_code == 422
    assert field_error(page, "answers.rooms") == "أدخلوا عددا صحيحا"
    assert typed_value(page, "answers.rooms") == "trois"
    assert typed_value(page, "members.1.idcs") == "9999999999"
    assert field_error(page, "members.2.education") == "هذا الحقل إلزامي"
    assert count(session_factory, Household) == 0
    # Once typed well, the register's refusals come back beside their fields too, in French.
    post_form(web, "/language", token, {"language": "fr", "next": "/"})
    page = post_form(web, "/households/new", token, {**fields, "answers.rooms": "1", "members.2.education": "primary"})
    assert page.status_code == 422
    assert "Aucune personne avec cet IDCS au RNP" in field_error(page, "members.1.idcs")
    # The answers are judged once the members are known: a spending below zero, in French too.
    page = post_form(
        web,
        "/households/new",
        token,
        {**fields, "answers.rooms": "1", "members.2.education": "primary", "members.1.idcs": family("83")[1]},
    )
    assert page.status_code == 422
    assert "intervalle admis [0, 10000]" in field_error(page, "answers.spend_phone")
    assert typed_value(page, "answers.spend_phone") == "-5"
    assert count(session_factory, Household) == 0


def test_a_member_row_without_an_idcs_is_refused_and_an_empty_row_is_ignored(
    web: TestClient, session_factory: sessionmaker[Session]
) -> None:
    add_family(session_factory, "84")
    token = signed_in(web, "agent_a")
    fields = {**household_fields("84"), "members.4.education": "primary", "action": "save"}
    page = post_form(web, "/households/new", token, fields)
    assert page.status_code == 422
    assert field_error(page, "members.4.idcs") == "أدخلوا المعرف المدني والاجتماعي لهذا الفرد أو أفرغوا السطر"
    assert field_error(page, "members.3.idcs") == ""
    assert count(session_factory, Household) == 0


def test_more_member_rows_keep_what_was_typed(web: TestClient, session_factory: sessionmaker[Session]) -> None:
    token = signed_in(web, "agent_a")
    page = post_form(web, "/households/new", token, {**household_fields("85"), "action": "more"})
    assert page.status_code == 200
    assert 'name="members.8.idcs"' in page.text and 'name="members.9.idcs"' not in page.text
    assert typed_value(page, "members.0.idcs") == family("85")[0]
    assert count(session_factory, Household) == 0


def test_an_agent_cannot_declare_in_another_annex(web: TestClient, session_factory: sessionmaker[Session]) -> None:
    add_family(session_factory, "86")
    token = signed_in(web, "agent_a")
    page = post_form(web, "/households/new", token, {**household_fields("86", annex=ANNEX_B), "action": "save"})
    assert page.status_code == 422
    assert count(session_factory, Household) == 0


def test_an_update_is_a_new_declaration_and_a_stale_one_is_a_conflict(
    web: TestClient, session_factory: sessionmaker[Session]
) -> None:
    number = declared(session_factory, "87")
    token = signed_in(web, "agent_a")
    form_page = web.get(f"/households/{number}/update")
    assert form_page.status_code == 200
    assert typed_value(form_page, "members.0.idcs") == family("87")[0]
    assert _selected(form_page.text, "members.1.relationship") in ("spouse", "child")
    assert _selected(form_page.text, "answers.dwelling_type") == "shanty"
    fields = {**household_fields("87", rooms="2"), "version": "1", "action": "save"}
    fields.pop("annex_code")
    preview = post_form(web, f"/households/{number}/update", token, {**fields, "action": "preview"})
    assert preview.status_code == 200
    assert "معاينة فقط: لم يسجل أي شيء" in preview.text
    with transaction(session_factory) as session:
        assert len(session.execute(select(Declaration)).all()) == 1
    answer = post_form(web, f"/households/{number}/update", token, fields)
    assert answer.status_code == 303, answer.text
    with transaction(session_factory) as session:
        assert len(session.execute(select(Declaration)).all()) == 2
    # The same form again carries version 1, which the household has left: nothing is written.
    stale = post_form(web, f"/households/{number}/update", token, {**fields, "answers.rooms": "3"})
    assert stale.status_code == 409
    assert "عدل شخص آخر هذه الأسرة" in stale.text
    assert typed_value(stale, "answers.rooms") == "3"
    with transaction(session_factory) as session:
        assert len(session.execute(select(Declaration)).all()) == 2


def test_another_annex_household_is_not_shown(web: TestClient, session_factory: sessionmaker[Session]) -> None:
    number = declared(session_factory, "88", annex=ANNEX_B)
    signed_in(web, "agent_a")
    for path in (f"/households/{number}", f"/households/{number}/update"):
        page = web.get(path)
        assert page.status_code == 404, path
        assert family("88")[0] not in page.text
    assert web.get("/households/HH12").status_code == 404


def test_a_supervisor_reads_a_household_but_cannot_declare(
    web: TestClient, session_factory: sessionmaker[Session]
) -> None:
    number = declared(session_factory, "89")
    signed_in(web, "sup_province")
    page = web.get(f"/households/{number}")
    assert page.status_code == 200
    assert f"/households/{number}/update" not in page.text
    assert web.get("/households/new").status_code == 403

"""The operator's desk pages: files waiting for a decision, one file, accept or refuse."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from sijill.access.actor import Actor
from sijill.db import transaction
from sijill.enrollment.models import Application, Notification
from tests.enrollment.support import declare_family, submitted
from tests.web.operator_support import transmitted_files
from tests.web.support import field_error, post_form, signed_in, typed_value


@pytest.fixture
def files(web: TestClient, session_factory: sessionmaker[Session]) -> dict[str, str]:
    return transmitted_files(session_factory, "71", "72")


def _file(factory: sessionmaker[Session], receipt: str) -> tuple[str, str | None, str | None, int]:
    with factory() as session:
        file = session.execute(select(Application).where(Application.receipt == receipt)).scalar_one()
        told = session.execute(
            select(func.count()).select_from(Notification).where(Notification.application_id == file.id)
        ).scalar_one()
    return file.status, file.operator_reference, file.operator_reason, told


def test_the_desk_lists_the_files_waiting_oldest_first_with_their_deadline(
    web: TestClient, files: dict[str, str]
) -> None:
    signed_in(web, "operator")
    page = web.get("/operator/files")
    assert page.status_code == 200
    assert "عدد الملفات في الانتظار: 2" in page.text
    assert page.text.index(files["71"]) < page.text.index(files["72"])
    # Transmitted today: the whole 30 days of AMO Tadamon are left for both.
    assert re.findall(r'<td class="num">\s*(-?\d+)\s*</td>', page.text) == ["30", "30"]
    filtered = web.get("/operator/files", params={"workflow": "asd"})
    assert files["71"] not in filtered.text and "لا يوجد أي ملف في انتظار قراركم" in filtered.text


def test_other_roles_do_not_reach_the_desk(web: TestClient, files: dict[str, str]) -> None:
    signed_in(web, "agent_a")
    assert web.get("/operator/files").status_code == 403
    assert web.get(f"/operator/files/{files['71']}").status_code == 403


def test_one_file_shows_what_the_operator_decides_on(web: TestClient, files: dict[str, str]) -> None:
    signed_in(web, "operator")
    page = web.get(f"/operator/files/{files['71']}")
    assert page.status_code == 200
    text = page.text
    assert f"{files['71']}/1" in text  # the file id the operator's own system knows
    assert "7100000001" in text and "7100000002" in text and "الزوج(ة)" in text
    assert "n 4 rue al massira hay salam" in text
    # The refusal reasons are the programme's, in words.
    assert 'value="already_covered"' in text and "المؤشر أعلى من العتبة 9.3264284" in text


def test_a_refusal_without_a_reason_is_explained_beside_it_and_nothing_is_decided(
    web: TestClient, files: dict[str, str], session_factory: sessionmaker[Session]
) -> None:
    token = signed_in(web, "operator")
    page = post_form(web, f"/operator/files/{files['71']}", token, {"outcome": "refused", "note": "vu au guichet"})
    assert page.status_code == 422
    assert field_error(page, "reason") == "اختاروا سبب الرفض من اللائحة"
    assert "vu au guichet</textarea>" in page.text
    assert _file(session_factory, files["71"]) == ("transmitted", None, None, 0)


def test_an_acceptance_without_its_number_is_explained_in_french(
    web: TestClient, files: dict[str, str], session_factory: sessionmaker[Session]
) -> None:
    token = signed_in(web, "operator")
    post_form(web, "/language", token, {"language": "fr", "next": "/"})
    page = post_form(web, f"/operator/files/{files['71']}", token, {"outcome": "accepted"})
    assert page.status_code == 422
    assert (
        html.unescape(field_error(page, "reference"))
        == "Saisissez le numéro d'immatriculation pour accepter le dossier"
    )
    bad = post_form(web, f"/operator/files/{files['71']}", token, {"outcome": "accepted", "reference": "N° 42 !"})
    assert bad.status_code == 422 and "CNSS0000000042" in field_error(bad, "reference")
    assert typed_value(bad, "reference") == "N° 42 !"
    assert _file(session_factory, files["71"]) == ("transmitted", None, None, 0)


def test_a_refusal_is_recorded_told_and_shown(
    web: TestClient, files: dict[str, str], session_factory: sessionmaker[Session]
) -> None:
    token = signed_in(web, "operator")
    answer = post_form(
        web, f"/operator/files/{files['71']}", token, {"outcome": "refused", "reason": "covered_as_employee"}
    )
    assert answer.status_code == 303 and answer.headers["location"] == f"/operator/files/{files['71']}"
    assert _file(session_factory, files["71"]) == ("refused", None, "covered_as_employee", 1)
    page = web.get(answer.headers["location"])
    assert "تم رفض الملف" in page.text and "أجير مصرح به أو موظف" in page.text
    assert 'name="outcome"' not in page.text  # decided: no form any more
    listed = web.get("/operator/files")
    assert files["71"] not in listed.text and files["72"] in listed.text


def test_an_acceptance_then_a_second_decision_is_refused_with_a_clear_message(
    web: TestClient, files: dict[str, str], session_factory: sessionmaker[Session]
) -> None:
    token = signed_in(web, "operator")
    path = f"/operator/files/{files['72']}"
    assert post_form(web, path, token, {"outcome": "accepted", "reference": "CNSS0000000042"}).status_code == 303
    assert "CNSS0000000042" in web.get(path).text
    # Another operator's page, opened before the decision, sends its own.
    again = post_form(web, path, token, {"outcome": "refused", "reason": "already_covered"})
    assert again.status_code == 409
    assert re.search(r"سبق البت في الملف .*لم يسجل قراركم", again.text)
    assert _file(session_factory, files["72"]) == ("accepted", "CNSS0000000042", None, 1)


def test_files_not_at_the_operator_and_malformed_receipts_are_not_found(
    web: TestClient, files: dict[str, str], session_factory: sessionmaker[Session], system_actor: Actor
) -> None:
    with transaction(session_factory) as session:
        declare_family(session, system_actor, prefix="73")
    validated = submitted(session_factory, "73")
    token = signed_in(web, "operator")
    assert web.get(f"/operator/files/{validated}").status_code == 404
    refused = post_form(web, f"/operator/files/{validated}", token, {"outcome": "refused", "reason": "already_covered"})
    assert refused.status_code == 404
    assert _file(session_factory, validated)[0] == "validated"
    assert web.get("/operator/files/not-a-receipt").status_code == 404


def test_a_decision_without_the_form_token_is_refused(
    web: TestClient, files: dict[str, str], session_factory: sessionmaker[Session]
) -> None:
    signed_in(web, "operator")
    answer = web.post(f"/operator/files/{files['71']}", data={"outcome": "accepted", "reference": "C1"})
    assert answer.status_code == 403
    assert _file(session_factory, files["71"]) == ("transmitted", None, None, 0)

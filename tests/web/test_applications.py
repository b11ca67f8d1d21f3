"""Taking an AMO Tadamon form at the annex, the file and its receipt, the daily queue and the
files to correct, from the agent's pages."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sijill.db import transaction
from sijill.enrollment.models import Application, ApplicationEvent
from tests.factories import ANNEX_B
from tests.web.agent_support import application_fields, count, declared, family
from tests.web.support import field_error, post_form, signed_in, typed_value

RECEIPT = re.compile(r"/applications/(AT\d{2}-\d{8}-\d)/receipt")


def _take(web: TestClient, token: str, fields: dict[str, str]) -> str:
    form_page = web.get("/applications/new")
    key = re.search(r'name="idempotency_key" value="([^"]+)"', form_page.text)
    assert key is not None
    answer = post_form(web, "/applications/new", token, {"idempotency_key": key.group(1), **fields})
    assert answer.status_code == 303, answer.text
    found = RECEIPT.fullmatch(answer.headers["location"])
    assert found is not None
    return found.group(1)


def _status(factory: sessionmaker[Session], receipt: str) -> str:
    with transaction(factory) as session:
        return session.execute(select(Application.status).where(Application.receipt == receipt)).scalar_one()


def test_a_form_gets_its_receipt_then_is_checked_and_waits_for_validation(
    web: TestClient, session_factory: sessionmaker[Session]
) -> None:
    declared(session_factory, "61")
    token = signed_in(web, "agent_a")
    receipt = _take(web, token, application_fields("61"))
    assert _status(session_factory, receipt) == "awaiting_validation"
    printed = web.get(f"/applications/{receipt}/receipt")
    assert printed.status_code == 200
    assert 'class="receipt"' in printed.text and receipt in printed.text
    assert "في انتظار المصادقة بالملحقة" in printed.text
    assert '<script src="/static/print.js"></script>' in printed.text
    assert web.get("/static/print.js").status_code == 200
    shown = web.get(f"/applications/{receipt}")
    assert shown.status_code == 200
    assert f'action="/applications/{receipt}/validation"' in shown.text
    assert family("61")[1] in shown.text


def test_the_same_form_sent_twice_has_one_receipt(web: TestClient, session_factory: sessionmaker[Session]) -> None:
    declared(session_factory, "62")
    token = signed_in(web, "agent_a")
    form_page = web.get("/applications/new")
    key = re.search(r'name="idempotency_key" value="([^"]+)"', form_page.text)
    assert key is not None
    fields = {"idempotency_key": key.group(1), **application_fields("62")}
    first = post_form(web, "/applications/new", token, fields)
    again = post_form(web, "/applications/new", token, fields)
    assert again.headers["location"] == first.headers["location"] + "?duplicate=1"
    assert "سبق التوصل بهذه الاستمارة" in web.get(again.headers["location"]).text
    assert count(session_factory, Application) == 1


def test_a_malformed_idcs_is_shown_beside_its_field_and_no_file_is_opened(
    web: TestClient, session_factory: sessionmaker[Session]
) -> None:
    token = signed_in(web, "agent_a")
    post_form(web, "/language", token, {"language": "fr", "next": "/"})
    page = post_form(web, "/applications/new", token, application_fields("63", **{"members.1.idcs": "12AB"}))
    assert page.status_code == 422
    assert field_error(page, "members.1.idcs") == "L&#39;IDCS compte 10 chiffres"
    assert typed_value(page, "members.1.idcs") == "12AB"
    assert typed_value(page, "address") == "N° 4, Rue Al Massira, Hay Salam"
    page = post_form(web, "/applications/new", token, {**application_fields("63"), "applicant_idcs": ""})
    assert field_error(page, "applicant_idcs") == "L&#39;IDCS compte 10 chiffres"
    assert count(session_factory, Application) == 0


def test_a_file_that_fails_the_checks_is_in_the_corrections_with_its_reasons_and_is_corrected(
    web: TestClient, session_factory: sessionmaker[Session]
) -> None:
    declared(session_factory, "64")
    token = signed_in(web, "agent_a")
    receipt = _take(web, token, application_fields("64", address="12 avenue Hassan II"))
    assert _status(session_factory, receipt) == "to_correct"
    listing = web.get("/corrections")
    assert receipt in listing.text
    assert "العنوان يختلف عن عنوان الأسرة المصرح به" in listing.text
    post_form(web, "/language", token, {"language": "fr", "next": "/"})
    assert "L&#39;adresse diffère de celle déclarée pour le ménage" in web.get("/corrections").text
    form_page = web.get(f"/applications/{receipt}/correct")
    assert typed_value(form_page, "address") == "12 avenue Hassan II"
    assert typed_value(form_page, "members.0.idcs") == family("64")[1]
    # A bad correction writes no version; a good one is checked again and goes to the queue.
    bad = post_form(web, f"/applications/{receipt}/correct", token, application_fields("64", applicant_idcs="1"))
    assert bad.status_code == 422
    answer = post_form(web, f"/applications/{receipt}/correct", token, application_fields("64"))
    assert answer.status_code == 303
    assert _status(session_factory, receipt) == "awaiting_validation"
    assert receipt not in web.get("/corrections").text
    assert "Le formulaire corrigé est enregistré" in web.get(answer.headers["location"]).text


def test_the_queue_lists_files_oldest_first_and_validates_those_ticked(
    web: TestClient, session_factory: sessionmaker[Session]
) -> None:
    receipts = []
    token = signed_in(web, "agent_a")
    for prefix in ("65", "66", "67"):
        declared(session_factory, prefix)
        receipts.append(_take(web, token, application_fields(prefix)))
    page = web.get("/queue")
    assert page.status_code == 200
    positions = [page.text.index(r) for r in receipts]
    assert positions == sorted(positions)
    answer = post_form(web, "/queue/validations", token, {"receipts": receipts[:2]})
    assert answer.status_code == 303
    assert [_status(session_factory, r) for r in receipts] == ["validated", "validated", "awaiting_validation"]
    after = web.get(answer.headers["location"])
    assert "تمت المصادقة على 2 ملف." in after.text
    assert receipts[0] not in after.text and receipts[2] in after.text
    # Nothing ticked: said on the page, nothing moves.
    nothing = post_form(web, "/queue/validations", token, {})
    assert nothing.status_code == 422
    assert "ضعوا علامة على ملف واحد على الأقل" in nothing.text
    assert _status(session_factory, receipts[2]) == "awaiting_validation"


def test_the_queue_is_paginated(web: TestClient, session_factory: sessionmaker[Session]) -> None:
    signed_in(web, "agent_a")
    page = web.get("/queue?page=2")
    assert page.status_code == 200
    assert "لا يوجد أي ملف في انتظار المصادقة." in page.text


def test_a_file_is_validated_from_its_page_then_cannot_be_validated_again(
    web: TestClient, session_factory: sessionmaker[Session]
) -> None:
    declared(session_factory, "68")
    token = signed_in(web, "agent_a")
    receipt = _take(web, token, application_fields("68"))
    answer = post_form(web, f"/applications/{receipt}/validation", token, {})
    assert answer.status_code == 303
    page = web.get(answer.headers["location"])
    assert "تمت المصادقة على الملف." in page.text
    assert f'action="/applications/{receipt}/validation"' not in page.text
    again = post_form(web, f"/applications/{receipt}/validation", token, {})
    assert again.status_code == 409
    assert "لم تتم المصادقة" in again.text


def test_a_withdrawal_needs_a_reason_and_closes_the_file(
    web: TestClient, session_factory: sessionmaker[Session]
) -> None:
    declared(session_factory, "69")
    token = signed_in(web, "agent_a")
    receipt = _take(web, token, application_fields("69"))
    refused = post_form(web, f"/applications/{receipt}/withdrawal", token, {"reason": "  "})
    assert refused.status_code == 422
    assert field_error(refused, "reason") == "اذكروا سبب الإغلاق (400 حرف على الأكثر)"
    assert _status(session_factory, receipt) == "awaiting_validation"
    answer = post_form(web, f"/applications/{receipt}/withdrawal", token, {"reason": "le demandeur renonce"})
    assert answer.status_code == 303
    assert _status(session_factory, receipt) == "withdrawn"
    with transaction(session_factory) as session:
        details = session.execute(select(ApplicationEvent.detail).where(ApplicationEvent.to_status == "withdrawn"))
        assert details.scalar_one() == "le demandeur renonce"


def test_a_household_page_opens_the_form_filled_in_from_its_declaration(
    web: TestClient, session_factory: sessionmaker[Session]
) -> None:
    number = declared(session_factory, "70")
    signed_in(web, "agent_a")
    page = web.get(f"/applications/new?household={number}")
    assert page.status_code == 200
    head, spouse, child = family("70")
    assert typed_value(page, "applicant_idcs") == head
    assert {typed_value(page, "members.0.idcs"), typed_value(page, "members.1.idcs")} == {spouse, child}


def test_another_annex_file_is_not_shown_nor_acted_on(web: TestClient, session_factory: sessionmaker[Session]) -> None:
    declared(session_factory, "72", annex=ANNEX_B)
    token_b = signed_in(web, "agent_b")
    receipt = _take(web, token_b, application_fields("72"))
    web.cookies.clear()
    token = signed_in(web, "agent_a")
    for path in (f"/applications/{receipt}", f"/applications/{receipt}/receipt", f"/applications/{receipt}/correct"):
        page = web.get(path)
        assert page.status_code == 404, path
        assert family("72")[0] not in page.text
    assert post_form(web, f"/applications/{receipt}/validation", token, {}).status_code == 404
    assert post_form(web, f"/applications/{receipt}/withdrawal", token, {"reason": "x"}).status_code == 404
    assert receipt not in web.get("/queue").text
    assert _status(session_factory, receipt) == "awaiting_validation"
    assert web.get("/applications/AT26-123").status_code == 404


def test_a_supervisor_has_no_queue_and_takes_no_form(web: TestClient) -> None:
    signed_in(web, "sup_province")
    assert web.get("/queue").status_code == 403
    assert web.get("/applications/new").status_code == 403
    assert web.get("/corrections").status_code == 403

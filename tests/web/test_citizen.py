"""The citizens' pages: a file's state and reasons from its receipt and the applicant's IDCS, and
a complaint about it; no account, no staff menu, nothing to learn from a failed lookup."""

from __future__ import annotations

import html
import json
from datetime import date

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from sijill.access.models import AuditEntry
from sijill.access.roles import Role
from sijill.db import transaction
from sijill.enrollment import operator_desk
from sijill.enrollment.complaints import KINDS
from sijill.enrollment.models import STATUSES, Complaint
from sijill.enrollment.notifications import RecordingChannel
from sijill.enrollment.receipts import new_receipt
from sijill.web.i18n import labels
from tests.conftest import actor
from tests.web.operator_support import applicant_of, transmitted_files
from tests.web.support import csrf_of, field_error, signed_in, typed_value

OPERATOR = actor(Role.PROGRAMME_OPERATOR, None, "operator")
ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.fixture
def receipt(web: TestClient, session_factory: sessionmaker[Session]) -> str:
    """The file of family 71, refused by the operator because a member has another health cover."""
    found = transmitted_files(session_factory, "71")["71"]
    with transaction(session_factory) as session:
        operator_desk.decide_file(
            session, OPERATOR, found, outcome="refused", reason="already_covered", channel=RecordingChannel()
        )
    return found


def _send(client: TestClient, path: str, fields: dict[str, str], language: str | None = None) -> Response:
    if language:
        client.get(f"/lang/{language}", params={"next": path})
    token = csrf_of(client.get(path))
    answer: Response = client.post(path, data={"csrf_token": token, **fields})
    return answer


def _complaints(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return int(session.execute(select(func.count()).select_from(Complaint)).scalar_one())


def test_the_status_shows_the_refusal_reason_in_plain_words_in_each_language(web: TestClient, receipt: str) -> None:
    page = _send(web, "/citizen/status", {"receipt": receipt, "idcs": applicant_of("71")})
    assert page.status_code == 200
    assert "تم رفض الطلب" in page.text
    assert "أحد أفراد الأسرة مستفيد من نظام آخر إجباري للتأمين عن المرض" in page.text
    assert 'href="/citizen/complaint"' in page.text
    french = _send(web, "/citizen/status", {"receipt": receipt, "idcs": applicant_of("71")}, language="fr")
    assert html.unescape(french.text).count("Un membre du ménage est couvert par un autre régime obligatoire") == 1
    assert "Demande refusée" in french.text


def test_a_failed_lookup_says_the_same_whichever_number_is_wrong_and_is_traced(
    web: TestClient, receipt: str, session_factory: sessionmaker[Session]
) -> None:
    # A well-formed receipt (its check digit is right) that no file has.
    unknown = new_receipt("AT", date.today())
    assert unknown != receipt
    wrong_idcs = _send(web, "/citizen/status", {"receipt": receipt, "idcs": "7100000002"})
    no_file = _send(web, "/citizen/status", {"receipt": unknown, "idcs": applicant_of("71")})
    assert wrong_idcs.status_code == no_file.status_code == 404
    message = "لم نجد أي ملف بهذا الوصل وهذا المعرف معا"
    assert message in wrong_idcs.text and message in no_file.text
    assert "تم رفض" not in wrong_idcs.text
    with session_factory() as session:
        traces = session.execute(
            select(AuditEntry.details).where(AuditEntry.action == "application.citizen_status")
        ).scalars()
        found = [json.loads(d)["found"] for d in traces]
    assert found == [False, False]


def test_a_malformed_receipt_is_explained_beside_it_and_nothing_is_looked_up(
    web: TestClient, receipt: str, session_factory: sessionmaker[Session]
) -> None:
    mistyped = receipt[:-1] + str((int(receipt[-1]) + 1) % 10)  # the check digit catches it
    page = _send(web, "/citizen/status", {"receipt": mistyped, "idcs": "71"})
    assert page.status_code == 422
    assert "يكتب مثل AT26-12345678-9" in field_error(page, "receipt")
    assert field_error(page, "idcs") == "المعرف المدني والاجتماعي يتكون من 10 أرقام"
    assert typed_value(page, "receipt") == mistyped
    french = _send(web, "/citizen/status", {"receipt": "AT26", "idcs": applicant_of("71")}, language="fr")
    assert html.unescape(field_error(french, "receipt")).startswith("Numéro de récépissé incorrect")
    with session_factory() as session:
        looked_up = session.execute(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "application.citizen_status")
        ).scalar_one()
    assert looked_up == 0


def test_numbers_typed_in_arabic_digits_are_read(web: TestClient, receipt: str) -> None:
    fields = {"receipt": receipt.lower().translate(ARABIC_DIGITS), "idcs": applicant_of("71").translate(ARABIC_DIGITS)}
    page = _send(web, "/citizen/status", fields)
    assert page.status_code == 200 and "تم رفض الطلب" in page.text


def test_the_citizen_pages_show_no_staff_menu_even_to_staff(web: TestClient) -> None:
    signed_in(web, "reviewer")
    for path in ("/citizen/status", "/citizen/complaint"):
        page = web.get(path)
        assert page.status_code == 200
        assert '<nav class="menu"' not in page.text and "/review/registrations" not in page.text
        assert 'action="/logout"' not in page.text


def test_a_form_without_the_visitor_token_is_refused(web: TestClient, receipt: str) -> None:
    page = web.post("/citizen/status", data={"receipt": receipt, "idcs": applicant_of("71")})
    assert page.status_code == 403
    assert "تم رفض الطلب" not in page.text and "انتهت صلاحية الاستمارة" in page.text


def test_a_complaint_with_missing_fields_is_explained_beside_them_and_nothing_is_written(
    web: TestClient, receipt: str, session_factory: sessionmaker[Session]
) -> None:
    page = _send(web, "/citizen/complaint", {"receipt": receipt, "idcs": applicant_of("71"), "description": " "})
    assert page.status_code == 422
    assert field_error(page, "kind") == "اختاروا موضوع الشكاية"
    assert field_error(page, "description") == "هذا الحقل إلزامي"
    assert typed_value(page, "receipt") == receipt
    fields = {"receipt": receipt, "idcs": "7100000009", "kind": "exclusion", "description": "Je suis sans couverture"}
    not_mine = _send(web, "/citizen/complaint", fields, language="fr")
    assert not_mine.status_code == 404
    assert "Aucun dossier ne correspond à ce récépissé et à cet IDCS ensemble" in html.unescape(not_mine.text)
    assert "Je suis sans couverture</textarea>" in not_mine.text
    assert _complaints(session_factory) == 0


def test_a_complaint_gets_its_number_and_due_date(
    web: TestClient, receipt: str, session_factory: sessionmaker[Session]
) -> None:
    fields = {
        "receipt": receipt,
        "idcs": applicant_of("71"),
        "kind": "exclusion",
        "description": "Mon conjoint n'a plus d'emploi déclaré depuis mars.",
    }
    page = _send(web, "/citizen/complaint", fields, language="fr")
    assert page.status_code == 200
    with session_factory() as session:
        complaint = session.execute(select(Complaint)).scalar_one()
    assert (complaint.kind, complaint.filed_by, complaint.status) == ("exclusion", "online", "open")
    assert complaint.description == fields["description"]
    assert f'<dd class="complaint-number">{complaint.number}</dd>' in page.text
    assert f'<dd class="complaint-due">{complaint.due_on.isoformat()}</dd>' in page.text
    assert "Votre réclamation est enregistrée" in html.unescape(page.text)


def test_every_state_and_kind_has_its_words_in_both_languages() -> None:
    # Keys built from a state or a kind escape the check of the templates' labels: checked here.
    keys = [f"citizen.explain.{s}" for s in STATUSES] + [f"citizen.kind.{k}" for k in KINDS]
    keys += [f"review.pair.status.{s}" for s in ("same", "different", "superseded")]
    assert [key for key in keys if key not in labels()] == []

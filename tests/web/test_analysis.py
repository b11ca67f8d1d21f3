"""The analyst's simulation page on a generated registry: the results against the service's,
bad values beside their field with nothing written, and who may simulate."""

from __future__ import annotations

import html
import re
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from sijill.access.models import AuditEntry
from sijill.db import transaction
from sijill.programmes.models import EligibilityDecision, EligibilityRun
from sijill.programmes.simulate import simulate
from tests.web.supervision_support import AS_OF, analyst, generate_registry, load_registry
from tests.web.support import csrf_of, field_error, post_form, signed_in, typed_value

PATH = "/analysis/simulation"


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_registry(tmp_path_factory.mktemp("analysis-synth"))


@pytest.fixture
def registry(web: TestClient, session_factory: sessionmaker[Session], synth: Path) -> sessionmaker[Session]:
    load_registry(session_factory, synth, quality_runs=0)
    return session_factory


def _in_french(web: TestClient) -> str:
    token = signed_in(web, "analyst")
    post_form(web, "/language", token, {"language": "fr", "next": "/"})
    return token


def _written(factory: sessionmaker[Session]) -> tuple[int, int, int]:
    """Runs, decisions and simulations audited: what a simulation must not add to (but the last)."""
    with transaction(factory) as session:
        runs = session.scalar(select(func.count()).select_from(EligibilityRun)) or 0
        decisions = session.scalar(select(func.count()).select_from(EligibilityDecision)) or 0
        audited = (
            session.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "programme.simulate")
            )
            or 0
        )
    return runs, decisions, audited


def _cell(page_text: str, row_start: str) -> list[str]:
    row = page_text.split(row_start, 1)[1].split("</tr>", 1)[0]
    return re.findall(r'<td class="num">(?:<span dir="ltr">)?([^<]*)(?:</span>)?</td>', row)


def test_the_form_proposes_every_programme_and_today(web: TestClient) -> None:
    _in_french(web)
    page = web.get(PATH)
    assert page.status_code == 200
    assert '<option value="amo-tadamon" selected>' in page.text and '<option value="asd">' in page.text
    assert typed_value(page, "as_of") == date.today().isoformat()
    assert "asd: 2023, 2025, 2026" in page.text


def test_a_lower_threshold_brings_households_in_shown_by_region_with_its_errors(
    web: TestClient, registry: sessionmaker[Session]
) -> None:
    token = _in_french(web)
    before = _written(registry)
    fields = {"programme": "amo-tadamon", "as_of": AS_OF.isoformat(), "threshold": "10,5"}
    page = post_form(web, PATH, token, fields)
    assert page.status_code == 200, field_error(page, "threshold")
    # Nothing is decided; only the simulation is audited.
    assert _written(registry) == (before[0], before[1], before[2] + 1)
    with transaction(registry) as session:
        expected = simulate(session=session, actor=analyst(), programme="amo-tadamon", as_of=AS_OF, threshold=10.5)
    totals = expected.totals
    shown = _cell(page.text, '<th scope="row">Ménages éligibles</th>')
    assert shown[:4] == [
        f"{totals['households_before']}",
        f"{totals['households_after']}",
        f"+{totals['households_after'] - totals['households_before']}",
        f"{totals['households_in']}",
    ]
    assert "amo-tadamon@2022-12+threshold-10.5" in page.text
    regions = re.findall(r'<tr data-region="(\d+)" data-milieu="([a-z]+)">', page.text)
    assert regions == [(r["region"], r["milieu"]) for r in expected.rows]
    assert "Fès-Meknès" in page.text or "Fès - Meknès" in page.text
    assert 'data-chart-for="simulation-households-chart"' in page.text
    # Generated data: each rule's errors against the true consumption.
    assert expected.truth is not None
    assert "Erreurs de ciblage" in page.text and f"{expected.truth.after.inclusion_errors}" in page.text
    assert typed_value(page, "threshold") == "10,5"


def test_another_schedule_changes_the_budget(web: TestClient, registry: sessionmaker[Session]) -> None:
    token = signed_in(web, "analyst")
    page = post_form(web, PATH, token, {"programme": "asd", "as_of": AS_OF.isoformat(), "schedule": "2025"})
    assert page.status_code == 200
    with transaction(registry) as session:
        expected = simulate(session=session, actor=analyst(), programme="asd", as_of=AS_OF, schedule=2025)
    amount = _cell(page.text, '<th scope="row">المبلغ (درهم)</th>')
    assert amount[:2] == [f"{expected.totals['amount_before']:,.0f}", f"{expected.totals['amount_after']:,.0f}"]
    assert expected.totals["amount_after"] != expected.totals["amount_before"]
    assert "شهريا" in page.text and 'data-chart-for="simulation-amount-chart"' in page.text


@pytest.mark.parametrize(
    ("fields", "name", "french"),
    [
        ({"threshold": "25"}, "threshold", "Valeur trop grande"),
        ({"threshold": "haut"}, "threshold", "Saisissez un nombre"),
        ({"programme": "ramed"}, "programme", "Programme inconnu : ramed"),
        ({"schedule": "2031", "programme": "asd"}, "schedule", "Aucune version de asd ne commence en 2031"),
        ({"as_of": "hier"}, "as_of", "Saisissez une date au format AAAA-MM-JJ"),
        ({"model": "1999.1"}, "model", "Version de modèle inconnue : 1999.1"),
    ],
)
def test_a_bad_value_is_explained_beside_its_field_and_nothing_is_written(
    web: TestClient, registry: sessionmaker[Session], fields: dict[str, str], name: str, french: str
) -> None:
    token = _in_french(web)
    before = _written(registry)
    page = post_form(web, PATH, token, {"programme": "amo-tadamon", "as_of": AS_OF.isoformat(), **fields})
    assert page.status_code == 422
    message = html.unescape(field_error(page, name)) or html.unescape(page.text)
    assert french in message
    assert "Résultats —" not in page.text
    assert _written(registry) == before


def test_errors_in_arabic_for_an_arabic_reader(web: TestClient, registry: sessionmaker[Session]) -> None:
    token = signed_in(web, "analyst")
    page = post_form(web, PATH, token, {"programme": "amo-tadamon", "as_of": AS_OF.isoformat(), "threshold": "0"})
    assert page.status_code == 422 and field_error(page, "threshold").startswith("القيمة صغيرة جدا")
    assert typed_value(page, "threshold") == "0"


def test_only_analysts_simulate_and_only_with_the_form_token(web: TestClient, registry: sessionmaker[Session]) -> None:
    token = signed_in(web, "agent_a")
    assert web.get(PATH).status_code == 403
    fields = {"programme": "amo-tadamon", "as_of": AS_OF.isoformat()}
    assert post_form(web, PATH, token, fields).status_code == 403
    signed_in(web, "analyst")
    before = _written(registry)
    csrf_of(web.get(PATH))
    assert post_form(web, PATH, "forged", fields).status_code == 403
    assert _written(registry) == before

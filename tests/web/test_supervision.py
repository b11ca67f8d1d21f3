"""The supervisors' pages on a generated registry: the funnel and its drill-down, the alerts with
their evidence, the ageing of files, the trends; their downloads; and what each reader may not see."""

from __future__ import annotations

import html
import io
import re
import zipfile
from pathlib import Path

import polars as pl
import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.orm import Session, sessionmaker

from sijill.access.roles import Role
from sijill.db import transaction
from sijill.quality.funnel import funnel
from sijill.quality.run import AlertView, latest_alerts
from tests.conftest import actor
from tests.factories import ANNEX_A
from tests.web.supervision_support import OTHER_PROVINCE, generate_registry, load_registry, open_files
from tests.web.support import field_error, post_form, signed_in

NATIONAL = actor(Role.SUPERVISOR_NATIONAL, None, "sup_national")


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_registry(tmp_path_factory.mktemp("supervision-synth"))


@pytest.fixture
def registry(web: TestClient, session_factory: sessionmaker[Session], synth: Path) -> sessionmaker[Session]:
    load_registry(session_factory, synth, quality_runs=2)
    return session_factory


@pytest.fixture
def files(web: TestClient, session_factory: sessionmaker[Session], tmp_path: Path) -> dict[str, str]:
    return open_files(session_factory, tmp_path / "simulator.db")


def _in_french(web: TestClient, username: str) -> str:
    token = signed_in(web, username)
    post_form(web, "/language", token, {"language": "fr", "next": "/"})
    return token


def _row_codes(page: Response) -> list[str]:
    return re.findall(r'<tr data-code="([^"]+)">', page.text)


def _csv(answer: Response) -> pl.DataFrame:
    assert answer.content.startswith("\ufeff".encode())
    # As text: territory codes such as 03.02 are not numbers.
    return pl.read_csv(io.BytesIO(answer.content[3:]), infer_schema=False)


def _alerts(factory: sessionmaker[Session]) -> list[AlertView]:
    with transaction(factory) as session:
        return latest_alerts(session=session, actor=NATIONAL, limit=1000)


# The funnel


def test_a_province_supervisor_starts_at_the_province_and_drills_down_to_the_annexes(
    web: TestClient, registry: sessionmaker[Session]
) -> None:
    _in_french(web, "sup_province")
    page = web.get("/supervision/funnel")
    assert page.status_code == 200
    assert _row_codes(page) == ["03.02"]
    with transaction(registry) as session:
        province = funnel(session=session, actor=NATIONAL, level="province", code="03.02").rows.row(0, named=True)
        communes = funnel(session=session, actor=NATIONAL, level="commune", code="03.02").rows
    rnp = f"{province['rnp']:,}".replace(",", "\u202f")
    assert f'<td class="num">{rnp}</td>' in page.text
    assert 'href="/supervision/funnel?level=commune&amp;code=03.02"' in page.text
    # One level down: the communes, by name, each opening its annexes.
    down = web.get("/supervision/funnel", params={"level": "commune", "code": "03.02"})
    assert sorted(_row_codes(down)) == sorted(communes["code"].to_list())
    assert "Meknès" in down.text and "Unités territoriales supérieures" in down.text
    assert 'href="/supervision/funnel?level=annex&amp;code=03.02.001"' in down.text
    annexes = web.get("/supervision/funnel", params={"level": "annex", "code": "03.02.001"})
    assert ANNEX_A in _row_codes(annexes) and all(c.startswith("03.02.001.") for c in _row_codes(annexes))
    # The province's own figures, never another's.
    for shown in (page, down, annexes):
        assert OTHER_PROVINCE not in shown.text and "Kénitra" not in shown.text


def test_a_province_supervisor_cannot_open_another_province(web: TestClient, registry: sessionmaker[Session]) -> None:
    _in_french(web, "sup_province")
    for params in ({"level": "commune", "code": OTHER_PROVINCE}, {"level": "province", "code": "04"}, {"code": "03"}):
        page = web.get("/supervision/funnel", params=params)
        assert page.status_code == 404, params
        assert "Kénitra" not in page.text and 'data-code="' not in page.text
    export = web.get("/supervision/funnel", params={"level": "annex", "code": OTHER_PROVINCE, "format": "csv"})
    assert export.status_code == 404 and "attachment" not in export.headers.get("content-disposition", "")


def test_the_nation_opens_its_regions_in_arabic(web: TestClient, registry: sessionmaker[Session]) -> None:
    signed_in(web, "sup_national")
    page = web.get("/supervision/funnel")
    assert _row_codes(page) == ["MA"] and "المغرب (التراب الوطني)" in page.text
    assert 'href="/supervision/funnel?level=region"' in page.text
    regions = web.get("/supervision/funnel", params={"level": "region"})
    assert sorted(_row_codes(regions)) == ["03", "04"]
    assert "فاس مكناس" in regions.text and "السجل الاجتماعي الموحد" in regions.text
    # The chart of the stages per unit, its data beside it.
    assert 'data-chart-for="funnel-chart"' in regions.text and "/static/charts.js" in regions.text


def test_a_region_supervisor_sees_the_provinces_of_the_region_only(
    web: TestClient, registry: sessionmaker[Session]
) -> None:
    signed_in(web, "sup_region")
    assert _row_codes(web.get("/supervision/funnel")) == ["03"]
    assert _row_codes(web.get("/supervision/funnel", params={"level": "province", "code": "03"})) == ["03.02"]
    assert web.get("/supervision/funnel", params={"level": "province", "code": "04"}).status_code == 404


def test_the_funnel_downloads_are_the_table_shown(web: TestClient, registry: sessionmaker[Session]) -> None:
    _in_french(web, "sup_national")
    answer = web.get("/supervision/funnel", params={"level": "province", "format": "csv"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert re.match(r'attachment; filename="funnel-\d{4}-\d{2}-\d{2}\.csv"', answer.headers["content-disposition"])
    table = _csv(answer)
    with transaction(registry) as session:
        expected = funnel(session=session, actor=NATIONAL, level="province").rows
    assert table["Code"].to_list() == expected["code"].to_list()
    assert table["RNP"].to_list() == [str(n) for n in expected["rnp"]]
    assert table["Éligibles"].to_list() == [str(n) for n in expected["eligible"]]
    assert table["Unité territoriale"].to_list() == ["Kénitra", "Meknès"]
    signed_in(web, "sup_province")  # in Arabic: the sheet reads right to left
    sheet = web.get("/supervision/funnel", params={"level": "commune", "format": "xlsx"})
    assert sheet.headers["content-type"].startswith("application/vnd.openxmlformats")
    with zipfile.ZipFile(io.BytesIO(sheet.content)) as book:
        strings = book.read("xl/sharedStrings.xml").decode()
        assert 'rightToLeft="1"' in book.read("xl/worksheets/sheet1.xml").decode()
    assert "مكناس" in strings and "السجل الوطني للسكان" in strings and "04.04" not in strings


def test_bad_addresses_of_the_funnel(web: TestClient, registry: sessionmaker[Session]) -> None:
    _in_french(web, "sup_national")
    unknown = web.get("/supervision/funnel", params={"level": "district"})
    assert unknown.status_code == 422 and "Niveau inconnu : district" in unknown.text
    above = web.get("/supervision/funnel", params={"level": "region", "code": "03.02"})
    assert above.status_code == 422 and "niveau égal ou inférieur" in above.text
    assert web.get("/supervision/funnel", params={"code": "x"}).status_code == 404
    assert web.get("/supervision/funnel", params={"format": "pdf"}).status_code == 404


def test_who_sees_the_supervisors_pages(web: TestClient, registry: sessionmaker[Session]) -> None:
    signed_in(web, "agent_a")
    for path in ("/supervision/funnel", "/supervision/alerts", "/supervision/trends"):
        assert web.get(path).status_code == 403, path
    web.cookies.clear()
    answer = web.get("/supervision/funnel", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next=")


# The alerts


def test_the_alerts_of_the_province_only_strongest_first(web: TestClient, registry: sessionmaker[Session]) -> None:
    _in_french(web, "sup_province")
    page = web.get("/supervision/alerts")
    assert page.status_code == 200
    everything = _alerts(registry)
    own = [a for a in everything if a.territory_code.startswith("03.02.")]
    assert own and len(own) < len(everything)
    assert [int(i) for i in re.findall(r'<tr data-alert="(\d+)"', page.text)] == [a.id for a in own]
    assert OTHER_PROVINCE not in page.text
    assert "Agent atypique" in page.text and "se distingue des agents de sa province" in page.text
    rules = web.get("/supervision/alerts", params={"detector": "data_rules"})
    assert set(re.findall(r'data-detector="([a-z_]+)"', rules.text)) == {"data_rules"}
    export = _csv(web.get("/supervision/alerts", params={"detector": "data_rules", "format": "csv"}))
    assert export["N° d'alerte"].to_list() == [str(a.id) for a in own if a.detector == "data_rules"]
    assert export["Explication"].str.contains("membre décédé").all()


def test_an_unknown_kind_of_alert_is_explained_beside_the_filter(
    web: TestClient, registry: sessionmaker[Session]
) -> None:
    _in_french(web, "sup_province")
    page = web.get("/supervision/alerts", params={"detector": "fraud"})
    assert page.status_code == 422
    assert field_error(page, "detector") == "Choisissez une valeur de la liste"
    assert "data-alert=" not in page.text
    signed_in(web, "sup_region")
    assert field_error(web.get("/supervision/alerts", params={"detector": "fraud"}), "detector") == (
        "اختاروا قيمة من اللائحة"
    )


def test_an_alert_shows_its_evidence_and_another_province_s_is_not_found(
    web: TestClient, registry: sessionmaker[Session]
) -> None:
    everything = _alerts(registry)
    agent = next(a for a in everything if a.detector == "agent_anomalies" and a.territory_code.startswith("03.02."))
    elsewhere = next(a for a in everything if a.territory_code.startswith(OTHER_PROVINCE + "."))
    _in_french(web, "sup_province")
    page = web.get(f"/supervision/alerts/{agent.id}")
    assert page.status_code == 200
    assert f"Alerte n° {agent.id}" in page.text and agent.evidence["agent"] in page.text
    assert agent.territory_code in page.text and "Annexe 1" in page.text
    assert "L'agent comparé aux agents de sa province" in html.unescape(page.text)  # the test that raised it
    z = f"{agent.evidence['worst_rule_z']:.4g}".replace(".", ",")
    assert "z de l'infraction" in html.unescape(page.text) and z in page.text
    assert "prénom porté par personne d'autre" in html.unescape(page.text)  # the reason, in words
    hidden = web.get(f"/supervision/alerts/{elsewhere.id}")
    assert hidden.status_code == 404 and elsewhere.territory_code not in hidden.text
    assert web.get("/supervision/alerts/0").status_code == 404
    signed_in(web, "sup_national")
    shown = web.get(f"/supervision/alerts/{elsewhere.id}")
    assert shown.status_code == 200 and elsewhere.territory_code in shown.text


def test_before_any_quality_run_there_is_no_alert_and_no_trend(web: TestClient) -> None:
    _in_french(web, "sup_national")
    assert "Aucune alerte" in web.get("/supervision/alerts").text
    page = web.get("/supervision/trends")
    assert page.status_code == 200 and "Aucun point" in page.text and "data-chart-for" not in page.text


# The ageing of files


def test_files_waiting_in_the_readers_territory_with_their_age(
    web: TestClient, files: dict[str, str], registry: sessionmaker[Session]
) -> None:
    _in_french(web, "agent_a")
    page = web.get("/supervision/ageing")
    assert page.status_code == 200
    steps = re.findall(r'<tr data-annex="([^"]*)" data-step="([a-z]+)">', page.text)
    assert steps == [(ANNEX_A, "intake"), (ANNEX_A, "transmitted")]
    intake = page.text.split(f'data-annex="{ANNEX_A}" data-step="intake">', 1)[1].split("</tr>", 1)[0]
    assert re.findall(r'<td class="num">(\d+)</td>', intake) == ["1", "0", "1", "0", "0"]  # 3 days old
    assert f'data-receipt="{files["late"]}"' in page.text and "Inscription à l'AMO Tadamon" in html.unescape(page.text)
    assert files["elsewhere"] not in page.text and OTHER_PROVINCE not in page.text
    late = _csv(web.get("/supervision/ageing", params={"table": "overdue", "format": "csv"}))
    assert late["N° de récépissé"].to_list() == [files["late"]] and late["Jours de retard"].to_list() == ["4"]
    signed_in(web, "sup_national")
    everywhere = web.get("/supervision/ageing")
    assert 'data-annex="04.04.001.01" data-step="intake"' in everywhere.text and "الملفات المفتوحة" in everywhere.text
    opened = _csv(web.get("/supervision/ageing", params={"format": "csv"}))
    assert opened["الملفات"].cast(pl.Int64).sum() == 3


def test_the_operator_has_no_ageing_page(web: TestClient) -> None:
    signed_in(web, "operator")
    assert web.get("/supervision/ageing").status_code == 403


# The trends


def test_the_rules_over_the_runs_in_lines_and_as_a_download(web: TestClient, registry: sessionmaker[Session]) -> None:
    _in_french(web, "sup_province")
    page = web.get("/supervision/trends")
    assert page.status_code == 200
    runs = set(re.findall(r'data-run="(\d+)"', page.text))
    assert runs == {"1", "2"}
    assert 'data-chart-for="trend-count-chart"' in page.text and '"mode":"lines+markers"' in page.text
    assert "un membre décédé figure encore dans le ménage" in page.text
    one = web.get("/supervision/trends", params={"rule": "deceased_member"})
    assert set(re.findall(r'data-rule="([a-z_]+)"', one.text)) == {"deceased_member"}
    points = _csv(web.get("/supervision/trends", params={"rule": "deceased_member", "format": "csv"}))
    assert points.height == 2 and points["Code de la règle"].unique().to_list() == ["deceased_member"]
    bad = web.get("/supervision/trends", params={"rule": "fraud"})
    assert bad.status_code == 422 and "choisissez une règle de la liste" in field_error(bad, "rule")
    assert web.get("/supervision/trends", params={"code": "04.04"}).status_code == 404

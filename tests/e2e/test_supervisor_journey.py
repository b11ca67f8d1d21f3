"""A province supervisor's day in a real browser, in Arabic and in French: the funnel and one
level down with its chart, a download of the table, an alert with its evidence, the ageing of
files, the trends; and another province's drill-down refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveSite, Shoot, log_in
from tests.web.supervision_support import OTHER_PROVINCE, generate_registry, load_registry, open_files

LANGUAGES = ["ar", "fr"]


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_registry(tmp_path_factory.mktemp("journey-synth"))


@pytest.fixture
def registry(site: LiveSite, synth: Path, tmp_path: Path) -> dict[str, str]:
    load_registry(site.session_factory, synth, quality_runs=2)
    return open_files(site.session_factory, tmp_path / "simulator.db")


def _drawn(page: Page, chart_id: str) -> None:
    expect(page.locator(f"#{chart_id}[data-drawn=true]")).to_be_attached()


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_province_supervisor_follows_the_funnel_the_alerts_and_the_files(
    page: Page, shot: Shoot, language: str, registry: dict[str, str]
) -> None:
    log_in(page, "sup_province", language)
    page.click("nav.menu a[href='/supervision/funnel']")
    expect(page.locator("table.funnel tbody tr")).to_have_count(1)
    expect(page.locator("tr[data-code='03.02']")).to_be_visible()
    shot("funnel-province")
    # One level down: the communes of the province, and their chart drawn.
    page.click("tr[data-code='03.02'] th a")
    expect(page).to_have_url(re.compile(r"level=commune&code=03\.02"))
    expect(page.locator("tr[data-code='03.02.001']")).to_be_visible()
    _drawn(page, "funnel-chart")
    expect(page.locator("table.funnel")).not_to_contain_text(OTHER_PROVINCE)
    shot("funnel-communes")
    with page.expect_download() as download:
        page.click("a[href$='format=csv']")
    saved = download.value
    assert re.fullmatch(r"funnel-\d{4}-\d{2}-\d{2}\.csv", saved.suggested_filename)
    content = Path(saved.path()).read_text(encoding="utf-8-sig")
    assert "03.02.001" in content and OTHER_PROVINCE not in content
    # The strongest alert of the province, with its figures.
    page.click("nav.menu a[href='/supervision/alerts']")
    first = page.locator("table.alerts tbody tr").first
    expect(first).to_be_visible()
    expect(page.locator("table.alerts")).not_to_contain_text(OTHER_PROVINCE)
    shot("alerts")
    first.locator("a").click()
    expect(page).to_have_url(re.compile(r"/supervision/alerts/\d+$"))
    expect(page.locator("table.evidence tbody tr").first).to_be_visible()
    expect(page.locator("p.explanation")).not_to_be_empty()
    shot("alert-evidence")
    # Files waiting, by step and age, and the one past the operator's deadline.
    page.click("nav.menu a[href='/supervision/ageing']")
    expect(page.locator(f"tr[data-receipt='{registry['late']}']")).to_be_visible()
    _drawn(page, "ageing-chart")
    shot("ageing")
    page.click("nav.menu a[href='/supervision/trends']")
    _drawn(page, "trend-count-chart")
    expect(page.locator("table.trend tbody tr").first).to_be_visible()
    shot("trends")


def test_a_province_supervisor_cannot_drill_into_another_province(
    page: Page, shot: Shoot, registry: dict[str, str]
) -> None:
    log_in(page, "sup_province", "fr")
    answer = page.goto(f"/supervision/funnel?level=commune&code={OTHER_PROVINCE}")
    assert answer is not None and answer.status == 404
    expect(page.locator("body")).not_to_contain_text("Kénitra")
    expect(page.locator("table.funnel")).to_have_count(0)
    shot("refused")

"""The policy analyst simulates a lower threshold in a real browser, in Arabic and in French:
a refused value explained beside its field, then the results with their chart."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveSite, Shoot, log_in
from tests.web.supervision_support import AS_OF, generate_registry, load_registry

LANGUAGES = ["ar", "fr"]


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_registry(tmp_path_factory.mktemp("analyst-synth"))


@pytest.fixture
def registry(site: LiveSite, synth: Path) -> None:
    load_registry(site.session_factory, synth, quality_runs=0)


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_analyst_simulates_a_lower_threshold(page: Page, shot: Shoot, language: str, registry: None) -> None:
    log_in(page, "analyst", language)
    page.click("nav.menu a[href='/analysis/simulation']")
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
    page.select_option("#f-programme", "amo-tadamon")
    page.fill("#f-as_of", AS_OF.isoformat())
    page.fill("#f-threshold", "25")
    page.click("form[action='/analysis/simulation'] button[type=submit]")
    expect(page.locator("#e-threshold")).to_be_visible()
    expect(page.locator("#f-threshold")).to_have_value("25")
    expect(page.locator("section.results")).to_have_count(0)
    shot("refused")
    page.fill("#f-threshold", "10,5" if language == "fr" else "10.5")
    page.click("form[action='/analysis/simulation'] button[type=submit]")
    expect(page.locator("dd.scenario")).to_contain_text("threshold-10.5")
    expect(page.locator("table.by-region tbody tr")).to_have_count(4)
    expect(page.locator("#simulation-households-chart[data-drawn=true]")).to_be_attached()
    shot("results")

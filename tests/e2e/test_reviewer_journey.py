"""A reviewer's day in a real browser: a registration held as a likely duplicate, what was typed
beside the candidate, a decision refused for a short note, then taken."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveSite, Shoot, log_in
from tests.web.review_support import held_registration


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_a_reviewer_compares_side_by_side_and_decides_same_person(
    page: Page, site: LiveSite, shot: Shoot, language: str
) -> None:
    held, first = held_registration(site.session_factory)
    log_in(page, "reviewer", language)
    page.click("nav.menu a[href='/review/registrations']")
    expect(page.locator("h1")).to_be_visible()
    shot("queue")
    page.click(f"a[href='/review/registrations/{held}']")
    expect(page).to_have_url(re.compile(rf"/review/registrations/{held}$"))
    candidate = page.locator(".card.candidate")
    expect(candidate).to_contain_text(first)
    expect(candidate.locator("dd.diff", has_text="Youssef")).to_be_visible()
    shot("side-by-side")
    page.select_option("#f-decision", "same_person")
    page.select_option("#f-person_idcs", first)
    page.fill("#f-note", "ok")
    page.click("form.form button[type=submit]")
    expect(page.locator("#e-note")).to_be_visible()
    expect(page.locator("#f-person_idcs")).to_have_value(first)
    shot("short-note")
    page.fill("#f-note", "Même père, même date de naissance" if language == "fr" else "نفس الأب ونفس تاريخ الازدياد")
    page.click("form.form button[type=submit]")
    result = page.locator(".decision-result")
    expect(result).to_contain_text(first)
    expect(result).to_contain_text("Même personne" if language == "fr" else "نفس الشخص")
    expect(page.locator("#f-decision")).to_have_count(0)
    shot("decided")

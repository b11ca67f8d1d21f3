"""Logging in, the language switch, and the way back to an asked page, in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Shoot, log_in
from tests.factories import PASSWORD

LANGUAGES = ["ar", "fr"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_agent_registers_a_person_and_reads_the_idcs(page: Page, shot: Shoot, language: str) -> None:
    page.goto("/persons/new")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fpersons%2Fnew"))
    log_in(page, "agent_a", language)
    page.goto("/persons/new")
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
    page.fill("#f-given_name_lat", "Salma")
    page.fill("#f-family_name_lat", "Idrissi")
    page.select_option("#f-sex", "F")
    page.fill("#f-birth_date", "1991-04-12")
    page.fill("#f-cin", "12")
    shot("typed")
    page.click("form[action='/persons/new'] button[type=submit]")
    # The refused CIN is explained beside its field; everything typed is still there.
    expect(page.locator("#e-cin")).to_be_visible()
    expect(page.locator("#f-given_name_lat")).to_have_value("Salma")
    shot("cin-refused")
    page.fill("#f-cin", "")
    page.click("form[action='/persons/new'] button[type=submit]")
    expect(page).to_have_url(re.compile(r"/registrations/\d+$"))
    message = "تم منح المعرف المدني والاجتماعي" if language == "ar" else "IDCS attribué"
    expect(page.locator(".alert.ok")).to_contain_text(message)
    shot("issued")


def test_an_agent_cannot_open_another_annex_registration(page: Page, shot: Shoot) -> None:
    log_in(page, "agent_a", "fr")
    page.goto("/persons/new")
    page.fill("#f-given_name_lat", "Karim")
    page.fill("#f-family_name_lat", "Bennani")
    page.select_option("#f-sex", "M")
    page.fill("#f-birth_date", "1980-01-02")
    page.click("form[action='/persons/new'] button[type=submit]")
    expect(page).to_have_url(re.compile(r"/registrations/\d+$"))
    other_annex_page = page.url
    page.click("form[action='/logout'] button")
    log_in(page, "agent_b", "fr")
    answer = page.goto(other_annex_page)
    assert answer is not None and answer.status == 404
    expect(page.locator("body")).not_to_contain_text("Karim")
    shot("refused")


def test_the_login_and_a_form_work_from_the_keyboard_alone(page: Page, shot: Shoot) -> None:
    page.goto("/login")
    # The username field has the focus on arrival; Tab moves to the password, Enter sends.
    page.keyboard.type("agent_a")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/$"))
    page.goto("/persons/new")
    # The first Tab reaches the link that skips the header and the menu.
    page.keyboard.press("Tab")
    expect(page.locator("a.skip")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.locator("#f-given_name_ar")).to_be_focused()
    shot("keyboard")

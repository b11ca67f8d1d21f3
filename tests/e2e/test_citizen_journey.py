"""A citizen without an account, in a real browser: following a file (a mistyped receipt first),
then a complaint about it (a missing description first)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveSite, Shoot
from tests.web.operator_support import applicant_of, transmitted_files


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_a_citizen_follows_a_file_and_complains(page: Page, site: LiveSite, shot: Shoot, language: str) -> None:
    receipt = transmitted_files(site.session_factory, "71")["71"]
    page.goto("/")
    page.click("a[href='/citizen/status']")
    if language == "fr":
        page.click("header a[lang=fr]")
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
    expect(page.locator("nav.menu")).to_have_count(0)
    # One digit mistyped: the check digit catches it before any lookup.
    mistyped = receipt[:-1] + str((int(receipt[-1]) + 1) % 10)
    page.fill("#f-receipt", mistyped)
    page.fill("#f-idcs", applicant_of("71"))
    page.click("form[action='/citizen/status'] button[type=submit]")
    expect(page.locator("#e-receipt")).to_contain_text("AT26-12345678-9")
    expect(page.locator("#f-idcs")).to_have_value(applicant_of("71"))
    shot("receipt-mistyped")
    page.fill("#f-receipt", receipt)
    page.click("form[action='/citizen/status'] button[type=submit]")
    result = page.locator("section.card")
    expect(result).to_contain_text(
        "Transmise à l'organisme gestionnaire" if language == "fr" else "أرسل الطلب إلى الهيئة المدبرة"
    )
    shot("status")

    page.goto("/citizen/complaint")
    page.fill("#f-receipt", receipt)
    page.fill("#f-idcs", applicant_of("71"))
    page.select_option("#f-kind", "data_error")
    page.click("form[action='/citizen/complaint'] button[type=submit]")
    expect(page.locator("#e-description")).to_be_visible()
    expect(page.locator("#f-kind")).to_have_value("data_error")
    shot("description-missing")
    page.fill("#f-description", "L'adresse de mon ménage est fausse." if language == "fr" else "عنوان أسرتي غير صحيح.")
    page.click("form[action='/citizen/complaint'] button[type=submit]")
    expect(page.locator(".complaint-number")).to_have_text(re.compile(r"^RC\d{2}-\d{8}-\d$"))
    expect(page.locator(".complaint-due")).to_have_text(re.compile(r"^\d{4}-\d{2}-\d{2}$"))
    shot("complaint-filed")

"""The operator's desk in a real browser: a transmitted file refused with a reason, which the
citizen then reads in plain words on the status page; and another file accepted."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveSite, Shoot, log_in
from tests.web.operator_support import applicant_of, transmitted_files

REASON = {
    "ar": "أحد أفراد الأسرة مسجل مقاولا ذاتيا، وملزم بالاشتراك بهذه الصفة",
    "fr": "Un membre du ménage est inscrit comme auto-entrepreneur et cotise à ce titre",
}


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_an_operator_refuses_then_accepts_and_the_citizen_reads_why(
    page: Page, site: LiveSite, shot: Shoot, language: str
) -> None:
    files = transmitted_files(site.session_factory, "71", "72")
    log_in(page, "operator", language)
    page.click("nav.menu a[href='/operator/files']")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text(files["71"])
    shot("desk")
    page.click(f"a[href='/operator/files/{files['71']}']")
    expect(page.locator("h1")).to_contain_text(files["71"])
    # Refusing without a reason: explained beside the list of reasons.
    page.click("button[value=refused]")
    expect(page.locator("#e-reason")).to_be_visible()
    shot("reason-missing")
    page.select_option("#f-reason", "liable_as_auto_entrepreneur")
    page.fill("#f-note", "ICE actif au registre des auto-entrepreneurs")
    page.click("button[value=refused]")
    expect(page.locator(".alert.warn")).to_contain_text(REASON[language])
    shot("refused")

    page.goto(f"/operator/files/{files['72']}")
    page.fill("#f-reference", "CNSS0000000042")
    page.click("button[value=accepted]")
    expect(page.locator(".alert.ok")).to_contain_text("CNSS0000000042")
    shot("accepted")
    page.goto("/operator/files")
    expect(page.locator("tbody tr")).to_have_count(0)

    page.click("form[action='/logout'] button")
    page.goto("/citizen/status")
    page.fill("#f-receipt", files["71"])
    page.fill("#f-idcs", applicant_of("71"))
    page.click("form[action='/citizen/status'] button[type=submit]")
    result = page.locator("section.card")
    expect(result).to_contain_text(REASON[language])
    expect(result).to_contain_text("Demande refusée" if language == "fr" else "تم رفض الطلب")
    expect(page).to_have_url(re.compile(r"/citizen/status$"))
    shot("citizen-reads-why")

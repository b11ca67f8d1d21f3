"""The registration agent's day in a real browser: declare a household, read its index and why,
take its AMO Tadamon form, print the receipt, find the file in the queue and validate it."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from sijill.access.roles import Role
from sijill.db import transaction
from sijill.enrollment.service import check_received, receive
from sijill.population import registration
from sijill.population.schemas import PersonIn
from tests.conftest import actor
from tests.e2e.conftest import LiveSite, Shoot, log_in
from tests.factories import ANNEX_A, ANNEX_B
from tests.web.agent_support import application_fields, declared, family

LANGUAGES = ["ar", "fr"]
AGENT_A = actor(Role.ANNEX_AGENT, ANNEX_A, "agent_a")


def _register_family(site: LiveSite) -> list[str]:
    """A father, a mother and their son, registered at annex A through the register's service."""
    people = [
        PersonIn(
            given_name_lat="Youssef",
            family_name_lat="Tazi",
            sex="M",
            birth_date=date(1975, 1, 1),
            phone="0612345678",
            annex_code=ANNEX_A,
        ),
        PersonIn(
            given_name_lat="Khadija", family_name_lat="Tazi", sex="F", birth_date=date(1982, 7, 9), annex_code=ANNEX_A
        ),
        PersonIn(
            given_name_lat="Omar", family_name_lat="Tazi", sex="M", birth_date=date(2015, 3, 3), annex_code=ANNEX_A
        ),
    ]
    numbers = []
    with transaction(site.session_factory) as session:
        for data in people:
            result = registration.register_person(session=session, actor=AGENT_A, data=data)
            assert result.person is not None, "the test family must not resemble anyone in the register"
            numbers.append(result.person.idcs)
    return numbers


def _by_name(page: Page, name: str) -> str:
    return f"[name='{name}']"


def _fill_household(page: Page, head: str, spouse: str, child: str, rooms: str) -> None:
    page.fill(_by_name(page, "address"), "Derb Sidi Ahmed, n° 7, Médina")
    rows = [
        (head, None, "primary", "employed_informal", "married", False),
        (spouse, "spouse", "none", "homemaker", "married", False),
        (child, "child", "primary", "", "", True),
    ]
    for row, (idcs, relationship, education, occupation, marital, in_school) in enumerate(rows):
        page.fill(_by_name(page, f"members.{row}.idcs"), idcs)
        if relationship:
            page.select_option(_by_name(page, f"members.{row}.relationship"), relationship)
        page.select_option(_by_name(page, f"members.{row}.education"), education)
        page.select_option(_by_name(page, f"members.{row}.occupation"), occupation)
        page.select_option(_by_name(page, f"members.{row}.marital_status"), marital)
        if in_school:
            page.check(_by_name(page, f"members.{row}.in_school"))
    choices = {
        "dwelling_type": "shanty",
        "occupancy": "tenant",
        "water": "public_fountain",
        "electricity": "network",
        "sanitation": "public_sewer",
    }
    for name, value in choices.items():
        page.select_option(_by_name(page, f"answers.{name}"), value)
    numbers = {
        "rooms": rooms,
        "spend_water": "0",
        "spend_electricity": "30",
        "spend_phone": "20",
        "spend_butane": "40",
        "declared_size": "3",
    }
    for name, value in numbers.items():
        page.fill(_by_name(page, f"answers.{name}"), value)
    for name in ("tv", "mobile_phone"):
        page.check(_by_name(page, f"answers.{name}"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_agent_declares_a_household_takes_its_form_and_validates_it(
    page: Page, site: LiveSite, shot: Shoot, language: str
) -> None:
    head, spouse, child = _register_family(site)
    french = language == "fr"
    log_in(page, "agent_a", language)
    page.click("nav.menu a[href='/households/new']")
    expect(page.locator("html")).to_have_attribute("dir", "ltr" if french else "rtl")
    _fill_household(page, head, spouse, child, rooms="trois")
    page.click("button[name=action][value=save]")
    # The bad answer is explained beside its field; everything typed is still there.
    expect(page.locator("[id='e-answers.rooms']")).to_have_text(
        "Saisissez un nombre entier" if french else "أدخلوا عددا صحيحا"
    )
    expect(page.locator(_by_name(page, "members.2.idcs"))).to_have_value(child)
    expect(page.locator(_by_name(page, "answers.tv"))).to_be_checked()
    shot("household-refused")

    page.fill(_by_name(page, "answers.rooms"), "1")
    page.click("button[name=action][value=preview]")
    preview = page.locator("section.preview")
    expect(preview).to_contain_text("Aperçu seulement" if french else "معاينة فقط")
    previewed = preview.locator(".index-value").inner_text()
    shot("household-live-index")

    page.click("button[name=action][value=save]")
    expect(page).to_have_url(re.compile(r"/households/HH\d{9}\?saved=1$"))
    expect(page.locator("strong.index-value")).to_have_text(previewed)
    explanation = page.locator("table.explanation")
    expect(explanation).to_contain_text("Type de logement" if french else "نوع المسكن")
    expect(explanation).to_contain_text("Baraque ou bidonville" if french else "براكة أو سكن صفيحي")
    expect(page.locator("table.standings")).to_contain_text(
        "Indice au plus égal au seuil" if french else "المؤشر لا يتجاوز العتبة"
    )
    shot("household-index")

    page.click("a[href^='/applications/new?household=']")
    expect(page.locator("#f-applicant_idcs")).to_have_value(head)
    page.fill("#f-phone", "06 12 34 56 78")
    shot("application-form")
    page.click("button[name=action][value=send]")
    expect(page).to_have_url(re.compile(r"/applications/AT\d{2}-\d{8}-\d/receipt$"))
    receipt = page.url.split("/")[-2]
    expect(page.locator(".receipt")).to_contain_text(receipt)
    expect(page.locator(".alert.ok")).to_contain_text(
        "En attente de validation à l'annexe" if french else "في انتظار المصادقة بالملحقة"
    )
    expect(page.locator("#print-receipt")).to_be_visible()
    shot("receipt")
    page.emulate_media(media="print")
    expect(page.locator("nav.menu")).to_be_hidden()
    expect(page.locator("#print-receipt")).to_be_hidden()
    shot("receipt-print")
    page.emulate_media(media="screen")

    page.click("nav.menu a[href='/queue']")
    row = page.locator("tr", has=page.locator(f"a[href='/applications/{receipt}']"))
    expect(row).to_be_visible()
    row.locator("input[name=receipts]").check()
    shot("queue")
    page.click("form[action='/queue/validations'] button[type=submit]")
    expect(page.locator(".alert.ok")).to_contain_text("1 dossier(s) validé(s)" if french else "تمت المصادقة على 1 ملف")
    expect(page.locator(f"a[href='/applications/{receipt}']")).to_have_count(0)
    shot("queue-validated")
    page.goto(f"/applications/{receipt}")
    expect(page.locator(".badge")).to_contain_text("Validée" if french else "تمت المصادقة")


def test_an_agent_cannot_open_another_annex_household_or_file(page: Page, site: LiveSite, shot: Shoot) -> None:
    number = declared(site.session_factory, "52", annex=ANNEX_B)
    agent_b = actor(Role.ANNEX_AGENT, ANNEX_B, "agent_b")
    with transaction(site.session_factory) as session:
        received = receive(session, agent_b, workflow="amo-tadamon", form=application_fields("52"), channel="annex")
        check_received(session, agent_b, [received.application_id])
    log_in(page, "agent_a", "fr")
    for path in (f"/households/{number}", f"/applications/{received.receipt}"):
        answer = page.goto(path)
        assert answer is not None and answer.status == 404, path
        expect(page.locator("body")).not_to_contain_text(family("52")[0])
        expect(page.locator("h1")).to_have_text("Page indisponible")
    shot("refused")

"""Every page of every role's menu, in both languages: it opens, says where it is, labels every
field, and the browser reports no error (a script refused by the page's policy would be one)."""

from __future__ import annotations

import pytest
from playwright.sync_api import ConsoleMessage, Page

from sijill.access.roles import PERMISSIONS, Role
from sijill.web.navigation import MENU
from tests.e2e.conftest import Shoot, log_in

ACCOUNTS = {
    "agent_a": Role.ANNEX_AGENT,
    "reviewer": Role.REVIEWER,
    "sup_province": Role.SUPERVISOR_PROVINCE,
    "operator": Role.PROGRAMME_OPERATOR,
    "analyst": Role.POLICY_ANALYST,
}

# Form controls without a label, and images without a text: what a screen reader cannot name.
_UNNAMED = """() => {
  const controls = [...document.querySelectorAll('input:not([type=hidden]), select, textarea')];
  const bad = controls.filter(c => !(c.labels && c.labels.length) && !c.getAttribute('aria-label'));
  const buttons = [...document.querySelectorAll('button')]
    .filter(b => !b.textContent.trim() && !b.getAttribute('aria-label'));
  return bad.map(c => c.name || c.id).concat(buttons.map(() => 'button'));
}"""


@pytest.mark.parametrize("language", ["ar", "fr"])
@pytest.mark.parametrize("username", list(ACCOUNTS))
def test_every_menu_page_opens_named_and_labelled(page: Page, shot: Shoot, username: str, language: str) -> None:
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    page.on("console", on_console)
    log_in(page, username, language)
    role = ACCOUNTS[username]
    paths = [item.path for item in MENU if item.permission in PERMISSIONS[role]]
    assert paths, username
    for path in paths:
        answer = page.goto(path)
        assert answer is not None and answer.status == 200, path
        assert page.get_attribute("html", "dir") == ("rtl" if language == "ar" else "ltr")
        assert page.locator("h1").count() == 1, path
        assert page.evaluate(_UNNAMED) == [], path
        shot(path.strip("/").replace("/", "_"))
    assert problems == []

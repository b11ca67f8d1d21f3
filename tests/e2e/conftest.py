"""Browser tests: Playwright driving Debian's chromium (`make test` installs it) against a real
server on loopback, one fresh SQLite database per test. Screenshots of each step are kept in
test-artifacts/screenshots/.

Without chromium the tests are skipped, unless SIJILL_TEST_REQUIRE_BROWSER=1 (CI), where a
missing browser is an error.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy.orm import Session, sessionmaker

from sijill.api.app import create_app
from sijill.config import Settings
from sijill.db import make_engine, make_sessionmaker, transaction
from tests.conftest import SYSTEM
from tests.factories import PASSWORD, seed_world

CHROMIUM = Path(os.environ.get("SIJILL_TEST_CHROMIUM", "/usr/bin/chromium"))
ARTEFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
# Chromium's own calls home are refused by a closed network, and slow every start without these.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # One worker keeps the browser: xdist sends every browser test to the same group.
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        if os.environ.get("SIJILL_TEST_REQUIRE_BROWSER") == "1":
            raise pytest.UsageError(f"SIJILL_TEST_REQUIRE_BROWSER=1 but {CHROMIUM} is missing (make test installs it)")
        pytest.skip(f"{CHROMIUM} is missing: run `make test`, which installs Debian's chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        _warm_up(launched)
        yield launched
        launched.close()


def _warm_up(browser: Browser) -> None:
    """Render Arabic and Latin text once, with all the time it needs: on a fresh machine the first
    page builds the font caches, which took over 30 s and timed the first test out (seen here)."""
    page = browser.new_page()
    page.set_default_timeout(180_000)
    page.set_content('<p lang="ar" dir="rtl">سجل — منصة الاستهداف</p><p lang="fr">Sijill — ciblage</p>')
    page.screenshot()
    page.close()


@dataclass
class LiveSite:
    url: str
    session_factory: sessionmaker[Session]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def site(sqlite_template: Path, tmp_path: Path) -> Iterator[LiveSite]:
    """The whole application served by uvicorn on loopback, on a seeded copy of the template."""
    database = tmp_path / "site.db"
    shutil.copyfile(sqlite_template, database)
    url = f"sqlite:///{database}"
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    with transaction(factory) as session:
        seed_world(session, SYSTEM)
    settings = Settings(database_url=url, secret_key="e2e-secret-key-0123456789abcdef012345")
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, engine), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield LiveSite(url=f"http://127.0.0.1:{port}", session_factory=factory)
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


@pytest.fixture
def page(browser: Browser, site: LiveSite) -> Iterator[Page]:
    context = browser.new_context(base_url=site.url, viewport={"width": 1280, "height": 900})
    # Generous: the suite runs two workers on two cores, and some pages count a whole registry.
    context.set_default_timeout(30_000)
    expect.set_options(timeout=20_000)
    opened = context.new_page()
    yield opened
    context.close()


Shoot = Callable[[str], None]


@pytest.fixture
def shot(page: Page, request: pytest.FixtureRequest) -> Shoot:
    """shot("step") keeps a full-page screenshot named after the test and the step."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    test_name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)

    def take(step: str) -> None:
        page.screenshot(path=str(ARTEFACTS / f"{test_name}--{step}.png"), full_page=True)

    return take


def log_in(page: Page, username: str, language: str, password: str = PASSWORD) -> None:
    """Log in through the form, then switch the account to the language of the test."""
    page.goto("/login")
    page.fill("#f-username", username)
    page.fill("#f-password", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/(\?.*)?$"))
    page.wait_for_load_state("load")
    if page.get_attribute("html", "lang") != language:
        with page.expect_navigation():
            page.click(f"form[action='/language'] button[value='{language}']")
        # Not wait_for_function: it evaluates a string, which the pages' policy (no eval) refuses.
        expect(page.locator("html")).to_have_attribute("lang", language)

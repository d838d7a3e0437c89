"""Browser tests: Playwright for Python driving Debian's Chromium, headless, against the live server.

Screenshots are kept under `artifacts/screenshots/` (CI keeps them); with HUB_DOCS_SCREENSHOTS=1
the ones shown in the README are also rewritten in `docs/` (otherwise every run would dirty them).
Without /usr/bin/chromium (`apt-get install chromium`) these tests are skipped on a workstation and
fail in CI (CI=true, which `.ci/run` sets after installing it): a CI run that skipped the console's
browser tests would pass without them. Chromium is never downloaded: `playwright install` is not used.
"""
import os
from pathlib import Path

import pytest

from syncapp.admin.roles import ensure_roles
from tests.admin.scenario import sandbox  # noqa: F401 (a fixture for the tests here)
from tests.factories import StaffFactory

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "screenshots"
DOCS = ROOT / "docs"
PASSWORD = "browser-pass-1"
VIEWPORT = {"width": 1280, "height": 800}


@pytest.fixture
def page(monkeypatch, transactional_db):
    """A fresh headless Chromium page for one test.

    Playwright's sync API keeps an asyncio loop marked as running in this thread while it is
    started, which Django takes for async code; the test's ORM calls between browser steps are
    plain synchronous code, so the check is lifted for the browser's lifetime only (which is also
    why the browser is not shared across tests)."""
    if not os.path.exists(CHROMIUM):
        missing = f"no Chromium at {CHROMIUM}: install Debian's package (apt-get install -y chromium)"
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail(missing)
        pytest.skip(missing)
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the dev extra")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        opened = browser.new_context(viewport=VIEWPORT).new_page()
        opened.set_default_timeout(15_000)
        yield opened
        browser.close()


@pytest.fixture
def console_user(sandbox):  # noqa: F811 (the fixture imported above)
    """Make a staff user in a role (a group, not a superuser); returns its username."""
    ensure_roles()

    def make(role: str) -> str:
        return StaffFactory(username=f"{role.lower()}-user", password=PASSWORD, role=role).username

    return make


def log_in(page, hub_url: str, username: str) -> None:
    page.goto(f"{hub_url}/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")


def screenshot(page, name: str, *, docs: bool = False, full_page: bool = False) -> None:
    """Keep what the page shows as an artifact (and, with `docs`, as the README's picture)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)
    if docs and os.environ.get("HUB_DOCS_SCREENSHOTS") == "1":
        DOCS.mkdir(exist_ok=True)
        page.screenshot(path=str(DOCS / f"{name}.png"))

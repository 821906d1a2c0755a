"""The browser of the accessibility tests: Debian's ``chromium`` driven by Playwright.

Playwright cannot download its own browser here: it launches the system one by path. Without
a browser (or without Playwright), the tests of this folder are skipped and the run says so in
one line at the end.
"""

import os
import shutil

import pytest

CHROMIUM = os.environ.get("COOPCTG_CHROMIUM") or shutil.which("chromium") or ""
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def missing_browser() -> str:
    """Why the browser tests cannot run, or an empty string."""
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "Playwright absent"
    if not CHROMIUM:
        return "chromium absent (paquet Debian « chromium »)"
    return ""


@pytest.fixture(autouse=True)
def _sync_orm_beside_playwright(monkeypatch):
    """Playwright's synchronous API keeps an event loop in this thread; the ORM calls of the
    tests (and of the database teardown) are synchronous all the same."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser():
    reason = missing_browser()
    if reason:
        pytest.skip(f"tests d'accessibilité ignorés : {reason}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


def pytest_terminal_summary(terminalreporter):
    reason = missing_browser()
    if reason:
        terminalreporter.write_line(
            f"Accessibilité (axe) : tests ignorés, {reason}.", yellow=True, bold=True
        )

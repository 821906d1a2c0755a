"""After a submit, the keyboard focus goes to what the new page says about it (Playwright)."""

import datetime as dt

import pytest
from django.test import Client

from coopctg.framework.loader import load_framework
from coopctg.reports import workflow as reports
from tests.agreements.helpers import make_cof

TODAY = dt.date(2025, 2, 15)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(reports, "today", lambda: TODAY)


def signed_in(browser, live_server, user):
    client = Client()
    client.force_login(user)
    context = browser.new_context(base_url=live_server.url, locale="fr-FR")
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    return context


def focused(page) -> str:
    return page.evaluate(
        "() => { const e = document.activeElement; "
        "return (e.id || '') + '|' + (e.className || '') + '|' + e.tagName; }"
    )


def test_focus_follows_the_submit(transactional_db, live_server, browser, touraine):
    load_framework()
    cof = make_cof(touraine.admin, touraine.ctg_own, touraine.own, "COF-37-2022-001")
    report = reports.do_create_report(touraine.editor, cof, 2024)
    context = signed_in(browser, live_server, touraine.editor)
    page = context.new_page()
    try:
        page.goto(f"/bilans/{report.pk}/")
        assert focused(page).endswith("|BODY")  # nothing submitted: nothing moves
        # a section saved: back to that section, focused
        page.click("#mission-2 button[name='section']")
        page.wait_for_url(f"**/bilans/{report.pk}/#mission-2")
        assert focused(page).startswith("mission-2|")
        # « Transmettre… »: the confirmation question is focused
        page.click("button[name='transmettre']")
        page.wait_for_selector("#confirmation")
        assert focused(page).startswith("confirmation|")
        # confirmed: the success message is focused
        page.click("#confirmation button[type='submit']")
        page.wait_for_selector(".messages")
        assert "|messages|" in focused(page)
    finally:
        context.close()

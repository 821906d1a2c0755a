"""The page « Document en préparation… » in a real browser: no axe violation while it waits,
its status refreshes itself (htmx, under the Content-Security-Policy) once the worker has made
the PDF, then the link; a failure and its « Réessayer » button, also without violation."""

import signal

import pytest
from django.core.management import call_command
from django.test import Client

from coopctg.background import services
from tests.a11y.test_axe import describe
from tests.www.permission_rules.recruitment import extend_world as recruitments

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def run_worker():
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def test_preparing_page(
    transactional_db, live_server, browser, axe, touraine, settings, monkeypatch
):
    settings.TASKS = DATABASE_QUEUE
    monkeypatch.setattr(services, "RETRY_DELAY", services.RETRY_DELAY * 0)
    recruitments(touraine)
    url = f"/recrutements/{touraine.recruitment_own.pk}/fiche-de-poste.pdf"
    client = Client()
    client.force_login(touraine.editor)
    context = browser.new_context(base_url=live_server.url, locale="fr-FR")
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page = context.new_page()
    try:
        response = page.goto(url)
        assert response is not None and response.status == 202
        assert "Document en préparation…" in page.inner_text("#document-status")
        violations = axe.run(page).response["violations"]
        assert not violations, "\n".join(describe(v) for v in violations)
        run_worker()
        page.wait_for_selector("#document-status >> text=Le document est prêt.", timeout=15000)
        link = page.locator("#document-status a")
        assert link.get_attribute("href") == url
        violations = axe.run(page).response["violations"]
        assert not violations, "\n".join(describe(v) for v in violations)

        # a failure: the French message, « Réessayer » (through htmx), then the link again
        def broken(source, progress=None):
            raise OSError("disque plein")

        from coopctg.core import pdf

        working = pdf.html_to_pdf
        monkeypatch.setattr(pdf, "html_to_pdf", broken)
        from coopctg.recruitment.models import Recruitment

        Recruitment.objects.filter(pk=touraine.recruitment_own.pk).update(intitule="Autre poste")
        page.goto(url)
        run_worker()
        page.wait_for_selector("#document-status >> text=n'a pas pu être produit", timeout=15000)
        violations = axe.run(page).response["violations"]
        assert not violations, "\n".join(describe(v) for v in violations)
        monkeypatch.setattr(pdf, "html_to_pdf", working)
        page.click("#document-status button")
        page.wait_for_selector("#document-status >> text=Document en préparation…", timeout=15000)
        run_worker()
        page.wait_for_selector("#document-status >> text=Le document est prêt.", timeout=15000)
    finally:
        context.close()

"""PDFs produced off the request (README, « Documents préparés en arrière-plan »).

With the immediate backend (the tests' default: the task runs within the request) and with the
database backend of django-tasks-db, whose worker (``coopctg db_worker --batch``) runs what
was queued: produced once and served again, produced anew when the data change, a failure
shown with « Réessayer », access by role for the status and the retry, progress.
"""

import html
import io
import re
import signal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from coopctg.background import services
from coopctg.background.models import GeneratedDocument
from coopctg.recruitment.models import Recruitment
from tests.www.permission_rules import RULES, extend_world
from tests.www.permission_rules.common import ROLES

FAKE_PDF = b"%PDF-1.7 faux"
DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
HTMX = {"HTTP_HX_REQUEST": "true"}
#: Every PDF URL of the pages (each one in the permission tables).
PDF_URLS = [
    "reports:pdf",
    "evaluation:pdf",
    "diagnostic:version_pdf",
    "indicators:fiche_pdf",
    "funding:architecture_pdf",
    "recruitment:job_pdf",
    "agreements:version_pdf",
]


@pytest.fixture
def world(touraine):
    return extend_world(touraine)


@pytest.fixture
def renders(monkeypatch):
    """Counts the PDFs made (WeasyPrint replaced by a fake, quick)."""
    made = []

    def fake(source, progress=None):
        made.append(source)
        if progress:
            progress(10, "Mise en page")
            progress(60, "Écriture du PDF (1 page)")
        return FAKE_PDF

    monkeypatch.setattr("coopctg.core.pdf.html_to_pdf", fake)
    return made


@pytest.fixture
def queue(settings, monkeypatch):
    """The database queue, as in production; retries without waiting."""
    settings.TASKS = DATABASE_QUEUE
    monkeypatch.setattr(services, "RETRY_DELAY", services.RETRY_DELAY * 0)
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )


def run_worker():
    """The worker, as in production, until the queue is empty (« db_worker --batch »).

    Within a test's transaction (fixture ``queue``), the worker must not close the connection
    between two tasks as it does in production (on PostgreSQL that would end the test's
    transaction): :func:`test_the_worker_runs_in_its_own_transactions` runs it as is.
    """
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        call_command(
            "db_worker",
            "--batch",
            "--no-startup-delay",
            "--no-reload",
            "--interval=0",
            verbosity=0,
            stdout=io.StringIO(),
        )
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def text(response):
    return html.unescape(re.sub(r"\s+", " ", response.content.decode()))


def job_url(world):
    return reverse("recruitment:job_pdf", args=[world.recruitment_own.pk])


# --- Immediate backend: the task runs within the request ---------------------------------------


def test_a_second_download_does_not_produce_the_pdf_again(client, world, renders):
    client.force_login(world.editor)
    first = client.get(job_url(world))
    second = client.get(job_url(world))
    assert first.status_code == second.status_code == 200
    assert first.content == second.content == FAKE_PDF
    assert first["Content-Type"] == "application/pdf"
    assert 'filename="fiche-de-poste-' in first["Content-Disposition"]
    assert len(renders) == 1
    assert GeneratedDocument.objects.get().status == "pret"


def test_the_same_content_is_shared_between_readers(client, world, renders):
    for user in (world.editor, world.admin):
        client.force_login(user)
        assert client.get(job_url(world)).content == FAKE_PDF
    assert len(renders) == 1


def test_a_change_of_the_data_produces_it_again(client, world, renders):
    client.force_login(world.editor)
    client.get(job_url(world))
    Recruitment.objects.filter(pk=world.recruitment_own.pk).update(intitule="Chargé·e de mission")
    assert client.get(job_url(world)).content == FAKE_PDF
    assert len(renders) == 2 and "Chargé·e de mission" in html.unescape(renders[1])
    assert GeneratedDocument.objects.count() == 2


def test_a_missing_file_is_produced_again(client, world, renders):
    client.force_login(world.editor)
    client.get(job_url(world))
    document = GeneratedDocument.objects.get()
    document.file.storage.delete(document.file.name)
    assert client.get(job_url(world)).content == FAKE_PDF
    assert len(renders) == 2


def test_a_failure_is_shown_in_french_and_can_be_retried(client, world, monkeypatch):
    tries = []

    def broken(source, progress=None):
        tries.append(1)
        raise OSError("polices introuvables")

    monkeypatch.setattr("coopctg.core.pdf.html_to_pdf", broken)
    client.force_login(world.editor)
    failed = client.get(job_url(world))
    assert failed.status_code == 503
    page = text(failed)
    assert "Le document n'a pas pu être produit." in page and "polices" not in page
    assert 'role="status"' in failed.content.decode() and "Réessayer" in page
    assert len(tries) == services.MAX_ATTEMPTS  # the first try and two more
    document = GeneratedDocument.objects.get()
    assert document.status == "echec" and document.attempts == services.MAX_ATTEMPTS
    # a second download does not try again by itself: the button does
    assert client.get(job_url(world)).status_code == 503 and len(tries) == services.MAX_ATTEMPTS
    monkeypatch.setattr("coopctg.core.pdf.html_to_pdf", lambda source, progress=None: FAKE_PDF)
    retried = client.post(job_url(world))
    assert retried.status_code == 302 and retried["Location"] == job_url(world)
    assert client.get(job_url(world)).content == FAKE_PDF


def test_a_real_pdf_reports_its_progress(client, world):
    steps = []
    services_progress = services._progress

    def spy(pk, percent, step):
        steps.append((percent, step))
        services_progress(pk, percent, step)

    import coopctg.background.services as module

    module._progress = spy
    try:
        client.force_login(world.editor)
        response = client.get(job_url(world))
    finally:
        module._progress = services_progress
    assert response.content.startswith(b"%PDF")
    assert [percent for percent, _ in steps] == [10, 60, 90]
    assert steps[0][1] == "Mise en page" and steps[1][1].startswith("Écriture du PDF (")


# --- Database backend and its worker ------------------------------------------------------------


def test_the_page_waits_for_the_worker_then_links_the_pdf(client, world, queue, renders):
    client.force_login(world.editor)
    url = job_url(world)
    waiting = client.get(url)
    assert waiting.status_code == 202
    page = waiting.content.decode()
    assert "Document en préparation…" in page
    assert re.search(r'role="status" aria-live="polite"', page)
    assert f'hx-get="{url}"' in page and 'hx-trigger="every 2s"' in page
    assert renders == [] and DBTaskResult.objects.count() == 1
    # polled again (htmx): still waiting, nothing queued twice
    polled = client.get(url, **HTMX)
    assert polled.status_code == 200 and "Document en préparation…" in text(polled)
    assert "<html" not in polled.content.decode()
    assert DBTaskResult.objects.count() == 1
    run_worker()
    assert len(renders) == 1
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    ready = client.get(url, **HTMX)
    assert "Le document est prêt." in text(ready) and f'href="{url}"' in ready.content.decode()
    assert "hx-trigger" not in ready.content.decode()  # the polling stops
    assert client.get(url).content == FAKE_PDF
    run_worker()
    assert len(renders) == 1 and DBTaskResult.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_in_its_own_transactions(client, touraine, settings, renders):
    """Real commits, the worker untouched (it closes its connection between two tasks): the
    request queues, the worker makes the PDF, the next request serves it."""
    from tests.www.permission_rules.recruitment import extend_world as recruitments

    settings.TASKS = DATABASE_QUEUE
    recruitments(touraine)
    client.force_login(touraine.editor)
    url = job_url(touraine)
    assert client.get(url).status_code == 202
    run_worker()
    assert client.get(url).content == FAKE_PDF and len(renders) == 1
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


def test_every_pdf_goes_through_the_queue(client, world, queue, renders):
    """Each PDF of the pages: queued, made by the worker, then served."""
    client.force_login(world.admin)
    for name, cases in RULES.items():
        if name not in PDF_URLS:
            continue
        url = reverse(name, kwargs=cases[0][1](world))
        assert client.get(url).status_code == 202, name
        run_worker()
        response = client.get(url)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert GeneratedDocument.objects.filter(status="pret").count() == len(PDF_URLS)
    assert len(renders) == len(PDF_URLS) - 1  # the Cof's own renderer makes the Cof version


def test_the_worker_tries_again_then_shows_the_failure(client, world, queue, monkeypatch):
    def broken(source, progress=None):
        raise OSError("disque plein")

    monkeypatch.setattr("coopctg.core.pdf.html_to_pdf", broken)
    client.force_login(world.editor)
    url = job_url(world)
    client.get(url)
    run_worker()
    document = GeneratedDocument.objects.get()
    assert document.status == "echec" and document.attempts == services.MAX_ATTEMPTS
    results = list(DBTaskResult.objects.order_by("enqueued_at").values_list("status", flat=True))
    assert results == ["SUCCESSFUL", "SUCCESSFUL", "FAILED"]  # two retries queued, the last fails
    polled = client.get(url, **HTMX)
    assert "Le document n'a pas pu être produit." in text(polled) and "Réessayer" in text(polled)
    assert "hx-trigger" not in polled.content.decode()
    monkeypatch.setattr("coopctg.core.pdf.html_to_pdf", lambda source, progress=None: FAKE_PDF)
    retried = client.post(url, **HTMX)  # the button, through htmx: the fragment comes back
    assert retried.status_code == 200 and "Document en préparation…" in text(retried)
    run_worker()
    assert client.get(url).content == FAKE_PDF


def test_a_retry_between_two_tries_is_refused(client, world, queue):
    """« Réessayer » is offered only for a failed (or stalled) document: a POST meanwhile
    queues nothing more."""
    client.force_login(world.editor)
    client.get(job_url(world))
    client.post(job_url(world))
    assert DBTaskResult.objects.count() == 1


def test_a_stalled_document_can_be_asked_for_again(client, world, queue, renders):
    client.force_login(world.editor)
    client.get(job_url(world))
    GeneratedDocument.objects.update(
        updated_at=GeneratedDocument.objects.get().updated_at - services.STALLED_AFTER * 2
    )
    page = text(client.get(job_url(world)))
    assert "ne progresse plus" in page and "Réessayer" in page
    client.post(job_url(world))
    assert DBTaskResult.objects.count() == 2
    run_worker()
    assert client.get(job_url(world)).content == FAKE_PDF


def test_a_long_job_shows_its_progress(client, world, queue, monkeypatch):
    """While the worker lays out the pages, the polled status tells the step and the percent."""
    client.force_login(world.editor)
    url = job_url(world)
    seen = []

    def slow(source, progress=None):
        progress(60, "Écriture du PDF (12 pages)")
        seen.append(text(client.get(url, **HTMX)))
        return FAKE_PDF

    monkeypatch.setattr("coopctg.core.pdf.html_to_pdf", slow)
    waiting = text(client.get(url, **HTMX))
    assert "En attente" in waiting and 'value="0"' in waiting
    run_worker()
    assert "Écriture du PDF (12 pages)." in seen[0]
    assert 'value="60"' in seen[0] and "60 %" in seen[0]


def test_the_queue_position_is_shown(client, world, queue):
    client.force_login(world.admin)
    client.get(reverse("funding:architecture_pdf", args=[world.arch_own.pk]))
    page = text(client.get(job_url(world)))
    assert "En attente : 1 document avant celui-ci." in page


# --- Access: the status and the retry go through the PDF's own URL and rule --------------------


@pytest.mark.parametrize(
    ("name", "build", "expected"),
    [
        pytest.param(name, build, expected, id=f"{name}-{label}")
        for name, cases in RULES.items()
        if name in PDF_URLS
        for label, build, expected in cases
    ],
)
def test_status_and_retry_follow_the_rule_of_the_pdf(client, world, queue, name, build, expected):
    url = reverse(name, kwargs=build(world))
    assert client.get(url, **HTMX).status_code == 302  # anonymous: the sign-in page
    assert client.post(url).status_code == 302
    failures = []
    for role in ROLES:
        client.force_login(getattr(world, role))
        seen = expected[role] == 200
        for method, answer in (
            ("status", client.get(url, **HTMX).status_code),
            ("retry", client.post(url).status_code),
            ("page", client.get(url).status_code),
        ):
            wanted = {"status": 200, "retry": 302, "page": 202}[method] if seen else 404
            if answer != wanted:
                failures.append(f"{role} {method}: {answer} au lieu de {wanted}")
    assert not failures, f"{url} — " + "; ".join(failures)
    client.force_login(world.nobody)
    assert client.put(url).status_code in (404, 405)


# --- Command line -------------------------------------------------------------------------------


def test_the_command_counts_and_purges(client, world, renders, capsys):
    client.force_login(world.editor)
    client.get(job_url(world))
    document = GeneratedDocument.objects.get()
    out = io.StringIO()
    call_command("documents", "etat", stdout=out)
    assert "prêt : 1" in out.getvalue() and "en attente : 0" in out.getvalue()
    call_command("documents", "purger", "--jours", "30", stdout=out)
    assert GeneratedDocument.objects.count() == 1
    GeneratedDocument.objects.update(updated_at=document.updated_at - services.STALLED_AFTER * 9000)
    out = io.StringIO()
    call_command("documents", "purger", "--jours", "30", stdout=out)
    assert "1 document(s) supprimé(s)." in out.getvalue()
    assert not GeneratedDocument.objects.exists()
    assert not document.file.storage.exists(document.file.name)
    assert client.get(job_url(world)).content == FAKE_PDF and len(renders) == 2


def test_the_command_refuses_a_bad_number_of_days(capsys):
    with pytest.raises(SystemExit) as exit_:
        call_command("documents", "purger", "--jours", "trente")
    assert exit_.value.code == 2
    assert capsys.readouterr().err.strip().startswith("Erreur : --jours attend")

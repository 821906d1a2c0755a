"""The Cof's number and the PDF of a signed version.

The number has a format, checked by the service, the form, the importer and the database; the
PDF's file name is built from ids, never from the number. A failure to write the PDF never
undoes nor misreports a committed signature, and parallel first downloads keep one file."""

import datetime as dt
import html
import io
import json
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.management import call_command
from django.db import IntegrityError, connection, connections, transaction
from django.test import Client
from django.urls import reverse

from coopctg.agreements import services
from coopctg.agreements.importer import CofImportError, import_cof
from coopctg.agreements.models import AgreementVersion, FundingAgreement, cof_number_error
from coopctg.agreements.services import InvalidCofNumberError, create_cof, ensure_document
from tests.agreements.helpers import ALL_THEMES, make_cof, signature_post
from tests.factories import seed_architecture

ROOT = Path(__file__).resolve().parents[2]
DEMO_FILE = ROOT / "coopctg" / "demo" / "data" / "cof-gatine.json"
BAD_NUMBERS = ["../../COF-1", "..", "COF/37/1", "COF 37", "COF--1", "-COF", "COF-1.", "CÔF-1", ""]


@pytest.fixture
def world(touraine):
    touraine.ctg_own.themes = ALL_THEMES
    touraine.ctg_own.save()
    return touraine


def media_files():
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


# --- The number -------------------------------------------------------------------------------


@pytest.mark.parametrize("numero", ["COF-37-2022-001", "COF_A.2", "2022-17", "cof-1"])
def test_good_numbers(numero):
    assert cof_number_error(numero) is None


@pytest.mark.parametrize("numero", [*BAD_NUMBERS, "C" * 51])
def test_bad_numbers(numero):
    assert cof_number_error(numero) is not None


@pytest.mark.parametrize("numero", BAD_NUMBERS[:4])
def test_the_service_refuses_a_bad_number(world, numero):
    with pytest.raises(InvalidCofNumberError, match="n'est pas valide : lettres sans accent"):
        create_cof(
            world.admin,
            ctg=world.ctg_own,
            collectivite=world.own,
            debut=dt.date(2022, 1, 1),
            fin=dt.date(2026, 12, 31),
            numero=numero,
        )
    assert not FundingAgreement.objects.exists()


@pytest.mark.parametrize("numero", ["../../COF-1", "COF/37/1"])
def test_the_database_refuses_a_bad_number(world, numero):
    cof = make_cof(world.admin, world.ctg_own, world.own, "COF-37-2022-001")
    with pytest.raises(IntegrityError), transaction.atomic():
        FundingAgreement.objects.filter(pk=cof.pk).update(numero=numero)


def test_the_importer_refuses_a_bad_number(world, tmp_path, capsys):
    data = json.loads(DEMO_FILE.read_text(encoding="utf-8")) | {"numero": "../../COF-1"}
    with pytest.raises(CofImportError, match=r"« \.\./\.\./COF-1 » n'est pas valide"):
        import_cof(data, generate_documents=False)
    path = tmp_path / "cof.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        call_command("cof", "importer", str(path), stdout=io.StringIO())
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "n'est pas valide" in err
    assert not FundingAgreement.objects.exists() and media_files() == []


# --- The PDF ----------------------------------------------------------------------------------


def test_the_pdf_is_named_from_ids(world):
    cof = make_cof(world.admin, world.ctg_own, world.own, "COF.37_2022-001")
    version = cof.versions.get()
    ensure_document(version.pk)
    version.refresh_from_db()
    assert version.document.name == f"cof/cof-{cof.pk}-version-0.pdf"
    assert media_files() == [f"cof/cof-{cof.pk}-version-0.pdf"]


@pytest.mark.django_db(transaction=True)
def test_a_failure_to_write_the_pdf_keeps_and_reports_the_signature(client, world, monkeypatch):
    """Real commit, the PDF produced after it (on_commit, by the task worker) fails on the
    disk at every try: the Caf still reads « signée » (no 400, no 500); the download says the
    document could not be produced and offers to try again, which produces it."""

    def disk_full(self, name, content, max_length=None):
        raise OSError("No space left on device")

    monkeypatch.setattr(FileSystemStorage, "save", disk_full)
    architecture = seed_architecture(world.ctg_own, world.own)
    client.force_login(world.admin)
    client.raise_request_exception = False
    response = client.post(
        reverse("agreements:create", args=[architecture.pk]),
        {
            "numero": "COF-37-2022-001",
            "date_debut": "2022-01-01",
            "date_fin": "2026-12-31",
            **signature_post("2021-12-15"),
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "La Cof n° COF-37-2022-001 est signée" in response.content.decode()
    version = AgreementVersion.objects.get()
    assert version.statut == "signee" and not version.document
    monkeypatch.undo()
    url = reverse("agreements:version_pdf", args=[version.pk])
    failed = client.get(url)
    assert failed.status_code == 503
    assert "n'a pas pu être produit" in html.unescape(failed.content.decode())
    assert "Réessayer" in failed.content.decode()
    retried = client.post(url)
    assert retried.status_code == 302 and retried["Location"] == url
    pdf = client.get(url)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert media_files() == [f"cof/cof-{version.cof_id}-version-0.pdf"]


def test_the_loser_of_two_first_downloads_deletes_its_file(world, monkeypatch):
    """Another process recorded its PDF while this one rendered: this one's file is deleted,
    the recorded one stays."""
    import coopctg.agreements.documents as documents

    cof = make_cof(world.admin, world.ctg_own, world.own, "COF-37-2022-001")
    version = cof.versions.get()
    real = documents.version_pdf

    def rendered_while_another_won(v):
        content = real(v)
        AgreementVersion.objects.filter(pk=v.pk).update(document="cof/gagnant.pdf")
        return content

    monkeypatch.setattr(documents, "version_pdf", rendered_while_another_won)
    services.ensure_document(version.pk)
    version.refresh_from_db()
    assert version.document.name == "cof/gagnant.pdf"
    assert media_files() == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrence réelle : PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_parallel_first_downloads_keep_one_file(world, monkeypatch):
    """Four browsers ask for a new PDF at once: it is produced once (the task of the first);
    each gets the PDF or the page « Document en préparation… », then the PDF; one file is kept
    on the disk."""
    import coopctg.agreements.documents as documents

    cof = make_cof(world.admin, world.ctg_own, world.own, "COF-37-2022-001")
    version = cof.versions.get()
    real = documents.version_pdf
    renders = []
    started = threading.Barrier(4)

    def slow_render(v):
        renders.append(v.pk)
        time.sleep(0.5)
        return real(v)

    monkeypatch.setattr(documents, "version_pdf", slow_render)
    clients = []
    for user in (world.admin, world.advisor, world.editor, world.elu):
        browser = Client()
        browser.force_login(user)
        clients.append(browser)
    answers = []
    url = reverse("agreements:version_pdf", args=[version.pk])

    def download(browser):
        try:
            started.wait(timeout=30)
            response = browser.get(url)
            answers.append((response.status_code, response.content[:4]))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=download, args=(browser,)) for browser in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(answers) == 4 and (200, b"%PDF") in answers
    assert all(answer == (200, b"%PDF") or answer[0] == 202 for answer in answers)
    assert renders == [version.pk]
    for browser in clients:
        assert browser.get(url).content.startswith(b"%PDF")
    version.refresh_from_db()
    assert media_files() == [version.document.name]

"""SQLite under concurrent writers, as in production: a file database, one connection per
thread (the test database is in memory: each test here copies it to a file first).

Transactions begin IMMEDIATE and wait for the lock (settings): the loser of two concurrent
decisions reads the winner's decision and answers 409, as on PostgreSQL, never a 500 « database
is locked ». WAL: a long read (``coopctg sauvegarder``) never makes a write fail."""

import datetime as dt
import sqlite3
import threading
import zipfile

import pytest
from django.db import connection, connections, transaction
from django.test import Client
from django.urls import reverse

from coopctg.agreements import workflow
from coopctg.agreements.models import AgreementVersion, ModificationRequest
from coopctg.core.backup import DATA, READING_DATABASE, create_backup
from coopctg.core.models import AuditEntry
from tests.agreements.helpers import ALL_THEMES, SIGNATURE_POST, SWAPPED, make_cof, proposal
from tests.factories import build_touraine

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="verrous de SQLite")


@pytest.fixture
def file_database(transactional_db, tmp_path):
    """The migrated test database copied to a file, which this thread and every new thread
    then use (the settings' options apply: IMMEDIATE, timeout, WAL)."""
    path = tmp_path / "coopctg.sqlite3"
    memory = connections["default"]
    memory.ensure_connection()
    target = sqlite3.connect(path)
    memory.connection.backup(target)
    target.close()
    memory_settings = connections.settings["default"]
    connections.settings["default"] = {**memory_settings, "NAME": str(path)}
    connections["default"] = connections.create_connection("default")
    try:
        yield path
    finally:
        connections["default"].close()
        connections["default"] = memory
        connections.settings["default"] = memory_settings


def run_together(targets):
    """Start one thread per callable at the same instant; each closes its connection."""
    start = threading.Barrier(len(targets))
    errors = []

    def run(target):
        try:
            start.wait(timeout=10)
            target()
        except Exception as error:  # reported by the test
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def test_the_file_database_is_in_wal_mode(file_database):
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"


def test_concurrent_decisions_one_wins_the_others_get_409(file_database, monkeypatch):
    """Four Caf sessions accept the same request at once: one avenant, three 409 with the
    explanation, no 500."""
    monkeypatch.setattr(workflow, "today", lambda: dt.date(2024, 11, 15))
    w = build_touraine()
    w.ctg_own.themes = ALL_THEMES
    w.ctg_own.save()
    cof = make_cof(w.admin, w.ctg_own, w.own, "COF-37-2022-001")
    demande = workflow.do_create_request(w.editor, cof, proposal(SWAPPED))
    demande = workflow.do_submit_request(w.editor, demande)
    url = reverse("agreements:request_decide", args=[demande.pk])
    answers = []

    def decide(browser):
        def post():
            response = browser.post(
                url,
                {
                    "decision": "accord",
                    "motif": "Accord.",
                    "revision": demande.revision,
                    **SIGNATURE_POST,
                },
            )
            answers.append((response.status_code, response.content.decode()))

        return post

    browsers = []
    for user in (w.admin, w.advisor, w.admin, w.advisor):
        browser = Client(raise_request_exception=False)
        browser.force_login(user)
        browsers.append(browser)
    assert run_together([decide(browser) for browser in browsers]) == []
    assert sorted(status for status, _ in answers) == [302, 409, 409, 409]
    assert all("a déjà été acceptée" in page for status, page in answers if status == 409)
    assert ModificationRequest.objects.get().statut == "acceptee"
    assert AgreementVersion.objects.filter(cof=cof).count() == 2


def test_concurrent_writers_never_see_database_is_locked(file_database):
    """Twenty writers at once, each a read then a write in one transaction (the pattern that
    failed with a deferred transaction): all succeed."""

    def writer(index):
        def write():
            with transaction.atomic():
                count = AuditEntry.objects.count()
                AuditEntry.objects.create(
                    action="creation", objet_type="t", objet_id=str(index), objet_libelle=count
                )

        return write

    assert run_together([writer(index) for index in range(20)]) == []
    assert AuditEntry.objects.count() == 20


def test_a_write_during_a_backup_succeeds(file_database, tmp_path):
    """The backup reads in one transaction; another connection writes meanwhile, at once and
    without error; the archive holds the rows as they were when the backup began."""
    build_touraine()
    before = AuditEntry.objects.count()
    errors = []

    def writer():
        try:
            with transaction.atomic():
                AuditEntry.objects.create(
                    action="creation", objet_type="t", objet_id="1", objet_libelle="pendant"
                )
            AuditEntry.objects.create(
                action="creation", objet_type="t", objet_id="2", objet_libelle="pendant"
            )
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    started = []

    def progress(step, done, total):
        if step == READING_DATABASE and not started:  # inside the read transaction
            started.append(True)
            thread = threading.Thread(target=writer)
            thread.start()
            thread.join(timeout=60)

    archive = tmp_path / "s.zip"
    create_backup(archive, progress=progress)
    assert errors == []
    assert AuditEntry.objects.count() == before + 2
    with zipfile.ZipFile(archive) as zf:
        assert b"pendant" not in zf.read(DATA)


def test_writers_in_other_threads_never_fail_while_coopctg_sauvegarder_runs(
    file_database, tmp_path
):
    """``coopctg sauvegarder``, another process, reads a database big enough to take a while;
    four threads keep writing (a read then a write in one transaction, and plain writes) from
    the moment it starts reading until it ends: every write succeeds, the backup too."""
    import os
    import subprocess
    import sys

    AuditEntry.objects.bulk_create(
        AuditEntry(action="creation", objet_type="t", objet_id=str(i), objet_libelle="x" * 200)
        for i in range(20_000)
    )
    archive = tmp_path / "nuit.zip"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{file_database}"}
    backup = subprocess.Popen(
        [sys.executable, "-m", "coopctg.cli", "sauvegarder", str(archive)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    first = backup.stderr.readline()  # « Lecture de la base : 0 / … »: the snapshot is open
    assert first.startswith("Lecture de la base"), first
    written, errors = [], []

    def writer(index):
        try:
            while backup.poll() is None:
                with transaction.atomic():
                    count = AuditEntry.objects.filter(objet_type="pendant").count()
                    AuditEntry.objects.create(
                        action="creation",
                        objet_type="pendant",
                        objet_id=str(index),
                        objet_libelle=str(count),
                    )
                AuditEntry.objects.create(
                    action="creation", objet_type="pendant", objet_id=str(index), objet_libelle=""
                )
                written.append(2)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(index,)) for index in range(4)]
    for thread in threads:
        thread.start()
    out, err = backup.communicate(timeout=300)
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert backup.returncode == 0, err
    assert out.startswith("Sauvegarde écrite")
    assert sum(written) > 0  # the writes did happen while the backup was reading
    assert AuditEntry.objects.filter(objet_type="pendant").count() == sum(written)

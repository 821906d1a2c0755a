"""Faults: a database error in the middle of a decision leaves nothing half-written, and a
failing PDF never loses the signature it follows."""

import datetime as dt

import pytest
from django.db import DatabaseError
from django.urls import reverse

from coopctg.agreements import services, workflow
from coopctg.agreements.models import AgreementVersion, ModificationRequest
from coopctg.core.models import AuditEntry
from coopctg.notifications.models import Notification
from tests.agreements.helpers import (
    ALL_THEMES,
    SIGNATURE_POST,
    SWAPPED,
    make_cof,
    proposal,
    signatures,
)


@pytest.fixture
def cof(touraine, monkeypatch):
    monkeypatch.setattr(workflow, "today", lambda: dt.date(2024, 11, 15))
    touraine.ctg_own.themes = ALL_THEMES
    touraine.ctg_own.save()
    return make_cof(touraine.admin, touraine.ctg_own, touraine.own, "COF-37-2022-001")


def counts():
    return (
        AgreementVersion.objects.count(),
        AuditEntry.objects.count(),
        Notification.objects.count(),
        list(ModificationRequest.objects.values_list("statut", "revision", "avenant")),
    )


def test_database_error_mid_decision_writes_nothing(client, touraine, cof, monkeypatch):
    demande = workflow.do_create_request(touraine.editor, cof, proposal(SWAPPED))
    demande = workflow.do_submit_request(touraine.editor, demande)
    before = counts()

    def failing_notify(*args, **kwargs):  # after the avenant is signed and audited
        raise DatabaseError("connexion perdue")

    monkeypatch.setattr(workflow, "notify", failing_notify)
    client.raise_request_exception = False
    client.force_login(touraine.advisor)
    response = client.post(
        reverse("agreements:request_decide", args=[demande.pk]),
        {"decision": "accord", "motif": "Accord.", "revision": demande.revision, **SIGNATURE_POST},
    )
    assert response.status_code == 500
    assert "Traceback" not in response.content.decode()
    assert counts() == before  # no avenant, no history row, request still « soumise »
    assert ModificationRequest.objects.get().statut == "soumise"


def test_a_failing_pdf_keeps_the_signature_and_is_produced_on_download(
    client, touraine, cof, monkeypatch, django_capture_on_commit_callbacks
):
    demande = workflow.do_create_request(touraine.editor, cof, proposal(SWAPPED))
    demande = workflow.do_submit_request(touraine.editor, demande)

    def broken_pdf(version):
        raise OSError("polices introuvables")

    monkeypatch.setattr("coopctg.agreements.documents.version_pdf", broken_pdf)
    with django_capture_on_commit_callbacks(execute=True):
        decided = workflow.do_decide(
            touraine.advisor, demande, accept=True, signatures=signatures(), motif="Accord."
        )
    avenant = decided.avenant
    assert decided.statut == "acceptee" and avenant.statut == "signee"
    assert not AgreementVersion.objects.get(pk=avenant.pk).document
    monkeypatch.undo()
    services.ensure_document(avenant.pk)
    document = AgreementVersion.objects.get(pk=avenant.pk).document
    with document.open("rb") as pdf:
        assert pdf.read(4) == b"%PDF"

"""Signed means frozen: the architecture of a signed Cof version (its persons, dates and
declarations of the eligibility conditions) never changes again, nor does a modification
request's once the collectivité may no longer edit the request. The page explains it; the model
and the services refuse it, whoever calls."""

import datetime as dt
import html

import pytest
from django.urls import reverse

from coopctg.agreements import workflow
from coopctg.core.models import AuditEntry
from coopctg.funding.models import FrozenArchitectureError, FundingArchitecture
from coopctg.funding.services import save_architecture, save_declarations, stored_rows
from tests.agreements.helpers import ALL_THEMES, MOVED, make_cof, proposal
from tests.factories import seed_rows

DECLARATIONS = {
    "declaration_attendus": "on",
    "reference_cof": "Cof modifiée après signature",
    "declaration_reseaux": "on",
    "declaration_bilan": "on",
}


@pytest.fixture
def signed(touraine, monkeypatch):
    monkeypatch.setattr(workflow, "today", lambda: dt.date(2024, 11, 15))
    touraine.ctg_own.themes = ALL_THEMES
    touraine.ctg_own.save()
    cof = make_cof(touraine.admin, touraine.ctg_own, touraine.own, "COF-37-2022-001")
    return cof.versions.get().architecture


def declarations(architecture):
    return FundingArchitecture.objects.filter(pk=architecture.pk).values(
        "declaration_attendus", "reference_cof", "declaration_reseaux", "declaration_bilan"
    )[0]


@pytest.mark.parametrize("role", ["editor", "admin", "advisor"])
def test_declarations_of_a_signed_version_are_refused_with_an_explanation(
    client, touraine, signed, role
):
    before = declarations(signed)
    audit = AuditEntry.objects.count()
    client.force_login(getattr(touraine, role))
    response = client.post(
        reverse("funding:architecture_declarations", args=[signed.pk]), DECLARATIONS
    )
    assert response.status_code == 409
    page = html.unescape(response.content.decode())
    assert "Les déclarations n'ont pas été enregistrées." in page
    assert "celle de la Cof n° COF-37-2022-001 (Cof initiale), signée le 22/12/2021" in page
    assert declarations(signed) == before and AuditEntry.objects.count() == audit


def test_the_page_of_a_signed_version_offers_no_change(client, touraine, signed):
    client.force_login(touraine.editor)
    response = client.get(reverse("funding:architecture", args=[signed.pk]))
    page = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "une version signée est figée" in page
    assert reverse("funding:architecture_declarations", args=[signed.pk]) not in page
    assert reverse("funding:architecture_edit", args=[signed.pk]) not in page


def test_the_model_and_the_services_refuse_to_change_a_signed_version(touraine, signed):
    rows = stored_rows(signed)
    signed.declaration_attendus = True
    with pytest.raises(FrozenArchitectureError, match="une version signée est figée"):
        signed.save()
    with pytest.raises(FrozenArchitectureError, match="une version signée est figée"):
        save_declarations(touraine.editor, signed)
    signed.date_effet = dt.date(2023, 1, 1)
    with pytest.raises(FrozenArchitectureError):
        save_architecture(touraine.editor, signed, seed_rows(MOVED))
    stored = FundingArchitecture.objects.get(pk=signed.pk)
    assert not stored.declaration_attendus and stored.date_effet == dt.date(2022, 1, 1)
    assert stored_rows(stored) == rows


def test_a_request_architecture_freezes_when_submitted(client, touraine, signed):
    cof = signed.version.cof
    demande = workflow.do_create_request(touraine.editor, cof, proposal())
    architecture = FundingArchitecture.objects.get(pk=demande.architecture_id)
    assert architecture.frozen_reason() is None  # a draft: the collectivité edits it
    demande = workflow.do_update_request(touraine.editor, demande, proposal(motif="Précisé"))
    client.force_login(touraine.editor)
    url = reverse("funding:architecture_declarations", args=[architecture.pk])
    assert client.post(url, DECLARATIONS).status_code == 409  # through its request only
    demande = workflow.do_submit_request(touraine.editor, demande)
    architecture.refresh_from_db()
    assert "demande de modification" in architecture.frozen_reason()
    architecture.declaration_reseaux = True
    with pytest.raises(FrozenArchitectureError, match="soumise"):
        architecture.save()
    assert not FundingArchitecture.objects.get(pk=architecture.pk).declaration_reseaux

"""Parties and signatories of a Cof and of its avenants; missions per post in a version and in
its diff; the difference decided, frozen on the request."""

import dataclasses
import datetime as dt
import html
import re

import pytest
from django.apps import apps as django_apps
from django.urls import reverse

from coopctg.agreements import workflow
from coopctg.agreements.diff import compare, comparison_from_json, comparison_to_json
from coopctg.agreements.models import AgreementVersion, ModificationRequest
from coopctg.agreements.services import (
    SignatureError,
    record_signatories,
    sign_version,
)
from coopctg.core.models import AuditEntry
from coopctg.framework.loader import load_framework
from coopctg.funding.services import load_architecture, stored_rows
from tests.agreements.helpers import (
    ALL_THEMES,
    MOVED,
    SIGNATURE_POST,
    SWAPPED,
    make_cof,
    proposal,
    signatures,
    version_input,
)
from tests.factories import SEED_PERSONS, seed_rows

TODAY = dt.date(2024, 11, 15)


@pytest.fixture(autouse=True)
def _setup(touraine, monkeypatch):
    touraine.ctg_own.themes = ALL_THEMES
    touraine.ctg_own.save()
    monkeypatch.setattr(workflow, "today", lambda: TODAY)


@pytest.fixture
def cof(touraine):
    return make_cof(touraine.admin, touraine.ctg_own, touraine.own, "COF-37-2022-001")


def text(response):
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


def with_missions(rows, missions):
    """``missions``: person's name → objective codes."""
    return [dataclasses.replace(r, objectifs=tuple(missions.get(r.nom, ()))) for r in rows]


# --- Signatories ----------------------------------------------------------------------------


def test_recording_a_signature_is_a_form_with_errors_next_to_fields(client, touraine, cof):
    version = cof.versions.get()
    url = reverse("agreements:version_signature", args=[version.pk])
    client.force_login(touraine.advisor)
    assert "Signataire pour Caf de Touraine" in text(client.get(url))
    bad = SIGNATURE_POST | {"collectivite_date": "2024-11-16", "caf_nom": " "}
    response = client.post(url, bad)
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_caf_nom_error"' in page and 'id="id_collectivite_date_error"' in page
    assert "ne peut être dans le futur" in text(response)
    assert not version.signatures.exists()


def test_recording_a_signature_keeps_history_and_the_last_partys_date(client, touraine, cof):
    version = cof.versions.get()
    before_date = version.date_signature
    client.force_login(touraine.admin)
    url = reverse("agreements:version_signature", args=[version.pk])
    response = client.post(
        url, SIGNATURE_POST | {"caf_date": "2021-12-10", "collectivite_date": "2021-12-14"}
    )
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.date_signature == dt.date(2021, 12, 14) != before_date
    assert version.date_effet == dt.date(2022, 1, 1)  # distinct from the signature
    entry = AuditEntry.objects.filter(
        objet_type="agreements.agreementversion", objet_id=str(version.pk)
    ).latest("id")
    assert entry.auteur == touraine.admin
    assert entry.apres["signataires"] == [
        "Caf de Touraine : Mme Anne Martin, Directrice de la Caf, le 10/12/2021",
        f"{touraine.own.nom} : M. Paul Durand, Président, le 14/12/2021",
    ]
    assert entry.apres["date_signature"] == "2021-12-14"
    assert entry.avant["signataires"] == []
    page = text(client.get(reverse("agreements:detail", args=[cof.pk])))
    assert "Mme Anne Martin, Directrice de la Caf, le 10/12/2021" in page
    assert "non renseignés" not in page
    history = text(client.get(reverse("agreements:history", args=[cof.pk])))
    assert "M. Paul Durand, Président" in history


def test_the_service_refuses_a_future_date_or_a_missing_function(touraine, cof):
    version = cof.versions.get()
    future = signatures(collectivite_day=TODAY + dt.timedelta(days=1))
    with pytest.raises(SignatureError, match="futur") as error:
        record_signatories(touraine.admin, version, future, today=TODAY)
    assert error.value.field == "collectivite_date"
    nameless = [dataclasses.replace(signatures()[0], fonction=" "), signatures()[1]]
    with pytest.raises(SignatureError) as error:
        record_signatories(touraine.admin, version, nameless, today=TODAY)
    assert error.value.field == "caf_fonction"
    with pytest.raises(SignatureError, match="Indiquez le nom"):
        record_signatories(touraine.admin, version, signatures()[:1], today=TODAY)
    assert not version.signatures.exists()


def test_accepting_without_signatories_is_refused_next_to_the_fields(client, touraine, cof):
    demande = workflow.do_create_request(touraine.editor, cof, proposal(SWAPPED))
    demande = workflow.do_submit_request(touraine.editor, demande)
    with pytest.raises(workflow.WorkflowError):
        workflow.do_decide(touraine.advisor, demande, accept=True, motif="Accord.")
    client.force_login(touraine.advisor)
    response = client.post(
        reverse("agreements:request_decide", args=[demande.pk]),
        {"decision": "accord", "motif": "Accord.", "revision": demande.revision},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_caf_nom_error"' in page and 'id="id_collectivite_date_error"' in page
    demande.refresh_from_db()
    assert demande.statut == "soumise" and not cof.versions.filter(numero=1).exists()
    # a refusal needs no signature
    response = client.post(
        reverse("agreements:request_decide", args=[demande.pk]),
        {"decision": "refus", "motif": "Non.", "revision": demande.revision},
    )
    assert response.status_code == 302


def test_the_cof_is_created_with_its_parties(client, touraine):
    from tests.agreements.helpers import signature_post
    from tests.factories import seed_architecture

    architecture = seed_architecture(touraine.ctg_own, touraine.own)
    client.force_login(touraine.admin)
    response = client.post(
        reverse("agreements:create", args=[architecture.pk]),
        {"numero": "", "date_debut": "2022-01-01", "date_fin": "2026-12-31"}
        | signature_post("2021-12-15")
        | {"caf_date": "2021-12-13"},
    )
    assert response.status_code == 302
    version = AgreementVersion.objects.get()
    assert version.date_signature == dt.date(2021, 12, 15)
    assert {(s.partie, s.partie_nom, s.fonction) for s in version.signatures.all()} == {
        ("caf", "Caf de Touraine", "Directrice de la Caf"),
        ("collectivite", touraine.own.nom, "Président"),
    }


# --- Missions per post ------------------------------------------------------------------------


@pytest.fixture
def framework(db):
    return load_framework()


def test_missions_are_frozen_with_the_version_and_shown(client, touraine, framework):
    cof = make_cof(touraine.admin, touraine.ctg_own, touraine.own, "COF-M", sign=False)
    rows = with_missions(seed_rows(SEED_PERSONS), {"M. X": ["M1.O2", "M1.O1"], "Mme Y": ["M3.O1"]})
    data = dataclasses.replace(version_input(SEED_PERSONS, dt.date(2022, 1, 1)), rows=rows)
    version = sign_version(
        touraine.admin, cof, data, date_signature=dt.date(2021, 12, 1), generate_document=False
    )
    stored = stored_rows(load_architecture(version.architecture_id))
    assert stored[0].objectifs == ("M1.O1", "M1.O2") and stored[1].objectifs == ("M3.O1",)
    client.force_login(touraine.elu)
    page = text(client.get(reverse("agreements:version", args=[version.pk])))
    assert "Personnes financées et leurs missions" in page
    assert "M1.O1 — " in page and "M3.O1 — " in page
    client.force_login(touraine.admin)  # the history keeps the missions of each post
    history = text(client.get(reverse("agreements:history", args=[cof.pk])))
    assert "M. X (Poste thématique) : Petite enfance 0,4 Etp" in history
    assert "missions : M1.O1, M1.O2" in history


def test_a_change_of_missions_is_a_change_in_the_diff(framework):
    before = with_missions(seed_rows(SEED_PERSONS), {"Mme Y": ["M1.O1", "M2.O1"]})
    after = with_missions(seed_rows(SEED_PERSONS), {"Mme Y": ["M2.O1", "M3.O2"]})
    comparison = compare(before, None, after, None)
    assert comparison.has_changes
    [changed] = comparison.changed_persons
    assert changed.name == "Mme Y" and changed.status == "modifiee"
    assert changed.missions_added == ["M3.O2"] and changed.missions_removed == ["M1.O1"]
    same = compare(before, None, before, None)
    assert not same.has_changes


def test_a_request_that_changes_missions_shows_them(client, touraine, cof, framework):
    rows = with_missions(seed_rows(SEED_PERSONS), {"M. X": ["M4.O1"]})
    demande = workflow.do_create_request(
        touraine.editor, cof, dataclasses.replace(proposal(SEED_PERSONS), rows=rows)
    )
    client.force_login(touraine.editor)
    page = text(client.get(reverse("agreements:request", args=[demande.pk])))
    assert "mission ajoutée : M4.O1 — " in page


def test_the_person_form_offers_the_missions(client, touraine, cof, framework):
    client.force_login(touraine.editor)
    page = client.get(reverse("agreements:request_create", args=[cof.pk])).content.decode()
    assert 'name="personnes-0-objectifs" value="M1.O1"' in page


# --- The difference decided, frozen -----------------------------------------------------------


def test_a_refused_request_keeps_the_difference_decided(client, touraine, cof):
    demande = workflow.do_create_request(touraine.editor, cof, proposal(MOVED))
    demande = workflow.do_submit_request(touraine.editor, demande)
    decided = workflow.do_decide(touraine.advisor, demande, accept=False, motif="Non.")
    assert decided.difference_decidee is not None and decided.difference_depuis == "Cof initiale"
    # A later avenant changes the version in force: the refused request still shows what was
    # decided against the Cof initiale.
    sign_version(
        touraine.admin,
        cof,
        version_input(SWAPPED, dt.date(2024, 1, 1)),
        date_signature=dt.date(2023, 12, 1),
        generate_document=False,
    )
    client.force_login(touraine.editor)
    page = text(client.get(reverse("agreements:request", args=[demande.pk])))
    assert "Ce qui a été décidé" in page and "Cof initiale → la proposition" in page
    assert "Enfance-jeunesse : 0,5 Etp → 0,7 Etp" in page
    assert "Mme Z" not in page  # nothing of the later avenant


def test_the_frozen_json_reads_back_the_same(touraine, cof):
    before = seed_rows(SEED_PERSONS)
    after = seed_rows(MOVED)
    comparison = compare(before, cof.versions.get().ventilation, after, None)
    assert comparison_from_json(comparison_to_json(comparison)) == comparison


def test_a_request_decided_before_freezing_says_so_honestly(client, touraine, cof):
    demande = workflow.do_create_request(touraine.editor, cof, proposal(MOVED))
    demande = workflow.do_submit_request(touraine.editor, demande)
    workflow.do_decide(touraine.advisor, demande, accept=False, motif="Non.")
    ModificationRequest.objects.filter(pk=demande.pk).update(difference_decidee=None)
    client.force_login(touraine.editor)
    page = text(client.get(reverse("agreements:request", args=[demande.pk])))
    assert "n'a pas été conservée" in page and "Aucune différence" not in page


def test_the_migration_freezes_accepted_requests_from_the_signed_versions(touraine, cof):
    import importlib

    migration = importlib.import_module(
        "coopctg.agreements.migrations.0007_freeze_decided_differences"
    )
    demande = workflow.do_create_request(touraine.editor, cof, proposal(SWAPPED))
    demande = workflow.do_submit_request(touraine.editor, demande)
    decided = workflow.do_decide(
        touraine.advisor, demande, accept=True, signatures=signatures(), motif="Accord."
    )
    kept = decided.difference_decidee
    ModificationRequest.objects.filter(pk=demande.pk).update(
        difference_decidee=None, difference_depuis=""
    )
    migration.forwards(django_apps, None)
    decided.refresh_from_db()
    assert decided.difference_depuis == "Cof initiale"
    rebuilt = comparison_from_json(decided.difference_decidee)
    assert rebuilt.envelopes == comparison_from_json(kept).envelopes
    assert {p.name for p in rebuilt.changed_persons} == {"M. A", "Mme Z"}


def test_the_importer_reads_missions_and_refuses_unknown_ones(touraine, framework):
    import json
    from pathlib import Path

    from coopctg.agreements.importer import CofImportError, import_cof

    path = Path(__file__).resolve().parents[2] / "coopctg/demo/data/cof-gatine.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    document["versions"][0]["personnes"][0]["missions"] = ["M9.O9"]
    with pytest.raises(CofImportError, match=r"versions\[0\]\.personnes\[0\]\.missions"):
        import_cof(document, touraine.admin, generate_documents=False)
    document["versions"][0]["personnes"][0]["missions"] = ["M2.O3", "M2.O1"]
    cof = import_cof(document, touraine.admin, generate_documents=False)
    rows = stored_rows(load_architecture(cof.versions.get(numero=0).architecture_id))
    assert rows[0].nom == "M. X" and rows[0].objectifs == ("M2.O1", "M2.O3")

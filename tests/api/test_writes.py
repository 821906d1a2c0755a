"""Writes through the services: valid → created with its history row; invalid → 422 with a
French message, nothing written; a role without the right → 404, as the UI."""

import datetime as dt
import json
from decimal import Decimal

from django.urls import reverse

from coopctg.actionplan.models import IndicatorValue
from coopctg.agreements.models import ModificationRequest
from coopctg.core.models import AuditEntry
from coopctg.governance.models import Meeting

PERSONNES = [
    {
        "id": "x",
        "nom": "M. X",
        "type_poste": "thematique",
        "affectations": [{"enveloppe": "petite_enfance", "etp": "0.40"}],
    },
    {
        "id": "y",
        "nom": "Mme Y",
        "type_poste": "thematique",
        "affectations": [{"enveloppe": "enfance_jeunesse", "etp": 0.7}],
    },
]


def _demande_body(**changes):
    body = {
        "motif": "Mme Y passe à 0,7 Etp",
        "date_effet": "2025-03-01",
        "base_cej": {"montant": "48000", "etp": "2"},
        "personnes": PERSONNES,
    }
    body.update(changes)
    return body


def test_create_and_submit_a_request(world, call):
    cof = world.cof_other  # its request was refused: a new one may be opened
    url = reverse("api:demande_create", args=[cof.pk])
    audits = AuditEntry.objects.count()
    response = call("post", url, world.tokens["other_editor"], _demande_body())
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["statut"] == "brouillon" and data["date_effet"] == "2025-03-01"
    demande = ModificationRequest.objects.get(pk=data["id"])
    assert demande.cof == cof and demande.demandeur == world.other_editor
    assert AuditEntry.objects.count() > audits
    assert AuditEntry.objects.filter(objet_id=str(demande.pk), action="creation").exists()

    submit = reverse("api:demande_submit", args=[demande.pk])
    stale = call("post", submit, world.tokens["other_editor"], {"revision": 99})
    assert stale.status_code == 409
    assert "votre action n'a pas été enregistrée" in stale.json()["detail"].lower()
    response = call("post", submit, world.tokens["other_editor"], {})
    assert response.status_code == 200
    assert response.json()["statut"] == "soumise"


def test_invalid_requests_write_nothing(world, call):
    url = reverse("api:demande_create", args=[world.cof_other.pk])
    token = world.tokens["other_editor"]
    count = ModificationRequest.objects.count()
    bad_person = [{"id": "x", "type_poste": "directeur", "affectations": []}]
    cases = [
        (_demande_body(motif=""), "motif"),
        (_demande_body(date_effet="2021-01-01"), "date d'effet"),
        (_demande_body(personnes=bad_person), "personnes[0]"),
        (_demande_body(date_effet="pas une date"), "date_effet"),
        ({"motif": "x"}, "champ obligatoire"),
    ]
    for body, expected in cases:
        response = call("post", url, token, body)
        assert response.status_code == 422, (body, response.content)
        assert expected in response.json()["detail"], response.json()
    assert ModificationRequest.objects.count() == count
    # a role without the right: 404, as the page
    assert call("post", url, world.tokens["admin"], _demande_body()).status_code == 404
    assert ModificationRequest.objects.count() == count


def _instance_body(**changes):
    body = {
        "type": "cotech",
        "date": "2024-10-03",
        "heure": "14:00",
        "heure_fin": "16:00",
        "lieu": "Mairie",
        "objet": "Cotech du 2e semestre",
        "participants": ["Mme Durand, DGS"],
        "participants_caf": [],
        "decisions": [{"texte": "Lancer le diagnostic", "fiche_action": "A01"}],
    }
    body.update(changes)
    return body


def test_create_and_update_an_instance(world, call):
    url = reverse("api:instance_create", args=[world.ctg_own.pk])
    body = _instance_body(participants_caf=[world.staff.pk])
    response = call("post", url, world.tokens["editor"], body)
    assert response.status_code == 201, response.content
    data = response.json()
    meeting = Meeting.objects.get(pk=data["id"])
    assert meeting.kind == "cotech" and meeting.heure == dt.time(14, 0)
    assert data["decisions"] == [{"texte": "Lancer le diagnostic", "fiche_action": "A01"}]
    assert data["participants_caf"][0]["id"] == world.staff.pk
    assert AuditEntry.objects.filter(objet_id=str(meeting.pk), action="creation").exists()

    update = reverse("api:instance_update", args=[meeting.pk])
    response = call("put", update, world.tokens["advisor"], _instance_body(lieu="Salle des fêtes"))
    assert response.status_code == 200
    meeting.refresh_from_db()
    assert meeting.lieu == "Salle des fêtes"


def test_invalid_instances_write_nothing(world, call):
    url = reverse("api:instance_create", args=[world.ctg_own.pk])
    token = world.tokens["editor"]
    count = Meeting.objects.count()
    cases = [
        (_instance_body(date="2030-01-01"), "période de la Ctg"),
        (_instance_body(heure_fin="13:00"), "L'heure de fin doit suivre"),
        (_instance_body(type="apero"), "type"),
        (_instance_body(participants_caf=[999999]), "participants_caf"),
        (_instance_body(decisions=[{"texte": "a\nb"}]), "une ligne"),
        (_instance_body(heure="midi"), "heure"),
    ]
    for body, expected in cases:
        response = call("post", url, token, body)
        assert response.status_code == 422, (body, response.content)
        assert expected in response.json()["detail"], response.json()
    assert Meeting.objects.count() == count
    # the elu reads the instances, but does not write them: 404, as the form
    assert call("post", url, world.tokens["elu"], _instance_body()).status_code == 404
    assert Meeting.objects.count() == count


def test_indicator_values(world, call):
    url = reverse("api:indicator_values", args=[world.ctg_own.pk, 2024])
    indicator = world.indicator_own
    body = {"valeurs": [{"indicateur": indicator.pk, "valeur": "52,5"}]}
    response = call("put", url, world.tokens["editor"], body)
    assert response.status_code == 200
    assert response.json() == {"annee": 2024, "modifies": 1}
    assert IndicatorValue.objects.get(indicator=indicator, year=2024).value == Decimal("52.50")
    assert AuditEntry.objects.filter(objet_id=str(indicator.pk), action="modification").exists()
    # null removes it
    body = {"valeurs": [{"indicateur": indicator.pk, "valeur": None}]}
    assert call("put", url, world.tokens["editor"], body).json()["modifies"] == 1
    assert not IndicatorValue.objects.filter(indicator=indicator, year=2024).exists()


def test_invalid_indicator_values_write_nothing(world, call):
    token = world.tokens["editor"]
    own = world.indicator_own
    url = reverse("api:indicator_values", args=[world.ctg_own.pk, 2024])
    cases = [
        (url, [{"indicateur": own.pk, "valeur": "douze"}], "n'est pas un nombre"),
        (url, [{"indicateur": own.pk, "valeur": "1.234"}], "2 décimales"),
        # another plan's indicator: refused, as if unknown
        (url, [{"indicateur": world.indicator_other.pk, "valeur": 3}], "pas dans ce plan"),
        (
            url,
            [{"indicateur": own.pk, "valeur": 1}, {"indicateur": own.pk, "valeur": 2}],
            "deux fois",
        ),
        (
            reverse("api:indicator_values", args=[world.ctg_own.pk, 2040]),
            [{"indicateur": own.pk, "valeur": 1}],
            "hors de la période",
        ),
    ]
    before = list(IndicatorValue.objects.values_list("indicator", "year", "value"))
    for target, valeurs, expected in cases:
        response = call("put", target, token, {"valeurs": valeurs})
        assert response.status_code == 422, response.content
        assert expected in response.json()["detail"], response.json()
    assert list(IndicatorValue.objects.values_list("indicator", "year", "value")) == before
    body = {"valeurs": [{"indicateur": own.pk, "valeur": 1}]}
    assert call("put", url, world.tokens["analyst"], body).status_code == 404
    assert list(IndicatorValue.objects.values_list("indicator", "year", "value")) == before


def test_a_browser_session_needs_the_csrf_token_to_write(world):
    """The browser's session also opens the API (for its docs): a write from another site,
    riding on that session without the CSRF token, is refused; a Bearer token needs none."""
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.editor)
    url = reverse("api:instance_create", args=[world.ctg_own.pk])
    before = Meeting.objects.count()
    response = browser.post(url, json.dumps(_instance_body()), content_type="application/json")
    assert response.status_code == 403 and Meeting.objects.count() == before
    with_token = Client(enforce_csrf_checks=True).post(
        url,
        json.dumps(_instance_body()),
        content_type="application/json",
        headers={"Authorization": f"Bearer {world.tokens['editor']}"},
    )
    assert with_token.status_code == 201 and Meeting.objects.count() == before + 1


def test_control_characters_are_cleaned_before_they_are_stored(world, call):
    """Security probe (issue 10): a Word line break (\\x0b) in a name or a reason reached the
    database, then broke every workbook of the Caf. Cleaned as the forms do: one line (a
    name, a place) gets a space, a text of several lines a line feed."""
    personnes = [dict(PERSONNES[0], nom="M.\x0bX\x01"), PERSONNES[1]]
    url = reverse("api:demande_create", args=[world.cof_other.pk])
    body = _demande_body(motif="Mme Y\x0bpasse à 0,7 Etp", personnes=personnes)
    response = call("post", url, world.tokens["other_editor"], body)
    assert response.status_code == 201, response.content
    demande = ModificationRequest.objects.get(pk=response.json()["id"])
    assert demande.motif == "Mme Y\npasse à 0,7 Etp"
    assert [p.nom for p in demande.architecture.personnes.order_by("position")] == [
        "M. X",
        "Mme Y",
    ]

    url = reverse("api:instance_create", args=[world.ctg_own.pk])
    body = _instance_body(
        lieu="Salle\x0bdes fêtes",
        ordre_du_jour="Point 1\x0cPoint 2",
        participants=["Mme\x01 A"],
        decisions=[{"texte": "Lancer\x1f le diagnostic", "fiche_action": "A01\x7f"}],
    )
    response = call("post", url, world.tokens["editor"], body)
    assert response.status_code == 201, response.content
    meeting = Meeting.objects.get(pk=response.json()["id"])
    assert (meeting.lieu, meeting.ordre_du_jour) == ("Salle des fêtes", "Point 1\nPoint 2")
    assert list(meeting.participants) == ["Mme A"]
    assert response.json()["decisions"] == [
        {"texte": "Lancer le diagnostic", "fiche_action": "A01"}
    ]
    # A participant or a decision holds one line: a Word line break is one, refused.
    count = Meeting.objects.count()
    for body, message in [
        (_instance_body(participants=["Mme\x0bA"]), "Un participant tient sur une ligne."),
        (_instance_body(decisions=[{"texte": "a\rb"}]), "Une décision tient sur une ligne."),
    ]:
        response = call("post", url, world.tokens["editor"], body)
        assert response.status_code == 422 and response.json()["detail"] == message
    assert Meeting.objects.count() == count

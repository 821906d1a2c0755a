"""The API of mission 4: consultations and supports read, a consultation's results written
with the rules of the pages (every line checked before writing, history kept)."""

import json

import pytest
from django.urls import reverse

from coopctg.api.models import ApiToken
from coopctg.core.models import AuditEntry
from coopctg.diagnostic.services import ctg_communes
from tests.participation.helpers import (
    add_consultation,
    add_participation,
    add_questionnaire,
    add_support,
    answer,
)


@pytest.fixture
def token(touraine):
    return ApiToken.create_for(touraine.editor, "essai")[1]


def _call(client, method, url, token, body=None):
    kwargs = {"headers": {"Authorization": f"Bearer {token}"}}
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    return getattr(client, method)(url, **kwargs)


def test_read_consultations_and_supports(client, touraine, token):
    ctg = touraine.ctg_own
    consultation = add_consultation(ctg)
    add_participation(consultation, "familles", 12)
    questionnaire = add_questionnaire(consultation)
    answer(questionnaire, mode="Crèche", scale=5)
    answer(questionnaire, mode="Aucun", scale=2)
    add_support(ctg, falc=True)
    listing = _call(client, "get", reverse("api:consultations", args=[ctg.pk]), token).json()
    assert listing["total"] == 1 and listing["resultats"][0]["participants"] == 12
    detail = _call(client, "get", reverse("api:consultation", args=[consultation.pk]), token)
    body = detail.json()
    assert body["participation"] == [{"public": "familles", "commune": None, "nombre": 12}]
    results = body["questionnaires"][0]
    assert results["reponses"] == 2
    first = results["resultats"][0]
    assert first["comptages"][0] == {"reponse": "Crèche", "nombre": 1, "part": "50.0"}
    assert results["resultats"][2]["moyenne"] == "3.5"
    supports = _call(client, "get", reverse("api:supports", args=[ctg.pk]), token).json()
    assert supports["resultats"][0]["falc"] is True
    empty = _call(client, "get", reverse("api:supports", args=[ctg.pk]) + "?annee=2019", token)
    assert empty.json()["total"] == 0


def test_write_results(client, touraine, token):
    ctg = touraine.ctg_own
    consultation = add_consultation(ctg)
    commune = ctg_communes(ctg).first()
    url = reverse("api:consultation_resultats", args=[consultation.pk])
    body = {
        "synthese": "Les familles demandent des horaires élargis.",
        "suites": "Le multi-accueil ouvre à 7 h 30.",
        "participation": [
            {"public": "familles", "commune": commune.code_insee, "nombre": 18},
            {"public": "elus", "commune": None, "nombre": 3},
            {"public": "jeunes", "commune": None, "nombre": 0},
        ],
    }
    response = _call(client, "put", url, token, body)
    assert response.status_code == 200, response.json()
    assert response.json()["participants"] == 21
    consultation.refresh_from_db()
    assert consultation.suites == "Le multi-accueil ouvre à 7 h 30."
    assert consultation.participations.count() == 2
    entry = AuditEntry.objects.filter(objet_id=str(consultation.pk)).latest("pk")
    assert entry.apres["synthese"] == body["synthese"] and entry.avant["synthese"] == ""

    for bad, message in (
        (
            {"participation": [{"public": "familles", "commune": "75056", "nombre": 1}]},
            "n'est pas une commune du territoire",
        ),
        (
            {"participation": [{"public": "elus", "nombre": 1}, {"public": "elus", "nombre": 2}]},
            "déjà comptés",
        ),
        ({"participation": [{"public": "familles", "nombre": -1}]}, ""),
    ):
        refused = _call(client, "put", url, token, bad)
        assert refused.status_code == 422
        assert message in refused.json()["detail"]
    assert consultation.participations.count() == 2  # nothing written

"""The partner directory's API: read (list, detail with participations), write (same rules
as the page, 422 with each error), bounded queries."""

import datetime as dt

import pytest
from django.urls import reverse

from coopctg.actionplan.models import Action
from coopctg.api.models import ApiToken
from coopctg.partners.models import ActionPartner, Partner
from tests.api.conftest import Api


@pytest.fixture
def call(client):
    return Api(client)


def token(user):
    return ApiToken.create_for(user, "essai")[1]


def make(caf, name, **extra):
    return Partner.objects.create(
        caf=caf,
        identifiant=name,
        nom=name,
        kind="association",
        date_maj=dt.date(2025, 1, 1),
        **extra,
    )


def test_list_and_detail(touraine, call):
    rpe = make(touraine.caf, "Relais (fictif)", themes=["petite_enfance"])
    make(touraine.caf, "Autre (fictive)", themes=["logement"])
    action = Action.objects.create(ctg=touraine.ctg_own, code="A01", titre="Guichet unique")
    ActionPartner.objects.create(action=action, partner=rpe, role="pilote")
    key = token(touraine.elu)
    data = call(
        "GET", reverse("api:partenaires", args=["37"]) + "?thematique=petite_enfance", key
    ).json()
    assert data["total"] == 1 and data["resultats"][0]["nom"] == "Relais (fictif)"
    detail = call("GET", reverse("api:partenaire", args=[rpe.pk]), key).json()
    assert detail["participations"] == [
        {
            "ctg": touraine.ctg_own.pk,
            "type": "action",
            "id": action.pk,
            "libelle": "A01 Guichet unique",
            "role": "pilote",
        }
    ]


def test_create_then_update(touraine, call):
    key = token(touraine.editor)
    url = reverse("api:partenaire_create", args=["37"])
    bad = call(
        "POST", url, key, {"nom": "Crèche (fictive)", "nature": "eaje", "code_insee": "99999"}
    )
    assert bad.status_code == 422
    assert bad.json()["erreurs"] == [
        {"champ": "code_insee", "message": "« 99999 » n'est pas le code INSEE d'une commune."}
    ]
    assert not Partner.objects.exists()
    body = {
        "nom": "Crèche (fictive)",
        "nature": "eaje",
        "siret": "12345678900011",
        "code_insee": "37123",
        "thematiques": ["petite_enfance"],
        "contact": "Directrice",
    }
    created = call("POST", url, key, body)
    assert created.status_code == 201, created.json()
    assert created.json()["commune"] == "Neuvy-le-Roi"
    pk = created.json()["id"]
    updated = call(
        "PUT",
        reverse("api:partenaire_update", args=[pk]),
        key,
        {**body, "nom": "Crèche Les Lutins (fictive)"},
    )
    assert updated.status_code == 200
    assert Partner.objects.get(pk=pk).nom == "Crèche Les Lutins (fictive)"


def test_list_queries_do_not_grow(touraine, call, django_assert_max_num_queries):
    key = token(touraine.analyst)
    url = reverse("api:partenaires", args=["37"])
    make(touraine.caf, "P0")
    with django_assert_max_num_queries(12) as captured:
        assert call("GET", url, key).status_code == 200
    for i in range(1, 30):
        make(touraine.caf, f"P{i}")
    with django_assert_max_num_queries(len(captured.captured_queries)):
        assert call("GET", url, key).json()["total"] == 30

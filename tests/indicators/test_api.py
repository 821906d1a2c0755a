"""API reads of the diagnostic: the catalogue and a collectivité's fiche."""

import pytest
from django.urls import reverse

from coopctg.api.models import ApiToken
from coopctg.indicators.importer import import_file
from tests.indicators.conftest import DEP_FILE, EPCI_FILE, NAT_FILE


def get(client, user, url, **params):
    _token, secret = ApiToken.create_for(user, "test")
    return client.get(url, params, headers={"Authorization": f"Bearer {secret}"})


def test_catalogue(client, touraine):
    response = get(client, touraine.elu, reverse("api:indicateurs"), taille=2)
    data = response.json()
    assert response.status_code == 200 and data["total"] == 17
    assert data["resultats"][0]["code"] == "population_municipale"
    assert data["resultats"][1]["jeux"] == [
        "txcouv_pe_com",
        "txcouv_pe_epci",
        "txcouv_pe_dep",
        "txcouv_pe_nat",
    ]
    assert data["resultats"][1]["source"]["licence"] == "Licence Ouverte / Etalab 2.0"


def test_fiche_is_the_exporters_json(client, touraine, django_assert_max_num_queries):
    import_file("epci.csv", EPCI_FILE.encode())
    import_file("dep.csv", DEP_FILE.encode())
    import_file("nat.json", NAT_FILE.encode(), demonstration=True)
    url = reverse("api:fiche_diagnostic", args=[touraine.own.pk])
    _token, secret = ApiToken.create_for(touraine.elu, "test")
    with django_assert_max_num_queries(12):
        response = client.get(url, {"annee": 2022}, headers={"Authorization": f"Bearer {secret}"})
    data = response.json()
    assert data["collectivite"] == {
        "code": "200073237",
        "nom": "Communauté de communes de Gâtine-Racan",
    }
    line = {item["code"]: item for item in data["indicateurs"]}["txcouv_global"]
    assert (line["annee"], line["valeur"], line["departement"], line["france"]) == (
        2022,
        "63.30",
        "78.6",
        "59.50",
    )
    assert line["source"].endswith("valeurs fictives de démonstration")
    assert get(client, touraine.outsider, url).status_code == 404
    bad = get(client, touraine.elu, url, annee="vingt")
    assert bad.status_code == 422 and "detail" in bad.json()


@pytest.mark.parametrize("annee", ["1800", "3000"])
def test_fiche_year_out_of_range(client, touraine, annee):
    url = reverse("api:fiche_diagnostic", args=[touraine.own.pk])
    assert get(client, touraine.elu, url, annee=annee).status_code == 422

"""The API of mission 2: the diagnostic and its enjeux, the commissions with their published
counts (statistical secrecy) and alerts, the objectifs; a besoin written with the page's rules
(anonymous register), its history row, nothing written when refused."""

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from coopctg.core.models import AuditEntry
from coopctg.diagnostic.models import Need

BESOIN = {
    "date": "2025-03-10",
    "commune": "37123",
    "thematique": "petite_enfance",
    "tranche_age": "0-3",
    "nature": "horaires",
    "source": "service",
    "demande": "Un accueil avant 7 h 30 pour des parents en horaires décalés.",
}


def test_read_the_diagnostic_with_its_enjeux(world, call):
    listed = call("get", reverse("api:diagnostics", args=[world.ctg_own.pk]), world.tokens["elu"])
    assert listed.status_code == 200 and listed.json()["total"] == 1
    [version] = listed.json()["resultats"]
    assert version["statut"] == "valide" and version["copil"]["type"] == "copil"
    detail = call("get", reverse("api:diagnostic", args=[version["id"]]), world.tokens["elu"])
    data = detail.json()
    [enjeu] = data["enjeux"]
    assert enjeu["indicateurs"][0]["code"] == "txcouv_global"
    assert enjeu["indicateurs"][0]["libelle"].startswith("Taux de couverture global")
    assert enjeu["actions"][0]["code"] == world.action_own.code
    assert data["enjeux_sans_action"] == [] and data["actions_sans_enjeu"] == []


def test_read_the_commissions_with_published_counts(world, call):
    response = call(
        "get", reverse("api:commission", args=[world.commission_own.pk]), world.tokens["analyst"]
    )
    data = response.json()
    parts = {p["critere"]: p for p in data["parts"]}
    assert parts["qf_bas"]["effectif"] == "moins de 5"  # 3 families: statistical secrecy
    assert parts["qf_bas"]["part"] == "15.0" and parts["qf_bas"]["statut"] == "sous_le_seuil"
    assert parts["qf_bas"]["seuil"]["valeur"] == "20"
    assert [a["critere"] for a in data["alertes"]] == ["qf_bas"]
    assert data["alertes"][0]["ouverte"] and data["alertes"][0]["suivi"] is None
    url = reverse("api:commissions", args=[world.ctg_own.pk])
    assert call("get", url + "?annee=2024", world.tokens["elu"]).json()["total"] == 0
    assert call("get", url + "?annee=2025", world.tokens["elu"]).json()["total"] == 1


def test_write_a_besoin(world, call):
    url = reverse("api:besoin_create", args=[world.ctg_own.pk])
    audits = AuditEntry.objects.count()
    response = call("post", url, world.tokens["editor"], BESOIN)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["commune"] == {"code_insee": "37123", "nom": "Neuvy-le-Roi"}
    assert data["repondu"] is False and data["demande"] == BESOIN["demande"]
    need = Need.objects.get(pk=data["id"])
    assert need.ctg == world.ctg_own
    assert AuditEntry.objects.count() == audits + 1
    listed = call("get", reverse("api:besoins", args=[world.ctg_own.pk]), world.tokens["elu"])
    assert listed.json()["total"] == 2


def test_a_refused_besoin_writes_nothing(world, call):
    url = reverse("api:besoin_create", args=[world.ctg_own.pk])
    count = Need.objects.count()
    cases = [
        ({"demande": "Mme Martin, martin@example.org"}, "demande", "adresse électronique"),
        ({"commune": "41018"}, "commune", "pas une commune du territoire"),
        ({"repondu": True}, "reponse", "Dites quelle réponse"),
        ({"nature": "loisirs"}, "nature", "loisirs"),
        ({"date": (dt.date.today() + dt.timedelta(days=2)).isoformat()}, "date", "à venir"),
    ]
    for change, field, message in cases:
        response = call("post", url, world.tokens["editor"], BESOIN | change)
        assert response.status_code == 422, (change, response.content)
        body = response.json()
        assert message in body["detail"], body
        assert body["erreurs"][0]["champ"] == field, body
    assert Need.objects.count() == count


def test_objectifs_per_collectivite(world, call):
    response = call("get", reverse("api:objectifs", args=[world.ctg_own.pk]), world.tokens["elu"])
    [block] = response.json()
    assert block["collectivite"]["id"] == world.own.pk
    assert [n["nature"] for n in block["natures"]] == ["service", "partenariat", "competence"]
    assert all(n["statut"] == "sans_objectif" for n in block["natures"])


def test_list_operations_keep_a_bounded_number_of_queries(world, call):
    from tests.diagnostic.helpers import add_commission

    url = reverse("api:commissions", args=[world.ctg_own.pk])
    with CaptureQueriesContext(connection) as few:
        assert call("get", url, world.tokens["admin"]).status_code == 200
    for _ in range(4):
        add_commission(world.ctg_own)
    with CaptureQueriesContext(connection) as many:
        assert call("get", url, world.tokens["admin"]).json()["total"] == 5
    assert len(many) == len(few)

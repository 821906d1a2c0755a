"""Reads: pagination, filters, French names and money as strings, bounded queries, the
OpenAPI schema and the docs served locally under the CSP."""

import datetime as dt
import json
import re

from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.api.conftest import add_meeting, add_plan
from tests.factories import CtgFactory


def test_pagination_and_filters(world, call):
    token = world.tokens["admin"]
    for day in range(1, 6):
        add_meeting(world.ctg_own, dt.date(2025, 2, day), kind="cotech")
    url = reverse("api:instances", args=[world.ctg_own.pk])
    first = call("get", url + "?taille=2", token).json()
    assert (first["total"], first["page"], first["taille"]) == (6, 1, 2)
    assert len(first["resultats"]) == 2
    last = call("get", url + "?taille=2&page=3", token).json()
    assert len(last["resultats"]) == 2
    assert call("get", url + "?taille=2&page=9", token).json()["resultats"] == []
    assert call("get", url + "?annee=2025", token).json()["total"] == 5
    assert call("get", url + "?type=copil", token).json()["total"] == 1
    refused = call("get", url + "?taille=1000", token)
    assert refused.status_code == 422
    assert refused.json()["detail"] == "Requête invalide — taille : au plus 200."

    cofs = reverse("api:cofs")
    assert call("get", cofs, token).json()["total"] == 2
    other = call("get", f"{cofs}?collectivite={world.other.pk}", token).json()
    assert [c["numero"] for c in other["resultats"]] == ["COF-37-2022-902"]
    assert call("get", f"{cofs}?statut=projet", token).json()["total"] == 0
    assert call("get", f"{cofs}?annee=2021", token).json()["total"] == 0
    assert call("get", f"{cofs}?annee=1492", token).status_code == 422
    demandes = reverse("api:demandes")
    assert call("get", f"{demandes}?statut=refusee", token).json()["total"] == 1
    bilans = reverse("api:bilans")
    assert (
        call("get", f"{bilans}?annee=2023&collectivite={world.own.pk}", token).json()["total"] == 1
    )


def test_money_and_breakdowns_as_the_command_line(world, call):
    token = world.tokens["editor"]
    version = call("get", reverse("api:version", args=[world.version_own.pk]), token).json()
    assert version["montant"] == "48000.00" and version["etp"] == "2.00"
    assert version["signataires"] == []  # not recorded: the document has lines to sign
    from coopctg.agreements.services import record_signatories
    from tests.agreements.helpers import signatures

    record_signatories(world.admin, world.version_own, signatures(), today=dt.date(2025, 1, 1))
    version = call("get", reverse("api:version", args=[world.version_own.pk]), token).json()
    assert [(s["partie"], s["fonction"], s["date_signature"]) for s in version["signataires"]] == [
        ("caf", "Directrice de la Caf", "2024-11-12"),
        ("collectivite", "Président", "2024-11-14"),
    ]
    detail = call("get", reverse("api:cof", args=[world.cof_own.pk]), token).json()
    assert detail["versions"][0]["signataires"][1]["nom"] == "M. Paul Durand"
    envelopes = {e["enveloppe"]: e["montant"] for e in version["ventilation"]["enveloppes"]}
    assert sum(float(amount) for amount in envelopes.values()) == 48000
    funding = call("get", reverse("api:financement_annuel") + "?annee=2024", token).json()
    assert funding["annee"] == 2024 and funding["total"] == "48000.00"
    assert [c["code"] for c in funding["collectivites"]] == [world.own.code]  # scoped
    assert call("get", reverse("api:financement_annuel"), token).status_code == 422
    action = call("get", reverse("api:action", args=[world.action_own.pk]), token).json()
    assert action["indicateurs"][0]["valeurs"] == [{"annee": 2023, "valeur": "45.00"}]
    assert action["indicateurs"][0]["cible"] == "120.00"


def _count(call, url, token):
    with CaptureQueriesContext(connection) as queries:
        assert call("get", url, token).status_code == 200
    return len(queries)


def test_annual_funding_by_pages_with_totals_over_all(world, call):
    """The collectivités by pages (page number or cursor); the envelopes and the total over
    every collectivité seen, on every page."""
    token = world.tokens["admin"]
    url = reverse("api:financement_annuel") + "?annee=2024"
    whole = call("get", url, token).json()
    assert whole["nombre"] == len(whole["collectivites"]) >= 2
    assert (whole["page"], whole["suivant"]) == (1, None)
    first = call("get", url + "&taille=1", token).json()
    assert len(first["collectivites"]) == 1 and first["nombre"] == whole["nombre"]
    assert (first["total"], first["enveloppes"]) == (whole["total"], whole["enveloppes"])
    codes = [first["collectivites"][0]["code"]]
    cursor = first["suivant"]
    while cursor:
        page = call("get", f"{url}&taille=1&apres={cursor}", token).json()
        assert page["nombre"] is None and page["total"] == whole["total"]
        codes += [c["code"] for c in page["collectivites"]]
        cursor = page["suivant"]
    assert codes == [c["code"] for c in whole["collectivites"]]
    refused = call("get", url + "&apres=nimportequoi", token)
    assert refused.status_code == 422


def test_lists_cost_the_same_for_1_or_10_items(world, call):
    token = world.tokens["admin"]
    ctg = CtgFactory(caf=world.caf, signataires=[world.own], intitule="Ctg de mesure")
    add_meeting(ctg)
    add_plan(ctg)
    urls = [
        reverse("api:instances", args=[ctg.pk]),
        reverse("api:actions", args=[ctg.pk]),
        reverse("api:ctgs"),
        reverse("api:cofs"),
        reverse("api:collectivites"),
        reverse("api:demandes"),
        reverse("api:bilans"),
    ]
    before = {url: _count(call, url, token) for url in urls}
    for index in range(9):
        add_meeting(ctg, dt.date(2023, 1, index + 1))
        add_plan(ctg, code=f"B{index}")
        CtgFactory(caf=world.caf, signataires=[world.other], intitule=f"Ctg {index}")
    after = {url: _count(call, url, token) for url in urls}
    assert after == before


def test_openapi_lists_every_operation(client, touraine):
    from tests.api.test_permissions import RULES

    client.force_login(touraine.elu)
    response = client.get(reverse("api:openapi-json"))
    schema = json.loads(response.content)
    operation_ids = {
        operation["operationId"] for path in schema["paths"].values() for operation in path.values()
    }
    assert len(operation_ids) == len(RULES)
    assert "/api/v1/cof/{pk}/demandes/" in schema["paths"]
    assert schema["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"


def test_docs_are_served_locally_under_the_csp(client, touraine):
    client.force_login(touraine.editor)
    response = client.get(reverse("api:openapi-view"))
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "ressource externe"
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "/static/ninja/swagger-ui-init.js" in html
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    # no inline script that the CSP would block: the settings are a JSON data block
    for script in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S):
        attributes, _body = script
        assert "src=" in attributes or 'type="application/json"' in attributes
    for asset in ("ninja/swagger-ui-bundle.js", "ninja/swagger-ui.css", "ninja/swagger-ui-init.js"):
        assert finders.find(asset), asset  # served by the application (WhiteNoise)


def test_every_operation_is_summed_up_in_french():
    """The documentation's summaries come from the docstrings, never the Python name
    (« List Collectivites »)."""
    from coopctg.api.api import api

    summaries = [
        operation["summary"]
        for operations in api.get_openapi_schema()["paths"].values()
        for operation in operations.values()
    ]
    english = [s for s in summaries if s.split(" ")[0] in {"Get", "List", "Create", "Update"}]
    assert summaries and english == []


def test_the_openapi_schema_is_built_once_per_process(client, touraine, monkeypatch):
    """It depends on the code only: built at the first request, then served again."""
    import ninja.main

    from coopctg.api.api import api

    api.__dict__.pop("_coopctg_schemas", None)
    built = []
    real = ninja.main.get_schema
    monkeypatch.setattr(ninja.main, "get_schema", lambda **kw: built.append(1) or real(**kw))
    client.force_login(touraine.admin)
    first = client.get(reverse("api:openapi-json")).json()
    second = client.get(reverse("api:openapi-json")).json()
    assert first == second and "/api/v1/national/{annee}/" in first["paths"]
    assert len(built) == 1

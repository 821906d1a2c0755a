"""Every API operation × every role (and anonymous) × own / other / foreign territory.

The table is checked against the API: an operation added without a rule fails
``test_every_operation_has_a_rule``, and every ``api:`` URL name must be covered here (the
page table ``tests/www/test_permissions.py`` leaves them to this one). Expected statuses: 200
seen (or 422/409: the role may act, the body is refused before anything is written), 404
hidden (never 403: no id guessing), 401 anonymous.

The write cases send bodies refused by the rules (a date outside the Ctg, an empty motif, a
decided request, no value): the table checks access without changing the world.
"""

import json

import pytest
from django.urls import reverse
from django.utils import timezone
from ninja.responses import NinjaJSONEncoder

from coopctg.api.api import api
from coopctg.api.models import ApiToken
from tests.www.permission_rules.common import CAF_37, EVERYONE, NATIONAL, OWN, ROLES, seen_by
from tests.www.test_permissions import url_names

SEE_OTHER = {"admin", "analyst", "other_editor"}
EDIT_OWN = {"admin", "advisor", "editor"}
EDIT_OTHER = {"admin", "other_editor"}
BAD_INSTANCE = {"type": "copil", "date": "2030-01-01"}  # after the Ctg's end
BAD_DEMANDE = {"motif": " ", "date_effet": "2025-01-01", "personnes": []}
BAD_BESOIN = {  # dated in the future: refused by the form, nothing written
    "date": "2099-01-01",
    "thematique": "petite_enfance",
    "tranche_age": "0-3",
    "nature": "place",
    "source": "service",
    "demande": "Une place en crèche.",
}

BAD_RESULTATS = {"synthese": "Rien", "participation": [{"public": "inconnu", "nombre": 3}]}
BAD_PARTENAIRE = {"nom": "Association (fictive)", "nature": "association", "siret": "123"}
DIRECTORY_READERS = OWN | {"other_editor"}
DIRECTORY_EDITORS = {"admin", "advisor", "editor", "other_editor"}


def page(world):
    return {}


RULES = {
    # name: [(label, path kwargs, body, expected per role)]
    "collectivites": [("", page, None, seen_by(EVERYONE))],
    "collectivite": [
        ("own", lambda w: {"pk": w.own.pk}, None, seen_by(OWN)),
        ("other", lambda w: {"pk": w.other.pk}, None, seen_by(SEE_OTHER)),
        ("foreign", lambda w: {"pk": w.foreign.pk}, None, seen_by({"outsider"}, NATIONAL)),
    ],
    "epci": [
        ("own", lambda w: {"siren": w.epci_own.siren}, None, seen_by(OWN)),
        ("other", lambda w: {"siren": w.epci_other.siren}, None, seen_by(CAF_37, {"other_editor"})),
        ("foreign", lambda w: {"siren": w.epci_b.siren}, None, seen_by({"outsider"}, NATIONAL)),
    ],
    "ctgs": [("", page, None, seen_by(EVERYONE))],
    "ctg": [
        ("own", lambda w: {"pk": w.ctg_own.pk}, None, seen_by(OWN)),
        ("other", lambda w: {"pk": w.ctg_other.pk}, None, seen_by(SEE_OTHER)),
        ("foreign", lambda w: {"pk": w.ctg_foreign.pk}, None, seen_by({"outsider"}, NATIONAL)),
    ],
    "cofs": [("", page, None, seen_by(EVERYONE))],
    "cof": [
        ("own", lambda w: {"pk": w.cof_own.pk}, None, seen_by(OWN)),
        ("other", lambda w: {"pk": w.cof_other.pk}, None, seen_by(SEE_OTHER)),
        ("foreign", lambda w: {"pk": w.cof_foreign.pk}, None, seen_by({"outsider"}, NATIONAL)),
    ],
    "cof_eligibilite": [
        ("own", lambda w: {"pk": w.cof_own.pk}, None, seen_by(OWN)),
        ("other", lambda w: {"pk": w.cof_other.pk}, None, seen_by(SEE_OTHER)),
        ("foreign", lambda w: {"pk": w.cof_foreign.pk}, None, seen_by({"outsider"}, NATIONAL)),
    ],
    "version": [
        ("own", lambda w: {"pk": w.version_own.pk}, None, seen_by(OWN)),
        ("other", lambda w: {"pk": w.version_other.pk}, None, seen_by(SEE_OTHER)),
    ],
    "demandes": [("", page, None, seen_by(EVERYONE))],
    "demande": [
        ("own", lambda w: {"pk": w.request_own.pk}, None, seen_by(OWN)),
        ("other", lambda w: {"pk": w.request_other.pk}, None, seen_by(SEE_OTHER)),
    ],
    "demande_create": [
        ("own", lambda w: {"pk": w.cof_own.pk}, BAD_DEMANDE, seen_by({"editor"}, status=422)),
        (
            "other",
            lambda w: {"pk": w.cof_other.pk},
            BAD_DEMANDE,
            seen_by({"other_editor"}, status=422),
        ),
        ("foreign", lambda w: {"pk": w.cof_foreign.pk}, BAD_DEMANDE, seen_by(set())),
    ],
    "demande_submit": [
        # refused already: its editor may act, the workflow answers 409
        (
            "other-decidee",
            lambda w: {"pk": w.request_other.pk},
            {},
            seen_by({"other_editor"}, status=409),
        ),
    ],
    "financement_annuel": [("", page, None, seen_by(EVERYONE))],
    # The national view: the Cnaf's analyst only (404 for every Caf or collectivité role).
    "national": [("2024", lambda w: {"annee": 2024}, None, seen_by(NATIONAL))],
    "actions": [
        ("own", lambda w: {"ctg_pk": w.ctg_own.pk}, None, seen_by(OWN)),
        ("other", lambda w: {"ctg_pk": w.ctg_other.pk}, None, seen_by(SEE_OTHER)),
        ("foreign", lambda w: {"ctg_pk": w.ctg_foreign.pk}, None, seen_by({"outsider"}, NATIONAL)),
    ],
    "action": [
        ("own", lambda w: {"pk": w.action_own.pk}, None, seen_by(OWN)),
        ("other", lambda w: {"pk": w.action_other.pk}, None, seen_by(SEE_OTHER)),
        ("foreign", lambda w: {"pk": w.action_foreign.pk}, None, seen_by({"outsider"}, NATIONAL)),
    ],
    "indicator_values": [
        (
            "own",
            lambda w: {"ctg_pk": w.ctg_own.pk, "annee": 2024},
            {"valeurs": []},
            seen_by(EDIT_OWN),
        ),
        (
            "other",
            lambda w: {"ctg_pk": w.ctg_other.pk, "annee": 2024},
            {"valeurs": []},
            seen_by(EDIT_OTHER),
        ),
        (
            "foreign",
            lambda w: {"ctg_pk": w.ctg_foreign.pk, "annee": 2024},
            {"valeurs": []},
            seen_by({"outsider"}),
        ),
    ],
    "instances": [
        ("own", lambda w: {"ctg_pk": w.ctg_own.pk}, None, seen_by(OWN)),
        ("other", lambda w: {"ctg_pk": w.ctg_other.pk}, None, seen_by(SEE_OTHER)),
        ("foreign", lambda w: {"ctg_pk": w.ctg_foreign.pk}, None, seen_by({"outsider"}, NATIONAL)),
    ],
    "instance_create": [
        ("own", lambda w: {"ctg_pk": w.ctg_own.pk}, BAD_INSTANCE, seen_by(EDIT_OWN, status=422)),
        (
            "other",
            lambda w: {"ctg_pk": w.ctg_other.pk},
            BAD_INSTANCE,
            seen_by(EDIT_OTHER, status=422),
        ),
        (
            "foreign",
            lambda w: {"ctg_pk": w.ctg_foreign.pk},
            BAD_INSTANCE,
            seen_by({"outsider"}, status=422),
        ),
    ],
    "instance": [
        ("own", lambda w: {"pk": w.meeting_own.pk}, None, seen_by(OWN)),
        ("other", lambda w: {"pk": w.meeting_other.pk}, None, seen_by(SEE_OTHER)),
        ("foreign", lambda w: {"pk": w.meeting_foreign.pk}, None, seen_by({"outsider"}, NATIONAL)),
    ],
    "instance_update": [
        ("own", lambda w: {"pk": w.meeting_own.pk}, BAD_INSTANCE, seen_by(EDIT_OWN, status=422)),
        (
            "other",
            lambda w: {"pk": w.meeting_other.pk},
            BAD_INSTANCE,
            seen_by(EDIT_OTHER, status=422),
        ),
    ],
    "bilans": [("", page, None, seen_by(EVERYONE))],
    "echeances": [("", page, None, seen_by(EVERYONE))],
    "bilan": [
        ("own", lambda w: {"pk": w.bilan_own.pk}, None, seen_by(OWN)),
        ("other", lambda w: {"pk": w.bilan_other.pk}, None, seen_by(SEE_OTHER)),
    ],
    "diagnostics": [
        ("own", lambda w: {"ctg_pk": w.ctg_own.pk}, None, seen_by(OWN)),
        ("other", lambda w: {"ctg_pk": w.ctg_other.pk}, None, seen_by(SEE_OTHER)),
        ("foreign", lambda w: {"ctg_pk": w.ctg_foreign.pk}, None, seen_by({"outsider"}, NATIONAL)),
    ],
    "diagnostic": [
        ("own", lambda w: {"pk": w.diagnostic_own.pk}, None, seen_by(OWN)),
        ("other", lambda w: {"pk": w.diagnostic_other.pk}, None, seen_by(SEE_OTHER)),
        (
            "foreign",
            lambda w: {"pk": w.diagnostic_foreign.pk},
            None,
            seen_by({"outsider"}, NATIONAL),
        ),
    ],
    "commissions": [
        ("own", lambda w: {"ctg_pk": w.ctg_own.pk}, None, seen_by(OWN)),
        ("other", lambda w: {"ctg_pk": w.ctg_other.pk}, None, seen_by(SEE_OTHER)),
        ("foreign", lambda w: {"ctg_pk": w.ctg_foreign.pk}, None, seen_by({"outsider"}, NATIONAL)),
    ],
    "commission": [
        ("own", lambda w: {"pk": w.commission_own.pk}, None, seen_by(OWN)),
        ("other", lambda w: {"pk": w.commission_other.pk}, None, seen_by(SEE_OTHER)),
        (
            "foreign",
            lambda w: {"pk": w.commission_foreign.pk},
            None,
            seen_by({"outsider"}, NATIONAL),
        ),
    ],
    "besoins": [
        ("own", lambda w: {"ctg_pk": w.ctg_own.pk}, None, seen_by(OWN)),
        ("other", lambda w: {"ctg_pk": w.ctg_other.pk}, None, seen_by(SEE_OTHER)),
        ("foreign", lambda w: {"ctg_pk": w.ctg_foreign.pk}, None, seen_by({"outsider"}, NATIONAL)),
    ],
    "besoin_create": [
        ("own", lambda w: {"ctg_pk": w.ctg_own.pk}, BAD_BESOIN, seen_by(EDIT_OWN, status=422)),
        (
            "other",
            lambda w: {"ctg_pk": w.ctg_other.pk},
            BAD_BESOIN,
            seen_by(EDIT_OTHER, status=422),
        ),
        (
            "foreign",
            lambda w: {"ctg_pk": w.ctg_foreign.pk},
            BAD_BESOIN,
            seen_by({"outsider"}, status=422),
        ),
    ],
    "objectifs": [
        ("own", lambda w: {"ctg_pk": w.ctg_own.pk}, None, seen_by(OWN)),
        ("other", lambda w: {"ctg_pk": w.ctg_other.pk}, None, seen_by(SEE_OTHER)),
        ("foreign", lambda w: {"ctg_pk": w.ctg_foreign.pk}, None, seen_by({"outsider"}, NATIONAL)),
    ],
    # Mission 4: consultations and supports read by whoever sees the Ctg; a consultation's
    # results written by its editors (a public unknown: refused, nothing written).
    "consultations": [
        ("own", lambda w: {"ctg_pk": w.ctg_own.pk}, None, seen_by(OWN)),
        ("other", lambda w: {"ctg_pk": w.ctg_other.pk}, None, seen_by(SEE_OTHER)),
        ("foreign", lambda w: {"ctg_pk": w.ctg_foreign.pk}, None, seen_by({"outsider"}, NATIONAL)),
    ],
    "consultation": [
        ("own", lambda w: {"pk": w.consultation_own.pk}, None, seen_by(OWN)),
        ("other", lambda w: {"pk": w.consultation_other.pk}, None, seen_by(SEE_OTHER)),
        (
            "foreign",
            lambda w: {"pk": w.consultation_foreign.pk},
            None,
            seen_by({"outsider"}, NATIONAL),
        ),
    ],
    "consultation_resultats": [
        (
            "own",
            lambda w: {"pk": w.consultation_own.pk},
            BAD_RESULTATS,
            seen_by(EDIT_OWN, status=422),
        ),
        (
            "other",
            lambda w: {"pk": w.consultation_other.pk},
            BAD_RESULTATS,
            seen_by(EDIT_OTHER, status=422),
        ),
        (
            "foreign",
            lambda w: {"pk": w.consultation_foreign.pk},
            BAD_RESULTATS,
            seen_by({"outsider"}, status=422),
        ),
    ],
    "supports": [
        ("own", lambda w: {"ctg_pk": w.ctg_own.pk}, None, seen_by(OWN)),
        ("other", lambda w: {"ctg_pk": w.ctg_other.pk}, None, seen_by(SEE_OTHER)),
        ("foreign", lambda w: {"ctg_pk": w.ctg_foreign.pk}, None, seen_by({"outsider"}, NATIONAL)),
    ],
    # Diagnostic de territoire: the catalogue for everyone, a fiche for whoever sees the
    # collectivité.
    "indicateurs": [("", page, None, seen_by(EVERYONE))],
    "fiche_diagnostic": [
        ("own", lambda w: {"pk": w.own.pk}, None, seen_by(OWN)),
        ("other", lambda w: {"pk": w.other.pk}, None, seen_by(SEE_OTHER)),
        ("foreign", lambda w: {"pk": w.foreign.pk}, None, seen_by({"outsider"}, NATIONAL)),
    ],
    # Partner directory: read by whoever sees the Caf, written by its admin, advisors and the
    # editors of its collectivités (the body is refused: a SIRET of 3 digits).
    "partenaires": [
        ("caf", lambda w: {"code": w.caf.code}, None, seen_by(DIRECTORY_READERS)),
        ("autre-caf", lambda w: {"code": w.caf_b.code}, None, seen_by({"outsider"}, NATIONAL)),
    ],
    "partenaire": [
        ("caf", lambda w: {"pk": w.partner_a.pk}, None, seen_by(DIRECTORY_READERS)),
        ("autre-caf", lambda w: {"pk": w.partner_b.pk}, None, seen_by({"outsider"}, NATIONAL)),
    ],
    "partenaire_create": [
        (
            "caf",
            lambda w: {"code": w.caf.code},
            BAD_PARTENAIRE,
            seen_by(DIRECTORY_EDITORS, status=422),
        ),
        (
            "autre-caf",
            lambda w: {"code": w.caf_b.code},
            BAD_PARTENAIRE,
            seen_by({"outsider"}, status=422),
        ),
    ],
    "partenaire_update": [
        (
            "caf",
            lambda w: {"pk": w.partner_a.pk},
            BAD_PARTENAIRE,
            seen_by(DIRECTORY_EDITORS, status=422),
        ),
        (
            "autre-caf",
            lambda w: {"pk": w.partner_b.pk},
            BAD_PARTENAIRE,
            seen_by({"outsider"}, status=422),
        ),
    ],
}
#: Not operations: the schema (signed-in users and tokens), the docs (a page for logged-in users)
#: and the root;
#: each tested below.
DOCUMENTATION = {"openapi-json", "openapi-view", "api-root"}


def operations():
    """{url name: HTTP method} of every operation of the API."""
    found = {}
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                assert len(operation.methods) == 1, operation.url_name
                found[operation.url_name] = operation.methods[0]
    return found


def test_every_operation_has_a_rule():
    names = set(operations())
    assert names - set(RULES) == set(), "opération d'API sans règle d'accès"
    assert set(RULES) - names == set(), "règle pour une opération qui n'existe plus"


def test_every_api_url_is_covered():
    api_names = {name for name in url_names() if name.startswith("api:")}
    assert api_names, "l'API n'est pas branchée"
    assert {name.removeprefix("api:") for name in api_names} == set(RULES) | DOCUMENTATION


METHODS = operations()
CASES = [
    pytest.param(name, build, body, expected, id=f"{name}-{label}" if label else name)
    for name, cases in RULES.items()
    for label, build, body, expected in cases
]


@pytest.mark.parametrize(("name", "build", "body", "expected"), CASES)
def test_access_by_role(world, call, name, build, body, expected):
    url = reverse(f"api:{name}", kwargs=build(world))
    if name == "financement_annuel":
        url += "?annee=2024"
    method = METHODS[name]
    response = call(method, url, None, body)
    assert response.status_code == 401, "anonyme"
    assert "Authentification requise" in response.json()["detail"]
    failures = []
    for role in ROLES:
        response = call(method, url, world.tokens[role], body)
        if response.status_code != expected[role]:
            failures.append(f"{role}: {response.status_code} au lieu de {expected[role]}")
        elif response.status_code == 404:
            assert response.json() == {"detail": "Introuvable."}
    assert not failures, f"{method} {url} — " + "; ".join(failures)


def test_schema_and_docs_are_for_signed_in_users_and_tokens_only(client, touraine):
    """The schema describes every operation and field: an anonymous request gets the API's
    401 (JSON, in French), the docs page redirects to the login page."""
    schema_url, docs_url = reverse("api:openapi-json"), reverse("api:openapi-view")
    for headers in ({}, {"Authorization": "Bearer cctg_inconnu"}, {"Authorization": "Basic x"}):
        response = client.get(schema_url, headers=headers)
        assert response.status_code == 401
        assert response["Content-Type"].startswith("application/json")
        assert "Authentification requise" in response.json()["detail"]
        assert "paths" not in response.json()
    docs = client.get(docs_url)
    assert docs.status_code == 302 and docs["Location"].startswith("/connexion/")

    _token, secret = ApiToken.create_for(touraine.elu, "schéma")
    response = client.get(schema_url, headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200 and "/api/v1/cof/" in response.json()["paths"]
    revoked, secret = ApiToken.create_for(touraine.elu, "révoqué")
    revoked.revoque_le = timezone.now()
    revoked.save()
    response = client.get(schema_url, headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 401

    client.force_login(touraine.elu)
    assert client.get(schema_url).status_code == 200
    assert client.get(docs_url).status_code == 200


def test_the_schema_served_is_the_api_objects_one(client, touraine):
    """tests/api/test_fuzz.py loads the schema in-process (no session, no token at import)."""
    client.force_login(touraine.elu)
    served = client.get(reverse("api:openapi-json")).json()
    assert served == json.loads(json.dumps(api.get_openapi_schema(), cls=NinjaJSONEncoder))

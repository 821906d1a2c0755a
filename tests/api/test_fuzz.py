"""Every operation of the API's OpenAPI schema, fuzzed with schemathesis: never a 5xx.

The schema is the one the application serves (``/api/v1/openapi.json``, to signed-in users and
tokens only: built here from the API object, as the view does); each operation gets
generated requests (valid and invalid path parameters, filters, bodies) sent in-process through
Django's test handler, so the test database and its transaction are used (SQLite or PostgreSQL).
The world is the API tests' one (tests/api/conftest.py), built again for each operation; the
generated identifiers are steered half of the time to the world's real objects, so that the
operations' successful paths (and the writes) are exercised too, not only their 404s.

Checks: ``not_a_server_error`` (a 500 is a bug: the API answers a French 4xx), the status code
and the response's ``Content-Type`` are declared for the operation, and the response's body
conforms to the declared schema (successes and errors ``{"detail", "erreurs"}``).
"""

from __future__ import annotations

import itertools
import json
from typing import Any
from urllib.parse import unquote

import pytest
import schemathesis
from django.test.client import ClientHandler
from django.urls import Resolver404, resolve
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from ninja.responses import NinjaJSONEncoder
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from coopctg.api.api import api
from coopctg.api.models import ApiToken

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def django_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """A WSGI application over Django's *test* handler: the request runs in the test's
    transaction (its connection is not closed at the end of the request), with the whole
    middleware stack, as ``django.test.Client``."""
    response = ClientHandler(enforce_csrf_checks=True)(environ)
    headers = [*response.items()]
    headers += [("Set-Cookie", cookie.output(header="")) for cookie in response.cookies.values()]
    start_response(f"{response.status_code} {response.reason_phrase}", headers)
    return [response.content]


#: The world's real objects, by operation path and path parameter (and the tokens): filled by
#: the fixture, read when hypothesis draws a case.
REAL: dict[Any, Any] = {}

PREFIX = "/api/v1"
MEETING_KINDS = ["copil", "cotech", "groupe_travail", "reseau"]
PERSONNES = [
    {
        "id": "x",
        "nom": "M. X",
        "type_poste": "thematique",
        "affectations": [{"enveloppe": "petite_enfance", "etp": "0.40"}],
    },
]


def _served_schema() -> dict[str, Any]:
    """The schema that ``/api/v1/openapi.json`` serves to a signed-in user, built in-process
    from the API object (the URL refuses anonymous requests, and no token can exist when this
    module is imported); ``test_the_schema_served_is_the_api_objects_one`` checks they match."""
    return json.loads(json.dumps(api.get_openapi_schema(), cls=NinjaJSONEncoder))


schema = schemathesis.openapi.from_dict(_served_schema())
schema.app = django_app  # requests go through Django's test handler (see django_app)


def _real_or(value: Any, real: list[Any] | None) -> st.SearchStrategy:
    return st.sampled_from(real) | st.just(value) if real else st.just(value)


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> Any:
    """Half of the cases use a real object for each identifier (else the generated one)."""
    if not isinstance(path_parameters, dict):
        return st.just(path_parameters)
    path = context.operation.path
    return st.fixed_dictionaries(
        {name: _real_or(value, REAL.get((path, name))) for name, value in path_parameters.items()}
    )


@schema.hook
def flatmap_body(context: Any, body: Any) -> Any:
    """Half of the write bodies are replaced by what a generator hardly finds alone (a known
    instance type, the people of a Cof, the plan's indicators), for a chance of a write that
    passes validation."""
    if not isinstance(body, dict):
        return st.just(body)
    path = context.operation.path.removeprefix(PREFIX)
    if path in {"/ctg/{ctg_pk}/instances/", "/instances/{pk}/"}:
        fixed = st.sampled_from(MEETING_KINDS).map(
            lambda kind: {"type": kind, "date": "2024-05-02", "objet": "Copil", "lieu": "Tours"}
        )
    elif path == "/cof/{pk}/demandes/":
        fixed = st.sampled_from(["2024-07-01", "2025-03-01", "2031-01-01"]).map(
            lambda day: {"motif": "Un essai", "date_effet": day, "personnes": PERSONNES}
        )
    elif path == "/ctg/{ctg_pk}/besoins/":
        fixed = st.sampled_from(["37123", "41018"]).map(
            lambda commune: {
                "date": "2025-03-10",
                "commune": commune,
                "thematique": "petite_enfance",
                "tranche_age": "0-3",
                "nature": "place",
                "source": "service",
                "demande": "Une place en crèche.",
            }
        )
    elif path.startswith("/ctg/{ctg_pk}/indicateurs/") and isinstance(body.get("valeurs"), list):
        valeurs = [
            {**item, "indicateur": pk} if isinstance(item, dict) else item
            for item, pk in zip(body["valeurs"], REAL.get("indicators", []), strict=False)
        ]
        fixed = st.just({**body, "valeurs": valeurs})
    else:
        return st.just(body)
    return st.just(body) | fixed


def _real_objects(world: Any) -> dict[Any, Any]:
    w = world
    ctgs = [w.ctg_own.pk, w.ctg_other.pk, w.ctg_other_cof.pk, w.ctg_foreign.pk]
    cofs = [w.cof_own.pk, w.cof_other.pk, w.cof_foreign.pk]
    real = {
        ("/collectivites/{pk}/", "pk"): [w.own.pk, w.other.pk, w.foreign.pk],
        ("/epci/{siren}/", "siren"): [w.own.epci.siren] if w.own.epci_id else [],
        ("/ctg/{pk}/", "pk"): ctgs,
        ("/cof/{pk}/", "pk"): cofs,
        ("/cof/{pk}/demandes/", "pk"): cofs,
        ("/versions/{pk}/", "pk"): [w.version_own.pk, w.version_own_1.pk, w.version_other.pk],
        ("/demandes/{pk}/", "pk"): [w.request_own.pk, w.request_other.pk],
        ("/demandes/{pk}/soumettre/", "pk"): [w.request_own.pk, w.request_other.pk],
        ("/ctg/{ctg_pk}/actions/", "ctg_pk"): ctgs,
        ("/actions/{pk}/", "pk"): [w.action_own.pk, w.action_other.pk, w.action_foreign.pk],
        ("/ctg/{ctg_pk}/indicateurs/valeurs/{annee}/", "ctg_pk"): ctgs,
        ("/ctg/{ctg_pk}/indicateurs/valeurs/{annee}/", "annee"): [2022, 2023, 2024, 2026],
        ("/ctg/{ctg_pk}/instances/", "ctg_pk"): ctgs,
        ("/instances/{pk}/", "pk"): [w.meeting_own.pk, w.meeting_other.pk, w.meeting_foreign.pk],
        ("/bilans/{pk}/", "pk"): [w.bilan_own.pk, w.bilan_other.pk],
        ("/ctg/{ctg_pk}/diagnostics/", "ctg_pk"): ctgs,
        ("/diagnostics/{pk}/", "pk"): [w.diagnostic_own.pk, w.diagnostic_other.pk],
        ("/ctg/{ctg_pk}/commissions/", "ctg_pk"): ctgs,
        ("/commissions/{pk}/", "pk"): [w.commission_own.pk, w.commission_other.pk],
        ("/ctg/{ctg_pk}/besoins/", "ctg_pk"): ctgs,
        ("/ctg/{ctg_pk}/objectifs-developpement/", "ctg_pk"): ctgs,
    }
    return {
        **{(PREFIX + path, name): values for (path, name), values in real.items()},
        "indicators": [w.indicator_own.pk, w.indicator_other.pk],
    }


#: The roles that write: the Caf's advisor (every Ctg of the Caf), the collectivités' editors
#: (their own Cof, Ctg and plan; the demandes de modification are theirs only: ``other``'s Cof
#: may receive a new one).
ROLES = ["advisor", "editor", "other_editor"]


@pytest.fixture
def tokens(world):
    """The roles' tokens, in turn (the order of hypothesis' cases is fixed: derandomized)."""
    REAL.clear()
    REAL.update(_real_objects(world))
    yield itertools.cycle([ApiToken.create_for(getattr(world, role), "fuzz")[1] for role in ROLES])
    REAL.clear()


@schema.parametrize()
@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_fuzz(case, tokens):
    response = case.call(headers={"Authorization": f"Bearer {next(tokens)}"})
    case.validate_response(response, checks=CHECKS if _routed(case) else [not_a_server_error])


def _routed(case: Any) -> bool:
    """Whether the URL reaches the operation: a path parameter that is not a number where the
    schema says integer (``/api/v1/ctg/abc/``) is refused by Django's URL resolver (the ``int``
    converter) before the API: the site's own 404 page answers, not the API's JSON."""
    try:
        resolve(unquote(case.formatted_path))
    except Resolver404:
        return False
    return True

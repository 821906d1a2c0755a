"""Every URL × every role, own and other territory.

The table is checked against the URL configuration: a URL added without a rule here fails
``test_every_url_has_a_rule``. Expected status: 200 seen, 404 hidden (never 403: no id
guessing), 302 anonymous sent to the login page.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.www.permission_rules import PUBLIC, RULES, extend_world
from tests.www.permission_rules.common import ROLES

#: URLs outside the role table (POST only, or sign-in), each tested on its own below (the
#: OpenID Connect ones also in tests/accounts/test_oidc*.py).
SPECIAL = {
    "login",
    "logout",
    "funding:architecture_declarations",
    "oidc_authentication_init",
    "oidc_authentication_callback",
    "oidc_logout",
    "oidc_logged_out",
} | set(PUBLIC)


@pytest.fixture
def world(touraine):
    return extend_world(touraine)


def url_names(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from url_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}"


def test_every_url_has_a_rule():
    # The API's operations have their own table (every operation × role × territory, with
    # Bearer tokens): tests/api/test_permissions.py, which checks that it covers each "api:" name.
    names = {name for name in url_names() if not name.startswith("api:")}
    assert names - SPECIAL - set(RULES) == set(), "URL sans règle d'accès dans RULES"
    assert set(RULES) - names == set(), "règle pour une URL qui n'existe plus"


CASES = [
    pytest.param(name, build, expected, id=f"{name}-{label}" if label else name)
    for name, cases in RULES.items()
    for label, build, expected in cases
]


@pytest.mark.parametrize(("name", "build", "expected"), CASES)
def test_access_by_role(client, world, name, build, expected):
    url = reverse(name, kwargs=build(world))
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/connexion/"), "anonyme"
    failures = []
    for role in ROLES:
        client.force_login(getattr(world, role))
        status = client.get(url).status_code
        if status != expected[role]:
            failures.append(f"{role}: {status} au lieu de {expected[role]}")
    assert not failures, f"{url} — " + "; ".join(failures)


@pytest.mark.parametrize(("name", "build", "expected"), [(n, *rule) for n, rule in PUBLIC.items()])
def test_public_pages(client, world, name, build, expected):
    assert client.get(reverse(name, kwargs=build(world))).status_code == expected


def test_login_page_is_public(client):
    assert client.get(reverse("login")).status_code == 200


def test_logout_needs_post(client, touraine):
    client.force_login(touraine.elu)
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 302


@pytest.mark.parametrize("name", ["oidc_authentication_init", "oidc_authentication_callback"])
def test_oidc_sign_in_urls_are_404_while_oidc_is_off(client, touraine, name):
    assert client.get(reverse(name)).status_code == 404
    client.force_login(touraine.elu)
    assert client.get(reverse(name)).status_code == 404


def test_oidc_sign_in_urls_are_public_when_oidc_is_on(client, db, settings):
    settings.COOPCTG_OIDC_ENABLED = True
    settings.OIDC_RP_CLIENT_ID = "coopctg"
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = "https://fournisseur.example/authorize"
    response = client.get(reverse("oidc_authentication_init"))
    assert response.status_code == 302
    assert response["Location"].startswith("https://fournisseur.example/authorize?")
    # A return from the provider that no sign-in of this browser started.
    response = client.get(reverse("oidc_authentication_callback"), {"code": "c", "state": "s"})
    assert response.status_code == 400


def test_oidc_logout_needs_post(client, touraine):
    client.force_login(touraine.elu)
    assert client.get(reverse("oidc_logout")).status_code == 405
    response = client.post(reverse("oidc_logout"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert client.get(reverse("home")).status_code == 302


def test_oidc_logged_out_is_public(client, touraine):
    response = client.get(reverse("oidc_logged_out"), {"state": "falsifie"})
    assert response.status_code == 302 and response["Location"] == reverse("login")
    client.force_login(touraine.elu)
    assert client.get(reverse("oidc_logged_out")).status_code == 302


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("admin", 302),
        ("advisor", 302),
        ("editor", 302),
        ("analyst", 404),
        ("elu", 404),
        ("other_editor", 404),
        ("outsider", 404),
        ("nobody", 404),
    ],
)
def test_declarations_post_only_for_editors(client, world, role, expected):
    from tests.factories import CtgFactory, seed_architecture

    # A Ctg of ``own`` without any record yet (no Cof, recruitment nor bilan): the
    # declarations are still possible there.
    ctg = CtgFactory(caf=world.caf, signataires=[world.own], intitule="Ctg sans Cof")
    architecture = seed_architecture(ctg, world.own)
    url = reverse("funding:architecture_declarations", args=[architecture.pk])
    client.force_login(getattr(world, role))
    assert client.get(url).status_code == 405
    assert client.post(url, {"declaration_attendus": "on"}).status_code == expected
    architecture.refresh_from_db()
    assert architecture.declaration_attendus is (expected == 302)

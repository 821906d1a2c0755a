"""Every URL × every role, own and other territory.

The table is checked against the URL configuration: a URL added without a rule here fails
``test_every_url_has_a_rule``. Expected status: 200 seen, 404 hidden (never 403: no id
guessing), 302 anonymous sent to the login page.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

ROLES = ["admin", "analyst", "advisor", "editor", "elu", "other_editor", "outsider", "nobody"]
CAF_37 = {"admin", "analyst", "advisor"}
OWN = CAF_37 | {"editor", "elu"}
EVERYONE = set(ROLES)


def seen_by(*groups, status=200):
    allowed = set().union(*groups)
    return {role: status if role in allowed else 404 for role in ROLES}


# name → list of (case label, kwargs built from the world, expected status per role)
RULES = {
    "home": [("", lambda w: {}, seen_by(EVERYONE))],
    "organisations:collectivites": [("", lambda w: {}, seen_by(EVERYONE))],
    "organisations:collectivite": [
        ("own", lambda w: {"pk": w.own.pk}, seen_by(OWN)),
        ("other", lambda w: {"pk": w.other.pk}, seen_by({"admin", "analyst", "other_editor"})),
        ("foreign", lambda w: {"pk": w.foreign.pk}, seen_by({"outsider"})),
    ],
    "organisations:team": [
        ("37", lambda w: {"code": "37"}, seen_by(OWN, {"other_editor"})),
        ("41", lambda w: {"code": "41"}, seen_by({"outsider"})),
    ],
    "ctg:list": [("", lambda w: {}, seen_by(EVERYONE))],
    "ctg:create": [("", lambda w: {}, seen_by({"admin", "advisor", "outsider"}))],
    "ctg:detail": [
        ("own", lambda w: {"pk": w.ctg_own.pk}, seen_by(OWN)),
        ("other", lambda w: {"pk": w.ctg_other.pk}, seen_by({"admin", "analyst", "other_editor"})),
        ("foreign", lambda w: {"pk": w.ctg_foreign.pk}, seen_by({"outsider"})),
    ],
    "ctg:edit": [
        ("own", lambda w: {"pk": w.ctg_own.pk}, seen_by({"admin", "advisor"})),
        ("other", lambda w: {"pk": w.ctg_other.pk}, seen_by({"admin"})),
    ],
    "ctg:history": [
        ("own", lambda w: {"pk": w.ctg_own.pk}, seen_by(CAF_37)),
        ("other", lambda w: {"pk": w.ctg_other.pk}, seen_by({"admin", "analyst"})),
    ],
    "funding:simulator": [("", lambda w: {}, seen_by(EVERYONE))],
    "funding:architecture_for_ctg": [
        (
            "existante",
            lambda w: {"ctg_pk": w.ctg_own.pk, "collectivite_pk": w.own.pk},
            seen_by(OWN, status=302),
        ),
        (
            "nouvelle",
            lambda w: {"ctg_pk": w.ctg_other.pk, "collectivite_pk": w.other.pk},
            seen_by({"admin", "other_editor"}),
        ),
        (
            "collectivite-non-signataire",
            lambda w: {"ctg_pk": w.ctg_own.pk, "collectivite_pk": w.other.pk},
            seen_by(set()),
        ),
    ],
    "funding:architecture": [("own", lambda w: {"pk": w.arch_own.pk}, seen_by(OWN))],
    "funding:architecture_edit": [
        ("own", lambda w: {"pk": w.arch_own.pk}, seen_by({"admin", "advisor", "editor"})),
    ],
    "funding:architecture_xlsx": [("own", lambda w: {"pk": w.arch_own.pk}, seen_by(OWN))],
    "funding:architecture_pdf": [("own", lambda w: {"pk": w.arch_own.pk}, seen_by(OWN))],
    "framework:index": [("", lambda w: {}, seen_by(EVERYONE))],
    "framework:version": [
        ("inconnue", lambda w: {"code": "inconnue"}, {role: 404 for role in ROLES}),
    ],
    "territories:map": [("", lambda w: {}, seen_by(CAF_37, {"outsider"}))],
    "territories:departement": [
        ("37", lambda w: {"code": "37"}, seen_by(CAF_37)),
        ("41", lambda w: {"code": "41"}, seen_by({"outsider"})),
    ],
    "territories:departement_map": [
        ("37", lambda w: {"code": "37"}, seen_by(CAF_37)),
        ("41", lambda w: {"code": "41"}, seen_by({"outsider"})),
    ],
    "territories:departement_geojson": [
        ("37", lambda w: {"code": "37"}, seen_by(CAF_37)),
        ("41", lambda w: {"code": "41"}, seen_by({"outsider"})),
    ],
    "territories:epci": [
        ("own", lambda w: {"siren": w.epci_own.siren}, seen_by(OWN)),
        ("other", lambda w: {"siren": w.epci_other.siren}, seen_by(CAF_37, {"other_editor"})),
        ("foreign", lambda w: {"siren": w.epci_b.siren}, seen_by({"outsider"})),
    ],
}

#: URLs outside the role table (POST only), each tested on its own below.
SPECIAL = {"login", "logout", "funding:architecture_declarations"}


@pytest.fixture
def world(touraine):
    from tests.factories import seed_architecture

    touraine.arch_own = seed_architecture(touraine.ctg_own, touraine.own)
    return touraine


def url_names(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from url_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}"


def test_every_url_has_a_rule():
    names = set(url_names())
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


def test_login_page_is_public(client):
    assert client.get(reverse("login")).status_code == 200


def test_logout_needs_post(client, touraine):
    client.force_login(touraine.elu)
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 302


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
    url = reverse("funding:architecture_declarations", args=[world.arch_own.pk])
    client.force_login(getattr(world, role))
    assert client.get(url).status_code == 405
    assert client.post(url, {"reference_cof": "Cof 1"}).status_code == expected
    world.arch_own.refresh_from_db()
    assert (world.arch_own.reference_cof == "Cof 1") is (expected == 302)

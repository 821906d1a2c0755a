import json
import re

import pytest
from django.urls import reverse

from coopctg.accounts.models import Membership
from coopctg.accounts.roles import Role
from coopctg.organisations.models import Caf
from coopctg.territories.importer import DEFAULT_DATA_DIR, import_territories
from coopctg.territories.models import Commune, Departement, Epci
from coopctg.www.territories_views import views
from tests.factories import UserFactory
from tests.territories.conftest import square

NNBSP = "\u202f"


@pytest.fixture
def world(touraine):
    """The Touraine world, with the contours of its two EPCI of Indre-et-Loire."""
    Epci.objects.filter(pk=touraine.epci_own.pk).update(geometrie=square(0.5, 47.6))
    Epci.objects.filter(pk=touraine.epci_other.pk).update(geometrie=square(0.6, 47.6))
    return touraine


def page(client, user, name, **kwargs):
    client.force_login(user)
    response = client.get(reverse(name, kwargs=kwargs))
    assert response.status_code == 200
    return response.content.decode()


def svg_of(html):
    return html[html.index("<svg") : html.index("</svg>")]


# --- Who sees what -------------------------------------------------------------------------------

ROLES = ["admin", "analyst", "advisor", "editor", "elu", "other_editor", "outsider", "nobody"]
CAF_37 = {"admin", "analyst", "advisor"}
OWN = CAF_37 | {"editor", "elu"}


def seen_by(*groups):
    allowed = set().union(*groups)
    return {role: 200 if role in allowed else 404 for role in ROLES}


ACCESS = [
    ("territories:map", {}, seen_by(CAF_37, {"outsider"})),
    *[
        (name, {"code": code}, seen_by(allowed))
        for name in (
            "territories:departement",
            "territories:departement_map",
            "territories:departement_geojson",
        )
        for code, allowed in (("37", CAF_37), ("41", {"outsider"}), ("99", set()))
    ],
    ("territories:epci", {"siren": "200073237"}, seen_by(OWN)),
    ("territories:epci", {"siren": "243700754"}, seen_by(CAF_37, {"other_editor"})),
    ("territories:epci", {"siren": "200030435"}, seen_by({"outsider"})),
    ("territories:epci", {"siren": "999999999"}, seen_by(set())),
]


@pytest.mark.parametrize(
    ("name", "kwargs", "expected"),
    [pytest.param(*case, id=f"{case[0]}-{'-'.join(case[1].values())}") for case in ACCESS],
)
def test_access_by_role(client, world, name, kwargs, expected):
    url = reverse(name, kwargs=kwargs)
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/connexion/")
    failures = []
    for role in ROLES:
        client.force_login(getattr(world, role))
        status = client.get(url).status_code
        if status != expected[role]:
            failures.append(f"{role}: {status} au lieu de {expected[role]}")
    assert not failures, f"{url} — " + "; ".join(failures)


def test_map_of_the_users_caf(client, world):
    assert "Carte des EPCI — Indre-et-Loire (37)" in page(client, world.advisor, "territories:map")
    assert "Carte des EPCI — Loir-et-Cher (41)" in page(client, world.outsider, "territories:map")


# --- Contents ------------------------------------------------------------------------------------


def test_departement_page_lists_its_epci_with_french_numbers(client, world):
    html = page(client, world.analyst, "territories:departement", code="37")
    assert "<h1>Indre-et-Loire (37)</h1>" in html
    assert "Communauté de communes de Gâtine-Racan" in html
    assert "Tours Métropole Val de Loire" in html
    assert "Communauté d&#x27;agglomération de Blois" not in html
    assert f'<td class="num">15{NNBSP}838</td>' in html
    assert f'<td class="num">1{NNBSP}100</td>' in html
    assert f'<td class="num">16{NNBSP}938</td>' in html  # total
    assert "Total : 2 EPCI" in html
    assert "<td>métropole</td>" in html
    assert f'href="{reverse("territories:epci", args=["243700754"])}"' in html
    assert f'href="{reverse("territories:departement_map", args=["37"])}"' in html


def test_departement_counts_only_its_own_communes_and_those_outside_any_epci(client, world):
    # Tours Métropole gets a commune in Loir-et-Cher; a commune of 37 is in no EPCI.
    Commune.objects.create(code_insee="41999", nom="Ailleurs", population_municipale=5000,
                           departement=world.dep_b, epci=world.epci_other)  # fmt: skip
    Commune.objects.create(code_insee="37998", nom="Île isolée", population_municipale=12,
                           departement=world.dep, epci=None)  # fmt: skip
    html = page(client, world.admin, "territories:departement", code="37")
    assert f'<td class="num">15{NNBSP}838</td>' in html
    assert "Communes hors EPCI" in html
    assert f'<td class="num">16{NNBSP}950</td>' in html  # 1 100 + 15 838 + 12


def test_map_draws_each_epci_as_a_link_with_a_title(client, world):
    html = page(client, world.admin, "territories:departement_map", code="37")
    svg = svg_of(html)
    links = re.findall(
        r'<a href="(/territoires/epci/\d{9}/)"><title>([^<]*)</title><path d="M', svg
    )
    assert sorted(links) == [
        ("/territoires/epci/200073237/", "Communauté de communes de Gâtine-Racan : 1\u202f100 "
         "habitants, 1 commune"),
        ("/territoires/epci/243700754/", f"Tours Métropole Val de Loire : 15{NNBSP}838 "
         "habitants, 1 commune"),
    ]  # fmt: skip
    fills = re.findall(r'fill="(#[0-9a-f]{6})"', svg)
    assert len(fills) == 2 and fills[0] != fills[1]  # neighbours
    assert "<tspan" in svg and "Gâtine-Racan" in svg  # labels
    # The accessible alternative: the same EPCI in a table.
    table = html[html.index("</svg>") :]
    assert "Tours Métropole Val de Loire</a>" in table
    assert f"15{NNBSP}838" in table


def test_map_without_contours_shows_the_table(client, world):
    Epci.objects.update(geometrie=None)
    html = page(client, world.admin, "territories:departement_map", code="37")
    assert "<svg" not in html
    assert "Les contours des EPCI de ce département ne sont pas disponibles" in html
    assert "Tours Métropole Val de Loire</a>" in html


def test_map_names_the_epci_without_contour(client, world):
    Epci.objects.filter(pk=world.epci_other.pk).update(geometrie=None)
    html = page(client, world.admin, "territories:departement_map", code="37")
    assert svg_of(html).count("<a href=") == 1
    assert "Contour non disponible pour : Tours Métropole Val de Loire." in html


def test_geojson_of_the_departement(client, world):
    client.force_login(world.admin)
    response = client.get(reverse("territories:departement_geojson", args=["37"]))
    assert response["Content-Type"] == "application/geo+json"
    data = json.loads(response.content)
    assert data["type"] == "FeatureCollection"
    by_siren = {f["properties"]["siren"]: f for f in data["features"]}
    assert set(by_siren) == {"200073237", "243700754"}
    tours = by_siren["243700754"]
    assert tours["geometry"] == square(0.6, 47.6)
    assert tours["properties"] == {
        "siren": "243700754",
        "nom": "Tours Métropole Val de Loire",
        "nature": "ME",
        "departement": "37",
        "communes_dans_departement": 1,
        "population_dans_departement": 15838,
    }


def test_epci_page_lists_its_communes(client, world):
    Commune.objects.create(code_insee="37999", nom="Commune nouvelle", population_municipale=None,
                           departement=world.dep, epci=world.epci_own)  # fmt: skip
    html = page(client, world.elu, "territories:epci", siren="200073237")
    assert "<h1>Communauté de communes de Gâtine-Racan</h1>" in html
    assert "Neuvy-le-Roi" in html and "37123" in html
    assert f'<td class="num">1{NNBSP}100</td>' in html
    assert "non publiée" in html
    assert "population non publiée pour 1 commune" in html
    assert "Total : 2 communes" in html
    # The elu sees their collectivité, not the département page.
    collectivite_url = reverse("organisations:collectivite", args=[world.own.pk])
    assert f'<a href="{collectivite_url}">Communauté de communes de Gâtine-Racan</a>' in html
    assert reverse("territories:departement", args=["37"]) not in html


def test_epci_page_for_caf_staff_links_the_departement(client, world):
    html = page(client, world.admin, "territories:epci", siren="243700754")
    assert f'<a href="{reverse("territories:departement", args=["37"])}">' in html
    assert f"15{NNBSP}838 habitants" in html
    assert "Collectivité partenaire" not in html  # no LocalAuthority for this EPCI


def test_epci_page_draws_its_communes(client, world):
    Commune.objects.filter(pk=world.commune_own.pk).update(geometrie=square(0.5, 47.6, 0.05))
    Commune.objects.create(code_insee="37998", nom="Voisine", population_municipale=300,
                           departement=world.dep, epci=world.epci_own,
                           geometrie=square(0.55, 47.6, 0.05))  # fmt: skip
    svg = svg_of(page(client, world.editor, "territories:epci", siren="200073237"))
    assert 'role="img"' in svg
    assert svg.count("<path") == 2
    assert "<title>Voisine : 300 habitants</title>" in svg


# --- The bundled data: Indre-et-Loire ------------------------------------------------------------


@pytest.mark.django_db
def test_map_of_indre_et_loire_from_the_bundled_data(client):
    import_territories(DEFAULT_DATA_DIR)
    caf = Caf.objects.create(
        code="37", nom="Caf de Touraine", departement=Departement.objects.get(code="37")
    )
    user = UserFactory()
    Membership.objects.create(user=user, role=Role.CAF_ANALYST.value, caf=caf)

    html = page(client, user, "territories:map")

    links = re.findall(r'<a href="/territoires/epci/(\d{9})/"><title>', svg_of(html))
    assert len(links) == len(set(links)) == 11
    assert f"11 EPCI, 272 communes, 606{NNBSP}511 habitants" in html
    assert "Tours Métropole Val de Loire" in html


# --- A bounded number of queries -----------------------------------------------------------------


def grow(world, epci_count, communes_per_epci):
    """Add EPCI (with contours) and communes to Indre-et-Loire, and communes to the own EPCI."""
    epcis = Epci.objects.bulk_create(
        Epci(siren=f"2999{n:05d}", nom=f"CC n°{n}", nature="CC",
             geometrie=square(1 + (n % 10) * 0.1, 46 + (n // 10) * 0.1))
        for n in range(epci_count)
    )  # fmt: skip
    Commune.objects.bulk_create(
        Commune(code_insee=f"37{n:03d}", nom=f"Commune {n}", population_municipale=n,
                departement=world.dep, epci=epcis[n % epci_count] if n % 3 else world.epci_own,
                geometrie=square(n * 0.01, 47, 0.01))
        for n in range(epci_count * communes_per_epci)
        if f"37{n:03d}" not in {"37123", "37233"}
    )  # fmt: skip


PAGES = [
    ("territories:map", {}),
    ("territories:departement", {"code": "37"}),
    ("territories:departement_map", {"code": "37"}),
    ("territories:departement_geojson", {"code": "37"}),
    ("territories:epci", {"siren": "200073237"}),
]
MAX_QUERIES = 10  # session, user, roles, navigation + at most 6 for the page itself


@pytest.mark.parametrize(("name", "kwargs"), PAGES, ids=[name for name, _ in PAGES])
@pytest.mark.parametrize("size", [0, 40])
def test_queries_do_not_grow_with_the_data(
    client, world, django_assert_max_num_queries, name, kwargs, size
):
    if size:
        grow(world, size, 20)
    client.force_login(world.admin)
    url = reverse(name, kwargs=kwargs)
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(url)
    assert response.status_code == 200
    if size and name.endswith("map"):
        assert svg_of(response.content.decode()).count("<a href=") == 2 + size


# --- Names on the map and in the tables ---------------------------------------------------------


@pytest.mark.parametrize(
    ("nom", "short"),
    [
        ("Communauté de communes du Castelrenaudais", "Castelrenaudais"),
        ("Communauté de communes de Gâtine-Racan", "Gâtine-Racan"),
        ("Communauté de communes Touraine-Est Vallées", "Touraine-Est Vallées"),
        ("Communauté d'agglomération de Blois", "Blois"),
        ("Communauté de communes de l'île d'Oléron", "Île d'Oléron"),
        ("Métropole du Grand Nancy", "Grand Nancy"),
        ("Tours Métropole Val de Loire", "Tours Métropole Val de Loire"),
    ],
)
def test_short_name(nom, short):
    assert views.short_name(nom) == short


def test_label_lines():
    assert views.label_lines("Gâtine-Racan") == ["Gâtine-Racan"]
    assert views.label_lines("Touraine Vallée de l'Indre") == ["Touraine Vallée", "de l'Indre"]


def test_french_alphabetical_order():
    names = ["Tours", "Île-Bouchard", "Esvres", "ingrandes", "Épeigné"]
    assert sorted(names, key=views.sort_key) == [
        "Épeigné",
        "Esvres",
        "Île-Bouchard",
        "ingrandes",
        "Tours",
    ]

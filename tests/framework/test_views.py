"""The référentiel pages: content, versions, search, escaping, query counts."""

import itertools
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from coopctg.framework.loader import load_framework
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

#: Queries of a page: session, user, navigation (2), versions, then 6 for the version shown.
MAX_QUERIES = 11


@pytest.fixture
def reader(client):
    """A signed-in user without any role: the référentiel is for everyone."""
    client.force_login(UserFactory())
    return client


def test_anonymous_is_sent_to_the_login_page(client, framework):
    for url in (reverse("framework:index"), reverse("framework:version", args=[framework.code])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_index_without_any_version(reader):
    response = reader.get(reverse("framework:index"))
    assertContains(response, "Aucun référentiel n'est chargé")
    assertContains(response, "<code>coopctg referentiel charger</code>", html=True)


def test_index_shows_the_whole_version(reader, framework):
    response = reader.get(reverse("framework:index"))
    assert response.status_code == 200
    assertContains(response, "<h1>Chargé(e) de coopération CTG — Référentiel</h1>", html=True)
    assertContains(response, "4 missions, 15 objectifs, 46 attendus")
    # 4 fonctions, 4 sphères, 6 attendus généraux, with their codes as anchors.
    for code in ("F1", "F4", "S1", "S4", "AG1", "AG6"):
        assertContains(response, f'id="{code}"', count=1)
    assertContains(
        response,
        '<h3><span class="badge">S2</span> L\'ANIMATION</h3>',
        html=True,
    )
    # Missions → objectifs → attendus, each with its code and anchor; the table of contents.
    assertContains(
        response,
        '<h3 id="M3"><span class="badge">M3</span> Animer la mise en réseau des acteurs</h3>',
        html=True,
    )
    assertContains(
        response, '<a href="#M2.O3">M2.O3 — Suivre les commissions d\'admission</a>', html=True
    )
    assertContains(
        response,
        '<li id="M1.O1.A3"><span class="badge">M1.O1.A3</span> Le.La chargé.e de coopération '
        "doit mettre en place une veille locale, évolution des besoins, veille institutionnelle."
        "</li>",
        html=True,
    )
    assertContains(response, "Ce qui est entendu par garantir : Alerter, contrôler")
    assertContains(
        response,
        '<p class="muted">Pérenniser et valoriser la participation des '
        "habitants à la mise en œuvre des politiques de développement</p>",
        html=True,
    )
    page = response.content.decode()
    assert page.count('<li id="M') == 46
    assert page.count('<h4 id="M') == 15
    # Heading levels never skip one.
    levels = [int(level) for level in re.findall(r"<h([1-6])[ >]", page)]
    assert levels[:3] == [1, 2, 2] and len(levels) == 33
    assert all(b <= a + 1 for a, b in itertools.pairwise(levels))
    # Accessible search form, navigation marked as current.
    assertContains(response, '<label for="id_q">Rechercher dans le référentiel</label>', html=True)
    assertContains(response, 'href="/referentiel/" aria-current="page"')


def test_version_page_and_other_versions(reader, framework, variant, write_yaml):
    variant["version"] = "touraine-2025-01"
    variant["date_publication"] = "2025-01-01"
    variant["titre"] = "Référentiel révisé"
    newer = load_framework(write_yaml(variant))

    index = reader.get(reverse("framework:index"))
    assertContains(index, "<h1>Référentiel révisé</h1>", html=True)
    assertContains(index, "Versions du référentiel")
    assertContains(
        index,
        f'<a href="{reverse("framework:version", args=[newer.code])}" aria-current="page">'
        "Référentiel révisé — touraine-2025-01</a>",
        html=True,
    )
    assertContains(index, f'href="{reverse("framework:version", args=[framework.code])}"')
    assertNotContains(index, "Version antérieure")

    old = reader.get(reverse("framework:version", args=[framework.code]))
    assert old.status_code == 200
    assertContains(old, "<h1>Chargé(e) de coopération CTG — Référentiel</h1>", html=True)
    assertContains(old, "Version antérieure")
    assertContains(
        old,
        f'<a href="{reverse("framework:version", args=[framework.code])}" aria-current="page">'
        "Chargé(e) de coopération CTG — Référentiel — touraine-2022-01</a>",
        html=True,
    )
    assertContains(old, '<span aria-current="page">Version touraine-2022-01</span>', html=True)


def test_a_single_version_lists_no_other_version(reader, framework):
    assertNotContains(reader.get(reverse("framework:index")), "Versions du référentiel")


def test_unknown_version_is_404(reader, framework):
    assert reader.get(reverse("framework:version", args=["inconnue"])).status_code == 404


def test_search_ignores_accents_and_case(reader, framework):
    response = reader.get(reverse("framework:index"), {"q": "ELUS"})
    assertContains(response, "5 résultats pour « ELUS »")
    page = response.content.decode()
    for code in ("AG2", "M1.O1", "M1.O1.A2", "M1.O2.A2", "M4.O3.A3"):
        assert f'href="/referentiel/touraine-2022-01/#{code}"' in page
    assertContains(response, "<mark>élus</mark>", count=6)
    # The results replace the référentiel; the query stays in the field.
    assert page.count('<li id="M') == 0
    assertContains(response, 'value="ELUS"')
    assertContains(response, '<a href="/referentiel/">Afficher tout le référentiel</a>', html=True)


def test_search_with_several_words_and_no_result(reader, framework):
    response = reader.get(reverse("framework:index"), {"q": "  mixité   corriger "})
    assertContains(response, "1 résultat pour « mixité corriger »")
    assertContains(response, "faire <mark>corriger</mark>")
    response = reader.get(reverse("framework:index"), {"q": "crèche"})
    assertContains(response, "Aucun résultat pour « crèche »")


def test_search_in_an_older_version(reader, framework, variant, write_yaml):
    variant["version"] = "touraine-2025-01"
    variant["date_publication"] = "2025-01-01"
    variant["missions"][0]["titre"] = "Impulser les politiques"
    load_framework(write_yaml(variant))
    url = reverse("framework:version", args=[framework.code])
    response = reader.get(url, {"q": "œuvre « petite-enfance"})
    assertContains(response, "1 résultat pour")
    assertContains(response, f'href="{url}#M1"')
    assertContains(response, f'<form method="get" action="{url}"')


def test_search_query_is_escaped(reader, framework):
    response = reader.get(reverse("framework:index"), {"q": '<script>alert("x")</script>'})
    page = response.content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assertContains(response, "Aucun résultat pour")
    # A match next to markup-like text: the text is escaped, only <mark> is HTML.
    response = reader.get(reverse("framework:index"), {"q": "paroles/avis"})
    assertContains(response, "recueil de <mark>paroles/avis</mark> diversifiés")


def big_version(variant, write_yaml, code, size):
    """A version with ``size`` extra attendus per objective, published after the others."""
    variant["version"] = code
    variant["date_publication"] = "2030-01-01"
    for mission in variant["missions"]:
        for objective in mission["objectifs"]:
            objective["attendus"] += [
                {"code": f"{objective['code']}.A{n}", "texte": f"Le.La chargé.e doit {n} élus."}
                for n in range(10, 10 + size)
            ]
    return load_framework(write_yaml(variant, f"{code}.yaml"))


@pytest.mark.parametrize("query", ["", "élus"])
def test_query_count_does_not_depend_on_data_size(
    reader, framework, variant, write_yaml, query, django_assert_max_num_queries
):
    def count(url):
        reader.get(url, {"q": query})  # warm caches (session, content types…)
        with CaptureQueriesContext(connection) as queries:
            response = reader.get(url, {"q": query})
        assert response.status_code == 200
        return len(queries)

    small = count(reverse("framework:index"))
    big = big_version(variant, write_yaml, "grande", 40)
    assert count(reverse("framework:index")) == small
    assert count(reverse("framework:version", args=[big.code])) == small
    assert count(reverse("framework:version", args=[framework.code])) == small
    with django_assert_max_num_queries(MAX_QUERIES):
        reader.get(reverse("framework:index"), {"q": query})

"""The fiche diagnostic service: years, comparisons, population, ratio, local indicators, map."""

import unicodedata
from decimal import Decimal

import pytest

from coopctg.indicators import local
from coopctg.indicators.importer import import_file
from coopctg.indicators.services import build_fiche, fiche_json, key_lines
from coopctg.territories.models import Commune
from tests.factories import CommuneFactory
from tests.indicators.conftest import DEP_FILE, EPCI_FILE, NAT_FILE


@pytest.fixture
def imported(touraine):
    import_file("epci.csv", EPCI_FILE.encode())
    import_file("dep.csv", DEP_FILE.encode())
    import_file("nat.json", NAT_FILE.encode(), demonstration=True)
    return touraine


def _french_order(name):
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def line_of(fiche, code):
    return next(line for line in fiche.lines if line.indicator.code == code)


def test_latest_values_with_the_departement_and_france_of_the_same_year(imported):
    fiche = build_fiche(imported.own)
    line = line_of(fiche, "txcouv_global")
    assert (line.annee, line.valeur.texte) == (2023, "61.1")
    assert (line.departement.texte, line.france.texte) == ("83.5", "60.9")
    assert [p.texte for p in line.serie] == ["63.30", "61.1"]
    assert line.trend == "en baisse" and line.trend_from.annee == 2022
    assert line.fictif  # the France file was a sample
    assert fiche.fictif
    assert fiche.years == [2023, 2022, 2017]  # 2017: the shipped population


@pytest.mark.parametrize(
    ("year", "shown", "departement", "france"),
    [
        (2022, "63.30", "78.6", "59.50"),
        (2025, "61.1", "83.5", "60.9"),  # the latest before the year asked, with its year
        (2021, None, None, None),
    ],
)
def test_the_year_asked(imported, year, shown, departement, france):
    line = line_of(build_fiche(imported.own, year), "txcouv_global")
    assert (line.valeur.texte if line.valeur else None) == shown
    assert (line.departement.texte if line.departement else None) == departement
    assert (line.france.texte if line.france else None) == france


def test_comparisons_without_a_value_of_the_collectivite_take_the_latest_year(imported):
    line = line_of(build_fiche(imported.other), "txcouv_global")  # a commune: no value
    assert line.valeur is None
    assert (line.annee, line.departement.texte, line.france.texte) == (2023, "83.5", "60.9")


def test_population_is_the_sum_of_the_communes_and_says_which_are_missing(touraine):
    CommuneFactory(
        code_insee="37999",
        departement=touraine.dep,
        epci=touraine.epci_own,
        population_municipale=None,
    )
    CommuneFactory(
        code_insee="37998",
        departement=touraine.dep,
        epci=touraine.epci_own,
        population_municipale=250,
    )
    fiche = build_fiche(touraine.own)
    line = line_of(fiche, "population_municipale")
    assert line.valeur.texte == "1350"  # 1 100 + 250
    assert line.annee == 2017
    assert line.note == "population non publiée pour 1 commune sur 3 : somme des autres"
    assert line.departement.valeur == 1100 + 250 + 15838
    total = sum(c.population_municipale or 0 for c in Commune.objects.all())
    assert line.france.valeur == total
    # The map of the EPCI's communes: population, 2 classes of values, one without.
    communes = fiche.communes
    assert communes.indicator.code == "population_municipale"
    classes = {r.commune.code_insee: r.classe for r in communes.rows}
    assert classes == {"37123": 2, "37998": 1, "37999": None}
    names = [r.commune.nom for r in communes.rows]
    assert names == sorted(names, key=_french_order)
    assert communes.missing == 1
    assert [label for _, label in communes.classes] == ["250", "1\u202f100"]


def test_a_commune_collectivite_has_no_commune_map(touraine):
    fiche = build_fiche(touraine.other)
    assert fiche.niveau == "commune" and fiche.communes is None
    assert line_of(fiche, "population_municipale").valeur.texte == "15838"
    assert "places_total" not in {line.indicator.code for line in fiche.lines}


def test_local_indicators_are_on_the_fiche_with_their_history(touraine):
    indicator = local.create_local_indicator(
        touraine.editor,
        touraine.own,
        {
            "libelle": "Familles reçues au guichet unique",
            "unite": "familles",
            "theme": "parentalite",
            "source": "Guichet unique",
            "definition": "",
        },
    )
    local.record_local_value(touraine.editor, indicator, 2023, "120", Decimal(120))
    local.record_local_value(touraine.editor, indicator, 2023, "125", Decimal(125))
    fiche = build_fiche(touraine.own)
    line = line_of(fiche, indicator.code)
    assert (line.annee, line.valeur.texte) == (2023, "125")
    assert line.departement is None and not line.has_departement
    assert any(block.code == "parentalite" for block in fiche.themes)
    data = {item["code"]: item for item in fiche_json(fiche)["indicateurs"]}
    assert data[indicator.code]["valeur"] == "125"
    assert data[indicator.code]["source"].startswith(touraine.own.nom)
    from coopctg.indicators.models import TerritorialValueHistory

    assert TerritorialValueHistory.objects.get(indicateur=indicator.code).texte == "120"


def test_key_lines_of_the_dashboard_panel(imported):
    codes = [line.indicator.code for line in key_lines(build_fiche(imported.own))]
    assert codes[:2] == ["population_municipale", "txcouv_global"]
    assert len(codes) == 4


def test_the_fiche_reads_in_a_bounded_number_of_queries(imported, django_assert_max_num_queries):
    for number in range(30):
        CommuneFactory(
            code_insee=f"379{number:02d}", departement=imported.dep, epci=imported.epci_own
        )
    with django_assert_max_num_queries(8):
        build_fiche(imported.own)

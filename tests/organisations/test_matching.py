import pytest

from coopctg.organisations.matching import (
    Candidate,
    MatchError,
    kind_of,
    match_name,
    normalize_words,
)

# The 11 EPCI of Indre-et-Loire (INSEE names) and a few communes.
EPCI_37 = [
    ("200071587", "Communauté de communes Loches Sud Touraine"),
    ("200072981", "Communauté de communes Touraine Ouest Val de Loire"),
    ("200043065", "Communauté de communes du Val d'Amboise"),
    ("200043081", "Communauté de communes Chinon, Vienne et Loire"),
    ("200072668", "Communauté de communes Touraine Val de Vienne"),
    ("200072650", "Communauté de communes Touraine Vallée de l'Indre"),
    ("243700820", "Communauté de communes Autour de Chenonceaux Bléré-Val de Cher"),
    ("243700499", "Communauté de communes du Castelrenaudais"),
    ("200073161", "Communauté de communes Touraine-Est Vallées"),
    ("243700754", "Tours Métropole Val de Loire"),
    ("200073237", "Communauté de communes de Gâtine-Racan"),
]
COMMUNES = [
    ("37233", "Saint-Pierre-des-Corps"),
    ("37261", "Tours"),
    ("37214", "Saint-Avertin"),
    ("37063", "Chinon"),
    ("37132", "Loches"),
]
CANDIDATES = [Candidate("epci", code, nom) for code, nom in EPCI_37] + [
    Candidate("commune", code, nom) for code, nom in COMMUNES
]


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("CC Touraine Val de Vienne", "200072668"),
        ("CC Touraine Vallée de l'Indre", "200072650"),
        ("CC Touraine Est Vallées", "200073161"),
        ("CC Touraine Ouest Val de Loire", "200072981"),
        ("CC Chinon Vienne et Loire", "200043081"),
        ("CC Gâtine et Choisilles-Pays de Racan", "200073237"),
        ("CC Loches Sud Touraine", "200071587"),
        ("CC Castelrenaudais", "243700499"),
        ("CC Bléré Val de Cher", "243700820"),
        ("CC Val d'Amboise", "200043065"),
        ("Commune de St Pierre des Corps", "37233"),
        ("Commune de Chinon", "37063"),  # the commune, not the CC Chinon, Vienne et Loire
    ],
)
def test_seed_names_match_official_codes(name, code):
    assert match_name(name, CANDIDATES).code == code


@pytest.mark.parametrize(
    "name",
    ["CC Touraine", "CC Inexistante du Nord", "Commune de Nulle Part", "   ", "CC de la"],
)
def test_unmatched_or_ambiguous_names_are_errors(name):
    with pytest.raises(MatchError):
        match_name(name, CANDIDATES)


def test_ambiguity_names_the_candidates():
    with pytest.raises(MatchError, match="ambigu"):
        match_name("CC Touraine", CANDIDATES)


def test_normalisation_drops_accents_articles_and_kind_words():
    assert normalize_words("Communauté de communes de Gâtine-Racan") == {"gatine", "racan"}
    assert normalize_words("St Pierre des Corps") == {"saint", "pierre", "corps"}


def test_kind_of_prefix():
    assert kind_of("CC Castelrenaudais") == "epci"
    assert kind_of("Commune de Tours") == "commune"
    assert kind_of("Tours Métropole Val de Loire") is None

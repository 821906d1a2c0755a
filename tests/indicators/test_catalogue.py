"""The indicator catalogue: the shipped file, its checks, the codes other apps rely on."""

from pathlib import Path

import pytest

from coopctg.indicators.catalogue import (
    CATALOGUE_FILE,
    CatalogueError,
    IndicatorDef,
    catalogue,
    indicator_label,
    indicator_labels,
    known_codes,
    read_catalogue,
)
from coopctg.indicators.models import LocalIndicator


def test_shipped_catalogue_lists_the_first_indicators():
    indicators = catalogue()
    assert all(isinstance(d, IndicatorDef) for d in indicators.values())
    population = indicators["population_municipale"]
    assert population.calcul == "somme_communes"
    assert population.niveaux == ("commune", "epci", "departement", "france")
    assert population.source.editeur == "Insee"
    assert population.source.millesime == 2017
    coverage = indicators["txcouv_global"]
    assert coverage.theme == "petite_enfance"
    assert coverage.calcul == "publie"
    assert coverage.source.licence == "Licence Ouverte / Etalab 2.0"
    assert coverage.datasets == (
        "txcouv_pe_com",
        "txcouv_pe_epci",
        "txcouv_pe_dep",
        "txcouv_pe_nat",
    )
    assert indicators["places_total"].datasets == ("nbpla_pe_epci",)
    ratio = indicators["part_places_eaje"].ratio
    assert ratio is not None and (ratio.numerateur, ratio.denominateur) == (
        "places_eaje",
        "places_total",
    )
    assert catalogue() == indicators  # read once, same content each time


@pytest.mark.django_db
def test_known_codes_and_labels_include_local_indicators(touraine):
    local = LocalIndicator.objects.create(
        collectivite=touraine.own,
        libelle="Familles reçues au guichet unique",
        unite="familles",
        theme="parentalite",
        source="Service petite enfance, registre du guichet unique",
    )
    other = LocalIndicator.objects.create(
        collectivite=touraine.other,
        libelle="Jeunes accueillis au point information jeunesse",
        unite="jeunes",
        theme="jeunesse",
        source="PIJ",
    )
    assert local.code == f"local-{local.pk}"
    codes = known_codes()
    assert {"population_municipale", "txcouv_global", local.code, other.code} <= codes
    assert other.code not in known_codes([touraine.own.pk])
    assert indicator_label("txcouv_global").startswith("Taux de couverture global")
    assert indicator_label(local.code) == "Familles reçues au guichet unique (indicateur local)"
    assert indicator_label("local-999999") == "indicateur inconnu (local-999999)"
    assert indicator_label("nimporte") == "indicateur inconnu (nimporte)"
    labels = indicator_labels([local.code, other.code, "txcouv_eaje"])
    assert set(labels) == {local.code, other.code, "txcouv_eaje"}


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    text = CATALOGUE_FILE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "catalogue.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("theme: cadrage", "theme: sport", "thème « sport » inconnu"),
        ("calcul: somme_communes", "calcul: moyenne", "calcul « moyenne » inconnu"),
        ("source: insee-populations-legales\n", "source: inconnue\n", "source « inconnue »"),
        ("txcouv_com: txcouv_global", "txcouv_com: txcouv_xyz", "indicateur « txcouv_xyz »"),
        ("niveaux: [epci]\n    calcul: publie", "niveaux: [canton]\n    calcul: publie", "niveau"),
        ("    unite: habitants\n", "    unite: habitants\n    unite: personnes\n", "en double"),
        ("numerateur: places_eaje", "numerateur: places_inconnues", "numerateur"),
        ("colonnes_requises: [txcouv_com]", "colonnes_requises: [txcouv_xx]", "txcouv_xx"),
    ],
)
def test_a_wrong_catalogue_is_refused_with_its_place(tmp_path, old, new, message):
    with pytest.raises(CatalogueError, match=message) as error:
        read_catalogue(_variant(tmp_path, old, new))
    assert str(error.value).startswith("catalogue.yaml")

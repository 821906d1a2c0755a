"""The demonstration's diagnostic: sample files marked as invented, the population real."""

import pytest

from coopctg.demo.indicators import load_indicators_demo
from coopctg.indicators.importer import import_file
from coopctg.indicators.models import ImportBatch, TerritorialValue
from coopctg.indicators.services import build_fiche
from coopctg.organisations.models import Caf, LocalAuthority
from coopctg.territories.models import Departement, Epci
from tests.indicators.conftest import shipped_population


@pytest.fixture
def gatine(shipped_37):
    caf = Caf.objects.create(
        code="37", nom="Caf de Touraine", departement=Departement.objects.get(code="37")
    )
    epci = Epci.objects.get(siren="200073237")
    return LocalAuthority.objects.create(caf=caf, kind="epci", epci=epci, nom=epci.nom)


def test_demo_loads_the_samples_once_marked_as_fictitious(gatine):
    logs = []
    load_indicators_demo(logs.append)
    assert len(logs) == 4 and all("valeurs fictives de démonstration" in line for line in logs)
    counts = (ImportBatch.objects.count(), TerritorialValue.objects.count())
    load_indicators_demo()
    assert (ImportBatch.objects.count(), TerritorialValue.objects.count()) == counts

    fiche = build_fiche(gatine)
    lines = {line.indicator.code: line for line in fiche.lines}
    assert fiche.fictif
    assert lines["txcouv_global"].fictif and lines["txcouv_global"].france is not None
    assert lines["places_total"].valeur is not None
    population = lines["population_municipale"]
    assert not population.fictif
    assert population.valeur.valeur == shipped_population("200073237")
    local = next(line for line in fiche.lines if line.indicator.is_local)
    assert local.fictif and local.valeur.texte == "171"


def test_real_values_are_never_overwritten_by_the_samples(gatine):
    real = "numepci;annee;txcouv_epci\n200073237;2023;58.2\n"
    import_file("txcouv_pe_epci.csv", real.encode())
    load_indicators_demo()
    value = TerritorialValue.objects.get(indicateur="txcouv_global", niveau="epci", annee=2023)
    assert value.texte == "58.2" and not value.lot.demonstration

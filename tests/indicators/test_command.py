"""``coopctg diagnostic importer`` and ``exporter``: the issue's « done when »."""

import json
import subprocess
import sys

import pytest
from django.core.management import call_command

from coopctg.indicators.models import ImportBatch, TerritorialValue
from coopctg.organisations.models import Caf, LocalAuthority
from coopctg.territories.models import Departement, Epci
from tests.indicators.conftest import (
    DEP_FILE,
    EPCI_FILE,
    NAT_FILE,
    PLACES_FILE,
    shipped_population,
    write,
)


@pytest.fixture
def gatine(shipped_37):
    caf = Caf.objects.create(
        code="37", nom="Caf de Touraine", departement=Departement.objects.get(code="37")
    )
    epci = Epci.objects.get(siren="200073237")
    return LocalAuthority.objects.create(caf=caf, kind="epci", epci=epci, nom=epci.nom)


def export(capsys, *args):
    call_command("diagnostic", "exporter", "--collectivite", "200073237", *args)
    return json.loads(capsys.readouterr().out)


def by_code(data):
    return {item["code"]: item for item in data["indicateurs"]}


def test_imported_values_are_exported_exactly_beside_departement_and_france(
    gatine, tmp_path, capsys
):
    for name, text in (
        ("txcouv_pe_epci.csv", EPCI_FILE),
        ("txcouv_pe_dep.csv", DEP_FILE),
        ("txcouv_pe_nat.json", NAT_FILE),
    ):
        call_command("diagnostic", "importer", str(write(tmp_path, name, text)))
    out = capsys.readouterr()
    assert "txcouv_pe_epci" in out.out and "lecture et vérification" in out.err

    data = export(capsys)

    assert data["collectivite"] == {
        "code": "200073237",
        "nom": "Communauté de communes de Gâtine-Racan",
    }
    lines = by_code(data)
    assert lines["txcouv_global"] | {"source": ""} == {
        "code": "txcouv_global",
        "libelle": "Taux de couverture global de l'accueil du jeune enfant",
        "unite": "places pour 100 enfants de moins de 3 ans",
        "theme": "petite_enfance",
        "annee": 2023,
        "valeur": "61.1",
        "departement": "83.5",
        "france": "60.9",
        "source": "",
    }
    assert "Cnaf" in lines["txcouv_global"]["source"]
    assert "Licence Ouverte" in lines["txcouv_global"]["source"]
    # Other published columns the catalogue knows are kept; an empty cell stays null.
    assert (lines["txcouv_eaje"]["valeur"], lines["txcouv_eaje"]["departement"]) == ("23.7", None)
    assert lines["txcouv_eaje"]["france"] == "22.3"
    assert lines["txcouv_gad"]["valeur"] == "2.4"
    # No float rounding: trailing zeros as published.
    data_2022 = by_code(export(capsys, "--annee", "2022"))
    assert data_2022["txcouv_global"]["valeur"] == "63.30"
    assert data_2022["txcouv_global"]["france"] == "59.50"
    assert data_2022["txcouv_global"]["departement"] == "78.6"
    # Population: the sum of the EPCI's communes in the shipped INSEE data, never typed.
    population = lines["population_municipale"]
    assert population["valeur"] == str(shipped_population("200073237")) == "21493"
    assert population["annee"] == 2017
    assert population["france"] is not None and population["departement"] is not None
    # Nothing published: null.
    assert lines["places_total"]["valeur"] is None
    assert lines["places_total"]["departement"] is None


def test_a_file_with_a_bad_row_exits_2_naming_its_line_and_writes_nothing(gatine, tmp_path, capsys):
    bad = EPCI_FILE.replace(
        "243700754;Tours Métropole Val de Loire;37;Indre-et-Loire;2023;31.2",
        "243700754;Tours Métropole Val de Loire;37;Indre-et-Loire;2023;31,2x",
    )
    path = write(tmp_path, "txcouv_pe_epci.csv", bad)

    with pytest.raises(SystemExit) as caught:
        call_command("diagnostic", "importer", str(path))

    assert caught.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "Erreur : txcouv_pe_epci.csv, ligne 4 : txcouv_psu_col_epci « 31,2x » : "
        "n'est pas un nombre\n"
    )
    assert not TerritorialValue.objects.exists()
    assert not ImportBatch.objects.exists()


def test_cli_unreadable_file_exits_2_with_one_french_line(tmp_path):
    missing = tmp_path / "absent.csv"
    result = subprocess.run(
        [sys.executable, "-m", "coopctg.cli", "diagnostic", "importer", str(missing)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"Erreur : lecture impossible de {missing}")
    assert len(result.stderr.splitlines()) == 1


def test_places_and_the_computed_share(gatine, tmp_path, capsys):
    call_command("diagnostic", "importer", str(write(tmp_path, "nbpla.csv", PLACES_FILE)))
    capsys.readouterr()
    lines = by_code(export(capsys))
    assert lines["places_total"]["valeur"] == "1336"
    assert lines["places_eaje"]["valeur"] == "516"
    # 516 / 1336 × 100 = 38.622… → 38.6 (one decimal, half up)
    assert lines["part_places_eaje"]["valeur"] == "38.6"
    assert lines["part_places_eaje"]["annee"] == 2023


def test_export_of_an_unknown_collectivite_is_a_french_error(gatine, capsys):
    from coopctg.core.commands import CliError

    with pytest.raises(SystemExit) as exit_info:
        call_command("diagnostic", "exporter", "--collectivite", "999999999")
    assert exit_info.value.code == 2
    assert "collectivité « 999999999 » inconnue" in capsys.readouterr().err
    assert CliError  # the command turns its CliError into this line


def test_xlsx_and_pdf_need_a_file(gatine, tmp_path, capsys):
    target = tmp_path / "fiche.xlsx"
    call_command(
        "diagnostic",
        "exporter",
        "--collectivite",
        "200073237",
        "--format",
        "xlsx",
        "--sortie",
        str(target),
    )
    assert target.read_bytes()[:2] == b"PK"
    assert "écrite dans" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        call_command("diagnostic", "exporter", "--collectivite", "200073237", "--format", "pdf")
    assert "--sortie" in capsys.readouterr().err

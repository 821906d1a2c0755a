"""Fixtures of the indicator tests: publisher-format files, a Touraine world."""

import csv
from pathlib import Path

import pytest

from coopctg.territories.importer import DEFAULT_DATA_DIR, import_territories

EPCI_HEADER = (
    "numepci;nomepci;numdep;nomdep;annee;txcouv_psu_col_epci;txcouv_hors_psu_col_epci;"
    "txcouv_eaje_epci;txcouv_prescol_epci;txcouv_am_ind_epci;txcouv_gad_ind_epci;"
    "txcouv_ind_epci;txcouv_epci"
)
#: Invented values, in the publisher's format (``;``, decimal point).
EPCI_FILE = f"""{EPCI_HEADER}
200073237;CC de Gâtine-Racan;37;Indre-et-Loire;2022;20.7;5.2;25.9;4.2;30.5;2.7;33.2;63.30
200073237;CC de Gâtine-Racan;37;Indre-et-Loire;2023;19.7;4.0;23.7;4.4;30.6;2.4;33.0;61.1
243700754;Tours Métropole Val de Loire;37;Indre-et-Loire;2023;31.2;2.2;33.4;2.0;25.1;1.9;27.0;62.4
XX;XX;XX;XX;2023;1.0;1.0;2.0;1.0;1.0;1.0;2.0;195.8
"""

#: Comma separator, BOM, one empty (unpublished) cell.
DEP_FILE = (
    "\ufeffnumdep,nomdep,numregi,nomregi,annee,txcouv_eaje_dep,txcouv_dep\n"
    "37,Indre-et-Loire,24,Centre-Val de Loire,2022,26.8,78.6\n"
    "37,Indre-et-Loire,24,Centre-Val de Loire,2023,,83.5\n"
    "41,Loir-et-Cher,24,Centre-Val de Loire,2023,24.4,66.1\n"
)

#: The explore API's JSON; ``annee`` a date, numbers as JSON numbers.
NAT_FILE = """{"total_count": 2, "results": [
  {"national": "FRANCE ENTIERE HORS MAYOTTE", "annee": "2022-01-01", "txcouv_eaje_nat": 21.5,
   "txcouv_nat": 59.50},
  {"national": "FRANCE ENTIERE HORS MAYOTTE", "annee": "2023-01-01", "txcouv_eaje_nat": 22.3,
   "txcouv_nat": 60.9}
]}"""

PLACES_FILE = (
    "numepci;nomepci;annee;pl_eaje_epci;pl_prescol_epci;pl_am_ind_epci;pl_gad_ind_epci;"
    "tot_offre_epci\n"
    "200073237;CC de Gâtine-Racan;2023;516;43;773;4;1336\n"
)


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture
def shipped_37(db, tmp_path):
    """The shipped INSEE territories: every département and EPCI, and the communes of
    Indre-et-Loire (the rows of the shipped communes.csv, untouched)."""
    folder = tmp_path / "territoires"
    folder.mkdir()
    for name in ("departements.csv", "epci.csv"):
        (folder / name).write_bytes((DEFAULT_DATA_DIR / name).read_bytes())
    lines = (DEFAULT_DATA_DIR / "communes.csv").read_text(encoding="utf-8").splitlines()
    kept = [lines[0], *(line for line in lines[1:] if line.split(",")[3] == "37")]
    (folder / "communes.csv").write_text("\n".join(kept) + "\n", encoding="utf-8")
    (folder / "communes-37.geojson").write_bytes(
        (DEFAULT_DATA_DIR / "communes-37.geojson").read_bytes()
    )
    import_territories(folder)
    return folder


def shipped_population(siren: str) -> int:
    """The sum of the EPCI's communes, read straight from the shipped communes.csv."""
    with (DEFAULT_DATA_DIR / "communes.csv").open(encoding="utf-8") as handle:
        return sum(
            int(row["population_municipale"])
            for row in csv.DictReader(handle)
            if row["epci_siren"] == siren
        )

"""``coopctg financement annuel``: the demo's Cof year by year (the golden figures), the Caf's
sheet in JSON, CSV and XLSX, and the refusals (exit 2, one French line)."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from coopctg.agreements.importer import import_cof

ROOT = Path(__file__).resolve().parents[2]
DEMO_FILE = ROOT / "coopctg" / "demo" / "data" / "cof-gatine.json"
ALL_THEMES = [
    "petite_enfance",
    "enfance",
    "jeunesse",
    "parentalite",
    "animation_vie_sociale",
    "logement",
    "acces_droits",
    "inclusion_handicap",
]
HEADER = "code;nom;petite_enfance;enfance_jeunesse;parentalite;avs_logement_acces_droits;total"


@pytest.fixture
def gatine(touraine):
    """The demo's Cof (the référentiel's example, then Mme Y from 0,5 to 0,7 Etp on 2023-07-01)
    under a Ctg covering the 8 themes."""
    touraine.ctg_own.themes = ALL_THEMES
    touraine.ctg_own.save()
    import_cof(json.loads(DEMO_FILE.read_text(encoding="utf-8")), generate_documents=False)
    return touraine


def annuel(*args: str) -> str:
    out = io.StringIO()
    call_command("financement", "annuel", *args, stdout=out)
    return out.getvalue()


def refused(capsys, *args: str) -> str:
    with pytest.raises(SystemExit) as exit_info:
        call_command("financement", "annuel", *args)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("Erreur : ") and err.count("\n") == 1
    return err


@pytest.mark.parametrize(
    ("year", "total"),
    [
        ("2022", "48000.00"),
        ("2023", "50419.73"),
        ("2024", "52800.00"),
        ("2026", "52800.00"),
        ("2027", "0.00"),
    ],
)
def test_golden_figures(gatine, year, total):
    data = json.loads(annuel("--annee", year, "--collectivite", "200073237"))
    assert data["annee"] == int(year)
    [row] = data["collectivites"]
    assert (row["code"], row["nom"], row["total"]) == (
        "200073237",
        "Communauté de communes de Gâtine-Racan",
        total,
    )
    assert data["total"] == total


def test_2023_in_detail(gatine):
    data = json.loads(annuel("--annee", "2023", "--collectivite", "200073237"))
    row = data["collectivites"][0]
    assert row["enveloppes"] == [
        {"enveloppe": "petite_enfance", "montant": "13200.00"},
        {"enveloppe": "enfance_jeunesse", "montant": "18019.73"},
        {"enveloppe": "parentalite", "montant": "7200.00"},
        {"enveloppe": "avs_logement_acces_droits", "montant": "12000.00"},
    ]
    assert row["periodes"] == [
        {
            "du": "2023-01-01",
            "au": "2023-06-30",
            "version": "Cof initiale — COF-37-2022-001",
            "montant": "23802.74",
        },
        {
            "du": "2023-07-01",
            "au": "2023-12-31",
            "version": "Avenant n°1 — COF-37-2022-001",
            "montant": "26616.99",
        },
    ]
    assert data["enveloppes"] == row["enveloppes"]
    assert list(data) == ["annee", "collectivites", "enveloppes", "total"]


def test_the_caf_by_default_sorted_by_name_with_zeros(gatine):
    data = json.loads(annuel("--annee", "2023"))
    assert [(c["nom"], c["total"]) for c in data["collectivites"]] == [
        ("Communauté de communes de Gâtine-Racan", "50419.73"),
        ("Commune de Saint-Pierre-des-Corps", "0.00"),
    ]
    zero = data["collectivites"][1]
    assert zero["code"] == "37233" and zero["periodes"] == []
    assert {e["montant"] for e in zero["enveloppes"]} == {"0.00"}
    assert data["total"] == "50419.73"
    foreign = json.loads(annuel("--annee", "2023", "--caf", "41"))
    assert [c["code"] for c in foreign["collectivites"]] == ["200030435"]
    assert foreign["total"] == "0.00"


def test_csv_french_conventions(gatine):
    lines = annuel("--annee", "2023", "--format", "csv").split("\r\n")
    assert lines[0] == HEADER
    assert lines[1] == (
        "200073237;Communauté de communes de Gâtine-Racan;13200,00;18019,73;7200,00;12000,00;"
        "50419,73"
    )
    assert lines[2] == "37233;Commune de Saint-Pierre-des-Corps;0,00;0,00;0,00;0,00;0,00"
    assert lines[3:] == [""]


def test_csv_file_has_a_bom(gatine, tmp_path):
    path = tmp_path / "budget.csv"
    out = annuel("--annee", "2023", "--format", "csv", "--sortie", str(path))
    assert out == f"Financement 2023 de 2 collectivités écrit dans {path}.\n"
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf" + HEADER.encode())


def test_json_file(gatine, tmp_path):
    path = tmp_path / "budget.json"
    annuel("--annee", "2024", "--collectivite", "200073237", "--sortie", str(path))
    assert json.loads(path.read_text(encoding="utf-8"))["total"] == "52800.00"


def test_xlsx(gatine, tmp_path):
    path = tmp_path / "budget.xlsx"
    annuel("--annee", "2023", "--format", "xlsx", "--sortie", str(path))
    sheet = load_workbook(path)["Budget 2023"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=5)]
    assert rows[0] == [
        "Code",
        "Collectivité",
        "Petite enfance",
        "Enfance-jeunesse",
        "Parentalité",
        "Animation de la vie sociale, logement et accès aux droits",
        "Total",
    ]
    assert rows[1][:2] == ["200073237", "Communauté de communes de Gâtine-Racan"]
    assert [str(v) for v in rows[1][2:]] == ["13200", "18019.73", "7200", "12000", "50419.73"]
    assert rows[3][0] == "TOTAL" and str(rows[3][6]) == "50419.73"
    assert sheet.freeze_panes == "A6"
    assert sheet["G6"].number_format == '#,##0.00 "€"'


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--annee", "2023", "--collectivite", "999999999"],
            "collectivité inconnue : « 999999999 »",
        ),
        (["--annee", "2023", "--caf", "99"], "Caf inconnue : « 99 »"),
        (
            ["--annee", "2023", "--collectivite", "200073237", "--caf", "41"],
            "Communauté de communes de Gâtine-Racan n'est pas une collectivité de la Caf 41",
        ),
        (["--annee", "2023", "--format", "xlsx"], "le format xlsx s'écrit dans un fichier"),
        (
            ["--annee", "2023", "--sortie", "/nulle/part/budget.json"],
            "écriture impossible de /nulle/part/budget.json",
        ),
    ],
)
def test_refusals(gatine, capsys, args, message):
    assert message in refused(capsys, *args)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--annee", "23"],
            "Erreur : argument --annee: année invalide : « 23 » (AAAA, de 1900 à 2999)",
        ),
        (["--annee", "deux-mille"], "Erreur : argument --annee: année invalide : « deux-mille »"),
        ([], "Erreur : arguments obligatoires manquants : --annee"),
        (["--annee", "2023", "--format", "pdf"], "Erreur : argument --format: choix invalide"),
    ],
)
def test_real_process_option_errors_exit_2(args, message):
    """Option errors are found before the database is reached (here: unreachable)."""
    result = subprocess.run(
        [sys.executable, "-m", "coopctg.cli", "financement", "annuel", *args],
        capture_output=True,
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "coopctg.settings",
            "DATABASE_URL": "postgres://personne@127.0.0.1:1/aucune",
        },
        timeout=60,
        check=False,
    )
    err = result.stderr.decode()
    assert result.returncode == 2 and result.stdout == b""
    assert err.startswith(message) and err.count("\n") == 1


def test_real_process_unreachable_database_is_one_french_line():
    result = subprocess.run(
        [sys.executable, "-m", "coopctg.cli", "financement", "annuel", "--annee", "2023"],
        capture_output=True,
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "coopctg.settings",
            "DATABASE_URL": "postgres://personne@127.0.0.1:1/aucune",
        },
        timeout=60,
        check=False,
    )
    err = result.stderr.decode()
    assert result.returncode == 2
    assert err.startswith("Erreur : base de données inaccessible") and err.count("\n") == 1

"""``coopctg versements``: the Caf's payment schedule in JSON, CSV and XLSX, and the refusals
(exit 2, one French line on stderr)."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook


def versements(*args: str) -> str:
    out = io.StringIO()
    call_command("versements", *args, stdout=out)
    return out.getvalue()


def refused(capsys, *args: str) -> str:
    with pytest.raises(SystemExit) as exit_info:
        call_command("versements", *args)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("Erreur : ") and err.count("\n") == 1
    return err


def test_json(world):
    data = json.loads(versements("--annee", "2023"))
    assert data["caf"] == "37" and data["annee"] == 2023 and data["taux_acompte"] == "0.70"
    assert [(v["cof"], v["montant_du"], v["acompte"], v["solde"]) for v in data["versements"]] == [
        ("COF-37-2022-901", "50419.73", "35293.81", "15125.92"),
        ("COF-37-2022-902", "48000.00", "33600.00", "14400.00"),
    ]
    assert data["totaux"]["montant_du"] == "98419.73"


def test_csv_and_xlsx(world, tmp_path):
    lines = versements("--annee", "2023", "--format", "csv").splitlines()
    assert lines[0].startswith("code;collectivite;cof;") and len(lines) == 3
    assert lines[2].endswith(
        ";48000,00;70;33600,00;14400,00;aucun bilan;solde en attente du bilan validé"
    )
    target = tmp_path / "versements.xlsx"
    message = versements("--annee", "2023", "--format", "xlsx", "--sortie", str(target))
    assert message == f"Versements 2023 de 2 Cof écrits dans {target}.\n"
    sheet = load_workbook(target).active
    assert sheet.cell(row=8, column=1).value == "TOTAL"
    target = tmp_path / "versements.csv"
    versements("--annee", "2023", "--format", "csv", "--sortie", str(target))
    assert target.read_bytes().startswith(b"\xef\xbb\xbfcode;")


def test_refusals(world, capsys):
    assert "xlsx s'écrit dans un fichier" in refused(capsys, "--annee", "2023", "--format", "xlsx")
    assert "Caf inconnue : « 99 »" in refused(capsys, "--annee", "2023", "--caf", "99")
    with pytest.raises(CommandError, match="année invalide"):
        call_command("versements", "--annee", "20x3")


def test_a_caf_without_its_own_parameters_uses_the_national_advance_rate(world):
    """Caf 41 has no parameter folder: its schedule uses the national default rate."""
    data = json.loads(versements("--annee", "2023", "--caf", "41"))
    assert data["taux_acompte"] == "0.70"


def test_a_word_line_break_does_not_break_the_xlsx(world, tmp_path):
    """Security probe (issue 10): a Ctg title with a vertical tab made the workbook fail."""
    world.ctg_own.intitule = "Ctg\x0bGâtine"
    world.ctg_own.save()
    target = tmp_path / "versements.xlsx"
    versements("--annee", "2023", "--format", "xlsx", "--sortie", str(target))
    assert load_workbook(target).active.cell(row=6, column=4).value == "Ctg\nGâtine"

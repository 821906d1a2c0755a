import subprocess
import sys

import pytest
from django.core.management import call_command

from coopctg.territories.models import Commune, Departement, Epci
from tests.territories.conftest import COMMUNES, write_folder

pytestmark = pytest.mark.django_db


def test_import_prints_progress_on_stderr_and_the_summary_on_stdout(capsys, data_folder):
    call_command("territoires", "importer", str(data_folder))

    out, err = capsys.readouterr()
    assert out == (
        "Import terminé : 3 départements, 2 EPCI, 5 communes (10 créés, 0 mis à jour) ; "
        "contours : 2 EPCI, 1 communes.\n"
    )
    assert "lecture des fichiers" not in err  # shown on a terminal only
    assert "communes : 5 / 5" in err
    assert Commune.objects.count() == 5


def test_second_run_reports_unchanged_rows(capsys, data_folder):
    call_command("territoires", "importer", str(data_folder))
    call_command("territoires", "importer", str(data_folder), verbosity=0)

    out = capsys.readouterr().out
    assert out.splitlines()[-1].startswith(
        "Import terminé : 3 départements, 2 EPCI, 5 communes (0 créés, 0 mis à jour, 10 inchangés)"
    )


def test_bad_rows_exit_2_with_one_line_naming_the_first_error(capsys, tmp_path):
    rows = COMMUNES.replace("Saint-Pierre-des-Corps,15838", "Saint-Pierre-des-Corps,abc")
    rows = rows.replace("Tours,135787", "Tours,-1").replace("Ajaccio,71361", "Ajaccio,1,5")
    folder = write_folder(tmp_path, communes_csv=rows)

    with pytest.raises(SystemExit) as caught:
        call_command("territoires", "importer", str(folder), verbosity=0)

    assert caught.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "Erreur : communes.csv, ligne 3 : population_municipale « abc » n'est pas un entier "
        "positif (3 erreurs au total)\n"
    )
    assert (Departement.objects.count(), Epci.objects.count(), Commune.objects.count()) == (0, 0, 0)


def test_bad_rows_with_progress_still_print_one_line(capsys, tmp_path):
    folder = write_folder(tmp_path, communes_csv=COMMUNES.replace(",15838,", ",abc,"))
    with pytest.raises(SystemExit):
        call_command("territoires", "importer", str(folder))
    assert capsys.readouterr().err == (
        "Erreur : communes.csv, ligne 3 : population_municipale « abc » n'est pas un entier "
        "positif\n"
    )


def test_missing_file_exits_2(capsys, tmp_path):
    folder = write_folder(tmp_path, departements_csv=None)
    with pytest.raises(SystemExit) as caught:
        call_command("territoires", "importer", str(folder), verbosity=0)
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert err == f"Erreur : departements.csv : fichier introuvable dans « {folder} »\n"


def test_cli_missing_folder_exits_2_with_one_french_line(tmp_path):
    missing = tmp_path / "absent"
    result = subprocess.run(
        [sys.executable, "-m", "coopctg.cli", "territoires", "importer", str(missing)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == f"Erreur : dossier « {missing} » introuvable\n"

"""``coopctg referentiel charger|exporter``, through call_command and as a real process."""

import json
import os
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command

from coopctg.framework.loader import load_framework
from coopctg.framework.models import FrameworkVersion

NO_VERSION = "Erreur : aucun référentiel chargé : lancez « coopctg referentiel charger »\n"


def run(*args):
    """call_command: (stdout, exit status)."""
    out = StringIO()
    try:
        call_command("referentiel", *args, stdout=out)
    except SystemExit as exit_:
        return out.getvalue(), exit_.code
    return out.getvalue(), 0


@pytest.mark.django_db
def test_charger_loads_the_bundled_file_and_is_idempotent():
    out, status = run("charger")
    assert status == 0
    assert out == (
        "Version « touraine-2022-01 » du référentiel créée : 4 fonctions, 4 sphères, "
        "6 attendus généraux, 4 missions, 15 objectifs, 46 attendus ; éléments créés : 79, "
        "modifiés : 0, inchangés : 0.\n"
    )
    out, status = run("charger")
    assert status == 0
    assert "mise à jour" in out and "inchangés : 79." in out
    assert FrameworkVersion.objects.count() == 1


@pytest.mark.django_db
def test_charger_an_invalid_file_exits_2_with_one_line(tmp_path, capsys):
    path = tmp_path / "referentiel.yaml"
    path.write_text("version: a\nversion: b\n", encoding="utf-8")
    out, status = run("charger", str(path))
    assert status == 2 and out == ""
    err = capsys.readouterr().err
    assert err == (
        f"Erreur : fichier « {path} », ligne 2, colonne 1 : YAML invalide "
        "(clé « version » en double)\n"
    )
    assert FrameworkVersion.objects.count() == 0


@pytest.mark.django_db
def test_exporter_prints_the_json(framework):
    out, status = run("exporter")
    assert status == 0
    data = json.loads(out)
    assert data["version"] == "touraine-2022-01"
    assert list(data) == [
        "version",
        "source",
        "fonctions",
        "spheres",
        "attendus_generaux",
        "missions",
    ]
    assert (len(data["fonctions"]), len(data["spheres"]), len(data["attendus_generaux"])) == (
        4,
        4,
        6,
    )
    assert [len(m["objectifs"]) for m in data["missions"]] == [6, 3, 3, 3]
    assert sum(len(o["attendus"]) for m in data["missions"] for o in m["objectifs"]) == 46
    assert "é" in out and "\\u00e9" not in out  # ensure_ascii=False
    assert out.startswith('{\n  "version": "touraine-2022-01",\n')  # indent 2


@pytest.mark.django_db
def test_exporter_chooses_the_latest_version_or_the_one_asked(framework, variant, write_yaml):
    variant["version"] = "touraine-2020-01"
    variant["date_publication"] = "2020-01-01"
    load_framework(write_yaml(variant))  # loaded last, but published earlier
    assert json.loads(run("exporter")[0])["version"] == "touraine-2022-01"
    assert json.loads(run("exporter", "--version", "touraine-2020-01")[0])["version"] == (
        "touraine-2020-01"
    )


@pytest.mark.django_db
def test_exporter_without_any_version_exits_2(capsys):
    assert run("exporter") == ("", 2)
    assert capsys.readouterr().err == NO_VERSION


@pytest.mark.django_db
def test_exporter_with_an_unknown_version_exits_2(framework, capsys):
    assert run("exporter", "--version", "paris-2030")[1] == 2
    assert capsys.readouterr().err == (
        "Erreur : version « paris-2030 » inconnue (versions chargées : touraine-2022-01)\n"
    )


# --- As a real process -------------------------------------------------------------------


def coopctg(*args, database, **env):
    """Run ``coopctg`` in a new process on the SQLite database ``database``."""
    environment = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "DJANGO_SETTINGS_MODULE": "coopctg.settings",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "coopctg.cli", *args],
        capture_output=True,
        env=environment,
        timeout=120,
        check=False,
    )


def test_process_invalid_file_exit_status_2_and_one_line_on_stderr(tmp_path):
    path = tmp_path / "referentiel.yaml"
    path.write_text("version: touraine-2022-01\n", encoding="utf-8")
    result = coopctg("referentiel", "charger", str(path), database=tmp_path / "db.sqlite3")
    assert result.returncode == 2
    assert result.stdout == b""
    assert result.stderr.decode() == (
        f"Erreur : fichier « {path} » : le champ « titre » est manquant\n"
    )


def test_process_end_to_end(tmp_path):
    database = tmp_path / "db.sqlite3"
    assert coopctg("migrate", "-v0", database=database).returncode == 0

    result = coopctg("referentiel", "exporter", database=database)
    assert (result.returncode, result.stdout, result.stderr.decode()) == (2, b"", NO_VERSION)

    result = coopctg("referentiel", "charger", database=database)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().startswith("Version « touraine-2022-01 » du référentiel créée")

    # UTF-8 whatever the terminal's encoding.
    result = coopctg("referentiel", "exporter", database=database, PYTHONIOENCODING="latin-1")
    assert result.returncode == 0, result.stderr.decode()
    data = json.loads(result.stdout.decode("utf-8"))
    assert data["missions"][0]["objectifs"][0]["attendus"][0]["texte"].startswith(
        "Le.La chargé.e de coopération doit organiser"
    )

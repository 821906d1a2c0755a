"""``coopctg questionnaire``: results in JSON or XLSX, import of a CSV export; one French line
on stderr and exit code 2 on any error, nothing written."""

import json

import pytest
from django.core.management import call_command

from coopctg.participation.models import Submission
from tests.participation.helpers import add_consultation, add_questionnaire, answer


def run(capsys, *args):
    try:
        call_command("questionnaire", *args)
    except SystemExit as exit_:
        return exit_.code, capsys.readouterr()
    return 0, capsys.readouterr()


@pytest.fixture
def questionnaire(touraine):
    q = add_questionnaire(add_consultation(touraine.ctg_own))
    answer(q, mode="Crèche")
    answer(q, mode="Aucun")
    return q


def test_results_in_json_and_xlsx(capsys, questionnaire, tmp_path):
    code, out = run(capsys, "resultats", str(questionnaire.pk))
    data = json.loads(out.out)
    assert code == 0 and data["reponses"] == 2
    assert data["resultats"][0]["comptages"][0] == {
        "reponse": "Crèche",
        "nombre": 1,
        "part": "50.0",
    }
    target = tmp_path / "r.xlsx"
    code, out = run(
        capsys, "resultats", str(questionnaire.pk), "--format", "xlsx", "--sortie", str(target)
    )
    assert code == 0 and target.read_bytes()[:2] == b"PK"


def test_import_and_errors(capsys, questionnaire, tmp_path):
    good = tmp_path / "ok.csv"
    good.write_text(
        "Quel mode d'accueil souhaitez-vous ?;Quels jours ?\nCrèche;Lundi\n", encoding="utf-8"
    )
    code, out = run(capsys, "importer", str(questionnaire.pk), str(good))
    assert code == 0 and "1 réponse importée" in out.out
    bad = tmp_path / "ko.csv"
    bad.write_text("Quel mode d'accueil souhaitez-vous ?\nAvion\nBateau\n", encoding="utf-8")
    code, out = run(capsys, "importer", str(questionnaire.pk), str(bad))
    assert code == 2
    assert out.err.count("\n") == 1 and "ligne 2 :" in out.err and "et 1 autre erreur" in out.err
    assert Submission.objects.count() == 3
    code, out = run(capsys, "importer", "999999", str(bad))
    assert code == 2 and "questionnaire inconnu" in out.err
    code, out = run(capsys, "importer", str(questionnaire.pk), str(tmp_path / "absent.csv"))
    assert code == 2 and "lecture impossible" in out.err

"""``coopctg bilans`` and ``coopctg evaluation``: the list of the bilans of a Caf in texte, JSON
and CSV, the PDFs of a bilan and of the évaluation de fin de Ctg, and the refusals (exit 2, one
French line on stderr)."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from coopctg.agreements.models import FundingAgreement
from coopctg.organisations.models import LocalAuthority
from coopctg.reports import workflow
from tests.agreements.helpers import make_cof
from tests.hostile import csv_rows


def run(name: str, *args: str) -> str:
    out = io.StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


def refused(capsys, name: str, *args: str) -> str:
    with pytest.raises(SystemExit) as exit_info:
        call_command(name, *args)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("Erreur : ") and err.count("\n") == 1
    return err


@pytest.fixture
def bilans(touraine, cof, report):
    """``own``: 2024 a draft, 2023 transmitted then validated; ``other``: a Cof without bilan."""
    validated = workflow.do_create_report(touraine.editor, cof, 2023)
    validated = workflow.do_transmit(touraine.editor, validated)
    validated = workflow.do_validate(touraine.admin, validated)
    make_cof(touraine.admin, touraine.ctg_other, touraine.other, "COF-37-2022-002")
    return report, validated


def test_liste_texte(touraine, bilans):
    draft, validated = bilans
    sent = timezone.localdate(validated.premiere_transmission_le).strftime("%d/%m/%Y")
    lines = run("bilans", "liste").splitlines()
    assert len(lines) == 8  # 2 Cofs × 2022-2025 (today: 15/02/2025)
    gatine = "Communauté de communes de Gâtine-Racan ; Cof n° COF-37-2022-001"
    assert lines[:4] == [
        f"{gatine} ; 2025 ; non commencé ; échéance 31/03/2026 ; à transmettre",
        f"{gatine} ; 2024 ; brouillon ; échéance 31/03/2025 ; à transmettre ; bilan {draft.pk}",
        f"{gatine} ; 2023 ; validé par la Caf ; échéance 31/03/2024 ; transmis après l'échéance"
        f" ; transmis le {sent} ; validé le {sent} ; bilan {validated.pk}",
        f"{gatine} ; 2022 ; non commencé ; échéance 31/03/2023 ; en retard",
    ]
    assert lines[4].startswith("Commune de Saint-Pierre-des-Corps ; Cof n° COF-37-2022-002 ; 2025")
    assert run("bilans", "liste", "--annee", "2023").splitlines() == [lines[2], lines[6]]


def test_liste_json_and_csv(touraine, bilans, tmp_path):
    validated = bilans[1]
    sent = timezone.localdate(validated.premiere_transmission_le)
    data = json.loads(run("bilans", "liste", "--format", "json", "--annee", "2023"))
    assert data["caf"] == "37" and data["annee"] == 2023 and data["au"] == "2025-02-15"
    assert data["bilans"][0] == {
        "collectivite": "Communauté de communes de Gâtine-Racan",
        "cof": "COF-37-2022-001",
        "annee": 2023,
        "bilan": validated.pk,
        "statut": "valide",
        "libelle_statut": "validé par la Caf",
        "echeance": "2024-03-31",
        "ponctualite": "transmis_en_retard",
        "libelle_ponctualite": "transmis après l'échéance",
        "en_retard": False,
        "premiere_transmission": sent.isoformat(),
        "validation": sent.isoformat(),
    }
    assert data["bilans"][1]["statut"] is None and data["bilans"][1]["en_retard"] is True

    lines = run("bilans", "liste", "--format", "csv").splitlines()
    assert lines[0] == (
        "collectivite;cof;annee;bilan;statut;libelle_statut;echeance;ponctualite;"
        "libelle_ponctualite;en_retard;premiere_transmission;validation"
    )
    assert len(lines) == 9
    assert lines[3] == (
        f"Communauté de communes de Gâtine-Racan;COF-37-2022-001;2023;{validated.pk};valide;"
        "validé par la Caf;31/03/2024;transmis_en_retard;transmis après l'échéance;non;"
        f"{sent:%d/%m/%Y};{sent:%d/%m/%Y}"
    )
    assert lines[4].endswith(";2022;;;non commencé;31/03/2023;en_retard;en retard;oui;;")

    target = tmp_path / "bilans.csv"
    message = run("bilans", "liste", "--format", "csv", "--sortie", str(target))
    assert message == f"8 bilan(s) de la Caf 37 écrits dans {target}.\n"
    assert target.read_bytes().startswith("\ufeffcollectivite;".encode())
    target = tmp_path / "bilans.json"
    run("bilans", "liste", "--format", "json", "--caf", "37", "--sortie", str(target))
    assert len(json.loads(target.read_text())["bilans"]) == 8


def test_liste_without_cof(touraine, framework):
    assert run("bilans", "liste") == "Aucun bilan.\n"
    assert json.loads(run("bilans", "liste", "--format", "json"))["bilans"] == []


def test_bilan_pdf(touraine, report, tmp_path):
    target = tmp_path / "bilan.pdf"
    message = run("bilans", "pdf", str(report.pk), "--sortie", str(target))
    assert message == f"Bilan 2024 de la Cof n° COF-37-2022-001 écrit dans {target}.\n"
    assert target.read_bytes().startswith(b"%PDF")


def test_evaluation_pdf(touraine, bilans, tmp_path):
    target = tmp_path / "evaluation.pdf"
    message = run("evaluation", "pdf", "--ctg", str(touraine.ctg_own.pk), "--sortie", str(target))
    assert message == f"Évaluation de « {touraine.ctg_own.intitule} » écrite dans {target}.\n"
    assert target.read_bytes().startswith(b"%PDF")


def test_evaluation_counts_every_cof_of_the_collectivite(touraine, bilans, monkeypatch, tmp_path):
    """No reader: every Cof of the collectivité in the Ctg (the ones a reader might not see
    included), and only its own: each signatory has its evaluation."""
    from coopctg.reports import evaluation

    seen = []
    build = evaluation.ctg_evaluation

    def spy(*args, **kwargs):
        seen.append(build(*args, **kwargs))
        return seen[-1]

    monkeypatch.setattr(evaluation, "ctg_evaluation", spy)
    monkeypatch.setattr(evaluation, "evaluation_pdf", lambda e: b"%PDF-")
    # One Cof in force per collectivité and date: ``other``'s Cof of its own Ctg steps aside.
    FundingAgreement.objects.filter(numero="COF-37-2022-002").update(statut="projet")
    touraine.ctg_own.signataires.add(touraine.other)
    second = make_cof(touraine.admin, touraine.ctg_own, touraine.other, "COF-37-2022-003")
    for collectivite in (touraine.own, touraine.other):
        run(
            "evaluation",
            "pdf",
            "--ctg",
            str(touraine.ctg_own.pk),
            "--collectivite",
            collectivite.code,
            "--sortie",
            str(tmp_path / "e.pdf"),
        )
    cofs = [{cell.cof.pk for column in e.columns for cell in column.reports} for e in seen]
    assert cofs == [{bilans[0].cof_id}, {second.pk}]


def test_refusals(touraine, bilans, capsys, tmp_path):
    assert "Caf inconnue : « 99 »" in refused(capsys, "bilans", "liste", "--caf", "99")
    assert "année à venir : « 2030 »" in refused(capsys, "bilans", "liste", "--annee", "2030")
    assert "écriture impossible de" in refused(
        capsys, "bilans", "liste", "--sortie", str(tmp_path / "absent" / "bilans.txt")
    )
    assert "bilan inconnu : « 999 »" in refused(
        capsys, "bilans", "pdf", "999", "--sortie", str(tmp_path / "b.pdf")
    )
    assert "écriture impossible de" in refused(
        capsys, "bilans", "pdf", str(bilans[0].pk), "--sortie", str(tmp_path / "absent" / "b.pdf")
    )
    assert "Ctg inconnue : « 999 »" in refused(
        capsys, "evaluation", "pdf", "--ctg", "999", "--sortie", str(tmp_path / "e.pdf")
    )
    assert "écriture impossible de" in refused(
        capsys,
        "evaluation",
        "pdf",
        "--ctg",
        str(touraine.ctg_own.pk),
        "--sortie",
        str(tmp_path / "absent" / "e.pdf"),
    )
    # Argument errors (argparse): one French line, exit status 2 from the command line.
    for name, args, message in [
        ("bilans", ["liste", "--annee", "20x3"], "année invalide : « 20x3 »"),
        ("bilans", ["liste", "--format", "xml"], "choix invalide"),
        ("bilans", ["pdf", "abc", "--sortie", "b.pdf"], "identifiant invalide : « abc »"),
        ("bilans", ["pdf", "1"], "arguments obligatoires manquants : --sortie"),
        ("evaluation", ["pdf", "--ctg", "x", "--sortie", "e.pdf"], "identifiant invalide"),
    ]:
        with pytest.raises(CommandError, match=message) as error:
            call_command(name, *args)
        assert error.value.returncode == 2 and "\n" not in str(error.value)


def test_liste_csv_hostile_texts_stay_inert(touraine, bilans):
    """Security probe (issue 10): a name that a spreadsheet would run stays a text in the CSV
    (a quote first); the year stays a number. (A Cof number cannot hold such a text any more:
    its format is checked down to the database.)"""
    LocalAuthority.objects.filter(pk=touraine.own.pk).update(nom='=HYPERLINK("http://x","y")')
    rows = csv_rows(run("bilans", "liste", "--format", "csv", "--annee", "2023"))
    assert rows[1][:3] == ['\'=HYPERLINK("http://x","y")', "COF-37-2022-001", "2023"]

"""The fiche de poste: its content grouped as in the référentiel, and the PDF read back with
``pdftotext``. Set ``COOPCTG_KEEP_DOCUMENTS`` to a folder to keep the PDF and its PNG pages."""

import os
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from coopctg.framework.models import ExpectedOutput
from coopctg.recruitment.documents import job_description, job_pdf, post_funding_notes
from tests.recruitment.conftest import TODAY, attendus, make_recruitment

CHOSEN = ["M4.O1.A2", "M1.O1.A1", "M2.O3.A1", "M1.O2.A1", "M1.O1.A3"]


def keep(name: str, content: bytes) -> None:
    folder = os.environ.get("COOPCTG_KEEP_DOCUMENTS")
    if folder:
        path = Path(folder) / name
        path.write_bytes(content)
        if shutil.which("pdftoppm"):
            subprocess.run(
                ["pdftoppm", "-png", "-r", "70", str(path), str(path.with_suffix(""))], check=True
            )


def pdf_text(pdf: bytes, tmp_path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) absent")
    path = tmp_path / "fiche.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def flat(text: str) -> str:
    """The text on one line, whatever the layout's line breaks and column gaps."""
    return " ".join(text.split())


@pytest.fixture
def recruitment(touraine, framework):
    return make_recruitment(
        touraine,
        framework,
        intitule="Chargé·e de coopération Ctg petite enfance et parentalité",
        attendus=attendus(*CHOSEN),
        etp={"petite_enfance": Decimal("0.40"), "parentalite": Decimal("0.20")},
    )


def test_the_attendus_are_grouped_as_in_the_referentiel(recruitment):
    job = job_description(recruitment, TODAY)
    layout = [
        (m.mission.code, [(o.objective.code, [a.code for a in o.attendus]) for o in m.objectives])
        for m in job.missions
    ]
    assert layout == [
        ("M1", [("M1.O1", ["M1.O1.A1", "M1.O1.A3"]), ("M1.O2", ["M1.O2.A1"])]),
        ("M2", [("M2.O3", ["M2.O3.A1"])]),
        ("M4", [("M4.O1", ["M4.O1.A2"])]),
    ]
    assert job.attendus_count == 5
    assert [f.code for f in job.fonctions] == ["F1", "F2", "F3", "F4"]
    assert len(job.attendus_generaux) == 6
    assert [(line.label, line.etp) for line in job.envelopes] == [
        ("Petite enfance", Decimal("0.40")),
        ("Parentalité", Decimal("0.20")),
    ]
    assert job.working_time == "0,6\xa0Etp, soit 3 jours par semaine"


def test_working_time_of_one_day(touraine, framework):
    r = make_recruitment(touraine, framework, etp={"parentalite": Decimal("0.20")})
    assert job_description(r, TODAY).working_time == "0,2\xa0Etp, soit 1 jour par semaine"


def test_funding_notes_of_the_post(touraine, framework):
    ok = make_recruitment(touraine, framework)
    assert post_funding_notes(ok, TODAY) == []
    low = make_recruitment(
        touraine,
        framework,
        etp={"petite_enfance": Decimal("0.40"), "avs_logement_acces_droits": Decimal("0.10")},
    )
    notes = post_funding_notes(low, TODAY)
    assert any("inférieure au seuil de 0,2\xa0Etp" in note for note in notes)
    # The Ctg of the world covers neither the AVS nor housing nor access to rights.
    assert any("n'est pas une thématique de la Ctg" in note for note in notes)


def test_pdf_fiche_de_poste(recruitment, tmp_path):
    pdf = job_pdf(recruitment, today=TODAY)
    keep("fiche-de-poste.pdf", pdf)
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf, tmp_path)
    one_line = flat(text)
    for expected in (
        "FICHE DE POSTE",
        "Chargé·e de coopération Ctg petite enfance et parentalité",
        "Communauté de communes de Gâtine-Racan",
        "Caf de Touraine",
        "Ctg Gâtine-Racan 2022-2026, du 01/01/2022 au 31/12/2026",
        "Poste thématique",
        "0,6 Etp, soit 3 jours par semaine",
        "Petite enfance 0,4 Etp",
        "Parentalité 0,2 Etp",
        "Total 0,6 Etp",
        # The 4 functions.
        "Pilotage — une fonction de pilotage",
        "Recherche de solution — une fonction de recherche de solution",
        # Missions and objectives around the attendus.
        "M1 Impulser et mettre en œuvre les politiques",
        "M1.O1 Assurer un conseil auprès des élus et des comités de pilotage",
        "M4.O1 Favoriser l'expression et la mobilisation des habitants",
        # What the Caf expects.
        "Ce que la Caf attend",
        "La conduite des diagnostics territoriaux ou thématiques",
        "ne rentre pas dans ses missions",
        "établie le 15/03/2025",
    ):
        assert expected in one_line, expected
    # Every chosen attendu with its code and its full text, in the référentiel's order.
    positions = []
    for attendu in ExpectedOutput.objects.filter(code__in=CHOSEN):
        assert attendu.code in text
        assert f"{attendu.code} {attendu.texte}" in one_line, attendu.code
        positions.append(
            (
                attendu.objective.mission.position,
                attendu.objective.position,
                attendu.position,
                one_line.index(attendu.code + " "),
            )
        )
    assert [p[3] for p in sorted(positions)] == sorted(p[3] for p in positions)
    assert "Ce qui est entendu par garantir : Alerter, contrôler" in one_line  # a précision
    # Nothing else of the référentiel's attendus.
    for code in ("M1.O1.A2", "M3.O1.A1", "M4.O3.A3"):
        assert code not in text
    assert "M3 " not in one_line

"""The documents of a funding architecture: the « Ventilation » workbook and the annex PDF,
checked on the référentiel's worked example (2 Etp, 48 000 €)."""

import datetime as dt
import io
import os
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from coopctg.core.themes import Theme
from coopctg.funding.documents import architecture_pdf, architecture_xlsx, pilotage_label
from coopctg.funding.models import FundedAssignment, FundedPerson, FundingArchitecture
from coopctg.funding.services import load_architecture
from tests.factories import SEED_PERSONS
from tests.hostile import FORMULAS, SOFT_BREAK, assert_inert, xlsx_cells, xlsx_texts

D = Decimal

#: The référentiel's example: (nom, fonction, type de poste, {enveloppe: Etp}).
EXAMPLE = SEED_PERSONS
#: The référentiel's table, line by line in envelope order, then the subtotals.
LINE_AMOUNTS = [9600, 3600, 12000, 3600, 4800, 2400, 7200, 4800]
SUBTOTALS = {
    "Sous-total Petite enfance": 13200,
    "Sous-total Enfance-jeunesse": 15600,
    "Sous-total Parentalité": 7200,
    "Sous-total Animation de la vie sociale, logement et accès aux droits": 12000,
}
TODAY = dt.date(2024, 3, 15)
#: Set to a folder to keep the produced documents and look at them.
KEEP = os.environ.get("COOPCTG_DOCUMENTS_DIR")


def keep(name: str, content: bytes) -> None:
    if KEEP:
        Path(KEEP).mkdir(parents=True, exist_ok=True)
        (Path(KEEP) / name).write_bytes(content)


def num(cell) -> Decimal:
    """A numeric cell's value as a Decimal (openpyxl reads numbers back as int or float)."""
    assert cell.data_type == "n" and isinstance(cell.value, int | float), cell
    return Decimal(str(cell.value))


def build_example(w, persons=EXAMPLE, *, cej=True) -> FundingArchitecture:
    """The référentiel's example stored for ``w.own`` in ``w.ctg_own`` (all themes covered)."""
    w.ctg_own.themes = [theme.value for theme in Theme]
    w.ctg_own.save()
    architecture = FundingArchitecture.objects.create(
        ctg=w.ctg_own,
        collectivite=w.own,
        date_effet=dt.date(2022, 1, 1),
        base_cej_montant=D("48000") if cej else None,
        base_cej_etp=D("2.00") if cej else None,
    )
    for position, (nom, fonction, type_poste, etps) in enumerate(persons, start=1):
        person = FundedPerson.objects.create(
            architecture=architecture,
            position=position,
            nom=nom,
            fonction=fonction,
            type_poste=type_poste,
        )
        for envelope, etp in etps.items():
            FundedAssignment.objects.create(personne=person, enveloppe=envelope, etp=D(etp))
    return load_architecture(architecture.pk)


def with_low_assignment():
    """M. X's parentalité share lowered to 0,1 Etp: under the 0,2 Etp threshold."""
    nom, fonction, type_poste, _ = EXAMPLE[0]
    low = (nom, fonction, type_poste, {"petite_enfance": "0.40", "parentalite": "0.10"})
    return [low, *EXAMPLE[1:]]


def open_workbook(architecture, name="ventilation.xlsx"):
    content = architecture_xlsx(architecture, today=TODAY)
    keep(name, content)
    return load_workbook(io.BytesIO(content))


def table(sheet):
    """The rows under the header (« Enveloppe » / « Personne » / « Code » in column A)."""
    rows = list(sheet.iter_rows())
    start = next(
        i for i, row in enumerate(rows) if row[0].value in {"Enveloppe", "Personne", "Code"}
    )
    return rows[start], rows[start + 1 :]


def test_pilotage_label():
    assert pilotage_label("Petite enfance") == "Pilotage petite enfance"
    assert pilotage_label("Enfance-jeunesse") == "Pilotage enfance-jeunesse"
    assert pilotage_label("Parentalité") == "Pilotage parentalité"
    assert (
        pilotage_label("Animation de la vie sociale, logement et accès aux droits")
        == "Pilotage Animation de la vie sociale, logement et accès aux droits"
    )


def test_xlsx_lays_out_the_referentiel_table(touraine):
    workbook = open_workbook(build_example(touraine))
    assert workbook.sheetnames == ["Ventilation", "Par personne"]
    sheet = workbook["Ventilation"]
    header, rows = table(sheet)
    assert [c.value for c in header] == [
        "Enveloppe",
        "Porté par",
        "Fonction",
        "Type de poste",
        "Etp",
        "Montant",
    ]
    assert sheet.freeze_panes == f"A{header[0].row + 1}"
    assert sheet.page_setup.orientation == "landscape"
    lines = [r for r in rows if r[1].value]
    assert [num(r[5]) for r in lines] == LINE_AMOUNTS
    assert [r[1].value for r in lines] == [
        "M. X",
        "M. C",
        "Mme Y",
        "M. C",
        "M. X",
        "M. C",
        "M. A",
        "M. C",
    ]
    assert [r[0].value for r in lines if r[0].value] == [
        "Pilotage petite enfance",
        "Pilotage enfance-jeunesse",
        "Pilotage parentalité",
        "Pilotage Animation de la vie sociale, logement et accès aux droits",
    ]
    assert [num(r[4]) for r in lines] == [
        D(x) for x in ("0.4", "0.15", "0.5", "0.15", "0.2", "0.1", "0.3", "0.2")
    ]
    subtotals = {r[0].value: num(r[5]) for r in rows if str(r[0].value).startswith("Sous-")}
    assert subtotals == SUBTOTALS
    assert [num(r[4]) for r in rows if str(r[0].value).startswith("Sous-")] == [
        D("0.55"),
        D("0.65"),
        D("0.3"),
        D("0.5"),
    ]
    total = next(r for r in rows if r[0].value == "TOTAL")
    assert num(total[4]) == 2 and num(total[5]) == 48000
    assert "€" in total[5].number_format and "€" in lines[0][5].number_format
    assert total[4].number_format == "0.00"
    assert header[0].font.bold
    titles = {row[0].value: row[1].value for row in sheet.iter_rows(max_row=header[0].row)}
    assert titles["Caf"] == "Caf de Touraine"
    assert titles["Collectivité"] == "Communauté de communes de Gâtine-Racan"
    assert titles["Base Cej redéployée (montant)"] == 48000
    assert titles["Forfait par Etp"] == 24000
    assert titles["Éligibilité"] == "Architecture finançable"
    assert titles["Date d'effet"] == dt.datetime(2022, 1, 1)
    assert "2022-2026" in titles["Ctg"] and "01/01/2022" in titles["Ctg"]


def test_xlsx_per_person_sheet(touraine):
    sheet = open_workbook(build_example(touraine))["Par personne"]
    _, rows = table(sheet)
    assert [(r[0].value, num(r[4]), num(r[5])) for r in rows] == [
        ("M. X", D("0.6"), 14400),
        ("Mme Y", D("0.5"), 12000),
        ("M. A", D("0.3"), 7200),
        ("M. C", D("0.6"), 14400),
        ("TOTAL", 2, 48000),
    ]


def test_xlsx_anomalies_sheet(touraine):
    workbook = open_workbook(
        build_example(touraine, with_low_assignment()), "ventilation-anomalie.xlsx"
    )
    assert workbook.sheetnames == ["Ventilation", "Par personne", "Anomalies"]
    header, rows = table(workbook["Anomalies"])
    assert [c.value for c in header] == [
        "Anomalie",
        "Gravité",
        "Personne",
        "Enveloppe",
        "Message",
        "Code",
    ]
    first = [c.value for c in rows[0]]
    assert first[:4] == ["Affectation sous le seuil", "Bloquante", "M. X", "Parentalité"]
    assert "0,1" in first[4] and "seuil" in first[4]
    # 1,9 Etp < the 2 Etp Cej base: no new development, only the threshold.
    assert [r[5].value for r in rows] == ["SEUIL_AFFECTATION"]
    sheet = workbook["Ventilation"]
    titles = {row[0].value: row[1].value for row in sheet.iter_rows(max_col=2)}
    assert titles["Éligibilité"] == "Architecture non finançable : 1 anomalie bloquante"
    total = next(r for r in table(sheet)[1] if r[0].value == "TOTAL")
    assert num(total[4]) == D("1.9") and num(total[5]) == 45600
    assert workbook["Ventilation"]["A1"].value.startswith("Ventilation du financement")


def test_xlsx_new_development_is_a_warning(touraine):
    workbook = open_workbook(build_example(touraine, cej=False), "ventilation-sans-cej.xlsx")
    _, rows = table(workbook["Anomalies"])
    assert [(r[0].value, r[1].value, r[2].value, r[5].value) for r in rows] == [
        ("Nouveau développement", "Avertissement", None, "NOUVEAU_DEVELOPPEMENT")
    ]
    titles = {row[0].value: row[1].value for row in workbook["Ventilation"].iter_rows(max_col=2)}
    assert titles["Éligibilité"] == "Architecture finançable"
    assert "Base Cej redéployée (montant)" not in titles


def pdf_text(pdf: bytes, tmp_path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) absent")
    path = tmp_path / "annexe.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def test_pdf_annexe(touraine, tmp_path):
    pdf = architecture_pdf(build_example(touraine), today=TODAY)
    keep("annexe.pdf", pdf)
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf, tmp_path)
    for expected in (
        "Annexe financière",
        "Caf de Touraine",
        "Communauté de communes de Gâtine-Racan",
        "Ctg Gâtine-Racan 2022-2026",
        "du 01/01/2022 au 31/12/2026",
        "Pilotage petite enfance",
        "Pilotage enfance-jeunesse",
        "Pilotage parentalité",
        "M. X – Coordinateur Petite Enfance",
        "0,4 Etp",
        "9 600 €",
        "0,15 Etp",
        "13 200 €",
        "TOTAL",
        "2 Etp",
        "48 000 €",
        "24 000 €",
        "0,2 Etp",
        "Architecture finançable",
        "Page 1 / ",
        "15/03/2024",
    ):
        assert expected in text, expected
    assert "Anomalies" not in text


def test_pdf_annexe_lists_the_anomalies(touraine, tmp_path):
    pdf = architecture_pdf(build_example(touraine, with_low_assignment()), today=TODAY)
    keep("annexe-anomalie.pdf", pdf)
    text = " ".join(pdf_text(pdf, tmp_path).split())
    assert "Anomalies" in text
    assert "Bloquante" in text and "inférieure au seuil" in text
    assert "Architecture non finançable : 1 anomalie bloquante" in text
    assert "45 600 €" in text


def test_documents_of_an_empty_architecture(touraine, tmp_path):
    architecture = build_example(touraine, [], cej=False)
    _, rows = table(open_workbook(architecture, "ventilation-vide.xlsx")["Ventilation"])
    assert [(r[0].value, num(r[4]), num(r[5])) for r in rows] == [("TOTAL", 0, 0)]
    pdf = architecture_pdf(architecture, today=TODAY)
    assert "Aucune affectation." in pdf_text(pdf, tmp_path)


def test_hostile_names_stay_inert_texts(touraine, client):
    """Security probe (issue 10): a person's name or function that a spreadsheet would run
    stays a text (a quote first), never a formula; a Word line break (\\x0b) breaks nothing,
    in the workbook as on the page that downloads it."""
    names = [*FORMULAS, SOFT_BREAK]
    persons = [
        (name, "-2+3" if index == 0 else "Coordination", kind, etps)
        for index, (name, (_, _, kind, etps)) in enumerate(zip(names, EXAMPLE * 2, strict=False))
    ]
    architecture = build_example(touraine, persons)
    texts = xlsx_texts(architecture_xlsx(architecture, today=TODAY))
    for name in [*FORMULAS, "-2+3"]:
        assert_inert(texts, name)
    assert "Titre\ncollé" in texts
    client.force_login(touraine.admin)
    response = client.get(reverse("funding:architecture_xlsx", args=[architecture.pk]))
    assert response.status_code == 200
    xlsx_cells(response.content)

"""The register of besoins as a workbook: the export re-imports unchanged; edited and added
rows are applied; every bad row is reported with its line and nothing is written; a file that
is not a workbook, or a « spreadsheet bomb », is refused before it is read."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from coopctg.core.models import AuditEntry
from coopctg.diagnostic import register
from coopctg.diagnostic.models import Need
from tests.spreadsheet_bombs import wide_row_bomb


@pytest.fixture
def register_ctg(touraine):
    ctg = touraine.ctg_own
    for day, nature, commune in (
        (dt.date(2025, 1, 10), "place", touraine.commune_own),
        (dt.date(2025, 2, 10), "horaires", None),
    ):
        Need.objects.create(
            ctg=ctg,
            date=day,
            commune=commune,
            theme="petite_enfance",
            tranche_age="0-3",
            nature=nature,
            source="service",
            description=f"=Demande {nature}",  # a text a spreadsheet would run as a formula
        )
    return ctg


def state(ctg):
    return sorted(
        Need.objects.filter(ctg=ctg).values_list(
            "pk", "date", "commune_id", "nature", "description", "repondu", "reponse"
        )
    )


def exported(ctg) -> io.BytesIO:
    return io.BytesIO(register.export_register(ctg))


def errors_of(ctg, stream) -> list[str]:
    with pytest.raises(register.RegisterImportError) as refused:
        register.import_register(None, ctg, stream)
    return [str(e) for e in refused.value.errors]


def test_the_export_reimports_unchanged(register_ctg):
    before, audits = state(register_ctg), AuditEntry.objects.count()
    sheet = load_workbook(exported(register_ctg))["Besoins"]
    assert [c.value for c in sheet[1]][:3] == ["identifiant", "date", "commune"]
    assert sheet["H2"].value == "'=Demande horaires" and sheet["H2"].data_type == "s"
    report = register.import_register(None, register_ctg, exported(register_ctg))
    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    assert state(register_ctg) == before and AuditEntry.objects.count() == audits


def test_edited_and_added_rows_are_applied(register_ctg, touraine):
    workbook = load_workbook(exported(register_ctg))
    sheet = workbook["Besoins"]
    sheet["I2"], sheet["J2"] = "oui", "Orientée vers le relais petite enfance."
    sheet.append(
        [
            None,
            "12/03/2025",
            "Neuvy-le-Roi",
            "Jeunesse",
            "12 à 17 ans",
            "information",
            "partenaire",
            "Les séjours d'été.",
            "non",
            None,
        ]
    )
    stream = io.BytesIO()
    workbook.save(stream)
    stream.seek(0)
    report = register.import_register(touraine.editor, register_ctg, stream)
    assert (report.created, report.updated, report.unchanged) == (1, 1, 1)
    assert "1 besoin ajouté, 1 besoin mis à jour" in report.summary()
    added = Need.objects.get(ctg=register_ctg, theme="jeunesse")
    assert added.commune == touraine.commune_own and added.tranche_age == "12-17"
    assert Need.objects.filter(ctg=register_ctg, repondu=True).count() == 1


def test_every_bad_row_is_reported_with_its_line_nothing_written(register_ctg, touraine):
    other_need = Need.objects.create(
        ctg=touraine.ctg_other,
        date=dt.date(2025, 1, 1),
        theme="enfance",
        tranche_age="6-11",
        nature="cout",
        source="service",
        description="Ailleurs.",
    )
    workbook = load_workbook(exported(register_ctg))
    sheet = workbook["Besoins"]
    good = [None, "01/03/2025", "", "Enfance", "6-11", "coût", "service", "Une demande.", "non"]
    sheet.append([other_need.pk, *good[1:]])  # line 4: another Ctg's line
    sheet.append([None, "31/02/2025", *good[2:]])  # line 5: no such date
    sheet.append([None, *good[1:2], "Blois", *good[3:]])  # line 6: outside the territory
    sheet.append([None, *good[1:4], "ados", *good[5:]])  # line 7: unknown age group
    sheet.append([None, *good[1:7], "Appeler le 06 12 34 56 78", "non"])  # line 8: a phone
    sheet.append([None, *good[1:8], "oui"])  # line 9: answered, without the answer
    sheet.append([None, *good[1:7], None, "peut-être"])  # line 10: two problems
    stream = io.BytesIO()
    workbook.save(stream)
    stream.seek(0)
    before = state(register_ctg)
    errors = errors_of(register_ctg, stream)
    assert errors == [
        f"Besoins, ligne 4 : identifiant « {other_need.pk} » inconnu dans le registre de cette Ctg",
        "Besoins, ligne 5 : date : « 31/02/2025 » n'est pas une date (JJ/MM/AAAA attendu)",
        "Besoins, ligne 6 : commune « Blois » hors du territoire de la Ctg",
        "Besoins, ligne 7 : âge concerné : « ados » inconnu (valeurs : « moins de 3 ans », "
        "« 3 à 5 ans », « 6 à 11 ans », « 12 à 17 ans », « 18 à 25 ans », « parents », "
        "« tous âges »)",
        "Besoins, ligne 8 : le registre est anonyme : retirez le numéro de téléphone (aucune "
        "donnée personnelle)",
        "Besoins, ligne 9 : « réponse apportée : oui » sans la réponse (colonne « réponse »)",
        "Besoins, ligne 10 : demande vide",
        "Besoins, ligne 10 : réponse apportée : « peut-être » : oui ou non attendu",
    ]
    assert state(register_ctg) == before


def test_not_a_workbook_and_a_bomb_are_refused(register_ctg, monkeypatch):
    assert errors_of(register_ctg, io.BytesIO(b"%PDF-1.4")) == [
        "Le fichier n'est pas un classeur Excel (.xlsx) lisible."
    ]

    def load_workbook(*args, **kwargs):
        raise AssertionError("the workbook must be refused before openpyxl opens it")

    monkeypatch.setattr("coopctg.actionplan.workbook.load_workbook", load_workbook)
    errors = errors_of(register_ctg, wide_row_bomb(100_000))
    assert errors[0].startswith("Le classeur dépasse les limites")


def test_the_import_page(client, register_ctg, touraine):
    client.force_login(touraine.editor)
    url = reverse("diagnostic:needs_import", args=[register_ctg.pk])
    download = client.get(reverse("diagnostic:needs_xlsx", args=[register_ctg.pk]))
    assert download["Content-Type"] == register.CONTENT_TYPE
    upload = io.BytesIO(download.content)
    upload.name = "besoins.xlsx"
    response = client.post(url, {"fichier": upload})
    assert response.status_code == 302
    bad = io.BytesIO(b"%PDF-1.4")
    bad.name = "besoins.xlsx"
    response = client.post(url, {"fichier": bad})
    assert response.status_code == 400
    assert "pas un classeur Excel" in response.content.decode()

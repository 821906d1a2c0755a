"""Import of data·inclusion exports (structures and services, JSON and CSV) and the export:
the issue's « done when » for the partner directory."""

import json
from pathlib import Path

import pytest
from django.core.management import call_command

from coopctg.partners.importer import PartnerImportError, import_file
from coopctg.partners.models import Partner, PartnerService

DATA = Path(__file__).parent / "data"


def load(touraine, name):
    return import_file(name, (DATA / name).read_bytes(), touraine.caf)


def test_structures_json_as_published(touraine):
    report = load(touraine, "structures.json")
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    tilleuls = Partner.objects.get(source="exemple-fictif", identifiant="struct-001")
    assert tilleuls.caf == touraine.caf
    assert tilleuls.siret == "12345678900011"
    assert tilleuls.kind == "centre_social"  # typologie CS
    assert tilleuls.commune == "Neuvy-le-Roi"
    assert tilleuls.themes == ["parentalite", "animation_vie_sociale"]
    assert tilleuls.thematiques_source == [
        "famille--soutien-a-la-parentalite",
        "remobilisation--lien-social",
    ]
    petits_pas = Partner.objects.get(identifiant="struct-002")
    assert petits_pas.siret == "" and petits_pas.kind == "association"
    assert petits_pas.themes == ["petite_enfance", "enfance"]  # famille--garde-denfants
    pad = Partner.objects.get(identifiant="struct-003")
    assert pad.kind == "autre"  # PAD: no nature of ours
    # a sub-thématique absent of the table takes its category's correspondence
    assert pad.themes == ["acces_droits", "inclusion_handicap"]


def test_reimport_updates_by_source_and_id_and_never_duplicates(touraine):
    load(touraine, "structures.json")
    again = load(touraine, "structures.json")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    changed = json.loads((DATA / "structures.json").read_text())
    changed[0]["nom"] = "Centre social Les Tilleuls, nouveau nom (fictif)"
    report = import_file("structures.json", json.dumps(changed).encode(), touraine.caf)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 2)
    assert Partner.objects.count() == 3
    assert Partner.objects.get(identifiant="struct-001").nom.endswith("nouveau nom (fictif)")


def test_structures_csv_with_a_flattened_list(touraine):
    report = load(touraine, "structures.csv")
    assert report.created == 2
    evs = Partner.objects.get(identifiant="csv-001")
    assert evs.kind == "centre_social" and evs.themes == ["parentalite", "logement"]
    assert Partner.objects.get(identifiant="csv-002").themes == ["jeunesse"]


def test_services_attach_to_their_structure(touraine):
    load(touraine, "structures.json")
    report = load(touraine, "services.json")
    assert report.created == 1
    service = PartnerService.objects.get()
    assert service.partner.identifiant == "struct-001"
    assert service.themes == ["parentalite"] and service.publics == ["familles"]


def test_a_service_without_its_structure_is_refused(touraine):
    with pytest.raises(PartnerImportError) as error:
        load(touraine, "services.json")
    assert "services.json, enregistrement 1" in str(error.value)
    assert "structure_id" in str(error.value)
    assert not PartnerService.objects.exists()


def test_every_bad_row_is_reported_with_its_line_and_nothing_is_written(touraine):
    with pytest.raises(PartnerImportError) as error:
        load(touraine, "structures-erreurs.csv")
    messages = [str(e) for e in error.value.errors]
    assert messages == [
        "structures-erreurs.csv, ligne 2 : « siret » : « 12345 » n'a pas 14 chiffres",
        "structures-erreurs.csv, ligne 3 : « code_insee » : « 99999 » n'est pas le code "
        "d'une commune",
        "structures-erreurs.csv, ligne 4 : « id » manquant",
        "structures-erreurs.csv, ligne 5 : « nom » manquant",
        "structures-erreurs.csv, ligne 5 : « source » manquant",
        "structures-erreurs.csv, ligne 5 : « date_maj » manquant",
    ]
    assert not Partner.objects.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"date_maj": "14/02/2025"}, "« date_maj » : « 14/02/2025 » n'est pas une date"),
        ({"thematiques": ["petite-enfance"]}, "code inconnu du schéma data·inclusion"),
        ({"id": "struct-002"}, "déjà présent (enregistrement 2)"),
    ],
)
def test_json_record_errors_name_the_record(touraine, change, message):
    records = json.loads((DATA / "structures.json").read_text())
    records[2].update(change)
    with pytest.raises(PartnerImportError) as error:
        import_file("structures.json", json.dumps(records).encode(), touraine.caf)
    assert str(error.value).startswith("structures.json, enregistrement 3 : ")
    assert message in str(error.value)
    assert not Partner.objects.exists()


def test_cli_imports_then_exports_json(touraine, capsys):
    call_command("partenaires", "importer", str(DATA / "structures.json"), "--caf", "37")
    assert "3 créé(s)" in capsys.readouterr().out
    call_command("partenaires", "exporter", "--caf", "37", "--format", "json")
    data = json.loads(capsys.readouterr().out)
    assert data["partenaires"][0] == {
        "source": "exemple-fictif",
        "id": "struct-002",
        "nom": "Association Petits Pas (fictive)",
        "siret": None,
        "code_insee": "37123",
        "commune": "Neuvy-le-Roi",
        "thematiques": ["petite_enfance", "enfance"],
    }
    assert [p["id"] for p in data["partenaires"]] == ["struct-002", "struct-001", "struct-003"]
    # another Caf's directory is empty
    call_command("partenaires", "exporter", "--caf", "41")
    assert json.loads(capsys.readouterr().out) == {"partenaires": []}


def test_cli_exports_csv_and_xlsx(touraine, tmp_path, capsys):
    load(touraine, "structures.json")
    call_command("partenaires", "exporter", "--caf", "37", "--format", "csv")
    text = capsys.readouterr().out
    assert text.startswith("source;id;nom;siret;nature;")
    assert "Centre social Les Tilleuls (fictif);12345678900011;" in text
    target = tmp_path / "annuaire.xlsx"
    call_command(
        "partenaires", "exporter", "--caf", "37", "--format", "xlsx", "--sortie", str(target)
    )
    from openpyxl import load_workbook

    sheet = load_workbook(target).active
    assert sheet["C2"].value == "Association Petits Pas (fictive)"


def test_cli_bad_row_exits_2_with_its_line_and_writes_nothing(touraine, capfd):
    with pytest.raises(SystemExit) as exit_info:
        call_command("partenaires", "importer", str(DATA / "structures-erreurs.csv"), "--caf", "37")
    assert exit_info.value.code == 2
    err = capfd.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(
        "Erreur : structures-erreurs.csv, ligne 2 : « siret » : « 12345 » n'a pas 14 chiffres"
    )
    assert "(6 erreurs au total)" in err
    assert not Partner.objects.exists()


def test_cli_unknown_caf(touraine, capfd):
    with pytest.raises(SystemExit):
        call_command("partenaires", "exporter", "--caf", "99")
    assert capfd.readouterr().err == "Erreur : Caf « 99 » inconnue\n"

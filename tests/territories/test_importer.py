import time

import pytest

from coopctg.territories.importer import (
    DEFAULT_DATA_DIR,
    ImportIssue,
    TerritoryImportError,
    import_territories,
)
from coopctg.territories.models import Commune, Departement, Epci
from tests.territories.conftest import (
    COMMUNES,
    DEPARTEMENTS,
    EPCI,
    feature_collection,
    square,
    write_folder,
)

pytestmark = pytest.mark.django_db


def counts():
    return Departement.objects.count(), Epci.objects.count(), Commune.objects.count()


def pks():
    return (
        dict(Departement.objects.values_list("code", "id")),
        dict(Epci.objects.values_list("siren", "id")),
        dict(Commune.objects.values_list("code_insee", "id")),
    )


def import_errors(folder):
    with pytest.raises(TerritoryImportError) as caught:
        import_territories(folder)
    return caught.value


# --- A good import -------------------------------------------------------------------------------


def test_import_creates_every_row(data_folder):
    report = import_territories(data_folder)

    assert counts() == (3, 2, 5)
    assert (report.departements.created, report.epci.created, report.communes.created) == (3, 2, 5)
    assert (report.created, report.updated, report.unchanged) == (10, 0, 0)
    assert report.summary() == (
        "Import terminé : 3 départements, 2 EPCI, 5 communes (10 créés, 0 mis à jour) ; "
        "contours : 2 EPCI, 1 communes."
    )
    tours = Commune.objects.select_related("departement", "epci").get(code_insee="37261")
    assert tours.nom == "Tours"
    assert tours.population_municipale == 135787
    assert tours.departement.code == "37"
    assert tours.epci.nom == "Tours Métropole Val de Loire"
    assert Epci.objects.get(siren="243700754").nature == Epci.Nature.ME
    ajaccio = Commune.objects.get(code_insee="2A004")
    assert ajaccio.epci is None and ajaccio.departement.nom == "Corse-du-Sud"
    # « \N » in the source: no published population.
    assert Commune.objects.get(code_insee="41018").population_municipale is None


def test_import_stores_the_contours(data_folder):
    import_territories(data_folder)

    assert Epci.objects.get(siren="200073237").geometrie == square(0.5, 47.5)
    assert Epci.objects.get(siren="243700754").geometrie == square(0.6, 47.5)
    assert Commune.objects.get(code_insee="37123").geometrie == square(0.5, 47.5, 0.05)
    assert Commune.objects.get(code_insee="37261").geometrie is None


def test_contour_files_are_optional(tmp_path):
    folder = write_folder(tmp_path, epci_37_geojson=None, communes_37_geojson=None)
    report = import_territories(folder)
    assert counts() == (3, 2, 5)
    assert report.summary().endswith("(10 créés, 0 mis à jour).")
    assert not Epci.objects.filter(geometrie__isnull=False).exists()


def test_progress_is_reported_per_file_and_batch(data_folder):
    calls = []
    import_territories(data_folder, progress=lambda *args: calls.append(args))
    assert calls[:5] == [("lecture des fichiers", n, 5) for n in range(1, 6)]
    assert ("départements", 3, 3) in calls
    assert ("EPCI", 2, 2) in calls
    assert calls[-1] == ("communes", 5, 5)


# --- Idempotence ---------------------------------------------------------------------------------


def test_second_import_changes_nothing_and_keeps_the_keys(data_folder):
    import_territories(data_folder)
    before = pks()

    report = import_territories(data_folder)

    assert counts() == (3, 2, 5)
    assert pks() == before
    assert (report.created, report.updated, report.unchanged) == (0, 0, 10)
    assert report.summary() == (
        "Import terminé : 3 départements, 2 EPCI, 5 communes (0 créés, 0 mis à jour, "
        "10 inchangés) ; contours : 2 EPCI, 1 communes."
    )


def test_changed_rows_are_updated_in_place(tmp_path, data_folder):
    import_territories(data_folder)
    before = pks()
    changed = write_folder(
        tmp_path / "v2",
        epci_csv=EPCI.replace("Tours Métropole Val de Loire", "Tours Métropole"),
        communes_csv=COMMUNES.replace("37261,Tours,135787", "37261,Tours,136463").replace(
            "37123,Neuvy-le-Roi,1100,37,200073237", "37123,Neuvy-le-Roi,1100,37,243700754"
        ),
        epci_37_geojson=feature_collection({"200073237": square(0.4, 47.4)}),
    )

    report = import_territories(changed)

    assert pks() == before
    assert (report.epci.updated, report.communes.updated) == (2, 2)
    assert report.unchanged == 6
    assert Epci.objects.get(siren="243700754").nom == "Tours Métropole"
    assert Commune.objects.get(code_insee="37261").population_municipale == 136463
    assert Commune.objects.get(code_insee="37123").epci.siren == "243700754"
    assert Epci.objects.get(siren="200073237").geometrie == square(0.4, 47.4)
    # A contour absent from the new files is kept.
    assert Epci.objects.get(siren="243700754").geometrie == square(0.6, 47.5)


def test_rows_absent_from_new_files_are_kept(tmp_path, data_folder):
    import_territories(data_folder)
    smaller = write_folder(
        tmp_path / "v2",
        communes_csv="code_insee,nom,population_municipale,departement,epci_siren\n"
        "37261,Tours,135787,37,243700754\n",
        communes_37_geojson=None,
    )
    report = import_territories(smaller)
    assert counts() == (3, 2, 5)
    assert report.communes.total == 1


def test_references_may_point_to_the_database(tmp_path, data_folder):
    import_territories(data_folder)
    folder = write_folder(
        tmp_path / "v2",
        departements_csv="code,nom\n37,Indre-et-Loire\n",
        epci_csv="siren,nom,nature\n200073237,Communauté de communes de Gâtine-Racan,CC\n",
        # Blois (41) and Tours Métropole are only in the database now.
        communes_csv=COMMUNES,
    )
    report = import_territories(folder)
    assert report.communes.unchanged == 5


def test_a_contour_may_be_given_to_an_epci_of_the_database(tmp_path, data_folder):
    import_territories(data_folder)
    folder = write_folder(
        tmp_path / "v2",
        epci_csv="siren,nom,nature\n200073237,Communauté de communes de Gâtine-Racan,CC\n",
        epci_37_geojson=feature_collection({"243700754": square(1, 47)}),
    )
    import_territories(folder)
    tours_metropole = Epci.objects.get(siren="243700754")
    assert tours_metropole.geometrie == square(1, 47)
    assert tours_metropole.nom == "Tours Métropole Val de Loire"


# --- Validation: every error, with its file and line ---------------------------------------------

COMMUNE_HEADER = "code_insee,nom,population_municipale,departement,epci_siren\n"

BAD_FILES = [
    pytest.param(
        {"epci_csv": "siren,nom\n200073237,CC Gâtine-Racan\n"},
        "epci.csv, ligne 1 : colonne(s) manquante(s) : nature",
        id="bad-header",
    ),
    pytest.param(
        {"departements_csv": DEPARTEMENTS + "4,Département fictif\n"},
        "departements.csv, ligne 5 : code « 4 » invalide",
        id="bad-departement-code",
    ),
    pytest.param(
        {"epci_csv": EPCI + "24370075,CC fictive,CC\n"},
        "epci.csv, ligne 4 : siren « 24370075 » invalide : 9 chiffres attendus",
        id="bad-siren",
    ),
    pytest.param(
        {"epci_csv": EPCI + "24370075A,CC fictive,CC\n"},
        "epci.csv, ligne 4 : siren « 24370075A » invalide : 9 chiffres attendus",
        id="bad-siren-letter",
    ),
    pytest.param(
        {"epci_csv": EPCI.replace(",CC", ",SIVU")},
        "epci.csv, ligne 2 : nature « SIVU » inconnue",
        id="unknown-nature",
    ),
    pytest.param(
        {"epci_csv": EPCI.replace("Tours Métropole Val de Loire", "")},
        "epci.csv, ligne 3 : nom vide",
        id="empty-name",
    ),
    pytest.param(
        {"communes_csv": COMMUNES.replace("37233,", "3723,")},
        "communes.csv, ligne 3 : code_insee « 3723 » invalide : 5 caractères attendus",
        id="bad-insee",
    ),
    pytest.param(
        {"communes_csv": COMMUNES.replace(",15838,", ",-15838,")},
        "communes.csv, ligne 3 : population_municipale « -15838 » n'est pas un entier positif",
        id="negative-population",
    ),
    pytest.param(
        {"communes_csv": COMMUNES.replace(",15838,", ",abc,")},
        "communes.csv, ligne 3 : population_municipale « abc » n'est pas un entier positif",
        id="text-population",
    ),
    pytest.param(
        {"communes_csv": COMMUNES.replace(",15838,", ",158.5,")},
        "communes.csv, ligne 3 : population_municipale « 158.5 » n'est pas un entier positif",
        id="decimal-population",
    ),
    pytest.param(
        {"communes_csv": COMMUNES.replace("37261,Tours,135787,37", "37261,Tours,135787,99")},
        "communes.csv, ligne 4 : département « 99 » inconnu",
        id="unknown-departement",
    ),
    pytest.param(
        {"communes_csv": COMMUNES.replace("37261,Tours,135787,37", "37261,Tours,135787,41")},
        "communes.csv, ligne 4 : code_insee « 37261 » hors du département « 41 »",
        id="commune-outside-its-departement",
    ),
    pytest.param(
        {"communes_csv": COMMUNES.replace("37,200073237", "37,200000001")},
        "communes.csv, ligne 2 : EPCI « 200000001 » inconnu",
        id="unknown-epci",
    ),
    pytest.param(
        {"communes_csv": COMMUNES + "37233,Saint-Pierre-des-Corps,15838,37,243700754\n"},
        "communes.csv, ligne 7 : code_insee « 37233 » en double (déjà ligne 3)",
        id="duplicate-commune",
    ),
    pytest.param(
        {"epci_csv": EPCI + "243700754,Tours Métropole,ME\n"},
        "epci.csv, ligne 4 : siren « 243700754 » en double (déjà ligne 3)",
        id="duplicate-epci",
    ),
    pytest.param(
        {"communes_csv": COMMUNES.replace("37261,Tours,135787,37,243700754", "37261,Tours")},
        "communes.csv, ligne 4 : 2 colonne(s) au lieu de 5",
        id="short-row",
    ),
    pytest.param(
        {"communes_csv": None},
        "communes.csv : fichier introuvable",
        id="missing-file",
    ),
    pytest.param(
        {"epci_37_geojson": feature_collection({"200000001": square(0, 47)})},
        "epci-37.geojson, entité 1 : siren « 200000001 » inconnu",
        id="contour-of-unknown-epci",
    ),
    pytest.param(
        {"epci_37_geojson": feature_collection({"200073237": {"type": "Point"}})},
        "epci-37.geojson, entité 1 : siren « 200073237 » : type de géométrie « Point » non pris",
        id="contour-not-a-polygon",
    ),
    pytest.param(
        {"communes_37_geojson": '{"type": "FeatureCollection",\n "features": [}'},
        "communes-37.geojson, ligne 2 : JSON invalide",
        id="broken-geojson",
    ),
    pytest.param(  # Security probe (issue 10): a Python traceback before
        {"communes_37_geojson": "[" * 100_000},
        "communes-37.geojson : imbrication trop profonde (64 niveaux au plus)",
        id="geojson-too-deep",
    ),
]


@pytest.mark.parametrize(("files", "expected"), BAD_FILES)
def test_each_error_is_reported_with_its_file_and_line(tmp_path, files, expected):
    folder = write_folder(tmp_path, **files)
    error = import_errors(folder)
    assert len(error.errors) == 1, error.errors
    assert str(error.errors[0]).startswith(expected)
    assert str(error).startswith(expected)
    assert counts() == (0, 0, 0)


def test_all_errors_are_collected_in_file_order(tmp_path):
    folder = write_folder(
        tmp_path,
        epci_csv=EPCI.replace(",ME", ",XX"),
        communes_csv=COMMUNE_HEADER
        + "37123,Neuvy-le-Roi,1100,37,200073237\n"
        + "37233,Saint-Pierre-des-Corps,abc,37,243700754\n"
        + "3726,Tours,135787,37,243700754\n"
        + "37123,Neuvy-le-Roi,1100,37,200073237\n",
    )
    error = import_errors(folder)
    assert [(e.file, e.line) for e in error.errors] == [
        ("epci.csv", 3),
        ("communes.csv", 3),
        ("communes.csv", 4),
        ("communes.csv", 5),
    ]
    assert str(error) == (
        "epci.csv, ligne 3 : nature « XX » inconnue (CC, CA, CU, ME attendu) (4 erreurs au total)"
    )


def test_a_bad_key_is_reported_with_the_references_to_it(tmp_path):
    folder = write_folder(tmp_path, epci_csv=EPCI.replace("243700754", "24370075"))
    error = import_errors(folder)
    assert [str(e) for e in error.errors] == [
        "epci.csv, ligne 3 : siren « 24370075 » invalide : 9 chiffres attendus",
        "communes.csv, ligne 3 : EPCI « 243700754 » inconnu (absent de epci.csv et de la base)",
        "communes.csv, ligne 4 : EPCI « 243700754 » inconnu (absent de epci.csv et de la base)",
        "epci-37.geojson, entité 2 : siren « 243700754 » inconnu",
    ]


def test_other_errors_of_a_row_do_not_hide_its_key(tmp_path):
    folder = write_folder(tmp_path, epci_csv=EPCI.replace(",ME", ",XX"))
    error = import_errors(folder)
    assert len(error.errors) == 1  # the communes of Tours Métropole are not reported


def test_a_bad_header_does_not_flood_the_references(tmp_path):
    folder = write_folder(tmp_path, departements_csv="code;nom\n37;Indre-et-Loire\n")
    error = import_errors(folder)
    assert [str(e) for e in error.errors] == [
        "departements.csv, ligne 1 : colonne(s) manquante(s) : code, nom "
        "(en-tête attendu : code,nom)"
    ]


def test_missing_folder(tmp_path):
    error = import_errors(tmp_path / "absent")
    assert str(error) == f"dossier « {tmp_path / 'absent'} » introuvable"


def test_issue_text():
    assert str(ImportIssue("communes.csv", 4, "message")) == "communes.csv, ligne 4 : message"
    assert str(ImportIssue("epci-37.geojson", 2, "m", "entité")) == "epci-37.geojson, entité 2 : m"
    assert str(ImportIssue("epci.csv", None, "fichier introuvable")) == (
        "epci.csv : fichier introuvable"
    )


# --- Nothing is written when a row is wrong ------------------------------------------------------


def bad_last_commune(folder_path):
    rows = COMMUNES.replace("Tours,135787", "Tours (nouveau nom),200000")
    return write_folder(folder_path, communes_csv=rows + "37999,Commune fausse,-1,37,\n")


def test_a_bad_last_row_leaves_an_empty_database_empty(tmp_path):
    folder = bad_last_commune(tmp_path)
    error = import_errors(folder)
    assert [str(e) for e in error.errors] == [
        "communes.csv, ligne 7 : population_municipale « -1 » n'est pas un entier positif"
    ]
    assert counts() == (0, 0, 0)


def test_a_bad_last_row_leaves_a_previous_import_untouched(tmp_path, data_folder):
    import_territories(data_folder)
    before = pks()
    folder = bad_last_commune(tmp_path / "v2")

    import_errors(folder)

    assert counts() == (3, 2, 5)
    assert pks() == before
    tours = Commune.objects.get(code_insee="37261")
    assert (tours.nom, tours.population_municipale) == ("Tours", 135787)


# --- The bundled national data -------------------------------------------------------------------


def test_bundled_data_imports_whole_and_fast():
    start = time.monotonic()
    report = import_territories(DEFAULT_DATA_DIR)
    elapsed = time.monotonic() - start

    assert counts() == (101, 1253, 34875)
    assert (report.departements.created, report.epci.created, report.communes.created) == (
        101,
        1253,
        34875,
    )
    assert report.epci_contours == 11
    assert report.commune_contours == 272
    touraine = Departement.objects.get(code="37")
    assert touraine.nom == "Indre-et-Loire"
    assert touraine.communes.count() == 272
    epcis = Epci.objects.filter(communes__departement=touraine).distinct()
    assert epcis.count() == 11
    assert epcis.filter(geometrie__isnull=False).count() == 11
    assert Commune.objects.get(code_insee="37261").nom == "Tours"
    assert Commune.objects.filter(population_municipale__isnull=True).count() == 18
    assert elapsed < 30, f"import national en {elapsed:.1f} s"

    again = import_territories(DEFAULT_DATA_DIR)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 101 + 1253 + 34875)


def test_a_byte_order_mark_is_accepted(tmp_path):
    folder = write_folder(tmp_path, departements_csv="\ufeff" + DEPARTEMENTS)
    import_territories(folder)
    assert Departement.objects.filter(code="37").exists()


def test_a_file_not_in_utf8_is_reported(tmp_path):
    folder = write_folder(tmp_path)
    (folder / "communes.csv").write_bytes(COMMUNES.replace("Neuvy", "Neuvé").encode("latin-1"))
    error = import_errors(folder)
    assert str(error.errors[0]) == "communes.csv : le fichier n'est pas encodé en UTF-8"


def test_an_empty_file_is_reported(tmp_path):
    folder = write_folder(tmp_path, epci_csv="")
    error = import_errors(folder)
    assert str(error.errors[0]).startswith("epci.csv, ligne 1 : colonne(s) manquante(s) : siren")

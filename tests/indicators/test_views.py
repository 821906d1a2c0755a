"""Pages of the diagnostic: the fiche (HTML, XLSX, PDF), local indicators, the import page."""

import io
import shutil
import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from coopctg.indicators.importer import import_file
from coopctg.indicators.models import ImportBatch, LocalIndicator, TerritorialValue
from tests.factories import CommuneFactory
from tests.indicators.conftest import DEP_FILE, EPCI_FILE, NAT_FILE


@pytest.fixture
def imported(touraine):
    import_file("epci.csv", EPCI_FILE.encode(), demonstration=True)
    import_file("dep.csv", DEP_FILE.encode())
    import_file("nat.json", NAT_FILE.encode())
    return touraine


def test_fiche_page_shows_values_comparisons_and_the_demo_warning(client, imported):
    client.force_login(imported.elu)
    response = client.get(reverse("indicators:fiche", args=[imported.own.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Fiche diagnostic — Communauté de communes de Gâtine-Racan" in html
    assert "Valeurs fictives de démonstration." in html  # the banner
    assert html.count("valeurs fictives de démonstration</span>") == 8  # each txcouv row
    assert "61,1" in html and "83,5" in html and "60,9" in html
    assert "2022 : 63,30" in html and "en baisse" in html
    assert "Les communes : population municipale (2017)" in html
    assert "Neuvy-le-Roi" in html
    assert "Ajouter un indicateur local" not in html  # the elected official reads only
    older = client.get(reverse("indicators:fiche", args=[imported.own.pk]), {"annee": "2022"})
    assert "63,30" in older.content.decode()


def test_fiche_page_has_a_bounded_number_of_queries(
    client, imported, django_assert_max_num_queries
):
    for number in range(25):
        CommuneFactory(
            code_insee=f"378{number:02d}", departement=imported.dep, epci=imported.epci_own
        )
    client.force_login(imported.editor)
    with django_assert_max_num_queries(25):
        response = client.get(reverse("indicators:fiche", args=[imported.own.pk]))
    assert response.status_code == 200


def test_fiche_xlsx_keeps_numbers_with_their_published_decimals(client, imported):
    client.force_login(imported.editor)
    response = client.get(reverse("indicators:fiche_xlsx", args=[imported.own.pk]))
    assert response["Content-Disposition"].startswith("attachment;")
    sheet = load_workbook(io.BytesIO(response.content))["Fiche diagnostic"]
    rows = {row[1].value: row for row in sheet.iter_rows() if row[1].value}
    coverage = rows["Taux de couverture global de l'accueil du jeune enfant"]
    assert [cell.value for cell in coverage[3:7]] == [2023, 61.1, 83.5, 60.9]
    assert coverage[4].number_format == "#,##0.0"
    assert "valeurs fictives de démonstration" in coverage[9].value
    assert any(
        "Attention : valeurs fictives de démonstration" in str(cell.value)
        for row in sheet.iter_rows(max_row=8)
        for cell in row
    )


def test_fiche_pdf_says_the_values_are_fictitious(client, imported):
    client.force_login(imported.editor)
    response = client.get(reverse("indicators:fiche_pdf", args=[imported.own.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext absent : texte du PDF non vérifié")
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=response.content, capture_output=True, check=True
    ).stdout.decode()
    assert "Fiche diagnostic" in text and "61,1" in text
    assert "valeurs fictives de démonstration" in text


def test_editor_adds_a_local_indicator_and_its_values(client, touraine):
    client.force_login(touraine.editor)
    url = reverse("indicators:local_create", args=[touraine.own.pk])
    missing = client.post(url, {"libelle": "Familles reçues", "unite": "", "theme": "parentalite"})
    assert missing.status_code == 400
    assert 'id="id_source_error"' in missing.content.decode()
    response = client.post(
        url,
        {
            "libelle": "Familles reçues\x0bau guichet",
            "unite": "familles",
            "theme": "parentalite",
            "source": "Guichet unique petite enfance",
        },
    )
    item = LocalIndicator.objects.get()
    assert item.libelle == "Familles reçues au guichet"  # control character cleaned
    assert response["Location"] == reverse("indicators:local_value", args=[item.pk])
    value_url = reverse("indicators:local_value", args=[item.pk])
    bad = client.post(value_url, {"annee": "2023", "valeur": "beaucoup"})
    assert bad.status_code == 400 and "n&#x27;est pas un nombre" in bad.content.decode()
    client.post(value_url, {"annee": "2023", "valeur": "1 234,5"})
    value = TerritorialValue.objects.get(indicateur=item.code)
    assert (value.niveau, value.territoire, value.texte) == ("epci", "200073237", "1234.5")
    fiche = client.get(reverse("indicators:fiche", args=[touraine.own.pk])).content.decode()
    assert "Familles reçues au guichet" in fiche and "1\u202f234,5" in fiche
    duplicate = client.post(
        url, {"libelle": item.libelle, "unite": "x", "theme": "parentalite", "source": "y"}
    )
    assert "déjà un indicateur de ce libellé" in duplicate.content.decode()


def test_caf_admin_imports_a_file_from_the_upload_page(client, touraine):
    client.force_login(touraine.admin)
    url = reverse("indicators:import")
    upload = SimpleUploadedFile("txcouv_pe_epci.csv", EPCI_FILE.encode(), "text/csv")
    response = client.post(url, {"fichier": upload})
    assert response.status_code == 302
    assert TerritorialValue.objects.filter(niveau="epci").count() == 24
    page = client.get(url).content.decode()
    assert "Import terminé : txcouv_pe_epci" in page
    assert ImportBatch.objects.get().importe_par == touraine.admin

    bad = SimpleUploadedFile(
        "txcouv_pe_epci.csv", EPCI_FILE.replace(";61.1\n", ";six\n").encode(), "text/csv"
    )
    response = client.post(url, {"fichier": bad})
    assert response.status_code == 400
    assert "txcouv_pe_epci.csv, ligne 3 : txcouv_epci « six » : n&#x27;est pas un nombre" in (
        response.content.decode()
    )
    assert ImportBatch.objects.count() == 1
    wrong_type = client.post(url, {"fichier": SimpleUploadedFile("a.xlsx", b"PK")})
    assert "export .csv ou .json" in wrong_type.content.decode()


def test_collectivite_dashboard_has_a_diagnostic_panel(client, imported):
    client.force_login(imported.elu)
    html = client.get(reverse("dashboards:collectivite", args=[imported.own.pk])).content.decode()
    panel = html[html.index('<h2 id="diagnostic">') : html.index('<h2 id="echeances">')]
    assert "Population municipale</strong> (2017) : 1\u202f100 habitants" in panel
    assert "Taux de couverture global de l&#x27;accueil du jeune enfant</strong> (2023) : 61,1" in (
        panel
    )
    assert "département : 83,5 · France : 60,9 · en baisse depuis 2022" in panel
    assert "valeurs fictives de démonstration" in panel
    assert reverse("indicators:fiche", args=[imported.own.pk]) in panel


def test_the_collectivite_page_links_to_its_fiche(client, touraine):
    client.force_login(touraine.editor)
    html = client.get(reverse("organisations:collectivite", args=[touraine.own.pk])).content
    assert reverse("indicators:fiche", args=[touraine.own.pk]).encode() in html


def test_import_page_query_count_does_not_grow_with_the_imports(client, touraine):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(touraine.admin)
    url = reverse("indicators:import")
    import_file("epci.csv", EPCI_FILE.encode(), user=touraine.admin)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for _ in range(5):
        import_file("dep.csv", DEP_FILE.encode(), user=touraine.analyst)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)

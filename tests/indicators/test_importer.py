"""The import of publisher-format files: reading, checking every row, writing with history."""

import datetime as dt
from decimal import Decimal

import pytest

from coopctg.indicators.importer import IndicatorImportError, import_file, parse_number
from coopctg.indicators.models import ImportBatch, TerritorialValue, TerritorialValueHistory
from tests.indicators.conftest import DEP_FILE, EPCI_FILE, EPCI_HEADER, NAT_FILE


def values(**filters):
    return dict(TerritorialValue.objects.filter(**filters).values_list("territoire", "texte"))


def test_epci_file_as_published(touraine):
    calls = []
    report = import_file(
        "txcouv_pe_epci.csv", EPCI_FILE.encode(), progress=lambda *a: calls.append(a)
    )
    assert report.dataset.code == "txcouv_pe_epci"
    assert report.years == [2022, 2023]
    assert report.placeholders == 1  # the « XX » line: communes outside any EPCI
    assert (report.created, report.replaced, report.unchanged) == (24, 0, 0)
    assert values(indicateur="txcouv_global", annee=2023) == {
        "200073237": "61.1",
        "243700754": "62.4",
    }
    value = TerritorialValue.objects.get(
        indicateur="txcouv_global", territoire="200073237", annee=2022
    )
    assert (value.niveau, value.texte, value.valeur) == ("epci", "63.30", Decimal("63.30"))
    assert value.lot.jeu == "txcouv_pe_epci" and len(value.lot.empreinte) == 64
    assert calls[0] == ("lecture et vérification", 4, 4)
    assert calls[-1] == ("écriture des valeurs", 24, 24)
    assert "1 ligne(s) « XX » ignorée(s)" in report.summary()


def test_departement_file_with_comma_separator_bom_and_an_empty_cell(touraine):
    report = import_file("txcouv_pe_dep.csv", DEP_FILE.encode())
    assert report.dataset.code == "txcouv_pe_dep"
    assert report.not_published == 1
    assert values(indicateur="txcouv_dep") == {}
    assert values(indicateur="txcouv_global", annee=2023) == {"37": "83.5", "41": "66.1"}
    assert values(indicateur="txcouv_eaje", annee=2023) == {"41": "24.4"}  # 37: not published


def test_france_json_of_the_explore_api_keeps_the_numbers_as_written(touraine):
    report = import_file("txcouv_pe_nat.json", NAT_FILE.encode())
    assert report.dataset.code == "txcouv_pe_nat"
    assert values(indicateur="txcouv_global", niveau="france", annee=2022) == {"FR": "59.50"}
    assert values(indicateur="txcouv_eaje", niveau="france", annee=2023) == {"FR": "22.3"}


def test_a_list_of_records_with_integers_and_strings(touraine):
    text = '[{"annee": 2023, "txcouv_nat": 61}, {"annee": "2022", "txcouv_nat": "60,1"}]'
    import_file("export.json", text.encode())
    assert values(niveau="france", indicateur="txcouv_global", annee=2022) == {"FR": "60.1"}
    assert TerritorialValue.objects.get(annee=2023, niveau="france").texte == "61"


def test_semicolons_and_decimal_commas(touraine):
    text = f"{EPCI_HEADER}\n200073237;Gâtine;37;I;2023;19,7;4;23,7;4,4;30,6;2,4;33;61,10\n"
    import_file("epci.csv", text.encode("utf-8-sig"))
    assert values(indicateur="txcouv_global") == {"200073237": "61.10"}


def test_every_bad_row_is_reported_with_its_line_and_nothing_is_written(touraine):
    rows = [
        "999999999;Inconnue;37;I;2023;1;1;2;1;1;1;2;60.0",
        "200073237;Gâtine;37;I;vingt;1;1;2;1;1;1;2;60.0",
        "200073237;Gâtine;37;I;2023;1;1;2;1;1;1;2;n.d.",
        "200073237;Gâtine;37;I;2023;1;1;2;1;1;1;2;61.0",
        "200073237;Gâtine;37;I;2022;1;1;2;1;1;1;2;61.0",
        "200073237;Gâtine;37;I;2022;1;1;2;1;1;1;2;61.1234567",
        "200073237;Gâtine;37;I;1850;1;1;2;1;1;1;2;61.0",
        ";Gâtine;37;I;2021;1;1;2;1;1;1;2;61.0",
        "200073237;Gâtine;37;I;2021;1;1",
    ]
    text = EPCI_HEADER + "\n" + "\n".join(rows) + "\n"
    with pytest.raises(IndicatorImportError) as caught:
        import_file("epci.csv", text.encode())
    messages = [str(issue) for issue in caught.value.errors]
    assert messages == [
        "epci.csv, ligne 2 : numepci « 999999999 » : EPCI inconnu(e) des territoires de CoopCTG",
        "epci.csv, ligne 3 : annee « vingt » : une année est attendue (AAAA)",
        "epci.csv, ligne 4 : txcouv_epci « n.d. » : n'est pas un nombre",
        "epci.csv, ligne 7 : txcouv_epci « 61.1234567 » : trop de décimales (6 au plus)",
        f"epci.csv, ligne 8 : annee « 1850 » : année hors de 1990–{dt.date.today().year + 1}",
        "epci.csv, ligne 9 : numepci vide",
        "epci.csv, ligne 10 : 7 colonne(s) au lieu de 13",
    ]
    assert str(caught.value).endswith("(7 erreurs au total)")
    assert not TerritorialValue.objects.exists()
    assert not ImportBatch.objects.exists()


def test_the_same_territory_and_year_twice_is_an_error(touraine):
    rows = [
        "200073237;Gâtine;37;I;2023;1;1;2;1;1;1;2;61.0",
        "200073237;Gâtine;37;I;2023;1;1;2;1;1;1;2;62.0",
    ]
    with pytest.raises(IndicatorImportError) as caught:
        import_file("epci.csv", (EPCI_HEADER + "\n" + "\n".join(rows)).encode())
    assert str(caught.value) == (
        "epci.csv, ligne 3 : territoire « 200073237 », année 2023 en double (déjà ligne 2)"
    )


def test_json_errors_name_the_record(touraine):
    text = '{"results": [{"annee": "2023", "txcouv_nat": 60.9}, {"annee": "x", "txcouv_nat": 1}]}'
    with pytest.raises(IndicatorImportError) as caught:
        import_file("nat.json", text.encode())
    assert str(caught.value) == (
        "nat.json, enregistrement 2 : annee « x » : une année est attendue (AAAA)"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"numepci;annee;autre\n200073237;2023;1\n", "jeu de données non reconnu"),
        ("numepci;annee;txcouv_epci\n".encode("latin-1") + "é".encode("latin-1"), "UTF-8"),
        (b'{"results": [', "JSON invalide"),
        (b'{"resultats": []}', "JSON de l'API explore attendu"),
        (b'[{"annee": "2023", "txcouv_nat": NaN}]', "JSON invalide"),
        (b"", "le fichier est vide"),
    ],
)
def test_unusable_files(touraine, content, message):
    with pytest.raises(IndicatorImportError, match=message):
        import_file("f.csv", content)
    assert not ImportBatch.objects.exists()


def test_reimport_keeps_unchanged_values_and_the_history_of_replaced_ones(touraine):
    import_file("epci.csv", EPCI_FILE.encode(), demonstration=True)
    again = import_file("epci.csv", EPCI_FILE.encode(), demonstration=True)
    assert (again.created, again.replaced, again.unchanged) == (0, 0, 24)

    corrected = EPCI_FILE.replace(";63.30\n", ";63.4\n")
    report = import_file("epci-corrige.csv", corrected.encode())
    # The corrected value, and every value that was a demonstration one, now real.
    assert report.replaced == 24 and report.created == 0
    value = TerritorialValue.objects.get(
        indicateur="txcouv_global", territoire="200073237", annee=2022
    )
    assert value.texte == "63.4" and not value.lot.demonstration
    old = TerritorialValueHistory.objects.get(
        indicateur="txcouv_global", territoire="200073237", annee=2022
    )
    assert (old.texte, old.lot.demonstration, old.remplacee_par) == ("63.30", True, value.lot)
    assert TerritorialValue.objects.count() == 24  # replaced, never duplicated


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("61.1", ("61.1", Decimal("61.1"))),
        ("61,10", ("61.10", Decimal("61.10"))),
        ("0", ("0", Decimal(0))),
        ("-3.5", ("-3.5", Decimal("-3.5"))),
        ("1e3", "n'est pas un nombre"),
        ("1 000", "n'est pas un nombre"),
        ("NaN", "n'est pas un nombre"),
        ("12.", "n'est pas un nombre"),
        ("1" * 19, "nombre trop grand (18 chiffres avant la virgule au plus)"),
    ],
)
def test_parse_number(text, expected):
    assert parse_number(text) == expected

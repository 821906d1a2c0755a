"""The dated-parameter machinery (coopctg.core.params): lookup by date and load-time checks."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from coopctg.core.params import (
    ParameterError,
    ParameterFileError,
    ParameterNotInForce,
    load_parameter_file,
    load_parameters,
    load_yaml,
    parse_iso_date,
)

RATE = """\
description: Forfait par Etp
unite: euro_par_etp
valeurs:
  2022-01-01:
    valeur: 24000
    reference: Référentiel 2022
  2024-01-01:
    valeur: 25000.50
    reference: Délibération 2023
  2026-07-01:
    valeur: null
"""


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def rate(tmp_path):
    return load_parameter_file(write(tmp_path, "forfait_etp.yaml", RATE))


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2022-01-01", Decimal("24000")),  # day of the first value
        ("2023-12-31", Decimal("24000")),  # day before the second value
        ("2024-01-01", Decimal("25000.50")),  # day of the second value
        ("2026-06-30", Decimal("25000.50")),  # last day before the end
    ],
)
def test_latest_value_on_or_before_the_date_applies(rate, day, expected):
    value = rate.value_at(dt.date.fromisoformat(day))
    assert value == expected
    assert isinstance(value, Decimal)  # never a float


def test_entry_carries_its_date_and_reference(rate):
    entry = rate.entry_at(dt.date(2025, 5, 1))
    assert entry.start == dt.date(2024, 1, 1)
    assert entry.reference == "Délibération 2023"
    assert rate.name == "forfait_etp"
    assert rate.unit == "euro_par_etp"
    assert rate.description == "Forfait par Etp"


def test_before_the_first_date_is_an_error(rate):
    with pytest.raises(ParameterNotInForce) as error:
        rate.value_at(dt.date(2021, 12, 31))
    assert str(error.value) == (
        "le paramètre « forfait_etp » n'a pas de valeur en vigueur au 31/12/2021 : "
        "sa première valeur prend effet le 01/01/2022"
    )


@pytest.mark.parametrize("day", ["2026-07-01", "2030-01-01"])
def test_null_ends_the_parameter(rate, day):
    with pytest.raises(
        ParameterNotInForce, match=r"n'est plus en vigueur .* pris fin le 01/07/2026"
    ):
        rate.value_at(dt.date.fromisoformat(day))


def test_a_value_after_a_null_restarts_the_parameter(tmp_path):
    text = RATE + "  2027-01-01:\n    valeur: 26000\n    reference: Délibération 2026\n"
    parameter = load_parameter_file(write(tmp_path, "forfait_etp.yaml", text))
    assert parameter.value_at(dt.date(2027, 1, 1)) == Decimal("26000")


def test_decimal_at_requires_a_number(tmp_path):
    text = "description: d\nvaleurs:\n  2022-01-01:\n    valeur: texte\n    reference: r\n"
    parameter = load_parameter_file(write(tmp_path, "p.yaml", text))
    assert parameter.value_at(dt.date(2022, 1, 1)) == "texte"
    with pytest.raises(ParameterError, match="doit être un nombre"):
        parameter.decimal_at(dt.date(2022, 1, 1))


def test_values_are_immutable_and_numbers_decimal(tmp_path):
    text = (
        "description: d\nvaleurs:\n  2022-01-01:\n"
        "    valeur: [{code: a, taux: 0.1, actif: true}]\n    reference: r\n"
    )
    value = load_parameter_file(write(tmp_path, "p.yaml", text)).value_at(dt.date(2022, 1, 1))
    assert isinstance(value, tuple)
    assert dict(value[0]) == {"code": "a", "taux": Decimal("0.1"), "actif": True}
    with pytest.raises(TypeError):
        value[0]["code"] = "b"


def test_folder_loads_every_file_with_dotted_names_for_subfolders(tmp_path):
    write(tmp_path, "forfait_etp.yaml", RATE)
    write(tmp_path, "gouvernance/copil.yml", RATE.replace("Forfait par Etp", "Copil"))
    write(tmp_path, "LISEZMOI.md", "pas un paramètre")
    write(tmp_path, ".cache/ignored.yaml", "n'importe quoi: [")
    parameters = load_parameters(tmp_path)
    assert sorted(parameters) == ["forfait_etp", "gouvernance.copil"]
    assert "gouvernance.copil" in parameters
    assert parameters["gouvernance.copil"].description == "Copil"
    assert parameters.value_at("forfait_etp", dt.date(2022, 6, 1)) == Decimal("24000")


def test_missing_parameter_and_missing_folder(tmp_path):
    parameters = load_parameters(tmp_path)
    with pytest.raises(ParameterFileError, match="« seuil » est absent du dossier"):
        parameters["seuil"]
    with pytest.raises(ParameterFileError, match="dossier de paramètres introuvable"):
        load_parameters(tmp_path / "absent")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # duplicate dates, written the same way or quoted
        (
            "description: d\nvaleurs:\n  2022-01-01: {valeur: 1, reference: r}\n"
            "  2022-01-01: {valeur: 2, reference: r}\n",
            "p.yaml, ligne 4 : clé « 2022-01-01 » en double",
        ),
        (
            "description: d\nvaleurs:\n  2022-01-01: {valeur: 1, reference: r}\n"
            "  '2022-01-01': {valeur: 2, reference: r}\n",
            "clé « 2022-01-01 » en double",
        ),
        # malformed and impossible dates
        (
            "description: d\nvaleurs:\n  2022-1-1: {valeur: 1, reference: r}\n",
            "la date « 2022-1-1 » est mal formée (format attendu : AAAA-MM-JJ)",
        ),
        (
            "description: d\nvaleurs:\n  01/01/2022: {valeur: 1, reference: r}\n",
            "la date « 01/01/2022 » est mal formée",
        ),
        (
            "description: d\nvaleurs:\n  2022: {valeur: 1, reference: r}\n",
            "la date « 2022 » est mal formée",
        ),
        (
            "description: d\nvaleurs:\n  2023-02-30: {valeur: 1, reference: r}\n",
            "la date « 2023-02-30 » n'existe pas dans le calendrier",
        ),
        # structure
        ("- 1\n- 2\n", "le fichier doit contenir un dictionnaire YAML"),
        ("valeurs:\n  2022-01-01: {valeur: 1, reference: r}\n", "« description » manquante"),
        ("description: d\n", "« valeurs » doit être un dictionnaire non vide"),
        ("description: d\nvaleurs: {}\n", "« valeurs » doit être un dictionnaire non vide"),
        (
            "description: d\nvaleur: 1\nvaleurs:\n  2022-01-01: {valeur: 1, reference: r}\n",
            "clé inconnue « valeur »",
        ),
        ("description: d\nvaleurs:\n  2022-01-01: 24000\n", "un dictionnaire avec « valeur »"),
        (
            "description: d\nvaleurs:\n  2022-01-01: {valeur: 1, reference: r, source: s}\n",
            "clé inconnue « source »",
        ),
        (
            "description: d\nvaleurs:\n  2022-01-01: {valeur: 1}\n",
            "valeur du 2022-01-01 : « reference » manquante",
        ),
        (
            "description: d\nvaleurs:\n  2022-01-01: {valeur: 1, reference: ''}\n",
            "« reference » doit être un texte non vide",
        ),
        # numbers YAML reads as floats elsewhere: refused rather than approximated
        ("description: d\nvaleurs:\n  2022-01-01: {valeur: .inf, reference: r}\n", "« .inf »"),
        # not YAML
        ("description: [d\n", "p.yaml, ligne 2 : YAML invalide"),
    ],
)
def test_malformed_files_are_rejected_with_a_french_message(tmp_path, text, message):
    path = write(tmp_path, "p.yaml", text)
    with pytest.raises(ParameterFileError) as error:
        load_parameter_file(path)
    assert message in str(error.value)
    assert str(path) in str(error.value)


def test_file_not_utf8_is_rejected(tmp_path):
    path = write(tmp_path, "p.yaml", "description: Parentalité\n".encode("latin-1"))
    with pytest.raises(ParameterFileError, match="n'est pas encodé en UTF-8"):
        load_parameter_file(path)


def test_bad_file_in_a_folder_fails_the_whole_load(tmp_path):
    write(tmp_path, "forfait_etp.yaml", RATE)
    write(
        tmp_path,
        "seuil.yaml",
        "description: d\nvaleurs:\n  2022-13-01: {valeur: 1, reference: r}\n",
    )
    with pytest.raises(
        ParameterFileError, match=r"seuil\.yaml : la date « 2022-13-01 » n'existe pas"
    ):
        load_parameters(tmp_path)


def test_invalid_parameter_name(tmp_path):
    write(tmp_path, "Forfait-ETP.yaml", RATE)
    with pytest.raises(ParameterFileError, match="nom de paramètre invalide"):
        load_parameters(tmp_path)


def test_load_yaml_reads_numbers_as_decimal_and_dates_as_text():
    assert load_yaml("a: 0.1\nb: 3\nc: 2022-01-01\n") == {
        "a": Decimal("0.1"),
        "b": Decimal("3"),
        "c": "2022-01-01",
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2023-02-30", "n'existe pas dans le calendrier"),
        ("20230101", "mal formée"),
        ("2023-W01-1", "mal formée"),
        ("2023-01-01T00:00", "mal formée"),
        ("２０２３-01-01", "mal formée"),
    ],
)
def test_parse_iso_date_is_strict(text, message):
    with pytest.raises(ValueError, match=message):
        parse_iso_date(text)
    assert parse_iso_date("2024-02-29") == dt.date(2024, 2, 29)

"""The governance rules beyond the YAML tables: parameter files, periods, labels."""

import datetime as dt
from pathlib import Path

import pytest

from coopctg.core.params import ParameterFileError
from coopctg.governance.rules import (
    COPIL_MINIMUM,
    COTECH_MINIMUM,
    MeetingKind,
    Period,
    PeriodKind,
    Status,
    calendar_periods,
    load_governance_parameters,
)
from coopctg.governance.services import PARAMETERS_ROOT

QUOTE = (
    "« Le.La chargé.e de coopération doit organiser en lien avec le collègue de la Caf les "
    "comités de pilotage (1 fois par an minimum) et les comités techniques (1 fois par semestre "
    "minimum). »"
)


def test_caf_37_minimums_quote_the_referentiel():
    parameters = load_governance_parameters(PARAMETERS_ROOT / "caf-37")
    for name in (COPIL_MINIMUM, COTECH_MINIMUM):
        minimum = parameters.minimum_at(name, dt.date(2022, 1, 1))
        assert minimum is not None and minimum.value == 1
        assert minimum.since == dt.date(2022, 1, 1)
        assert QUOTE in " ".join(minimum.reference.split())
    assert parameters.minimum_at(COPIL_MINIMUM, dt.date(2021, 12, 31)) is None


def write(folder: Path, name: str, value: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.yaml").write_text(
        f"description: essai\nvaleurs:\n  2022-01-01:\n    valeur: {value}\n    reference: essai\n",
        encoding="utf-8",
    )


@pytest.mark.parametrize("value", ["-1", "1.5", "deux", "[1]"])
def test_a_minimum_is_a_whole_number_checked_at_load(tmp_path, value):
    write(tmp_path, COPIL_MINIMUM, "1")
    write(tmp_path, COTECH_MINIMUM, value)
    with pytest.raises(ParameterFileError, match="un nombre entier positif ou nul est attendu"):
        load_governance_parameters(tmp_path)


def test_a_missing_parameter_file_is_named(tmp_path):
    write(tmp_path, COPIL_MINIMUM, "1")
    with pytest.raises(ParameterFileError, match=r"cotech_minimum_par_semestre\.yaml attendu"):
        load_governance_parameters(tmp_path)


def test_zero_is_a_valid_minimum(tmp_path):
    write(tmp_path, COPIL_MINIMUM, "0")
    write(tmp_path, COTECH_MINIMUM, "1")
    minimum = load_governance_parameters(tmp_path).minimum_at(COPIL_MINIMUM, dt.date(2024, 1, 1))
    assert minimum is not None and minimum.value == 0


def test_calendar_periods_and_labels():
    semesters = calendar_periods(PeriodKind.SEMESTER, dt.date(2024, 6, 30), dt.date(2025, 1, 1))
    assert [p.key for p in semesters] == ["2024-S1", "2024-S2", "2025-S1"]
    assert [p.label for p in semesters] == [
        "1er semestre 2024",
        "2e semestre 2024",
        "1er semestre 2025",
    ]
    assert semesters[1].start == dt.date(2024, 7, 1) and semesters[1].end == dt.date(2024, 12, 31)
    year = Period(PeriodKind.YEAR, 2024)
    assert (year.key, year.label, year.sentence_label) == ("2024", "2024", "Année 2024")
    assert calendar_periods(PeriodKind.YEAR, dt.date(2024, 7, 1), dt.date(2024, 7, 1)) == [year]


def test_labels_for_people():
    assert Status.NON_CONFORME.label == "non conforme"
    assert Status.A_VENIR.label == "à venir"
    assert MeetingKind.COTECH.label == "Comité technique (Cotech)"

"""The rules of mission 2 beyond the YAML tables: parameter files, targets, coverage, the
synthesis of the needs."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from coopctg.core.params import ParameterFileError
from coopctg.diagnostic.commissions import PARAMETERS_ROOT
from coopctg.diagnostic.rules import (
    Criterion,
    Need,
    TargetStatus,
    coverage,
    load_commission_parameters,
    percent_text,
    published_count,
    summarize_needs,
    target_outcome,
)


def test_caf_37_thresholds_cite_their_source_and_say_what_is_to_confirm():
    parameters = load_commission_parameters(PARAMETERS_ROOT / "caf-37")
    day = dt.date(2024, 6, 1)
    handicap = parameters.threshold_at(Criterion.HANDICAP, day)
    insertion = parameters.threshold_at(Criterion.INSERTION, day)
    assert handicap is not None and handicap.value == Decimal(5)
    assert "inclusion handicap" in handicap.reference
    assert insertion is not None and "D. 214-7" in insertion.reference
    assert "une place par tranche de vingt places" in " ".join(insertion.reference.split())
    for criterion in Criterion:
        threshold = parameters.threshold_at(criterion, day)
        if threshold is not None:
            assert "mission 2" in threshold.reference
            assert "confirmer par la Caf" in threshold.reference
    assert parameters.threshold_at(Criterion.QPV, day) is None  # no threshold in Touraine
    assert parameters.minimum_count_at(day).value == 5
    assert parameters.threshold_at(Criterion.QF_BAS, dt.date(2021, 12, 31)) is None


def write(folder: Path, name: str, value: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.yaml").write_text(
        f"description: essai\nvaleurs:\n  2022-01-01:\n    valeur: {value}\n    reference: essai\n",
        encoding="utf-8",
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("part_minimale_qf_bas", "120", "une part de 0 à 100"),
        ("part_minimale_handicap", "-1", "une part de 0 à 100"),
        ("part_minimale_handicap", "cinq", "un nombre est attendu"),
        ("effectif_minimum", "0", "un nombre entier d'au moins 1"),
        ("effectif_minimum", "2.5", "un nombre entier d'au moins 1"),
        ("plafond_quotient_familial", "-700", "un montant positif ou nul"),
    ],
)
def test_a_bad_value_is_refused_at_load(tmp_path, name, value, message):
    write(tmp_path, "effectif_minimum", "5")
    write(tmp_path, name, value)
    with pytest.raises(ParameterFileError, match=message):
        load_commission_parameters(tmp_path)


def test_the_statistical_secrecy_minimum_is_required(tmp_path):
    write(tmp_path, "part_minimale_qf_bas", "20")
    with pytest.raises(ParameterFileError, match=r"effectif_minimum\.yaml attendu"):
        load_commission_parameters(tmp_path)


def test_an_unknown_parameter_is_named(tmp_path):
    write(tmp_path, "effectif_minimum", "5")
    write(tmp_path, "part_minimale_fratries", "10")
    with pytest.raises(ParameterFileError, match="paramètre inconnu « part_minimale_fratries »"):
        load_commission_parameters(tmp_path)


@pytest.mark.parametrize(
    ("target", "achieved", "ended", "status", "missing"),
    [
        (None, 3, True, TargetStatus.SANS_OBJECTIF, 0),
        (0, 0, False, TargetStatus.ATTEINT, 0),
        (2, 1, False, TargetStatus.EN_COURS, 1),
        (2, 1, True, TargetStatus.NON_ATTEINT, 1),
        (2, 2, True, TargetStatus.ATTEINT, 0),
        (2, 5, False, TargetStatus.ATTEINT, 0),
    ],
)
def test_target_outcome(target, achieved, ended, status, missing):
    outcome = target_outcome(target, achieved, ended)
    assert outcome.status is status
    assert outcome.missing == missing


def test_target_outcome_refuses_negative_numbers():
    with pytest.raises(ValueError, match="positif ou nul"):
        target_outcome(-1, 0, False)


def test_coverage_lists_enjeux_without_action_and_actions_without_enjeu():
    found = coverage({1: [10, 11], 2: [], 3: [11]}, [10, 11, 12, 13])
    assert found.enjeux_without_action == (2,)
    assert found.actions_without_enjeu == (12, 13)
    assert coverage({}, [1]).actions_without_enjeu == (1,)


def test_summarize_needs_by_theme_commune_and_kind():
    needs = [
        Need("petite_enfance", "Neuvy-le-Roi", "place", True),
        Need("petite_enfance", "Neuvy-le-Roi", "horaires", False),
        Need("jeunesse", "Semblançay", "information", False),
        Need("petite_enfance", "Semblançay", "place", False),
    ]
    summary = summarize_needs(
        needs, ["petite_enfance", "enfance", "jeunesse"], ["place", "horaires", "information"]
    )
    assert (summary.total, summary.answered, summary.unanswered) == (4, 1, 3)
    assert [(c.key, c.total, c.answered) for c in summary.by_theme] == [
        ("petite_enfance", 3, 1),
        ("jeunesse", 1, 0),
    ]
    assert [(c.key, c.total) for c in summary.by_kind] == [
        ("place", 2),
        ("horaires", 1),
        ("information", 1),
    ]
    assert {c.key for c in summary.by_commune} == {"Neuvy-le-Roi", "Semblançay"}
    assert summary.cross[("petite_enfance", "Semblançay")] == 1


def test_published_count_and_percent_text():
    assert [published_count(n, 5) for n in (0, 1, 4, 5, 12)] == [
        "0",
        "moins de 5",
        "moins de 5",
        "5",
        "12",
    ]
    assert percent_text(Decimal("12.5")) == "12,5\u00a0%"
    assert percent_text(Decimal("20.0")) == "20\u00a0%"

"""Pure rules of the plan d'actions: « en retard » (YAML table next to this file), French
inputs, summary."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coopctg.actionplan.rules import (
    ActionFacts,
    ActionStatus,
    display_status,
    format_decimal,
    is_overdue,
    mean_progress,
    parse_decimal,
    parse_progress,
    parse_status,
    parse_themes,
    summarize,
)
from coopctg.core.params import load_yaml
from coopctg.core.themes import Theme

TABLE = Path(__file__).with_suffix(".yaml")
CASES = load_yaml(TABLE.read_text(encoding="utf-8"), str(TABLE))


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_overdue_table(case):
    assert set(case) == {"name", "statut", "fin", "aujourd_hui", "output"}
    end = dt.date.fromisoformat(case["fin"]) if case["fin"] else None
    today = dt.date.fromisoformat(case["aujourd_hui"])
    assert is_overdue(case["statut"], end, today) is case["output"]["en_retard"]
    assert display_status(case["statut"], end, today) == case["output"]["affiche"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (12, Decimal("12")),
        (12.5, Decimal("12.5")),
        (0.1, Decimal("0.1")),
        (Decimal("3.25"), Decimal("3.25")),
        ("12,5", Decimal("12.5")),
        ("12.5", Decimal("12.5")),
        (" 1 234,56 ", Decimal("1234.56")),
        ("1\u202f234,5", Decimal("1234.5")),
        ("1\u00a0234", Decimal("1234")),
        ("-4,5", Decimal("-4.5")),
        (",5", Decimal("0.5")),
        ("999999999999,99", Decimal("999999999999.99")),
    ],
)
def test_parse_decimal_accepts_cells_and_french_text(raw, expected):
    value = parse_decimal(raw)
    assert value == expected
    assert value.as_tuple().exponent == -2  # stored with two places


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("douze", "n'est pas un nombre"),
        ("12,5 %", "n'est pas un nombre"),
        ("1.234,5", "n'est pas un nombre"),
        ("12,345", "2 décimales au plus"),
        (0.125, "2 décimales au plus"),
        ("1000000000000", "trop grand"),
        (1e30, "trop grand"),
        (True, "n'est pas un nombre"),
        (float("nan"), "n'est pas un nombre"),
        ("", "n'est pas un nombre"),
    ],
)
def test_parse_decimal_refuses(raw, message):
    with pytest.raises(ValueError, match=message):
        parse_decimal(raw)


@given(st.decimals(min_value=-(10**11), max_value=10**11, places=2, allow_nan=False))
def test_format_then_parse_is_identity(value):
    assert parse_decimal(format_decimal(value)) == value


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("réalisée", "realisee"),
        ("Realisee", "realisee"),
        ("A lancer", "a_lancer"),
        ("à lancer", "a_lancer"),
        ("en_cours", "en_cours"),
        ("  EN COURS ", "en_cours"),
        ("Abandonnée", "abandonnee"),
    ],
)
def test_parse_status(raw, expected):
    assert parse_status(raw) == ActionStatus(expected)


def test_parse_status_refuses_overdue_and_unknown():
    with pytest.raises(ValueError, match="calculé"):
        parse_status("En retard")
    with pytest.raises(ValueError, match="« terminée » inconnu"):
        parse_status("terminée")


def test_parse_themes_labels_codes_order_and_errors():
    assert parse_themes("Parentalité ; petite_enfance;ACCES AUX DROITS, parentalite") == [
        Theme.PETITE_ENFANCE,
        Theme.PARENTALITE,
        Theme.ACCES_DROITS,
    ]
    assert parse_themes("") == []
    with pytest.raises(ValueError, match="thématiques inconnues : « Sport », « Culture »"):
        parse_themes("Sport ; Enfance ; Culture")


@pytest.mark.parametrize(
    ("raw", "expected"), [(0, 0), (100, 100), ("40", 40), ("40 %", 40), (40.0, 40)]
)
def test_parse_progress(raw, expected):
    assert parse_progress(raw) == expected


@pytest.mark.parametrize("raw", [-1, 101, 40.5, "beaucoup", "100,5"])
def test_parse_progress_refuses(raw):
    with pytest.raises(ValueError, match="avancement"):
        parse_progress(raw)


def test_mean_progress_rounds_half_up_to_one_decimal():
    assert mean_progress([]) is None
    assert mean_progress([10, 20]) == Decimal("15.0")
    assert mean_progress([0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]) == Decimal(
        "0.1"
    )  # 0.05 → 0.1
    assert mean_progress([33, 33, 34]) == Decimal("33.3")


def test_summarize_per_theme_overall_and_without_theme():
    today = dt.date(2025, 3, 15)
    late = dt.date(2025, 3, 14)
    actions = [
        ActionFacts(("petite_enfance",), "en_cours", 40, late),  # late
        ActionFacts(("petite_enfance", "parentalite"), "realisee", 100, late),  # closed
        ActionFacts(("parentalite",), "abandonnee", 10, late),  # not in the mean, not late
        ActionFacts((), "a_lancer", 0, today),  # ends today: not late
    ]
    summary = summarize(actions, today)
    assert summary["today"] == today
    assert summary["overall"] == {
        "actions": 4,
        "mean_progress": Decimal("46.7"),  # (40 + 100 + 0) / 3
        "overdue": 1,
        "by_status": {"a_lancer": 1, "en_cours": 1, "realisee": 1, "abandonnee": 1},
    }
    assert list(summary["by_theme"]) == [t.value for t in Theme]
    petite = summary["by_theme"]["petite_enfance"]
    assert (petite["label"], petite["actions"], petite["mean_progress"], petite["overdue"]) == (
        "Petite enfance",
        2,
        Decimal("70.0"),
        1,
    )
    parentalite = summary["by_theme"]["parentalite"]
    assert (parentalite["actions"], parentalite["mean_progress"], parentalite["overdue"]) == (
        2,
        Decimal("100.0"),
        0,
    )
    assert summary["by_theme"]["logement"]["actions"] == 0
    assert summary["by_theme"]["logement"]["mean_progress"] is None
    assert summary["without_theme"]["actions"] == 1
    assert summary["without_theme"]["mean_progress"] == Decimal("0.0")

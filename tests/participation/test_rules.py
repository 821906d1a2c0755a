"""The pure rules of mission 4: aggregation of the answers, reading another tool's export."""

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from coopctg.participation.rules import (
    QuestionKind,
    QuestionSpec,
    aggregate,
    limits_at,
    match_columns,
    parse_csv_rows,
    split_choices,
)

LIMITS = limits_at(dt.date(2025, 1, 1))
SINGLE = QuestionSpec("1", "Mode d'accueil ?", QuestionKind.SINGLE, ("Crèche", "Aucun"))
MULTI = QuestionSpec("2", "Jours", QuestionKind.MULTIPLE, ("Lundi", "Mardi", "Samedi"))
SCALE = QuestionSpec("3", "Note", QuestionKind.SCALE, scale_min=1, scale_max=5)
TEXT = QuestionSpec("4", "Remarque", QuestionKind.TEXT)
SPECS = [SINGLE, MULTI, SCALE, TEXT]


def test_aggregate_counts_shares_and_mean():
    total, results = aggregate(
        SPECS,
        [
            {"1": "Crèche", "2": ["Lundi", "Samedi"], "3": 5, "4": "Oui"},
            {"1": "Crèche", "2": ["Lundi"], "3": 2, "4": None},
            {"1": "Aucun", "2": [], "3": None},
            {"9": "une question retirée"},
        ],
    )
    single, multi, scale, text = results
    assert total == 4
    assert [(c.label, c.count, c.share) for c in single.counts] == [
        ("Crèche", 2, Decimal("66.7")),
        ("Aucun", 1, Decimal("33.3")),
    ]
    assert multi.answered == 2 and [c.count for c in multi.counts] == [2, 0, 1]
    assert multi.counts[0].share == Decimal("100.0")  # shares of a multiple choice add up >100
    assert scale.mean == Decimal("3.5") and [c.count for c in scale.counts] == [0, 1, 0, 0, 1]
    assert text.texts == ["Oui"] and text.counts == []


def test_aggregate_without_answers():
    total, results = aggregate(SPECS, [])
    assert total == 0 and results[2].mean is None
    assert all(c.share is None for c in results[0].counts)


@given(st.lists(st.sampled_from(["Crèche", "Aucun", None]), max_size=30))
def test_counts_never_exceed_the_answers(values):
    total, (single,) = aggregate([SINGLE], [{"1": v} for v in values])
    assert sum(c.count for c in single.counts) == single.answered <= total == len(values)


def test_split_choices():
    assert split_choices("Lundi, Samedi", MULTI.choices) == ["Lundi", "Samedi"]
    assert split_choices("Lundi ; Samedi", MULTI.choices) == ["Lundi", "Samedi"]
    assert split_choices("Oui, souvent", ("Oui, souvent", "Non")) == ["Oui, souvent"]


def test_columns_matched_by_wording():
    positions, errors = match_columns(SPECS, ["Horodateur", "mode d'accueil", "JOURS", "note"])
    assert positions == {"1": 1, "2": 2, "3": 3} and errors == []
    assert match_columns(SPECS, ["Jours", "jours"])[1] == [
        "la question « Jours » est dans plusieurs colonnes"
    ]


def test_every_bad_row_with_its_line():
    header = ["Mode d'accueil ?", "Jours", "Note", "Remarque"]
    rows = [
        (2, ["Crèche", "Lundi", "4", ""]),
        (3, ["Autre", "Lundi", "4", ""]),
        (4, ["", "", "", ""]),
        (5, ["Aucun", "Dimanche", "7"]),
    ]
    submissions, errors = parse_csv_rows(SPECS, header, rows, LIMITS)
    assert [str(e) for e in errors] == [
        "ligne 3 : « Mode d'accueil ? » : Choisissez parmi les réponses proposées.",
        "ligne 5 : « Jours » : Choisissez parmi les réponses proposées.",
        "ligne 5 : « Note » : Choisissez une valeur entière de 1 à 5.",
    ]
    assert submissions == [{"1": "Crèche", "2": ["Lundi"], "3": 4, "4": None}]
    _none, errors = parse_csv_rows(SPECS, header, [], LIMITS)
    assert [str(e) for e in errors] == ["ligne 2 : le fichier ne contient aucune réponse"]

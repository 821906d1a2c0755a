"""The pure rules of the partner directory: the data·inclusion correspondences (kept as data),
list cells, the check of one record, the graph layout."""

import datetime as dt

import pytest

from coopctg.partners.rules import (
    check_structure,
    circle_layout,
    correspondences,
    parse_correspondences,
    split_list,
)

COMMUNES = {"37170": "Neuvy-le-Roi"}


@pytest.mark.parametrize(
    ("codes", "themes"),
    [
        (["famille--garde-denfants"], ["petite_enfance", "enfance"]),
        (["famille--soutien-a-la-parentalite"], ["parentalite"]),
        (["famille--violences-intrafamiliales"], ["acces_droits"]),
        # a sub-thématique not in the table takes its category's correspondence
        (["logement-hebergement--demenagement"], ["logement"]),
        (["handicap--adapter-son-logement"], ["inclusion_handicap"]),
        (["trouver-un-emploi"], []),
        (
            ["handicap", "famille--garde-denfants"],
            ["petite_enfance", "enfance", "inclusion_handicap"],
        ),
    ],
)
def test_thematiques_map_to_our_8_themes(codes, themes):
    assert correspondences().themes_of(codes) == themes


def test_every_mapped_code_belongs_to_a_category_of_the_schema():
    table = correspondences()
    assert all(table.is_known(code) for code in table.thematiques)
    assert table.kind_of("CS").value == "centre_social"
    assert table.kind_of("INCONNUE").value == "autre"


def test_a_bad_correspondence_file_is_refused():
    with pytest.raises(ValueError, match="thématique inconnue"):
        parse_correspondences(
            {"categories": ["famille"], "thematiques": {"famille": ["petite-enfance"]}}, "essai"
        )
    with pytest.raises(ValueError, match="aucune catégorie"):
        parse_correspondences({"categories": [], "thematiques": {"famille": []}}, "essai")


@pytest.mark.parametrize(
    ("cell", "items"),
    [
        ('["famille", "handicap"]', ["famille", "handicap"]),
        ("famille,handicap", ["famille", "handicap"]),
        ("famille; handicap", ["famille", "handicap"]),
        ("{famille,handicap}", ["famille", "handicap"]),
        ("", []),
    ],
)
def test_list_cells(cell, items):
    assert split_list(cell) == items


def row(**changes):
    base = {
        "id": "x",
        "nom": "Centre social (fictif)",
        "source": "essai",
        "date_maj": "2025-02-14",
        "siret": "12345678900011",
        "code_insee": "37170",
    }
    return {**base, **changes}


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"siret": "1234567890001"}, "« siret » : « 1234567890001 » n'a pas 14 chiffres"),
        ({"siret": "1234567890001A"}, "« siret » : « 1234567890001A » n'a pas 14 chiffres"),
        ({"code_insee": "37999"}, "« code_insee » : « 37999 » n'est pas le code d'une commune"),
        ({"id": ""}, "« id » manquant"),
        ({"nom": " "}, "« nom » manquant"),
        ({"source": ""}, "« source » manquant"),
        ({"date_maj": ""}, "« date_maj » manquant"),
        ({"code_postal": "3737"}, "« code_postal » : « 3737 » n'a pas 5 chiffres"),
    ],
)
def test_each_error_of_a_record(changes, error):
    record, errors = check_structure(row(**changes), COMMUNES, correspondences())
    assert record is None and errors == [error]


def test_a_good_record_takes_the_official_commune_name():
    record, errors = check_structure(row(commune="neuvy"), COMMUNES, correspondences())
    assert errors == [] and record is not None
    assert (record.commune, record.date_maj, record.siret) == (
        "Neuvy-le-Roi",
        dt.date(2025, 2, 14),
        "12345678900011",
    )


def test_circle_layout():
    assert circle_layout(0) == []
    assert circle_layout(1)[0].x == 280
    points = circle_layout(4)
    assert (points[0].x, points[0].y) == (280, 90)  # the first at the top
    assert (points[1].x, points[1].y) == (470, 280)  # clockwise

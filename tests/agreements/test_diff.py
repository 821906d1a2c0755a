"""The comparison of two architectures (``coopctg.agreements.diff``), on the référentiel's worked
example (2 Etp, 48 000 €) and its variants; no database."""

import datetime as dt
from decimal import Decimal

import pytest

from coopctg.agreements.diff import compare
from coopctg.funding.rules import result_to_json
from coopctg.funding.services import compute, to_engine
from tests.agreements.helpers import ALL_THEMES, MOVED, REDUCED, SWAPPED
from tests.factories import SEED_PERSONS, seed_rows

D = Decimal
DAY = dt.date(2024, 1, 1)


def result(persons, *, base=True):
    return compute(
        to_engine(
            DAY,
            seed_rows(persons),
            base_montant=D("48000") if base else None,
            base_etp=D("2") if base else None,
            ctg_themes=ALL_THEMES,
        ),
        "37",
    )


def diff(before, after, *, frozen=False):
    before_result, after_result = result(before), result(after)
    if frozen:  # a signed version's ventilation: the JSON of the engine's output
        before_result = result_to_json(before_result)
    return compare(seed_rows(before), before_result, seed_rows(after), after_result)


def envelope(comparison, code):
    return next(e for e in comparison.envelopes if e.code == code)


def person(comparison, name):
    return next(p for p in comparison.persons if p.name == name)


def test_same_architecture_has_no_change():
    comparison = diff(SEED_PERSONS, SEED_PERSONS)
    assert not comparison.has_changes and not comparison.is_development
    assert comparison.changed_persons == [] and comparison.new_anomalies == []
    assert comparison.amount.before == comparison.amount.after == D("48000.00")


@pytest.mark.parametrize("frozen", [False, True])
def test_more_etp_is_a_development(frozen):
    comparison = diff(SEED_PERSONS, MOVED, frozen=frozen)
    assert comparison.is_development
    assert (comparison.etp.before, comparison.etp.after) == (D("2.00"), D("2.20"))
    assert (comparison.amount.before, comparison.amount.after) == (D("48000.00"), D("52800.00"))
    ej = envelope(comparison, "enfance_jeunesse")
    assert (ej.etp.before, ej.etp.after) == (D("0.65"), D("0.85"))
    assert (ej.amount.before, ej.amount.after) == (D("15600.00"), D("20400.00"))
    assert ej.amount.delta == D("4800.00") and ej.amount.direction == "hausse"
    assert not envelope(comparison, "petite_enfance").changed
    [changed] = comparison.changed_persons
    assert changed.name == "Mme Y" and changed.status == "modifiee"
    [share] = changed.envelopes
    assert (share.etp.before, share.etp.after) == (D("0.50"), D("0.70"))
    assert (changed.amount.before, changed.amount.after) == (D("12000.00"), D("16800.00"))
    # Beyond the Cej base: the engine's warning appears
    assert [a.code for a in comparison.new_anomalies] == ["NOUVEAU_DEVELOPPEMENT"]


def test_person_added_and_removed_same_total():
    comparison = diff(SEED_PERSONS, SWAPPED)
    assert not comparison.is_development and comparison.etp.before == comparison.etp.after
    assert [p.name for p in comparison.added] == ["Mme Z"]
    assert [p.name for p in comparison.removed] == ["M. A"]
    removed = person(comparison, "M. A")
    assert removed.amount.before == D("7200.00") and removed.amount.after == D("0")
    assert removed.status_label == "retirée"
    added = person(comparison, "Mme Z")
    assert added.amount.after == D("7200.00") and added.status_label == "ajoutée"
    assert not envelope(comparison, "avs_logement_acces_droits").changed
    assert person(comparison, "M. X").status == "inchangee"


def test_fewer_etp_is_not_a_development():
    comparison = diff(SEED_PERSONS, REDUCED)
    assert not comparison.is_development
    assert comparison.etp.direction == "baisse"
    assert comparison.amount.after == D("45600.00")


def test_new_and_resolved_anomalies():
    small = [
        p if p[0] != "M. A" else (p[0], p[1], p[2], {"avs_logement_acces_droits": "0.10"})
        for p in SEED_PERSONS
    ]
    worse = diff(SEED_PERSONS, small)
    assert [(a.code, a.person, a.blocking) for a in worse.new_blocking] == [
        ("SEUIL_AFFECTATION", "M. A", True),
        ("SEUIL_POSTE", "M. A", True),
    ]
    assert worse.new_blocking[0].envelope.startswith("Animation de la vie sociale, logement")
    better = diff(small, SEED_PERSONS)
    assert better.new_anomalies == []
    assert {a.code for a in better.resolved_anomalies} == {"SEUIL_AFFECTATION", "SEUIL_POSTE"}


def test_post_type_and_function_changes_are_listed():
    renamed = [
        p if p[0] != "M. C" else (p[0], "DGS (part)", "thematique", p[3]) for p in SEED_PERSONS
    ]
    changed = person(diff(SEED_PERSONS, renamed), "M. C")
    assert changed.status == "modifiee"
    assert changed.details == [
        "type de poste : Coordination générale (dont part de DGS) → Poste thématique",
        "fonction : Chargé de coopération général → DGS (part)",
    ]


def test_names_match_ignoring_case_and_spaces_and_duplicates_in_order():
    before = seed_rows(
        [
            ("Mme  B", "", "thematique", {"parentalite": "0.30"}),
            ("Mme B", "", "thematique", {"parentalite": "0.40"}),
        ]
    )
    after = seed_rows(
        [
            ("mme b", "", "thematique", {"parentalite": "0.30"}),
            ("MME B", "", "thematique", {"parentalite": "0.50"}),
        ]
    )
    comparison = compare(before, None, after, None)
    assert [p.status for p in comparison.persons] == ["inchangee", "modifiee"]
    assert comparison.etp.before == D("0.70") and comparison.etp.after == D("0.80")
    assert comparison.is_development


def test_from_nothing_everyone_is_added():
    comparison = compare([], None, seed_rows(), result(SEED_PERSONS))
    assert [p.status for p in comparison.persons] == ["ajoutee"] * 4
    assert comparison.amount.after == D("48000.00")


def test_a_reorganisation_at_constant_etp_is_no_new_development():
    """Without its Cej base, the engine calls the whole architecture a « nouveau
    développement »; a request that adds no Etp is a reorganisation, not a development."""
    before = result(SEED_PERSONS)
    after = result(SWAPPED, base=False)
    assert any(a.code == "NOUVEAU_DEVELOPPEMENT" for a in after.anomalies)
    comparison = compare(seed_rows(SEED_PERSONS), before, seed_rows(SWAPPED), after)
    assert comparison.etp.after == comparison.etp.before and not comparison.is_development
    assert "NOUVEAU_DEVELOPPEMENT" not in [a.code for a in comparison.new_anomalies]
    grown = compare(seed_rows(SEED_PERSONS), before, seed_rows(MOVED), result(MOVED, base=False))
    assert grown.is_development
    assert "NOUVEAU_DEVELOPPEMENT" in [a.code for a in grown.new_anomalies]

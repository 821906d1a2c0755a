"""Services of the plan d'actions: summary for the dashboards, changes with their history,
deletion protection, database invariants."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from coopctg.actionplan.models import Action, Indicator, IndicatorValue
from coopctg.actionplan.services import (
    ActionProtected,
    IndicatorInput,
    delete_action,
    dependent_data,
    next_code,
    plan_summaries,
    plan_summary,
    save_action,
    save_indicator_values,
)
from coopctg.core.models import AuditEntry
from tests.actionplan.conftest import build_plan, objective

pytestmark = pytest.mark.django_db
TODAY = dt.date(2025, 3, 15)


def test_plan_summary_per_theme_and_overall(touraine, django_assert_num_queries):
    ctg = touraine.ctg_own
    Action.objects.bulk_create(
        [
            Action(
                ctg=ctg,
                code="A01",
                titre="a",
                themes=["petite_enfance"],
                statut="en_cours",
                avancement=40,
                date_fin=dt.date(2025, 3, 14),
            ),  # late (ended yesterday)
            Action(
                ctg=ctg,
                code="A02",
                titre="b",
                themes=["petite_enfance", "parentalite"],
                statut="en_cours",
                avancement=60,
                date_fin=TODAY,
            ),  # ends today: not late
            Action(
                ctg=ctg,
                code="A03",
                titre="c",
                themes=["parentalite"],
                statut="abandonnee",
                avancement=5,
                date_fin=dt.date(2024, 1, 1),
            ),  # abandoned: not late
            Action(
                ctg=ctg,
                code="A04",
                titre="d",
                themes=[],
                statut="realisee",
                avancement=100,
                date_fin=dt.date(2024, 1, 1),
            ),
        ]
    )
    with django_assert_num_queries(1):
        summary = plan_summary(ctg, TODAY)
    assert summary["overall"] == {
        "actions": 4,
        "mean_progress": Decimal("66.7"),  # (40 + 60 + 100) / 3, abandoned left out
        "overdue": 1,
        "by_status": {"a_lancer": 0, "en_cours": 2, "realisee": 1, "abandonnee": 1},
    }
    petite = summary["by_theme"]["petite_enfance"]
    assert (petite["actions"], petite["mean_progress"], petite["overdue"]) == (
        2,
        Decimal("50.0"),
        1,
    )
    parentalite = summary["by_theme"]["parentalite"]
    assert (parentalite["actions"], parentalite["mean_progress"], parentalite["overdue"]) == (
        2,
        Decimal("60.0"),
        0,
    )
    assert summary["without_theme"]["actions"] == 1
    # The day after its end, A02 is late too.
    assert plan_summary(ctg, TODAY + dt.timedelta(days=1))["overall"]["overdue"] == 2


def test_plan_summaries_in_one_query(touraine, framework, django_assert_num_queries):
    build_plan(touraine.ctg_own, actions=3, indicators=0)
    with django_assert_num_queries(1):
        summaries = plan_summaries([touraine.ctg_own, touraine.ctg_other], TODAY)
    assert summaries[touraine.ctg_own.pk]["overall"]["actions"] == 3
    assert summaries[touraine.ctg_other.pk]["overall"]["actions"] == 0
    assert summaries[touraine.ctg_other.pk]["overall"]["mean_progress"] is None


def test_save_action_creates_then_modifies_with_history(touraine, framework):
    ctg = touraine.ctg_own
    assert next_code(ctg) == "A01"
    action = Action(ctg=ctg, code="A01", titre="Ouvrir un LAEP", themes=["parentalite"])
    save_action(
        touraine.editor,
        action,
        [objective("M1.O2")],
        [IndicatorInput("Familles accueillies", "familles", Decimal("0"), Decimal("40"))],
    )
    assert action.position == 1
    assert next_code(ctg) == "A02"
    created = AuditEntry.objects.get(objet_type="actionplan.action", action="creation")
    assert created.auteur == touraine.editor
    assert created.apres["objectifs"] == ["M1.O2"]
    indicator = action.indicateurs.get()
    indicator_pk = indicator.pk
    assert AuditEntry.objects.get(objet_type="actionplan.indicator").apres == {
        "libelle": "Familles accueillies",
        "unite": "familles",
        "valeur_reference": "0",
        "cible": "40",
        "valeurs": {},
    }

    action.statut, action.avancement = "en_cours", 30
    save_action(
        touraine.advisor,
        action,
        [objective("M1.O2"), objective("M2.O1")],
        [IndicatorInput("Places créées", "places", instance=None)],
        deleted_indicators=[indicator],
    )
    modified = AuditEntry.objects.get(objet_type="actionplan.action", action="modification")
    assert modified.auteur == touraine.advisor
    # (PostgreSQL's jsonb does not keep the order of the keys.)
    assert {c[0] for c in modified.changes()} == {"statut", "avancement", "objectifs"}
    assert modified.avant["statut"] == "a_lancer" and modified.apres["avancement"] == 30
    assert [i.libelle for i in action.indicateurs.all()] == ["Places créées"]
    assert AuditEntry.objects.filter(
        objet_type="actionplan.indicator", action="suppression", objet_id=str(indicator_pk)
    ).exists()


def test_save_indicator_values_sets_changes_and_removes(touraine, framework):
    [action] = build_plan(touraine.ctg_own, actions=1, indicators=2)
    first, second = action.indicateurs.order_by("position")
    [foreign] = build_plan(touraine.ctg_other, actions=1, indicators=1)
    foreign_indicator = foreign.indicateurs.get()
    before = AuditEntry.objects.count()

    changed = save_indicator_values(
        touraine.editor,
        touraine.ctg_own,
        2024,
        {first.pk: Decimal("30"), second.pk: None, foreign_indicator.pk: Decimal("1")},
    )
    assert changed == 2
    assert first.values_by_year()[2024] == Decimal("30")
    assert 2024 not in Indicator.objects.get(pk=second.pk).values_by_year()
    assert foreign_indicator.values_by_year()[2024] == Decimal("24.25")  # another Ctg: ignored
    assert AuditEntry.objects.count() == before + 2
    entry = AuditEntry.objects.filter(objet_id=str(first.pk)).first()
    assert (entry.avant["valeurs"]["2024"], entry.apres["valeurs"]["2024"]) == ("24.25", "30")
    # The same values again change nothing.
    assert (
        save_indicator_values(touraine.editor, touraine.ctg_own, 2024, {first.pk: Decimal("30")})
        == 0
    )
    # A new year.
    save_indicator_values(touraine.editor, touraine.ctg_own, 2025, {first.pk: Decimal("35.5")})
    assert first.values_by_year()[2025] == Decimal("35.5")


def test_delete_action_refused_with_values_then_allowed(touraine, framework):
    [action] = build_plan(touraine.ctg_own, actions=1, indicators=1)
    assert dependent_data([action]) == {
        action.pk: ["valeurs d'indicateurs saisies (2022, 2023, 2024)"]
    }
    with pytest.raises(ActionProtected, match="abandonnée"):
        delete_action(touraine.editor, action)
    assert Action.objects.filter(pk=action.pk).exists()
    IndicatorValue.objects.filter(indicator__action=action).delete()
    assert dependent_data([action]) == {}
    pk = action.pk
    delete_action(touraine.editor, action)
    assert not Action.objects.filter(pk=pk).exists()
    entry = AuditEntry.objects.get(objet_type="actionplan.action", objet_id=str(pk))
    assert entry.action == "suppression" and entry.avant["code"] == "A01"


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"avancement": 101}, "action_progress_percent"),
        (
            {"date_debut": dt.date(2025, 1, 2), "date_fin": dt.date(2025, 1, 1)},
            "action_period_valid",
        ),
        ({"statut": "en_retard"}, "action_status_valid"),
        ({"code": ""}, "action_code_not_empty"),
    ],
)
def test_database_refuses_invalid_actions(touraine, fields, constraint):
    with pytest.raises(IntegrityError), transaction.atomic():
        Action.objects.create(ctg=touraine.ctg_own, **{"code": "A01", "titre": "x", **fields})


def test_database_uniqueness(touraine):
    action = Action.objects.create(ctg=touraine.ctg_own, code="A01", titre="x")
    Action.objects.create(ctg=touraine.ctg_other, code="A01", titre="same code, other Ctg")
    with pytest.raises(IntegrityError), transaction.atomic():
        Action.objects.create(ctg=touraine.ctg_own, code="A01", titre="y")
    indicator = Indicator.objects.create(action=action, libelle="i")
    with pytest.raises(IntegrityError), transaction.atomic():
        Indicator.objects.create(action=action, libelle="i")
    IndicatorValue.objects.create(indicator=indicator, year=2024, value=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        IndicatorValue.objects.create(indicator=indicator, year=2024, value=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        IndicatorValue.objects.create(indicator=indicator, year=1999, value=2)

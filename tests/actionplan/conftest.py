"""Fixtures of the plan d'actions tests: the référentiel, a small plan, a frozen today."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from coopctg.actionplan.models import Action, Indicator, IndicatorValue
from coopctg.framework.loader import load_framework
from coopctg.framework.models import Objective

TODAY = dt.date(2025, 3, 15)


@pytest.fixture
def frozen_today(monkeypatch):
    """The pages compute « en retard » on ``timezone.localdate()``: freeze it."""
    real = timezone.localdate

    def localdate(value=None, timezone=None):
        return TODAY if value is None else real(value, timezone)

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)
    return TODAY


@pytest.fixture
def framework(db):
    return load_framework()


def objective(code: str) -> Objective:
    return Objective.objects.get(code=code)


def build_plan(ctg, *, actions: int = 3, indicators: int = 2, prefix: str = "A") -> list[Action]:
    """``actions`` fiches on ``ctg``, each with ``indicators`` indicators valued 2022–2024;
    the référentiel must be loaded (objectives M1.O1 and M2.O1)."""
    objectives = list(Objective.objects.filter(code__in=["M1.O1", "M2.O1"]))
    themes = ["petite_enfance", "enfance", "jeunesse", "parentalite"]
    statuses = ["a_lancer", "en_cours", "realisee", "abandonnee"]
    created = []
    start = Action.objects.filter(ctg=ctg).count()
    for n in range(start + 1, start + actions + 1):
        action = Action.objects.create(
            ctg=ctg,
            code=f"{prefix}{n:02d}",
            position=n,
            titre=f"Fiche action n°{n}",
            description=f"Description de la fiche {n}.\nSur deux lignes.",
            themes=[themes[n % 4], "inclusion_handicap"] if n % 3 == 0 else [themes[n % 4]],
            pilote="Service enfance",
            partenaires="Caf ; PMI ; centres sociaux",
            date_debut=dt.date(2023, 1, 1),
            date_fin=dt.date(2024, 12, 31) if n % 2 else dt.date(2026, 6, 30),
            statut=statuses[n % 4],
            avancement=(n * 15) % 101,
        )
        action.objectifs.set(objectives[: 1 + n % 2])
        for i in range(1, indicators + 1):
            indicator = Indicator.objects.create(
                action=action,
                position=i,
                libelle=f"Indicateur {i} de la fiche {n}",
                unite="places" if i % 2 else "%",
                valeur_reference=Decimal("10.5") * i,
                cible=Decimal(100 + i),
            )
            IndicatorValue.objects.bulk_create(
                IndicatorValue(indicator=indicator, year=year, value=Decimal(f"{year - 2000}.25"))
                for year in (2022, 2023, 2024)
            )
        created.append(action)
    return created


def plan_state(ctg) -> list[tuple]:
    """Everything the plan of ``ctg`` holds, comparable across Ctg (no primary keys)."""
    state = []
    actions = Action.objects.filter(ctg=ctg).order_by("position").prefetch_related("objectifs")
    for a in actions:
        indicators = []
        for i in a.indicateurs.order_by("position"):
            values = tuple((v.year, v.value) for v in i.valeurs.order_by("year"))
            indicators.append((i.libelle, i.unite, i.valeur_reference, i.cible, values))
        state.append(
            (
                a.position,
                a.code,
                a.titre,
                a.description,
                tuple(a.themes),
                tuple(sorted(o.code for o in a.objectifs.all())),
                a.pilote,
                a.partenaires,
                a.date_debut,
                a.date_fin,
                a.statut,
                a.avancement,
                tuple(indicators),
            )
        )
    return state

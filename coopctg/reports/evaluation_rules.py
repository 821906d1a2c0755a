"""Rules of the évaluation de fin de Ctg (pure module: no Django import).

Référentiel, « Les indicateurs de suivi et d'évaluation » : « Les effets de la fonction de
coopération sont mesurés au terme de l'engagement pluriannuel (à l'échéance de la Ctg). […]
appréciés au regard : des attendus et des activités figurant dans ce référentiel ; des objectifs
de développement de nouveaux services, de nouveaux partenariats et de nouvelles prises de
compétences à l'échelon de l'intercommunalité fixées dans le cadre de la Ctg. »

- :func:`evaluation_years`: the years an evaluation covers;
- :func:`best_level`: when several Cofs (collectivités) share a Ctg, an attendu's level for a
  year is the best level of their reports — the function of coopération is the Ctg's, and an
  attendu is reached for the territory once one of its chargé·es de coopération reached it;
- :func:`trend`: how a level moved between the first and the last assessed year;
- :func:`indicator_outcome`: an indicator's final value against its target (a target below
  the baseline means a decrease is sought).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from coopctg.reports.rules import Level

LEVEL_ORDER = {Level.NON_ENGAGE: 0, Level.EN_COURS: 1, Level.REALISE: 2}


def evaluation_years(start: dt.date, end: dt.date, today: dt.date) -> list[int]:
    """From the Ctg's first year to its last, or to the current year while it runs."""
    last = max(start.year, min(end, today).year)
    return list(range(start.year, last + 1))


def best_level(levels: Iterable[Level | str]) -> Level | None:
    """The highest level given; None when there is none."""
    found = [Level(level) for level in levels]
    return max(found, key=LEVEL_ORDER.__getitem__) if found else None


class Trend(StrEnum):
    PROGRESSION = "progression"
    STABLE = "stable"
    RECUL = "recul"
    INCONNU = "inconnu"


TREND_LABELS = {
    Trend.PROGRESSION: "en progression",
    Trend.STABLE: "stable",
    Trend.RECUL: "en recul",
    Trend.INCONNU: "non évalué",
}


def trend(levels: Sequence[Level | None]) -> Trend:
    """First assessed level → last assessed level (years without a level are skipped)."""
    known = [level for level in levels if level is not None]
    if not known:
        return Trend.INCONNU
    first, last = LEVEL_ORDER[known[0]], LEVEL_ORDER[known[-1]]
    if last > first:
        return Trend.PROGRESSION
    return Trend.RECUL if last < first else Trend.STABLE


class Outcome(StrEnum):
    ATTEINTE = "atteinte"
    NON_ATTEINTE = "non_atteinte"
    SANS_CIBLE = "sans_cible"
    SANS_VALEUR = "sans_valeur"


OUTCOME_LABELS = {
    Outcome.ATTEINTE: "cible atteinte",
    Outcome.NON_ATTEINTE: "cible non atteinte",
    Outcome.SANS_CIBLE: "pas de cible",
    Outcome.SANS_VALEUR: "aucune valeur",
}


@dataclass(frozen=True)
class IndicatorOutcome:
    outcome: Outcome
    #: Share of the way from the baseline to the target, in percent (one decimal place), when
    #: both are known and differ; may exceed 100 or be negative.
    progress: Decimal | None = None

    @property
    def label(self) -> str:
        return OUTCOME_LABELS[self.outcome]

    @property
    def reached(self) -> bool:
        return self.outcome is Outcome.ATTEINTE


def indicator_outcome(
    baseline: Decimal | None, target: Decimal | None, final: Decimal | None
) -> IndicatorOutcome:
    """The final value against the target. A target below the baseline is reached at or under
    it; otherwise at or above it."""
    if final is None:
        return IndicatorOutcome(Outcome.SANS_VALEUR)
    if target is None:
        return IndicatorOutcome(Outcome.SANS_CIBLE)
    decreasing = baseline is not None and target < baseline
    reached = final <= target if decreasing else final >= target
    progress = None
    if baseline is not None and target != baseline:
        progress = (Decimal(100) * (final - baseline) / (target - baseline)).quantize(
            Decimal("0.1"), ROUND_HALF_UP
        )
    return IndicatorOutcome(Outcome.ATTEINTE if reached else Outcome.NON_ATTEINTE, progress)

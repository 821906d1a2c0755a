"""The register of the besoins exprimés par les familles of a Ctg, and its synthesis.

Référentiel, mission 2 : « Évaluer les demandes et les attentes des familles et les qualifier
en besoins : élaborer et mettre en place des outils qualitatifs et quantitatifs d'évaluation ;
mettre en perspective les retours ; partager les retours. »

The register is anonymous: a line says when, where (commune), on which theme, for which age
group, what kind of need, who heard it (a service or a partner) and whether an answer was
given, never who asked. :func:`check_anonymous` refuses an e-mail address or a telephone
number typed in a text (forms, API, workbook import).

:func:`need_synthesis` is the one synthesis read by the register's page, the Copil's summary,
the annual report's facts and the dashboards.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from coopctg.core.audit import record_change, snapshot
from coopctg.core.models import AuditEntry
from coopctg.core.themes import THEME_LABELS, Theme
from coopctg.ctg.models import Ctg
from coopctg.diagnostic.models import Need
from coopctg.diagnostic.rules import (
    AGE_GROUP_LABELS,
    NEED_KIND_LABELS,
    SOURCE_LABELS,
    AgeGroup,
    NeedKind,
    NeedSummary,
    Source,
    summarize_needs,
)
from coopctg.diagnostic.rules import Need as NeedFact

NEED_FIELDS = [
    "date",
    "commune",
    "theme",
    "tranche_age",
    "nature",
    "source",
    "description",
    "repondu",
    "reponse",
]
TERRITORY = "Tout le territoire"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
#: A French telephone number: 10 digits from 0, or +33 then 9, with optional separators.
_PHONE = re.compile(r"(?<!\d)(?:0|\+33\s?|0033\s?)[1-9](?:[\s.-]?\d{2}){4}(?!\d)")


def check_anonymous(text: str) -> str | None:
    """Why ``text`` cannot enter the anonymous register (an e-mail address, a telephone
    number), None when it can."""
    if _EMAIL.search(text):
        return (
            "Le registre est anonyme : retirez l'adresse électronique (aucune donnée personnelle)."
        )
    if _PHONE.search(text):
        return (
            "Le registre est anonyme : retirez le numéro de téléphone (aucune donnée personnelle)."
        )
    return None


def ctg_needs(ctg: Ctg) -> QuerySet[Need]:
    """The register of ``ctg``, most recent first, with the communes (outlines left out)."""
    return (
        Need.objects.filter(ctg=ctg)
        .select_related("commune")
        .defer("commune__geometrie")
        .order_by("-date", "-id")
    )


def years_of(ctg: Ctg) -> list[int]:
    """The years of the Ctg, and any year of the register outside it, newest first."""
    years = set(range(ctg.date_debut.year, ctg.date_fin.year + 1))
    years |= {d.year for d in Need.objects.filter(ctg=ctg).dates("date", "year")}
    return sorted(years, reverse=True)


@transaction.atomic
def save_need(user: Any, need: Need) -> Need:
    creating = need.pk is None
    before = None if creating else snapshot(Need.objects.get(pk=need.pk), NEED_FIELDS)
    need.save()
    record_change(
        user,
        need,
        AuditEntry.Action.CREATION if creating else AuditEntry.Action.MODIFICATION,
        before=before,
        after=snapshot(need, NEED_FIELDS),
        caf_id=need.ctg.caf_id,
    )
    return need


# --- Synthesis ---------------------------------------------------------------------------------


@dataclass
class LabelledCount:
    key: str
    label: str
    total: int
    answered: int

    @property
    def unanswered(self) -> int:
        return self.total - self.answered


@dataclass
class NeedSynthesis:
    """The synthesis of a set of needs, with labels for pages, documents and the report."""

    summary: NeedSummary
    by_theme: list[LabelledCount]
    by_commune: list[LabelledCount]
    by_kind: list[LabelledCount]
    #: rows of the table theme × commune: (theme label, [count per commune of by_commune])
    cross: list[tuple[str, list[int]]]

    @property
    def total(self) -> int:
        return self.summary.total

    @property
    def answered(self) -> int:
        return self.summary.answered

    @property
    def unanswered(self) -> int:
        return self.summary.unanswered

    def as_facts(self) -> dict[str, Any]:
        """JSON-ready, French keys (the annual report's facts)."""

        def rows(items: list[LabelledCount]) -> list[dict[str, Any]]:
            return [
                {"code": i.key, "libelle": i.label, "nombre": i.total, "repondus": i.answered}
                for i in items
            ]

        return {
            "total": self.total,
            "repondus": self.answered,
            "sans_reponse": self.unanswered,
            "par_thematique": rows(self.by_theme),
            "par_commune": rows(self.by_commune),
            "par_nature": rows(self.by_kind),
        }


def _commune_key(need: Need) -> str:
    return need.commune.nom if need.commune_id else TERRITORY  # type: ignore[union-attr]


def need_synthesis(needs: Iterable[Need]) -> NeedSynthesis:
    """Counts per theme, commune and kind of need, and theme × commune (load the needs with
    their ``commune``)."""
    items = list(needs)
    summary = summarize_needs(
        (NeedFact(n.theme, _commune_key(n), n.nature, n.repondu) for n in items),
        [t.value for t in Theme],
        [k.value for k in NeedKind],
    )
    themes = {t.value: t.label for t in Theme}
    kinds = {k.value: k.label for k in NeedKind}

    def labelled(counts: list[Any], labels: dict[str, str]) -> list[LabelledCount]:
        return [LabelledCount(c.key, labels.get(c.key, c.key), c.total, c.answered) for c in counts]

    by_commune = labelled(summary.by_commune, {})
    by_theme = labelled(summary.by_theme, themes)
    return NeedSynthesis(
        summary=summary,
        by_theme=by_theme,
        by_commune=by_commune,
        by_kind=labelled(summary.by_kind, kinds),
        cross=[
            (row.label, [summary.cross.get((row.key, c.key), 0) for c in by_commune])
            for row in by_theme
        ],
    )


def year_synthesis(ctg: Ctg, year: int) -> NeedSynthesis:
    """The synthesis of the needs of ``year`` (2 queries at most)."""
    return need_synthesis(ctg_needs(ctg).filter(date__year=year))


LABELS = {
    "theme": THEME_LABELS,
    "tranche_age": AGE_GROUP_LABELS,
    "nature": NEED_KIND_LABELS,
    "source": SOURCE_LABELS,
}
ENUMS: dict[str, Any] = {
    "theme": Theme,
    "tranche_age": AgeGroup,
    "nature": NeedKind,
    "source": Source,
}

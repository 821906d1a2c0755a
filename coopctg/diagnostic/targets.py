"""The objectifs de développement of a Ctg, per signatory, and what the faits marquants
achieved against them.

Référentiel, « Les indicateurs de suivi et d'évaluation » : « Les effets de la fonction de
coopération sont mesurés au terme de l'engagement pluriannuel […] appréciés au regard : […]
des objectifs de développement de nouveaux services, de nouveaux partenariats et de nouvelles
prises de compétences à l'échelon de l'intercommunalité fixées dans le cadre de la Ctg. »

Each signatory has its own targets (one per kind: service, partenariat, compétence), set with
the Ctg and changed by a Copil decision; every change is a new row (the history). The
comparison is made **per collectivité**: its target in force against the faits marquants
counted for it — those attributed to it, or, without attribution, those of the Ctg (a Ctg of
one signatory needs no attribution). Never the best level across collectivités.

:func:`development_outcomes` is the one service read by the objectifs' page, the évaluation
de fin de Ctg (page and PDF) and the API.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from coopctg.core import versions
from coopctg.core.audit import record_change, snapshot
from coopctg.core.models import AuditEntry
from coopctg.core.params import format_date_fr
from coopctg.ctg.models import Ctg
from coopctg.diagnostic.models import TARGET_KIND_CHOICES, DevelopmentTarget, HighlightAttribution
from coopctg.diagnostic.rules import TargetOutcome, target_outcome
from coopctg.governance.models import Highlight
from coopctg.governance.rules import MeetingKind

TARGET_FIELDS = ["collectivite", "kind", "cible", "precisions", "date_effet", "copil", "decision"]
KIND_LABELS = dict(TARGET_KIND_CHOICES)


class TargetError(Exception):
    """A change the rules refuse; the message is one French sentence."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def ctg_targets(ctg: Ctg) -> QuerySet[DevelopmentTarget]:
    """Every row (the history) of the Ctg's targets, by collectivité, kind and date."""
    return (
        DevelopmentTarget.objects.filter(ctg=ctg)
        .select_related("collectivite", "copil")
        .order_by("collectivite__nom", "kind", "date_effet", "id")
    )


def in_force(rows: Iterable[DevelopmentTarget], day: dt.date) -> DevelopmentTarget | None:
    """The row in force on ``day``: the latest dated on or before it."""
    current = None
    for row in sorted(rows, key=lambda r: (r.date_effet, r.pk or 0)):
        if row.date_effet <= day:
            current = row
    return current


@transaction.atomic
def save_target(user: Any, target: DevelopmentTarget) -> DevelopmentTarget:
    """Record a target (set with the Ctg) or its change (decided by a Copil of the Ctg)."""
    ctg = target.ctg
    if not ctg.signataires.filter(pk=target.collectivite_id).exists():
        raise TargetError("Choisissez une collectivité signataire de la Ctg.", "collectivite")
    earlier = DevelopmentTarget.objects.filter(
        ctg=ctg, collectivite=target.collectivite_id, kind=target.kind
    ).exclude(pk=target.pk)
    if target.copil_id is None:
        if earlier.exists():
            raise TargetError(
                "Un objectif de cette nature est déjà fixé : sa modification est une décision "
                "d'un comité de pilotage (choisissez le Copil).",
                "copil",
            )
    else:
        copil = target.copil
        assert copil is not None
        if copil.ctg_id != ctg.pk or copil.kind != MeetingKind.COPIL.value:
            raise TargetError("Choisissez un comité de pilotage de cette Ctg.", "copil")
        if not earlier.exists():
            raise TargetError(
                "Fixez d'abord l'objectif initial (sans Copil) : le Copil en décide la "
                "modification.",
                "copil",
            )
        target.date_effet = copil.date
    if not ctg.date_debut <= target.date_effet <= ctg.date_fin:
        raise TargetError(
            f"La date doit être dans la période de la Ctg, du {format_date_fr(ctg.date_debut)} "
            f"au {format_date_fr(ctg.date_fin)}.",
            "copil" if target.copil_id else "date_effet",
        )
    creating = target.pk is None
    before = (
        None if creating else snapshot(DevelopmentTarget.objects.get(pk=target.pk), TARGET_FIELDS)
    )
    try:
        with transaction.atomic():
            target.save()
    except IntegrityError:
        raise TargetError(
            "Un objectif de cette nature est déjà fixé à cette date pour cette collectivité.",
            "date_effet",
        ) from None
    record_change(
        user,
        target,
        AuditEntry.Action.CREATION if creating else AuditEntry.Action.MODIFICATION,
        before=before,
        after=snapshot(target, TARGET_FIELDS),
        caf_id=ctg.caf_id,
    )
    return target


@transaction.atomic
def set_attributions(user: Any, highlight: Highlight, collectivites: Iterable[Any]) -> None:
    """The signatories a fait marquant counts for (none: every signatory)."""
    wanted = {la.pk for la in collectivites}
    current = set(
        HighlightAttribution.objects.filter(highlight=highlight).values_list(
            "collectivite_id", flat=True
        )
    )
    if wanted == current:
        return
    HighlightAttribution.objects.filter(highlight=highlight).exclude(
        collectivite_id__in=wanted
    ).delete()
    with versions.writing_for(row=highlight):
        HighlightAttribution.objects.bulk_create(
            HighlightAttribution(highlight=highlight, collectivite_id=pk) for pk in wanted - current
        )
    names = dict(highlight.ctg.signataires.values_list("pk", "nom"))
    record_change(
        user,
        highlight,
        AuditEntry.Action.MODIFICATION,
        before={"compte_pour": sorted(names.get(pk, str(pk)) for pk in current)},
        after={"compte_pour": sorted(names.get(pk, str(pk)) for pk in wanted)},
        caf_id=highlight.ctg.caf_id,
    )


# --- Outcomes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class KindOutcome:
    kind: str
    label: str
    target: DevelopmentTarget | None  # in force at the end (or today)
    history: list[DevelopmentTarget]
    highlights: list[Highlight]  # those counted
    outcome: TargetOutcome

    @property
    def changed(self) -> bool:
        return len(self.history) > 1


@dataclass(frozen=True)
class CollectiviteOutcomes:
    collectivite: Any
    kinds: list[KindOutcome]

    @property
    def has_targets(self) -> bool:
        return any(k.target is not None for k in self.kinds)


def counted_highlights(
    highlights: Iterable[Highlight],
    attributions: dict[int, set[int]],
    collectivite_id: int,
    start: dt.date,
    end: dt.date,
) -> list[Highlight]:
    """The faits marquants of the Ctg that count for a collectivité: dated within
    [``start``, ``end``], attributed to it or to no one in particular."""
    return [
        h
        for h in highlights
        if start <= h.date <= end
        and (not attributions.get(h.pk) or collectivite_id in attributions[h.pk])
    ]


def development_outcomes(
    ctg: Ctg, today: dt.date, collectivites: Iterable[Any] | None = None
) -> list[CollectiviteOutcomes]:
    """For each signatory (or those given), per kind: the target in force at the end of the
    Ctg (or today while it runs), its history, the faits marquants counted for that
    collectivité up to then, and the outcome. 4 queries."""
    signatories = (
        list(collectivites) if collectivites is not None else list(ctg.signataires.order_by("nom"))
    )
    rows: dict[tuple[int, str], list[DevelopmentTarget]] = defaultdict(list)
    for row in ctg_targets(ctg):
        rows[(row.collectivite_id, row.kind)].append(row)
    highlights = list(Highlight.objects.filter(ctg=ctg).order_by("date", "id"))
    attributions: dict[int, set[int]] = defaultdict(set)
    for highlight_id, collectivite_id in HighlightAttribution.objects.filter(
        highlight__ctg=ctg
    ).values_list("highlight_id", "collectivite_id"):
        attributions[highlight_id].add(collectivite_id)
    return _outcomes(ctg, today, signatories, rows, highlights, attributions)


def _outcomes(
    ctg: Ctg,
    today: dt.date,
    signatories: list[Any],
    rows: dict[tuple[int, str], list[DevelopmentTarget]],
    highlights: list[Highlight],
    attributions: dict[int, set[int]],
) -> list[CollectiviteOutcomes]:
    end = min(ctg.date_fin, today)
    ended = ctg.date_fin < today
    result = []
    for collectivite in signatories:
        counted = counted_highlights(highlights, attributions, collectivite.pk, ctg.date_debut, end)
        kinds = []
        for kind, label in TARGET_KIND_CHOICES:
            history = rows.get((collectivite.pk, kind), [])
            target = in_force(history, end)
            of_kind = [h for h in counted if h.kind == kind]
            kinds.append(
                KindOutcome(
                    kind=kind,
                    label=label,
                    target=target,
                    history=history,
                    highlights=of_kind,
                    outcome=target_outcome(target.cible if target else None, len(of_kind), ended),
                )
            )
        result.append(CollectiviteOutcomes(collectivite=collectivite, kinds=kinds))
    return result


def outcomes_of_ctgs(ctgs: Iterable[Ctg], today: dt.date) -> dict[int, list[CollectiviteOutcomes]]:
    """:func:`development_outcomes` of many Ctg, each signatory on its own (5 queries)."""
    ctgs = list(ctgs)
    ids = [ctg.pk for ctg in ctgs]
    signatories: dict[int, list[Any]] = defaultdict(list)
    for link in (
        Ctg.signataires.through.objects.filter(ctg_id__in=ids)
        .select_related("localauthority")
        .order_by("localauthority__nom")
    ):
        signatories[link.ctg_id].append(link.localauthority)
    rows: dict[int, dict[tuple[int, str], list[DevelopmentTarget]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for row in DevelopmentTarget.objects.filter(ctg_id__in=ids).order_by("date_effet", "id"):
        rows[row.ctg_id][(row.collectivite_id, row.kind)].append(row)
    highlights: dict[int, list[Highlight]] = defaultdict(list)
    for highlight in Highlight.objects.filter(ctg_id__in=ids).order_by("date", "id"):
        highlights[highlight.ctg_id].append(highlight)
    attributions: dict[int, set[int]] = defaultdict(set)
    for highlight_id, collectivite_id in HighlightAttribution.objects.filter(
        highlight__ctg_id__in=ids
    ).values_list("highlight_id", "collectivite_id"):
        attributions[highlight_id].add(collectivite_id)
    return {
        ctg.pk: _outcomes(
            ctg, today, signatories[ctg.pk], rows[ctg.pk], highlights[ctg.pk], attributions
        )
        for ctg in ctgs
    }


def highlight_attributions(ctg: Ctg) -> dict[int, list[int]]:
    """{fait marquant: [collectivités it counts for]} of the Ctg (attributed ones only)."""
    found: dict[int, list[int]] = defaultdict(list)
    for highlight_id, collectivite_id in HighlightAttribution.objects.filter(
        highlight__ctg=ctg
    ).values_list("highlight_id", "collectivite_id"):
        found[highlight_id].append(collectivite_id)
    return dict(found)

"""The diagnostic partagé of a Ctg: its versions, their enjeux, the validation in Copil and
what the enjeux and the plan d'actions leave uncovered. Each change writes its history row in
the same transaction.

Public functions for other parts of the application:

- :func:`latest_version`, :func:`validated_version` (the version in force on a day: the
  annual report and the dashboards);
- :func:`diagnostic_content`: one version with its enjeux by theme and the coverage lists
  (pages, PDF, API);
- :func:`ctg_communes`: the communes of a Ctg's territory (besoins and commissions).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max, Prefetch, Q, QuerySet
from django.utils import timezone

from coopctg.actionplan.models import Action
from coopctg.actionplan.services import ordered_objectives
from coopctg.core.audit import record_change, snapshot
from coopctg.core.models import AuditEntry
from coopctg.core.params import format_date_fr
from coopctg.core.themes import Theme
from coopctg.ctg.models import Ctg
from coopctg.diagnostic.indicators import labels_of
from coopctg.diagnostic.models import Diagnostic, Enjeu
from coopctg.diagnostic.rules import coverage
from coopctg.governance.models import Meeting
from coopctg.governance.rules import MeetingKind
from coopctg.territories.models import Commune

DIAGNOSTIC_FIELDS = [
    "version",
    "date",
    "titre",
    "contexte",
    "partenaires",
    "habitants",
    "methode",
    "instances",
    "copil",
    "valide_le",
]
ENJEU_FIELDS = ["theme", "intitule", "constat", "indicateurs", "actions", "objectifs"]


class DiagnosticError(Exception):
    """A change the rules refuse; the message is one French sentence."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# --- The territory -------------------------------------------------------------------------------


def ctg_communes(ctg: Ctg) -> QuerySet[Commune]:
    """The communes of the Ctg's territory: those of its EPCI signatories and its commune
    signatories, by name (outlines left out)."""
    signatories = ctg.signataires.all()
    return (
        Commune.objects.filter(
            Q(epci__collectivite__in=signatories) | Q(collectivite__in=signatories)
        )
        .defer("geometrie")
        .distinct()
        .order_by("nom", "code_insee")
    )


# --- Versions ------------------------------------------------------------------------------------


def versions(ctg: Ctg) -> QuerySet[Diagnostic]:
    """Every version of the Ctg's diagnostic, newest first, with its Copil."""
    return Diagnostic.objects.filter(ctg=ctg).select_related("copil").order_by("-version")


def latest_version(ctg: Ctg) -> Diagnostic | None:
    return versions(ctg).first()


def validated_version(ctg: Ctg, on: dt.date | None = None) -> Diagnostic | None:
    """The latest version validated in Copil on or before ``on`` (default: any date)."""
    queryset = versions(ctg).filter(copil__isnull=False)
    if on is not None:
        queryset = queryset.filter(valide_le__lte=on)
    return queryset.order_by("-valide_le", "-version").first()


def _check_draft(diagnostic: Diagnostic) -> None:
    if diagnostic.validated:
        raise DiagnosticError(
            f"La version {diagnostic.version} est validée en Copil : elle ne change plus. "
            "Créez une nouvelle version pour la faire évoluer."
        )


def _check_meetings(ctg: Ctg, meetings: Iterable[Meeting]) -> list[Meeting]:
    found = list(meetings)
    if any(m.ctg_id != ctg.pk for m in found):
        raise DiagnosticError("Une instance choisie n'est pas une instance de cette Ctg.")
    return found


def _diagnostic_snapshot(diagnostic: Diagnostic) -> dict[str, Any]:
    return snapshot(diagnostic, DIAGNOSTIC_FIELDS)


@transaction.atomic
def create_version(user: Any, diagnostic: Diagnostic, instances: Iterable[Meeting]) -> Diagnostic:
    """Create the next version of the Ctg's diagnostic (filled in by the form): a copy of the
    enjeux of the latest version comes with it, links included. Refused while a draft exists."""
    ctg = diagnostic.ctg
    Ctg.objects.select_for_update().filter(pk=ctg.pk).first()  # one new version at a time
    draft = Diagnostic.objects.filter(ctg=ctg, copil__isnull=True).first()
    if draft is not None:
        raise DiagnosticError(
            f"La version {draft.version} est encore en cours : complétez-la ou faites-la "
            "valider en Copil avant d'en ouvrir une autre."
        )
    previous = latest_version(ctg)
    diagnostic.version = (
        Diagnostic.objects.filter(ctg=ctg).aggregate(n=Max("version"))["n"] or 0
    ) + 1
    diagnostic.copil = None
    diagnostic.valide_le = None
    try:
        with transaction.atomic():
            diagnostic.save()
    except IntegrityError:  # a draft created meanwhile (the database keeps one)
        raise DiagnosticError("La Ctg a déjà une version du diagnostic en cours.") from None
    diagnostic.instances.set(_check_meetings(ctg, instances))
    if previous is not None:
        _copy_enjeux(previous, diagnostic)
    record_change(
        user,
        diagnostic,
        AuditEntry.Action.CREATION,
        before=None,
        after=_diagnostic_snapshot(diagnostic),
        caf_id=ctg.caf_id,
    )
    return diagnostic


def _copy_enjeux(source: Diagnostic, target: Diagnostic) -> None:
    for enjeu in source.enjeux.prefetch_related("actions", "objectifs").order_by("position", "pk"):
        actions, objectives = list(enjeu.actions.all()), list(enjeu.objectifs.all())
        enjeu.pk = None
        enjeu.diagnostic = target
        enjeu.save(force_insert=True)
        enjeu.actions.set(actions)
        enjeu.objectifs.set(objectives)


@transaction.atomic
def save_version(user: Any, diagnostic: Diagnostic, instances: Iterable[Meeting]) -> Diagnostic:
    """Save a draft version's text and its instances (refused once validated)."""
    stored = Diagnostic.objects.select_for_update().get(pk=diagnostic.pk)
    _check_draft(stored)
    before = _diagnostic_snapshot(stored)
    diagnostic.save()
    diagnostic.instances.set(_check_meetings(diagnostic.ctg, instances))
    record_change(
        user,
        diagnostic,
        AuditEntry.Action.MODIFICATION,
        before=before,
        after=_diagnostic_snapshot(diagnostic),
        caf_id=diagnostic.ctg.caf_id,
    )
    return diagnostic


def copil_choices(ctg: Ctg, today: dt.date) -> QuerySet[Meeting]:
    """The Copil of the Ctg held by ``today``, most recent first: those that may have
    validated a version."""
    return Meeting.objects.filter(ctg=ctg, kind=MeetingKind.COPIL.value, date__lte=today).order_by(
        "-date", "-id"
    )


@transaction.atomic
def validate_version(
    user: Any, diagnostic: Diagnostic, copil: Meeting, today: dt.date | None = None
) -> Diagnostic:
    """Record that ``copil`` (a Copil of the Ctg, held) validated the draft version: it is
    frozen, dated by the Copil."""
    today = today or timezone.localdate()
    stored = Diagnostic.objects.select_for_update().get(pk=diagnostic.pk)
    _check_draft(stored)
    if copil.ctg_id != diagnostic.ctg_id or copil.kind != MeetingKind.COPIL.value:
        raise DiagnosticError("Choisissez un comité de pilotage de cette Ctg.", "copil")
    if copil.date > today:
        raise DiagnosticError(
            f"Le Copil du {format_date_fr(copil.date)} n'a pas encore eu lieu.", "copil"
        )
    if copil.date < stored.date:
        raise DiagnosticError(
            f"Le Copil du {format_date_fr(copil.date)} précède la date du diagnostic "
            f"({format_date_fr(stored.date)}).",
            "copil",
        )
    before = _diagnostic_snapshot(stored)
    stored.copil = copil
    stored.valide_le = copil.date
    stored.valide_par = user if getattr(user, "is_authenticated", False) else None
    stored.save(update_fields=["copil", "valide_le", "valide_par", "modifie_le"])
    record_change(
        user,
        stored,
        AuditEntry.Action.MODIFICATION,
        before=before,
        after=_diagnostic_snapshot(stored),
        caf_id=stored.ctg.caf_id,
    )
    return stored


# --- Enjeux --------------------------------------------------------------------------------------


def _check_links(ctg: Ctg, actions: Iterable[Action]) -> list[Action]:
    found = list(actions)
    if any(a.ctg_id != ctg.pk for a in found):
        raise DiagnosticError("Une action choisie n'est pas au plan d'actions de cette Ctg.")
    return found


@transaction.atomic
def save_enjeu(
    user: Any, enjeu: Enjeu, actions: Iterable[Action], objectives: Iterable[Any]
) -> Enjeu:
    """Create or update an enjeu of a draft version, with its actions and objectives."""
    diagnostic = Diagnostic.objects.select_for_update().get(pk=enjeu.diagnostic_id)
    _check_draft(diagnostic)
    creating = enjeu.pk is None
    before = None if creating else snapshot(Enjeu.objects.get(pk=enjeu.pk), ENJEU_FIELDS)
    if creating:
        last = diagnostic.enjeux.aggregate(n=Max("position"))["n"]
        enjeu.position = (last or 0) + 1
    enjeu.save()
    enjeu.actions.set(_check_links(diagnostic.ctg, actions))
    enjeu.objectifs.set(list(objectives))
    record_change(
        user,
        enjeu,
        AuditEntry.Action.CREATION if creating else AuditEntry.Action.MODIFICATION,
        before=before,
        after=snapshot(enjeu, ENJEU_FIELDS),
        caf_id=diagnostic.ctg.caf_id,
    )
    return enjeu


@transaction.atomic
def delete_enjeu(user: Any, enjeu: Enjeu) -> None:
    diagnostic = Diagnostic.objects.select_for_update().get(pk=enjeu.diagnostic_id)
    _check_draft(diagnostic)
    before = snapshot(enjeu, ENJEU_FIELDS)
    record_change(
        user,
        enjeu,
        AuditEntry.Action.SUPPRESSION,
        before=before,
        after=None,
        caf_id=diagnostic.ctg.caf_id,
    )
    enjeu.delete()


# --- A version's content -------------------------------------------------------------------------


@dataclass
class EnjeuLine:
    enjeu: Enjeu
    indicators: list[tuple[str, str]]  # (code, label)
    actions: list[Action]
    objectives: list[Any]


@dataclass
class ThemeBlock:
    theme: str
    label: str
    lines: list[EnjeuLine]


@dataclass
class DiagnosticContent:
    diagnostic: Diagnostic
    themes: list[ThemeBlock]
    instances: list[Meeting]
    enjeux_without_action: list[Enjeu]
    actions_without_enjeu: list[Action]
    actions: list[Action] = field(default_factory=list)

    @property
    def enjeu_count(self) -> int:
        return sum(len(block.lines) for block in self.themes)


def diagnostic_content(diagnostic: Diagnostic) -> DiagnosticContent:
    """A version with its enjeux by theme (in the référentiel's order of the 8 thématiques),
    their indicators, actions and objectives, its instances, and what is left uncovered: the
    enjeux no action answers, the actions of the plan no enjeu grounds. 6 queries at most."""
    enjeux = list(
        diagnostic.enjeux.order_by("position", "pk").prefetch_related(
            Prefetch("actions", queryset=Action.objects.order_by("position", "code", "id")),
            Prefetch("objectifs", queryset=ordered_objectives()),
        )
    )
    actions = list(Action.objects.filter(ctg_id=diagnostic.ctg_id).order_by("position", "code"))
    found = coverage(
        {e.pk: [a.pk for a in e.actions.all()] for e in enjeux}, [a.pk for a in actions]
    )
    labels = labels_of({code for e in enjeux for code in e.indicateurs})
    blocks: list[ThemeBlock] = []
    for theme in Theme:
        lines = [
            EnjeuLine(
                enjeu=e,
                indicators=[(code, labels[code]) for code in e.indicateurs],
                actions=list(e.actions.all()),
                objectives=list(e.objectifs.all()),
            )
            for e in enjeux
            if e.theme == theme.value
        ]
        if lines:
            blocks.append(ThemeBlock(theme.value, theme.label, lines))
    without_action = set(found.enjeux_without_action)
    without_enjeu = set(found.actions_without_enjeu)
    return DiagnosticContent(
        diagnostic=diagnostic,
        themes=blocks,
        instances=list(diagnostic.instances.order_by("date", "id")),
        enjeux_without_action=[e for e in enjeux if e.pk in without_action],
        actions_without_enjeu=[a for a in actions if a.pk in without_enjeu],
        actions=actions,
    )

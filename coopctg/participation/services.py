"""Consultations, information supports, watch notes and the public page of a Ctg: saving
(every change written in the history in the same transaction) and reading.

Nothing here names an inhabitant: a consultation's participation is a count per public and
commune (:class:`~coopctg.participation.models.Participation`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, QuerySet, Sum

from coopctg.actionplan.models import Action
from coopctg.core import versions
from coopctg.core.audit import record_change, snapshot
from coopctg.core.models import AuditEntry
from coopctg.core.themes import THEME_LABELS, Theme
from coopctg.ctg.models import Ctg
from coopctg.participation.models import (
    Consultation,
    Participation,
    PublicPage,
    Questionnaire,
    Support,
    WatchNote,
)
from coopctg.participation.rules import PUBLIC_LABELS, Public

CONSULTATION_FIELDS = [
    "intitule",
    "objectif",
    "theme",
    "public_vise",
    "communes",
    "date_debut",
    "date_fin",
    "formats",
    "partenaires",
    "partenaires_annuaire",
    "synthese",
    "suites",
    "actions",
]
SUPPORT_FIELDS = [
    "type",
    "titre",
    "date",
    "theme",
    "public_vise",
    "langues",
    "falc",
    "portee",
    "lien",
    "lieu",
    "annonce_publique",
]
WATCH_FIELDS = ["type", "date", "objet", "theme", "destinataires", "contenu", "suite", "suite_le"]


def _save(user: Any, obj: Any, fields: list[str], caf_id: int, m2m: dict | None = None) -> Any:
    creating = obj.pk is None
    before = None if creating else snapshot(type(obj).objects.get(pk=obj.pk), fields)
    obj.save()
    for name, values in (m2m or {}).items():
        getattr(obj, name).set(values)
    record_change(
        user,
        obj,
        AuditEntry.Action.CREATION if creating else AuditEntry.Action.MODIFICATION,
        before=before,
        after=snapshot(obj, fields),
        caf_id=caf_id,
    )
    return obj


# --- Consultations ----------------------------------------------------------------------------


def ctg_consultations(ctg: Ctg) -> QuerySet[Consultation]:
    """The consultations of ``ctg``, most recent first, with their participant count."""
    return (
        Consultation.objects.filter(ctg=ctg)
        .annotate(participants=Sum("participations__nombre"))
        .order_by("-date_debut", "-id")
    )


@transaction.atomic
def save_consultation(
    user: Any,
    consultation: Consultation,
    communes: Iterable[Any],
    actions: Iterable[Action],
    partners: Iterable[Any] | None = None,
) -> Consultation:
    """Save ``consultation`` with its communes, its actions and (unless None: unchanged) the
    partners of the Caf's directory associated with it, kept in history."""
    m2m: dict[str, list[Any]] = {"communes": list(communes), "actions": list(actions)}
    if partners is not None:
        m2m["partenaires_annuaire"] = list(partners)
    return _save(
        user,
        consultation,
        CONSULTATION_FIELDS,
        consultation.ctg.caf_id,
        m2m,
    )


@transaction.atomic
def set_participation(
    user: Any, consultation: Consultation, public: str, commune: Any, nombre: int
) -> None:
    """Count ``nombre`` participants of ``public`` in ``commune`` (None: the whole territory);
    0 removes the line."""
    before = participation_rows(consultation)
    lines = Participation.objects.filter(consultation=consultation, public=public, commune=commune)
    if nombre == 0:
        lines.delete()
    elif not _update_count(consultation, lines, nombre):
        Participation.objects.create(
            consultation=consultation, public=public, commune=commune, nombre=nombre
        )
    record_change(
        user,
        consultation,
        AuditEntry.Action.MODIFICATION,
        before={"participation": before},
        after={"participation": participation_rows(consultation)},
        caf_id=consultation.ctg.caf_id,
    )


def participation_rows(consultation: Consultation) -> list[str]:
    rows = consultation.participations.select_related("commune").defer("commune__geometrie")
    lines = []
    for p in rows:
        where = p.commune.nom if p.commune else "tout le territoire"
        lines.append(f"{PUBLIC_LABELS[Public(p.public)]} — {where} : {p.nombre}")
    return lines


@dataclass
class ParticipationSummary:
    total: int
    by_public: list[tuple[str, int]]
    by_commune: list[tuple[str, int]]
    lines: list[Participation]


def participation_summary(consultation: Consultation) -> ParticipationSummary:
    lines = list(consultation.participations.select_related("commune").defer("commune__geometrie"))
    by_public: dict[str, int] = {}
    by_commune: dict[str, int] = {}
    for line in lines:
        label = PUBLIC_LABELS[Public(line.public)]
        by_public[label] = by_public.get(label, 0) + line.nombre
        commune = line.commune.nom if line.commune else "Tout le territoire"
        by_commune[commune] = by_commune.get(commune, 0) + line.nombre
    return ParticipationSummary(
        total=sum(line.nombre for line in lines),
        by_public=sorted(by_public.items(), key=lambda kv: (-kv[1], kv[0])),
        by_commune=sorted(by_commune.items(), key=lambda kv: (-kv[1], kv[0])),
        lines=lines,
    )


def consultation_questionnaires(consultation: Consultation) -> list[Questionnaire]:
    return list(
        consultation.questionnaires.annotate(nombre_reponses=Count("reponses")).order_by(
            "-cree_le", "-id"
        )
    )


# --- Supports and watch notes -----------------------------------------------------------------


def ctg_supports(ctg: Ctg) -> QuerySet[Support]:
    return Support.objects.filter(ctg=ctg).order_by("-date", "-id")


@transaction.atomic
def save_support(user: Any, support: Support) -> Support:
    return _save(user, support, SUPPORT_FIELDS, support.ctg.caf_id)


def ctg_watch_notes(ctg: Ctg) -> QuerySet[WatchNote]:
    return WatchNote.objects.filter(ctg=ctg).order_by("-date", "-id")


@transaction.atomic
def save_watch_note(user: Any, note: WatchNote) -> WatchNote:
    return _save(user, note, WATCH_FIELDS, note.ctg.caf_id)


# --- Public page -------------------------------------------------------------------------------


def page_active(ctg: Ctg) -> bool:
    return PublicPage.objects.filter(ctg=ctg, active=True).exists()


@transaction.atomic
def set_public_page(user: Any, ctg: Ctg, active: bool) -> PublicPage:
    page, _created = PublicPage.objects.select_for_update().get_or_create(ctg=ctg)
    before = {"page_publique": page.active}
    page.active = active
    page.modifie_par = user
    page.save()
    record_change(
        user,
        ctg,
        AuditEntry.Action.MODIFICATION,
        before=before,
        after={"page_publique": active},
        caf_id=ctg.caf_id,
    )
    return page


@dataclass
class PublicTheme:
    code: str
    label: str
    actions: int
    mean_progress: Decimal | None
    done: int
    ongoing: int
    to_start: int
    items: list[tuple[str, str, int]]  # (title, status label, progress)


@dataclass
class PublicContent:
    ctg: Ctg
    signatories: list[str]
    themes: list[PublicTheme]
    events: list[Support]


def public_content(ctg: Ctg, today: dt.date) -> PublicContent:
    """What the public page shows, and nothing else: the Ctg's name, period and signatories
    (institutions), its actions' titles, status and progress by theme, and the upcoming
    events announced publicly (title, date, place, theme). No person, no funding, no note."""
    from coopctg.actionplan.rules import STATUS_LABELS, ActionStatus

    actions = list(
        Action.objects.filter(ctg=ctg)
        .exclude(statut=ActionStatus.ABANDONNEE)
        .only("titre", "themes", "statut", "avancement", "position", "code")
        .order_by("position", "code")
    )
    themes = []
    for theme in Theme:
        mine = [a for a in actions if theme.value in (a.themes or [])]
        if not mine:
            continue
        progress = [Decimal(a.avancement) for a in mine]
        themes.append(
            PublicTheme(
                code=theme.value,
                label=THEME_LABELS[theme],
                actions=len(mine),
                mean_progress=(sum(progress) / len(progress)).quantize(Decimal("1")),
                done=sum(1 for a in mine if a.statut == ActionStatus.REALISEE),
                ongoing=sum(1 for a in mine if a.statut == ActionStatus.EN_COURS),
                to_start=sum(1 for a in mine if a.statut == ActionStatus.A_LANCER),
                items=[
                    (a.titre, STATUS_LABELS[ActionStatus(a.statut)], a.avancement) for a in mine
                ],
            )
        )
    events = list(
        Support.objects.filter(ctg=ctg, type="evenement", annonce_publique=True, date__gte=today)
        .only("titre", "date", "lieu", "theme")
        .order_by("date", "id")[:20]
    )
    return PublicContent(
        ctg=ctg,
        signatories=[la.nom for la in ctg.signataires.all()],
        themes=themes,
        events=events,
    )


def _update_count(consultation: Any, lines: Any, nombre: int) -> int:
    with versions.writing_for(row=consultation):
        return lines.update(nombre=nombre)

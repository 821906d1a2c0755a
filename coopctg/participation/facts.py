"""The facts of mission 4 for the bilan annuel d'activité (JSON-ready, French keys), frozen
with the other facts at transmission (:mod:`coopctg.reports.facts`), under ``participation``:

- ``consultations``: the consultations of the year (started in it, or running during it):
  formats, participants by public, questionnaires and their answers, what was said, what
  changed and the actions of the plan linked;
- ``supports``: the information supports dated in the year, by type, how many in FALC or in
  other languages, the known reach;
- ``veille``: the watch notes and alerts of the year, to whom, how many followed up.

:func:`attendu_evidence` reads these facts (live or frozen) to show, next to each attendu of
mission 4 in the report, the records that support its self-assessment.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, Sum

from coopctg.core.themes import THEME_LABELS, Theme
from coopctg.ctg.models import Ctg
from coopctg.participation.models import (
    Consultation,
    Questionnaire,
    Submission,
    Support,
    WatchNote,
)
from coopctg.participation.rules import (
    FORMAT_LABELS,
    M4_EVIDENCE,
    PUBLIC_LABELS,
    RECIPIENT_LABELS,
    SUPPORT_KIND_LABELS,
    WATCH_KIND_LABELS,
    Format,
    Public,
    Recipient,
    SupportKind,
    WatchKind,
)

OUTREACH = {Format.ALLER_VERS.value, Format.PORTE_A_PORTE.value, Format.PERMANENCE.value}


def _year_consultations(ctg: Ctg, year: int) -> list[Consultation]:
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    return list(
        Consultation.objects.filter(ctg=ctg, date_debut__lte=end)
        .filter(Q(date_fin__isnull=True, date_debut__gte=start) | Q(date_fin__gte=start))
        .prefetch_related(
            "participations",
            "actions",
            Prefetch(
                "questionnaires",
                queryset=Questionnaire.objects.annotate(nombre=Count("reponses")).order_by(
                    "cree_le", "id"
                ),
            ),
        )
        .order_by("date_debut", "id")
    )


def _consultation(c: Consultation) -> dict[str, Any]:
    by_public: dict[str, int] = {}
    for line in c.participations.all():
        label = PUBLIC_LABELS[Public(line.public)]
        by_public[label] = by_public.get(label, 0) + line.nombre
    return {
        "intitule": c.intitule,
        "thematique": THEME_LABELS[Theme(c.theme)],
        "date_debut": c.date_debut.isoformat(),
        "date_fin": c.date_fin.isoformat() if c.date_fin else None,
        "formats": [FORMAT_LABELS[Format(f)] for f in c.formats if f in FORMAT_LABELS],
        "codes_formats": list(c.formats),
        "public_vise": c.public_vise,
        "participants": sum(by_public.values()),
        "par_public": [{"public": k, "nombre": v} for k, v in by_public.items()],
        "questionnaires": [
            {"titre": q.titre, "reponses": q.nombre}  # type: ignore[attr-defined]
            for q in c.questionnaires.all()
        ],
        "synthese": c.synthese,
        "suites": c.suites,
        "actions": [f"{a.code} — {a.titre}" for a in c.actions.all()],
    }


def _supports(ctg: Ctg, year: int) -> dict[str, Any]:
    supports = list(Support.objects.filter(ctg=ctg, date__year=year).order_by("date", "id"))
    by_kind = {}
    for support in supports:
        label = SUPPORT_KIND_LABELS[SupportKind(support.type)]
        by_kind[label] = by_kind.get(label, 0) + 1
    reach = [s.portee for s in supports if s.portee is not None]
    return {
        "nombre": len(supports),
        "par_type": [{"type": k, "nombre": v} for k, v in by_kind.items()],
        "falc": sum(1 for s in supports if s.falc),
        "autres_langues": sum(1 for s in supports if s.langues.strip()),
        "portee_connue": sum(reach) if reach else None,
        "liste": [
            {
                "titre": s.titre,
                "type": SUPPORT_KIND_LABELS[SupportKind(s.type)],
                "date": s.date.isoformat(),
                "public_vise": s.public_vise,
                "falc": s.falc,
                "langues": s.langues,
                "portee": s.portee,
            }
            for s in supports
        ],
    }


def _watch(ctg: Ctg, year: int) -> dict[str, Any]:
    notes = list(WatchNote.objects.filter(ctg=ctg, date__year=year).order_by("date", "id"))
    recipients = {r.value: 0 for r in Recipient}
    for note in notes:
        for code in note.destinataires:
            if code in recipients:
                recipients[code] += 1
    return {
        "notes": sum(1 for n in notes if n.type == WatchKind.VEILLE),
        "alertes": sum(1 for n in notes if n.type == WatchKind.ALERTE),
        "suivies": sum(1 for n in notes if n.followed),
        "par_destinataire": [
            {"destinataire": RECIPIENT_LABELS[Recipient(code)], "nombre": n}
            for code, n in recipients.items()
            if n
        ],
        "vers_elus": recipients[Recipient.ELUS.value],
        "liste": [
            {
                "date": n.date.isoformat(),
                "type": WATCH_KIND_LABELS[WatchKind(n.type)],
                "objet": n.objet,
                "destinataires": n.recipient_labels,
                "suite": n.suite,
            }
            for n in notes
        ],
    }


def mission4_facts(ctg: Ctg, year: int) -> dict[str, Any]:
    consultations = [_consultation(c) for c in _year_consultations(ctg, year)]
    return {
        "participation": {
            "consultations": consultations,
            "participants": sum(c["participants"] for c in consultations),
            "reponses_questionnaires": sum(
                q["reponses"] for c in consultations for q in c["questionnaires"]
            ),
            "supports": _supports(ctg, year),
            "veille": _watch(ctg, year),
        }
    }


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n <= 1 else (plural or word + 's')}"


def attendu_evidence(facts: dict[str, Any]) -> dict[str, list[str]]:
    """{attendu code: the lines of records that support it} from a report's facts (empty
    when the facts predate mission 4, or nothing was recorded)."""
    part = facts.get("participation")
    if not part:
        return {}
    consultations = part["consultations"]
    supports = part["supports"]
    watch = part["veille"]
    outreach = [c for c in consultations if set(c["codes_formats"]) & OUTREACH]
    formats = sorted({f for c in consultations for f in c["formats"]})
    questionnaires = [q for c in consultations for q in c["questionnaires"]]
    followed = [c for c in consultations if c["suites"] or c["actions"]]
    lines: dict[str, list[str]] = {
        "consultations": [
            f"{_plural(len(consultations), 'consultation')} des habitants, "
            f"{_plural(part['participants'], 'participant')} : "
            + " ; ".join(c["intitule"] for c in consultations)
        ]
        if consultations
        else [],
        "aller_vers": [
            f"{_plural(len(outreach), 'consultation')} « aller vers », porte-à-porte ou "
            "permanence : " + " ; ".join(c["intitule"] for c in outreach)
        ]
        if outreach
        else [],
        "questionnaires": [
            f"{_plural(len(questionnaires), 'questionnaire')}, "
            f"{_plural(part['reponses_questionnaires'], 'réponse')}"
        ]
        if questionnaires
        else [],
        "formats": [f"Formats : {', '.join(formats)}"] if formats else [],
        "supports": [
            f"{_plural(supports['nombre'], 'support')} d'information : "
            + ", ".join(f"{k['type'].lower()} ({k['nombre']})" for k in supports["par_type"])
        ]
        if supports["nombre"]
        else [],
        "supports_adaptes": [
            f"{_plural(supports['falc'], 'support')} en FALC, "
            f"{supports['autres_langues']} dans d'autres langues"
            + (
                f", portée connue : {supports['portee_connue']}"
                if supports["portee_connue"]
                else ""
            )
        ]
        if supports["nombre"]
        else [],
        "consultations_suivies": [
            f"{_plural(len(followed), 'consultation')} suivie(s) de décisions ou d'actions : "
            + " ; ".join(c["intitule"] for c in followed)
        ]
        if followed
        else [],
        "veille": [
            f"{_plural(watch['notes'], 'note')} de veille, {_plural(watch['alertes'], 'alerte')}"
            f", {watch['suivies']} suivie(s)"
        ]
        if watch["notes"] or watch["alertes"]
        else [],
        "alertes_elus": [f"{_plural(watch['vers_elus'], 'note')} ou alerte(s) adressée(s) aux élus"]
        if watch["vers_elus"]
        else [],
    }
    return {
        code: [line for key in keys for line in lines[key]]
        for code, keys in M4_EVIDENCE.items()
        if any(lines[key] for key in keys)
    }


def ctg_counts(ctg: Ctg) -> dict[str, int]:
    """Counts for the dashboards and the overview page (one query each)."""
    watch = WatchNote.objects.filter(ctg=ctg).aggregate(
        alertes=Count("pk", filter=Q(type=WatchKind.ALERTE)),
        sans_suite=Count("pk", filter=Q(type=WatchKind.ALERTE, suite="")),
    )
    return {
        "consultations": Consultation.objects.filter(ctg=ctg).count(),
        "supports": Support.objects.filter(ctg=ctg).count(),
        "alertes": watch["alertes"],
        "alertes_sans_suite": watch["sans_suite"],
    }


@dataclass(frozen=True)
class PopulationYear:
    """One year of mission 4 in the évaluation de fin de Ctg."""

    year: int
    consultations: int
    participants: int
    answers: int
    supports: int
    notes: int
    alerts: int


def population_years(ctg: Ctg, years: list[int]) -> list[PopulationYear]:
    """Mission 4 year by year over the Ctg (4 queries whatever the years): consultations
    started in the year and their participants, questionnaire answers received, supports,
    watch notes and alerts."""
    consultations: dict[int, list[int]] = {y: [0, 0] for y in years}
    rows = (
        Consultation.objects.filter(ctg=ctg)
        .values_list("pk", "date_debut__year")
        .annotate(people=Sum("participations__nombre"))
    )
    for _pk, year, people in rows:
        if year in consultations:
            consultations[year][0] += 1
            consultations[year][1] += people or 0
    answers = dict(
        Submission.objects.filter(questionnaire__consultation__ctg=ctg)
        .values_list("recue_le__year")
        .annotate(n=Count("pk"))
        .values_list("recue_le__year", "n")
    )
    supports = dict(
        Support.objects.filter(ctg=ctg)
        .values_list("date__year")
        .annotate(n=Count("pk"))
        .values_list("date__year", "n")
    )
    notes: dict[tuple[int, str], int] = {
        (year, kind): n
        for year, kind, n in WatchNote.objects.filter(ctg=ctg)
        .values_list("date__year", "type")
        .annotate(n=Count("pk"))
        .values_list("date__year", "type", "n")
    }
    return [
        PopulationYear(
            year=year,
            consultations=consultations[year][0],
            participants=consultations[year][1],
            answers=answers.get(year, 0),
            supports=supports.get(year, 0),
            notes=notes.get((year, WatchKind.VEILLE.value), 0),
            alerts=notes.get((year, WatchKind.ALERTE.value), 0),
        )
        for year in years
    ]

"""The bilan annuel d'activité as a document: the page and the PDF show the same content.

:func:`report_missions` groups the assessments as the référentiel does (4 missions → 15
objectives → 46 attendus) with the attainment of each mission; :func:`report_pdf` renders
``reports/pdf/bilan.html`` with WeasyPrint: a report an elected official can keep.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from coopctg.core.formats import format_date
from coopctg.core.params import ParameterError
from coopctg.core.pdf import html_to_pdf
from coopctg.framework.models import Mission, Objective
from coopctg.participation.facts import attendu_evidence
from coopctg.reports.facts import facts_of
from coopctg.reports.models import AnnualReport, AttenduAssessment
from coopctg.reports.rules import (
    LEVEL_LABELS,
    STATUS_LABELS,
    Attainment,
    Level,
    attainment,
    editable,
)

PDF_TEMPLATE = "reports/pdf/bilan.html"


@dataclass
class ObjectiveBlock:
    objective: Objective
    assessments: list[AttenduAssessment]


@dataclass
class MissionBlock:
    mission: Mission
    objectives: list[ObjectiveBlock]

    @property
    def assessments(self) -> list[AttenduAssessment]:
        return [a for block in self.objectives for a in block.assessments]

    @property
    def attainment(self) -> Attainment:
        return attainment(a.niveau for a in self.assessments)

    @property
    def levels(self) -> list[dict[str, Any]]:
        return level_rows(self.attainment)


def level_rows(result: Attainment) -> list[dict[str, Any]]:
    return [
        {
            "code": level.value,
            "label": LEVEL_LABELS[level],
            "count": result.counts[level],
            "share": result.share(level),
        }
        for level in Level
    ]


def assessments_of(report: AnnualReport) -> list[AttenduAssessment]:
    """The report's assessments in the référentiel's order, with their attendu (1 query)."""
    return list(
        report.evaluations.select_related("attendu__objective__mission").order_by(
            "attendu__objective__mission__position",
            "attendu__objective__position",
            "attendu__position",
            "attendu__pk",
        )
    )


def report_missions(assessments: list[AttenduAssessment]) -> list[MissionBlock]:
    missions: list[MissionBlock] = []
    for assessment in assessments:
        objective = assessment.attendu.objective
        if not missions or missions[-1].mission.pk != objective.mission_id:
            missions.append(MissionBlock(mission=objective.mission, objectives=[]))
        blocks = missions[-1].objectives
        if not blocks or blocks[-1].objective.pk != objective.pk:
            blocks.append(ObjectiveBlock(objective=objective, assessments=[]))
        blocks[-1].assessments.append(assessment)
    return missions


def report_context(report: AnnualReport, *, today: dt.date | None = None) -> dict[str, Any]:
    """What the page and the PDF both show.

    The payment block is the one of the versements schedule (:mod:`coopctg.reports.payments`):
    the amount due from the Cof's signed versions today, not the amount frozen in the facts at
    transmission (those stay in the facts section, as they were)."""
    from coopctg.reports.services import (
        cof_amount_due,
        cof_payment,
        due_or_none,
        parameters_for_caf,
    )

    today = today or timezone.localdate()
    assessments = assessments_of(report)
    faits = facts_of(report, today)
    # Mission 4: the records that support each attendu, next to its self-assessment.
    evidence = attendu_evidence(faits)
    for assessment in assessments:
        assessment.evidence = evidence.get(assessment.attendu.code, [])  # type: ignore[attr-defined]
    cof = report.cof
    try:
        payment = cof_payment(cof, report.annee, cof_amount_due(cof, report.annee), report)
    except ParameterError:  # the Caf has no advance rate for the year
        payment = None
    try:
        due = due_or_none(parameters_for_caf(cof.ctg.caf.code), report.annee)
    except ParameterError:  # the Caf has no report parameters: « non paramétrée »
        due = None
    return {
        "report": report,
        "cof": report.cof,
        "status_label": STATUS_LABELS[report.status],
        "missions": report_missions(assessments),
        "overall": level_rows(attainment(a.niveau for a in assessments)),
        "attendus_count": len(assessments),
        "faits": faits,
        "live_facts": editable(report.status) or not report.faits,
        "payment": payment,
        "due": due,
        "generated": today,
    }


def report_html(report: AnnualReport, *, today: dt.date | None = None) -> str:
    context = report_context(report, today=today)
    context["generated_text"] = format_date(context["generated"])
    html: str = render_to_string(PDF_TEMPLATE, context)
    return html


def report_pdf(report: AnnualReport, *, today: dt.date | None = None) -> bytes:
    return html_to_pdf(report_html(report, today=today))

"""The « fiche de poste » of a recruitment, generated from the référentiel.

:func:`job_description` gathers what the detail page and the PDF both show: the context
(collectivité, Ctg, Caf), the post (intitulé, type, Etp and envelopes), the 4 functions of the
référentiel, the chosen attendus grouped by mission and objective in the référentiel's order,
and what the Caf expects (the « attendus généraux » of the référentiel). :func:`job_pdf`
renders it with WeasyPrint from ``recruitment/pdf/fiche_de_poste.html``, a document the
collectivité's HR department can publish.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import timezone

from coopctg.core.formats import format_date, format_etp, format_number
from coopctg.core.pdf import html_to_pdf
from coopctg.framework.models import (
    ExpectedOutput,
    Function,
    GeneralExpectation,
    Mission,
    Objective,
)
from coopctg.funding.models import ENVELOPE_CHOICES
from coopctg.recruitment.models import Recruitment

PDF_TEMPLATE = "recruitment/pdf/fiche_de_poste.html"

#: Working days in a week: 0,2 Etp is one day a week (glossary).
_DAYS_PER_WEEK = Decimal(5)


@dataclass(frozen=True)
class ObjectiveBlock:
    objective: Objective
    attendus: list[ExpectedOutput]


@dataclass(frozen=True)
class MissionBlock:
    mission: Mission
    objectives: list[ObjectiveBlock]

    @property
    def count(self) -> int:
        return sum(len(block.attendus) for block in self.objectives)


@dataclass(frozen=True)
class EnvelopeLine:
    code: str
    label: str
    etp: Decimal


@dataclass(frozen=True)
class JobDescription:
    recruitment: Recruitment
    envelopes: list[EnvelopeLine]
    fonctions: list[Function]
    attendus_generaux: list[GeneralExpectation]
    missions: list[MissionBlock]
    generated: dt.date

    @property
    def etp_total(self) -> Decimal:
        return sum((line.etp for line in self.envelopes), Decimal(0))

    @property
    def working_time(self) -> str:
        """« 0,8 Etp, soit 4 jours par semaine »."""
        days = self.etp_total * _DAYS_PER_WEEK
        unit = "jour" if days <= 1 else "jours"
        days_text = format_number(days, 2, trim=True)
        return f"{format_etp(self.etp_total)}, soit {days_text} {unit} par semaine"

    @property
    def attendus_count(self) -> int:
        return sum(block.count for block in self.missions)


def group_attendus(attendus: list[ExpectedOutput]) -> list[MissionBlock]:
    """Attendus (``objective__mission`` selected) grouped as in the référentiel."""
    ordered = sorted(
        attendus,
        key=lambda a: (
            a.objective.mission.position,
            a.objective.mission.pk,
            a.objective.position,
            a.objective.pk,
            a.position,
            a.pk,
        ),
    )
    missions: list[MissionBlock] = []
    for attendu in ordered:
        objective = attendu.objective
        if not missions or missions[-1].mission.pk != objective.mission_id:
            missions.append(MissionBlock(mission=objective.mission, objectives=[]))
        blocks = missions[-1].objectives
        if not blocks or blocks[-1].objective.pk != objective.pk:
            blocks.append(ObjectiveBlock(objective=objective, attendus=[]))
        blocks[-1].attendus.append(attendu)
    return missions


def envelope_lines(recruitment: Recruitment) -> list[EnvelopeLine]:
    etps = {a.enveloppe: a.etp for a in recruitment.affectations.all()}
    return [
        EnvelopeLine(code=code, label=label, etp=etps[code])
        for code, label in ENVELOPE_CHOICES
        if code in etps
    ]


def job_description(recruitment: Recruitment, today: dt.date | None = None) -> JobDescription:
    """The fiche de poste's content, in 5 queries."""
    version_id = recruitment.referentiel_id
    attendus = list(recruitment.attendus.select_related("objective__mission").order_by("pk"))
    return JobDescription(
        recruitment=recruitment,
        envelopes=envelope_lines(recruitment),
        fonctions=list(Function.objects.filter(version_id=version_id).order_by("position", "pk")),
        attendus_generaux=list(
            GeneralExpectation.objects.filter(version_id=version_id).order_by("position", "pk")
        ),
        missions=group_attendus(attendus),
        generated=today or timezone.localdate(),
    )


def post_funding_notes(recruitment: Recruitment, day: dt.date | None = None) -> list[str]:
    """What the Caf's funding rules say of this post alone (threshold per envelope, envelope
    outside the Ctg, full-time thematic post…), computed by the funding engine. Empty when
    the Caf has no parameters in force."""
    from coopctg.core.params import ParameterError
    from coopctg.funding.services import PersonRow, compute, to_engine

    row = PersonRow(
        nom=recruitment.intitule,
        fonction="",
        employeur="",
        type_poste=recruitment.type_poste,
        etp={line.code: line.etp for line in envelope_lines(recruitment)},
    )
    ctg = recruitment.ctg
    try:
        result = compute(
            to_engine(
                day or timezone.localdate(),
                [row],
                base_montant=None,
                base_etp=None,
                ctg_themes=ctg.themes,
                collectivite=recruitment.collectivite.nom,
            ),
            recruitment.collectivite.caf.code,
        )
    except ParameterError:
        return []
    return [anomaly.message for anomaly in result.anomalies if anomaly.person_id is not None]


# --- PDF ------------------------------------------------------------------------------------


def job_html(recruitment: Recruitment, *, today: dt.date | None = None) -> str:
    job = job_description(recruitment, today)
    ctg = recruitment.ctg
    caf = recruitment.collectivite.caf
    html: str = render_to_string(
        PDF_TEMPLATE,
        {
            "job": job,
            "recruitment": recruitment,
            "caf": caf,
            "collectivite": recruitment.collectivite,
            "ctg": {
                "intitule": ctg.intitule,
                "period": f"du {format_date(ctg.date_debut)} au {format_date(ctg.date_fin)}",
                "themes": ", ".join(ctg.theme_labels()),
            },
            "post_type": recruitment.get_type_poste_display(),
            "envelopes": [
                {"label": line.label, "etp": format_etp(line.etp)} for line in job.envelopes
            ],
            "etp_total": format_etp(job.etp_total),
            "working_time": job.working_time,
            "version": recruitment.referentiel,
            "generated": format_date(job.generated),
        },
    )
    return html


def job_pdf(recruitment: Recruitment, *, today: dt.date | None = None) -> bytes:
    """The fiche de poste (A4 portrait), rendered by WeasyPrint."""
    return html_to_pdf(job_html(recruitment, today=today))

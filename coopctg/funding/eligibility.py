"""The eligibility of a funding architecture, from the records: one service for every reader.

:func:`eligibility_of` gathers the facts (the Ctg, the Cofs of the collectivité within it, the
network meetings of the Ctg, the recruitments' job descriptions, the latest bilan transmitted,
the dated minimum of network meetings) and hands them to the pure rules
(:func:`coopctg.funding.rules.eligibility.eligibility_checklist`). The architecture page, its
declarations, the API and the dashboards to come all call it, so that they cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import Count, Min, Q
from django.urls import reverse
from django.utils import timezone

from coopctg.core.params import ParameterError
from coopctg.funding.caf_parameters import load_caf_eligibility_parameters
from coopctg.funding.rules import AnomalyCode
from coopctg.funding.rules.eligibility import (
    AssessedReport,
    AttendusFacts,
    CofFact,
    Condition,
    EligibilityFacts,
    JobDescription,
    MembershipFact,
    NetworksFacts,
    eligibility_checklist,
)

if TYPE_CHECKING:
    from coopctg.agreements.models import FundingAgreement
    from coopctg.ctg.models import Ctg
    from coopctg.funding.models import FundingArchitecture
    from coopctg.funding.rules import FundingResult

#: The declarations the collectivité may still make, by condition code → architecture field.
#: Offered only where the condition says a declaration is possible (no record can exist).
DECLARATION_FIELDS = {
    "attendus": "declaration_attendus",
    "bilan_annuel": "declaration_bilan",
}


def eligibility_of(
    architecture: FundingArchitecture,
    today: dt.date | None = None,
    *,
    result: FundingResult | None = None,
) -> list[Condition]:
    """The six conditions of ``architecture`` on its effective date, with their proofs.

    ``today`` decides which meetings were held and which bilans are due (default: today's date
    in the application's time zone). ``result``: the architecture's funding when the caller has
    already computed it; otherwise computed here (a parameter error leaves the condition on
    the assignments « non évaluée », the others are still judged). An unsaved architecture
    counts as one without any person (« aucune affectation saisie »)."""
    from coopctg.funding import services
    from coopctg.reports.services import annual_report_fact

    today = today or timezone.localdate()
    ctg = architecture.ctg
    collectivite_id = architecture.collectivite_id
    funding_error = ""
    if result is None:
        try:
            result = (
                services.compute_architecture(architecture)
                if architecture.pk is not None
                else services.compute(
                    services.to_engine(
                        architecture.date_effet,
                        [],
                        base_montant=None,
                        base_etp=None,
                        ctg_themes=ctg.themes,
                    ),
                    ctg.caf.code,
                )
            )
        except ParameterError as error:
            funding_error = str(error)
    facts = EligibilityFacts(
        ctg_title=ctg.intitule,
        ctg_signed=ctg.statut == ctg.Status.SIGNEE,
        ctg_start=ctg.date_debut,
        ctg_end=ctg.date_fin,
        effective_date=architecture.date_effet,
        today=today,
        collectivite_is_signatory=ctg.signataires.filter(pk=collectivite_id).exists(),
        total_etp_positive=result is not None and result.total_etp > 0,
        lines_outside_ctg=0
        if result is None
        else sum(1 for a in result.anomalies if a.code is AnomalyCode.ENVELOPPE_HORS_CTG),
        funding_error=funding_error,
        cofs=_cofs(ctg.pk, collectivite_id),
        networks=_networks(ctg, architecture.date_effet),
        attendus=_attendus(ctg.pk, collectivite_id, architecture.declaration_attendus),
        declared_annual_report=architecture.declaration_bilan,
        annual_report=annual_report_fact(ctg.pk, collectivite_id, today),
    )
    return eligibility_checklist(facts)


def declarable_fields(conditions: list[Condition]) -> list[str]:
    """The architecture's declaration fields the collectivité may still fill in."""
    return [DECLARATION_FIELDS[c.code] for c in conditions if c.declarable]


def _cofs(ctg_id: int, collectivite_id: int) -> tuple[CofFact, ...]:
    from coopctg.agreements.models import AgreementVersion, FundingAgreement

    signed = Q(versions__statut=AgreementVersion.Status.SIGNEE, versions__numero=0)
    cofs = (
        FundingAgreement.objects.filter(ctg_id=ctg_id, collectivite_id=collectivite_id)
        .annotate(signed_on=Min("versions__date_signature", filter=signed))
        .order_by("date_debut", "numero")
    )
    return tuple(
        CofFact(
            number=cof.numero,
            signed=cof.statut != FundingAgreement.Status.PROJET,
            start=cof.date_debut,
            end=cof.date_fin,
            signed_on=cof.signed_on,
            url=reverse("agreements:detail", args=[cof.pk]),
        )
        for cof in cofs
    )


def _networks(ctg: Ctg, effective: dt.date) -> NetworksFacts:
    from coopctg.governance.models import Meeting
    from coopctg.governance.rules import MeetingKind
    from coopctg.partners.models import NetworkMembership

    url = reverse("governance:ctg", args=[ctg.pk])
    try:
        parameters = load_caf_eligibility_parameters(ctg.caf.code)
    except ParameterError as error:
        return NetworksFacts(url=url, unavailable=f"seuil non paramétré : {error}")
    rows = Meeting.objects.filter(ctg_id=ctg.pk, kind=MeetingKind.RESEAU.value).values_list(
        "date", "reseau_lie__network__nom"
    )
    memberships = NetworkMembership.objects.filter(ctg_id=ctg.pk).values_list(
        "network__nom", "date_debut", "date_fin"
    )
    return NetworksFacts(
        minimum=parameters.networks_minimum_at(effective),
        meetings=tuple(sorted(day for day, _ in rows)),
        url=url,
        networks_minimum=parameters.networks_count_minimum_at(effective),
        named=tuple(sorted((day, name) for day, name in rows if name)),
        memberships=tuple(MembershipFact(name, start, end) for name, start, end in memberships),
    )


def _attendus(ctg_id: int, collectivite_id: int, declared: bool) -> AttendusFacts:
    from coopctg.recruitment.models import Decision, Recruitment
    from coopctg.reports.models import AnnualReport
    from coopctg.reports.rules import Status, counts_as_transmitted

    recruitments = (
        Recruitment.objects.filter(ctg_id=ctg_id, collectivite_id=collectivite_id)
        .exclude(decision=Decision.INFRUCTUEUX)  # its job description filled no post
        .annotate(listed=Count("attendus"))
        .filter(listed__gt=0)
        .order_by("cree_le", "pk")
    )
    transmitted = [status.value for status in Status if counts_as_transmitted(status)]
    report = (
        AnnualReport.objects.filter(
            cof__ctg_id=ctg_id, cof__collectivite_id=collectivite_id, statut__in=transmitted
        )
        .annotate(assessed=Count("evaluations"))
        .order_by("-annee", "-pk")
        .first()
    )
    return AttendusFacts(
        job_descriptions=tuple(
            JobDescription(
                title=r.intitule,
                attendus=r.listed,
                url=reverse("recruitment:detail", args=[r.pk]),
            )
            for r in recruitments
        ),
        report=None
        if report is None
        else AssessedReport(
            year=report.annee,
            attendus=report.assessed,
            url=reverse("reports:detail", args=[report.pk]),
        ),
        declared=declared,
    )


def architecture_of_cof(cof: FundingAgreement, today: dt.date | None = None) -> FundingArchitecture:
    """The architecture whose eligibility a Cof shows (the API): its signed version in force
    on ``today`` — the first one before the Cof begins, the last one after it ends; for a Cof
    not signed yet, the collectivité's working architecture in the Ctg, the one it is signed
    from; without one, an unsaved architecture without any person, from the Cof's start."""
    from coopctg.agreements.models import AgreementVersion
    from coopctg.funding import services
    from coopctg.funding.models import FundingArchitecture

    day = min(max(today or timezone.localdate(), cof.date_debut), cof.date_fin)
    versions = list(
        AgreementVersion.objects.filter(cof=cof, statut=AgreementVersion.Status.SIGNEE).order_by(
            "date_effet"
        )
    )
    if versions:
        in_force = [v for v in versions if v.date_effet <= day] or versions[:1]
        return services.load_architecture(in_force[-1].architecture_id)
    working = (
        FundingArchitecture.objects.filter(
            ctg_id=cof.ctg_id,
            collectivite_id=cof.collectivite_id,
            kind=FundingArchitecture.Kind.TRAVAIL,
        )
        .values_list("pk", flat=True)
        .first()
    )
    if working is not None:
        return services.load_architecture(working)
    return FundingArchitecture(
        ctg=cof.ctg, collectivite=cof.collectivite, date_effet=cof.date_debut
    )

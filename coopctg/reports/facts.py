"""The facts of a report's year, prefilled from the rest of the application (JSON-ready).

:func:`report_facts` reads, for the Cof's Ctg and the year: the instances held (by kind, with
their dates), the Copil and Cotech compliance of the year's periods, the plan d'actions (status
and progress of each action), the indicator values of the year (with baseline and target), the
faits marquants, and the Cof's Etp and funding of the year (per envelope, advance and balance);
since version 2, mission 2 of the référentiel (:mod:`coopctg.diagnostic.facts`): the diagnostic
partagé validated in Copil, the synthesis of the besoins exprimés par les familles of the year,
and the year's commissions d'admission with their alerts and follow-ups; since version 3,
mission 4 (:mod:`coopctg.participation.facts`): consultations, supports, veille et alertes.

The dict has French keys; amounts and Etp are strings with two decimals (never floats), dates
ISO. While a report is editable its facts are computed live (:func:`facts_of`); at transmission
they are frozen into ``AnnualReport.faits``, so a validated report never changes afterwards.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from coopctg.actionplan.rules import STATUS_LABELS as ACTION_STATUS_LABELS
from coopctg.actionplan.services import plan_actions, plan_summary
from coopctg.agreements.annual import envelope_labels, version_periods
from coopctg.agreements.models import FundingAgreement
from coopctg.core.params import ParameterError
from coopctg.core.themes import THEME_CHOICES
from coopctg.diagnostic.facts import mission2_facts
from coopctg.funding.rules import Envelope
from coopctg.funding.rules.annual import annual_funding
from coopctg.funding.rules.serialize import decimal_text
from coopctg.governance.models import Highlight, Meeting
from coopctg.governance.rules import MEETING_LABELS, MeetingKind
from coopctg.governance.services import governance_status
from coopctg.participation.facts import mission4_facts
from coopctg.partners.services import partner_facts
from coopctg.reports import rules
from coopctg.reports.models import AnnualReport

FACTS_VERSION = (
    3  # 2: mission 2 (diagnostic, besoins, commissions); 3: partenaires, réseaux, mission 4
)
THEME_LABELS = dict(THEME_CHOICES)
HIGHLIGHT_LABELS = dict(Highlight.Kind.choices)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value.normalize():f}"


def _instances(cof: FundingAgreement, year: int) -> dict[str, Any]:
    meetings = list(
        Meeting.objects.filter(ctg=cof.ctg, date__year=year)
        .order_by("date", "id")
        .values_list("kind", "date", "objet")
    )
    by_kind = []
    for kind in MeetingKind:
        dates = [date for k, date, _ in meetings if k == kind.value]
        by_kind.append(
            {
                "type": kind.value,
                "libelle": MEETING_LABELS[kind],
                "nombre": len(dates),
                "dates": [date.isoformat() for date in dates],
            }
        )
    return {
        "total": len(meetings),
        "par_type": by_kind,
        "liste": [
            {"type": kind, "libelle": MEETING_LABELS[MeetingKind(kind)], "date": d.isoformat()}
            | ({"objet": objet} if objet else {})
            for kind, d, objet in meetings
        ],
    }


def _compliance(cof: FundingAgreement, year: int, today: dt.date) -> dict[str, Any]:
    status = governance_status(cof.ctg, today)
    if status.compliance is None:
        return {"disponible": False, "motif": status.unavailable, "periodes": []}
    periods = [
        {
            "instance": MEETING_LABELS[period.kind],
            "type": period.kind.value,
            "periode": period.label,
            "statut": period.status.value,
            "statut_libelle": period.status.label,
            "tenues": len(period.held),
            "minimum": period.minimum.value if period.minimum else None,
        }
        for period in status.periods
        if period.start.year <= year <= period.end.year
    ]
    return {"disponible": True, "motif": "", "periodes": periods}


def _actions(cof: FundingAgreement, year: int, today: dt.date) -> tuple[dict, list]:
    summary = plan_summary(cof.ctg, today)["overall"]
    actions = plan_actions(cof.ctg)
    listed = []
    indicators = []
    for action in actions:
        listed.append(
            {
                "code": action.code,
                "titre": action.titre,
                "statut": action.statut,
                "statut_libelle": ACTION_STATUS_LABELS.get(action.statut, action.statut),
                "avancement": action.avancement,
                "date_fin": action.date_fin.isoformat() if action.date_fin else None,
                "en_retard": bool(
                    action.date_fin
                    and action.date_fin < today
                    and action.statut not in ("realisee", "abandonnee")
                ),
            }
        )
        for indicator in action.indicateurs.all():
            value = next((v.value for v in indicator.valeurs.all() if v.year == year), None)
            indicators.append(
                {
                    "action": action.code,
                    "libelle": indicator.libelle,
                    "unite": indicator.unite,
                    "reference": _text(indicator.valeur_reference),
                    "cible": _text(indicator.cible),
                    "valeur": _text(value),
                }
            )
    mean = summary["mean_progress"]
    return (
        {
            "nombre": summary["actions"],
            "avancement_moyen": None if mean is None else f"{mean:f}",
            "en_retard": summary["overdue"],
            "par_statut": [
                {"statut": code, "libelle": ACTION_STATUS_LABELS.get(code, code), "nombre": n}
                for code, n in summary["by_status"].items()
            ],
            "liste": listed,
        },
        indicators,
    )


def _highlights(cof: FundingAgreement, year: int) -> list[dict[str, Any]]:
    return [
        {
            "date": h.date.isoformat(),
            "nature": HIGHLIGHT_LABELS.get(h.kind, h.kind),
            "thematique": THEME_LABELS.get(h.theme, h.theme),
            "intitule": h.intitule,
            "description": h.description,
        }
        for h in Highlight.objects.filter(ctg=cof.ctg, date__year=year).order_by("date", "id")
    ]


def _funding(cof: FundingAgreement, year: int, report: AnnualReport | None) -> dict[str, Any]:
    from coopctg.reports.services import cof_payment, cof_year_versions  # (import cycle)

    versions = cof_year_versions(cof, year)
    funding = annual_funding(year, version_periods(cof, versions))
    last = versions[-1] if versions else None
    etps: dict[str, Decimal] = {}
    if last is not None and last.ventilation:
        for item in last.ventilation.get("enveloppes", []):
            etps[item["enveloppe"]] = Decimal(item["etp"])
    labels = envelope_labels(cof.ctg.caf.code, year)
    try:
        payment = cof_payment(cof, year, funding.total, report)
    except ParameterError:  # the Caf has no advance rate: amount due only
        payment = None
    return {
        "version": last.label if last else None,
        "enveloppes": [
            {
                "enveloppe": envelope.value,
                "libelle": labels.get(envelope, envelope.value),
                "etp": decimal_text(etps.get(envelope.value, Decimal(0))),
                "montant": decimal_text(funding.envelopes[envelope]),
            }
            for envelope in Envelope
        ],
        "etp_total": decimal_text(sum(etps.values(), Decimal(0))),
        "montant_du": decimal_text(funding.total),
        "taux_acompte": f"{payment.rate:f}" if payment else None,
        "acompte": decimal_text(payment.advance) if payment else None,
        "solde": decimal_text(payment.balance) if payment else None,
    }


def report_facts(
    cof: FundingAgreement,
    year: int,
    *,
    report: AnnualReport | None = None,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """The facts of ``year`` for ``cof`` (load it with ``ctg__caf``), as a JSON-ready dict."""
    today = today or timezone.localdate()
    actions, indicators = _actions(cof, year, today)
    return {
        "version": FACTS_VERSION,
        "annee": year,
        "etablis_le": today.isoformat(),
        "instances": _instances(cof, year),
        "conformite": _compliance(cof, year, today),
        "actions": actions,
        "indicateurs": indicators,
        "faits_marquants": _highlights(cof, year),
        "financement": _funding(cof, year, report),
        **mission2_facts(cof.ctg, year),
        **mission4_facts(cof.ctg, year),
        "partenaires": partner_facts(cof.ctg_id, year),
    }


def facts_of(report: AnnualReport, today: dt.date | None = None) -> dict[str, Any]:
    """The report's facts: live while editable, the frozen ones once transmitted."""
    if not rules.editable(report.status) and report.faits:
        return report.faits
    return report_facts(report.cof, report.annee, report=report, today=today)

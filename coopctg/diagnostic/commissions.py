"""The commissions d'admission of a Ctg: their shares of mixity and accessibility, their
alerts and the follow-up of each alert.

Référentiel, mission 2 : « Suivre les commissions d'admission : garantir la mixité et
l'accessibilité des services à tous. Ce qui est entendu par garantir : Alerter, contrôler,
assurer la transversalité dans le cadre de la Ctg, corriger ou faire corriger. »

An alert is computed, never stored: the pure rules (:func:`coopctg.diagnostic.rules.
assess_commission`) raise it when a share is under its dated threshold. It is open until its
follow-up (:class:`~coopctg.diagnostic.models.CommissionFollowUp`: who, what, when, outcome)
is recorded. :func:`commission_states` is the one service read by the pages, the tasks
(« ce qui attend qui »), the dashboards, the annual report's facts and the API.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from coopctg.core.audit import record_change, snapshot
from coopctg.core.caf_params import ParameterFamily, has_any_parameters
from coopctg.core.models import AuditEntry
from coopctg.core.params import ParameterError
from coopctg.ctg.models import Ctg
from coopctg.diagnostic.models import Commission, CommissionFollowUp
from coopctg.diagnostic.rules import (
    Alert,
    Assessment,
    CommissionCounts,
    CommissionParameters,
    Criterion,
    Share,
    Threshold,
    assess_commission,
    check_counts,
    load_commission_parameters,
    percent_text,
    published_count,
)

logger = logging.getLogger(__name__)
PARAMETERS_ROOT = Path(__file__).resolve().parent / "parametres"
COMMISSION_FIELDS = [
    "date",
    "intitule",
    "theme",
    "services",
    "commune",
    "places",
    "demandes",
    "admissions",
    *(c.value for c in Criterion),
]
FOLLOW_UP_FIELDS = ["critere", "etape", "qui", "quoi", "quand", "resultat"]


class CommissionError(Exception):
    """A change the rules refuse; the message is one French sentence."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# --- Parameters ----------------------------------------------------------------------------------


_parameters = ParameterFamily(
    "seuil des commissions",
    lambda parameters, caf: load_commission_parameters(parameters),
    root=lambda: PARAMETERS_ROOT,
)


def parameters_for_caf(caf_code: str) -> CommissionParameters:
    """The dated thresholds of a Caf (``parametres/caf-<code>/``, else
    ``parametres/national/``, :mod:`coopctg.core.caf_params`); raises
    :class:`~coopctg.core.params.ParameterError` (French message) when absent or invalid."""
    return _parameters(PARAMETERS_ROOT, caf_code)


def _unavailable(caf: Any) -> str:
    if has_any_parameters(PARAMETERS_ROOT, caf.code):
        logger.error("Seuils des commissions de la Caf %s illisibles", caf.code)
    return (
        f"Les seuils des commissions d'admission de la {caf.nom} ne sont pas paramétrés : les "
        "parts sont calculées sans alerte."
    )


# --- State of a commission -----------------------------------------------------------------------


@dataclass(frozen=True)
class AlertLine:
    """An alert of a commission, and its follow-up once recorded (then it is closed)."""

    commission: Commission
    alert: Alert
    follow_up: CommissionFollowUp | None

    @property
    def open(self) -> bool:
        return self.follow_up is None

    @property
    def criterion(self) -> Criterion:
        return self.alert.criterion

    @property
    def message(self) -> str:
        return self.alert.message

    @property
    def ref(self) -> str:
        """Stable identity: « commission-7-qf_bas »."""
        return f"commission-{self.commission.pk}-{self.alert.criterion.value}"


@dataclass(frozen=True)
class ShareLine:
    share: Share
    minimum: int

    @property
    def criterion(self) -> Criterion:
        return self.share.criterion

    @property
    def published(self) -> str:
        """The count as documents write it (statistical secrecy)."""
        return published_count(self.share.count, self.minimum)

    @property
    def share_text(self) -> str:
        return "—" if self.share.share is None else percent_text(self.share.share)

    @property
    def threshold_text(self) -> str:
        threshold = self.share.threshold
        return "aucun" if threshold is None else percent_text(threshold.value)


@dataclass
class CommissionState:
    commission: Commission
    assessment: Assessment | None
    unavailable: str = ""
    follow_ups: dict[str, CommissionFollowUp] = field(default_factory=dict)

    @property
    def minimum(self) -> int:
        return self.assessment.minimum if self.assessment else 0

    @property
    def shares(self) -> list[ShareLine]:
        if self.assessment is None:
            return []
        return [ShareLine(share, self.assessment.minimum) for share in self.assessment.shares]

    @property
    def alerts(self) -> list[AlertLine]:
        if self.assessment is None:
            return []
        return [
            AlertLine(self.commission, alert, self.follow_ups.get(alert.criterion.value))
            for alert in self.assessment.alerts
        ]

    @property
    def open_alerts(self) -> list[AlertLine]:
        return [line for line in self.alerts if line.open]

    @property
    def evaluable(self) -> bool:
        return bool(self.assessment and self.assessment.evaluable)

    @property
    def status_label(self) -> str:
        if self.assessment is None:
            return "non calculé"
        if not self.assessment.evaluable:
            return f"effectif trop faible (moins de {self.assessment.minimum} admissions)"
        opened = len(self.open_alerts)
        if opened:
            return f"{opened} alerte{'s' if opened > 1 else ''} à suivre"
        if self.alerts:
            return "alertes suivies"
        return "aucune alerte"

    def alert_for(self, criterion: str) -> AlertLine | None:
        return next((a for a in self.alerts if a.criterion.value == criterion), None)


def counts_of(commission: Commission) -> CommissionCounts:
    return CommissionCounts(
        places=commission.places,
        demandes=commission.demandes,
        admissions=commission.admissions,
        counts=commission.criterion_counts(),
    )


def state_of(
    commission: Commission,
    follow_ups: Iterable[CommissionFollowUp] | None = None,
    caf: Any = None,
) -> CommissionState:
    """The shares, alerts and follow-ups of one commission (load it with ``ctg__caf``)."""
    caf = caf or commission.ctg.caf
    if follow_ups is None:
        follow_ups = commission.suivis.all()
    by_criterion = {f.critere: f for f in follow_ups}
    try:
        parameters = parameters_for_caf(caf.code)
    except ParameterError:
        return CommissionState(commission, None, _unavailable(caf), by_criterion)
    try:
        assessment = assess_commission(counts_of(commission), commission.date, parameters)
    except ParameterError as error:  # no statistical-secrecy minimum in force that day
        return CommissionState(commission, None, str(error), by_criterion)
    return CommissionState(commission, assessment, "", by_criterion)


def commission_states(commissions: Iterable[Commission]) -> list[CommissionState]:
    """:func:`state_of` of many commissions, their follow-ups in one query (load them with
    ``ctg__caf``)."""
    items = list(commissions)
    follow_ups: dict[int, list[CommissionFollowUp]] = defaultdict(list)
    for item in CommissionFollowUp.objects.filter(commission__in=[c.pk for c in items]):
        follow_ups[item.commission_id].append(item)
    return [state_of(c, follow_ups[c.pk]) for c in items]


def ctg_commissions(ctg: Ctg) -> QuerySet[Commission]:
    """The commissions of ``ctg``, most recent first (commune's outline left out)."""
    return (
        Commission.objects.filter(ctg=ctg)
        .select_related("ctg__caf", "commune")
        .defer("commune__geometrie")
        .order_by("-date", "-id")
    )


def open_alerts(ctg_ids: Iterable[int]) -> list[AlertLine]:
    """The open alerts of the commissions of these Ctg, oldest commission first (2 queries)."""
    commissions = (
        Commission.objects.filter(ctg_id__in=list(ctg_ids))
        .select_related("ctg__caf")
        .order_by("date", "id")
    )
    return [line for state in commission_states(commissions) for line in state.open_alerts]


# --- Changes ------------------------------------------------------------------------------------


def check_commission(commission: Commission) -> None:
    """Raise :class:`CommissionError` on inconsistent counts (the first problem)."""
    problems = check_counts(counts_of(commission))
    if problems:
        name, message = problems[0]
        raise CommissionError(message, name)


@transaction.atomic
def save_commission(user: Any, commission: Commission) -> Commission:
    check_commission(commission)
    creating = commission.pk is None
    before = (
        None if creating else snapshot(Commission.objects.get(pk=commission.pk), COMMISSION_FIELDS)
    )
    commission.save()
    record_change(
        user,
        commission,
        AuditEntry.Action.CREATION if creating else AuditEntry.Action.MODIFICATION,
        before=before,
        after=snapshot(commission, COMMISSION_FIELDS),
        caf_id=commission.ctg.caf_id,
    )
    return commission


@transaction.atomic
def save_follow_up(user: Any, follow_up: CommissionFollowUp) -> CommissionFollowUp:
    """Record (or correct) the follow-up of an alert of the commission: it closes the alert."""
    commission = follow_up.commission
    creating = follow_up.pk is None
    if creating and state_of(commission).alert_for(follow_up.critere) is None:
        raise CommissionError("Ce critère n'a pas d'alerte sur cette commission.", "critere")
    before = (
        None
        if creating
        else snapshot(CommissionFollowUp.objects.get(pk=follow_up.pk), FOLLOW_UP_FIELDS)
    )
    try:
        with transaction.atomic():
            follow_up.save()
    except IntegrityError:
        raise CommissionError("Le suivi de cette alerte est déjà enregistré.", "critere") from None
    record_change(
        user,
        follow_up,
        AuditEntry.Action.CREATION if creating else AuditEntry.Action.MODIFICATION,
        before=before,
        after=snapshot(follow_up, FOLLOW_UP_FIELDS),
        caf_id=commission.ctg.caf_id,
    )
    return follow_up


# --- Published form (annual report, API) ---------------------------------------------------------


def _threshold_json(threshold: Threshold | None) -> dict[str, Any] | None:
    if threshold is None:
        return None
    return {
        "valeur": f"{threshold.value.normalize():f}",
        "depuis": threshold.since.isoformat(),
        "source": threshold.reference,
    }


def follow_up_json(follow_up: CommissionFollowUp | None) -> dict[str, Any] | None:
    if follow_up is None:
        return None
    return {
        "demarche": follow_up.etape,
        "demarche_libelle": follow_up.get_etape_display(),
        "qui": follow_up.qui,
        "quoi": follow_up.quoi,
        "quand": follow_up.quand.isoformat(),
        "resultat": follow_up.resultat,
    }


def state_json(state: CommissionState) -> dict[str, Any]:
    """A commission as published (facts of the annual report, API): counts of families under
    the statistical-secrecy minimum written « moins de N »."""
    commission = state.commission
    return {
        "id": commission.pk,
        "date": commission.date.isoformat(),
        "intitule": commission.intitule,
        "thematique": commission.theme,
        "services": commission.services,
        "commune": commission.commune.nom if commission.commune_id else None,  # type: ignore[union-attr]
        "places": commission.places,
        "demandes": commission.demandes,
        "admissions": commission.admissions,
        "calcule": state.assessment is not None,
        "motif": state.unavailable,
        "evaluable": state.evaluable,
        "effectif_minimum": state.minimum or None,
        "parts": [
            {
                "critere": line.criterion.value,
                "libelle": line.criterion.label,
                "objectif": line.criterion.aim.label,
                "effectif": line.published,
                "part": None if line.share.share is None else f"{line.share.share:f}",
                "seuil": _threshold_json(line.share.threshold),
                "statut": line.share.status.value,
                "statut_libelle": line.share.status.label,
            }
            for line in state.shares
        ],
        "alertes": [
            {
                "critere": line.criterion.value,
                "libelle": line.criterion.label,
                "message": line.message,
                "ouverte": line.open,
                "suivi": follow_up_json(line.follow_up),
            }
            for line in state.alerts
        ],
    }


def year_facts(ctg: Ctg, year: int) -> dict[str, Any]:
    """The commissions of ``year`` and their alerts, for the annual report (3 queries)."""
    states = commission_states(ctg_commissions(ctg).filter(date__year=year).order_by("date", "id"))
    listed = [state_json(state) for state in states]
    return {
        "nombre": len(listed),
        "alertes": sum(len(s.alerts) for s in states),
        "alertes_ouvertes": sum(len(s.open_alerts) for s in states),
        "liste": listed,
    }

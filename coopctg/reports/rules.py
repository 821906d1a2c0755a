"""Rules of the bilan annuel d'activité and of the yearly payments (pure: no Django import).

Référentiel « Chargé(e) de coopération Ctg », Caf de Touraine, janvier 2022:

- « Conditions d'éligibilité au financement » : les Etp concernés doivent « transmettre un
  bilan annuel de leur activité » → :func:`due_date` (the deadline is a dated parameter,
  ``echeance_bilan``, since the référentiel sets none), :func:`timeliness`, and the eligibility
  condition « bilan annuel » that becomes satisfied once the report is transmitted;
- a bilan annuel covers « leur activité » of the whole year: the report of year N is
  transmitted once the year is over (from 1 January N+1), or as soon as the Cof has ended
  → :func:`transmission_refusal`;
- « Les indicateurs de suivi et d'évaluation » : « le suivi et l'évaluation de la fonction de
  chargé de coopération seront appréciés au regard des attendus et des activités figurant dans
  ce référentiel » → one :class:`Level` per attendu and :func:`attainment`;
- the payments: the year's funding (computed by :mod:`coopctg.funding.rules.annual`) is paid
  as an advance at a dated rate (``taux_acompte``, 70 % by default, to be confirmed by the Caf)
  and a balance released once the year's report is validated → :func:`payment`.

Money is :class:`~decimal.Decimal` to the cent; the advance is rounded half up and the balance
is the rest, so that advance + balance is exactly the amount due.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from pathlib import Path

from coopctg.core.params import ParameterError, ParameterSet, load_parameters

CENT = Decimal("0.01")


class Level(StrEnum):
    """Self-assessment of one attendu for the year."""

    NON_ENGAGE = "non_engage"
    EN_COURS = "en_cours"
    REALISE = "realise"


LEVEL_LABELS = {
    Level.NON_ENGAGE: "non engagé",
    Level.EN_COURS: "en cours",
    Level.REALISE: "réalisé",
}


class Status(StrEnum):
    """Where a bilan annuel stands: brouillon → transmis → validé, or → à compléter → transmis."""

    BROUILLON = "brouillon"
    TRANSMIS = "transmis"
    A_COMPLETER = "a_completer"
    VALIDE = "valide"


STATUS_LABELS = {
    Status.BROUILLON: "brouillon",
    Status.TRANSMIS: "transmis à la Caf",
    Status.A_COMPLETER: "à compléter",
    Status.VALIDE: "validé par la Caf",
}


class Transition(StrEnum):
    TRANSMETTRE = "transmettre"  # by the collectivité
    RENVOYER = "renvoyer"  # by the Caf: « à compléter », with a comment
    VALIDER = "valider"  # by the Caf


#: Which transition leads from which status to which (the workflow's single source).
TRANSITIONS: Mapping[Transition, tuple[frozenset[Status], Status]] = {
    Transition.TRANSMETTRE: (frozenset({Status.BROUILLON, Status.A_COMPLETER}), Status.TRANSMIS),
    Transition.RENVOYER: (frozenset({Status.TRANSMIS}), Status.A_COMPLETER),
    Transition.VALIDER: (frozenset({Status.TRANSMIS}), Status.VALIDE),
}


PARTICIPLES = {
    Transition.TRANSMETTRE: "transmis",
    Transition.RENVOYER: "renvoyé à compléter",
    Transition.VALIDER: "validé",
}


class TransitionRefused(ValueError):
    """The transition is not allowed from the report's status (French message)."""


def next_status(current: Status, transition: Transition) -> Status:
    """The status after ``transition``; raises :class:`TransitionRefused` when not allowed."""
    sources, target = TRANSITIONS[transition]
    if current not in sources:
        raise TransitionRefused(
            f"un bilan « {STATUS_LABELS[current]} » ne peut pas être {PARTICIPLES[transition]}"
        )
    return target


def editable(status: Status) -> bool:
    """The collectivité may edit the report's content while it is a draft or sent back."""
    return status in (Status.BROUILLON, Status.A_COMPLETER)


def transmission_refusal(year: int, cof_end: dt.date, today: dt.date) -> str | None:
    """Why the report of ``year`` may not be transmitted on ``today`` (None: it may).

    Référentiel, « Conditions d'éligibilité au financement » : « transmettre un bilan annuel de
    leur activité » — the report covers the activity of the whole year, so it is transmitted
    from 1 January N+1, or earlier once the Cof has ended (``cof_end`` before ``today``): the
    balance of the year is not released on a report of an unfinished year. Creating and
    drafting the report of the current year stays allowed."""
    opens = dt.date(year + 1, 1, 1)
    if today >= opens or cof_end < today:
        return None
    end = f", ou dès la fin de la Cof le {cof_end:%d/%m/%Y}" if cof_end < opens else ""
    return (
        f"Le bilan {year} couvre l'activité de toute l'année : il pourra être transmis à partir "
        f"du {opens:%d/%m/%Y}{end}."
    )


def counts_as_transmitted(status: Status | None) -> bool:
    """Eligibility condition « transmettre un bilan annuel » : transmitted (validated included).
    A report sent back « à compléter » was transmitted once: it still counts."""
    return status in (Status.TRANSMIS, Status.A_COMPLETER, Status.VALIDE)


# --- Parameters ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportParameters:
    parameters: ParameterSet

    def due_date(self, year: int) -> dt.date:
        """The deadline of the report of ``year``: the day of year N+1 in force on 31/12/N.

        Parameter ``echeance_bilan`` (``{mois, jour}``)."""
        value = self.parameters.value_at("echeance_bilan", dt.date(year, 12, 31))
        if not isinstance(value, Mapping) or set(value) != {"mois", "jour"}:
            raise ParameterError(
                "le paramètre « echeance_bilan » doit donner un mois et un jour (mois, jour)"
            )
        month, day = value["mois"], value["jour"]
        try:
            return dt.date(year + 1, int(str(month)), int(str(day)))
        except ValueError:
            raise ParameterError(
                f"le paramètre « echeance_bilan » donne une date impossible ({day}/{month})"
            ) from None

    def advance_rate(self, year: int) -> Decimal:
        """The advance rate for the funding of ``year`` (in force on 01/01/N), in [0, 1]."""
        rate = self.parameters["taux_acompte"].decimal_at(dt.date(year, 1, 1))
        if not Decimal(0) <= rate <= Decimal(1):
            raise ParameterError(
                f"le paramètre « taux_acompte » doit être compris entre 0 et 1 (lu : {rate})"
            )
        return rate


def load_report_parameters(folder: Path | ParameterSet) -> ReportParameters:
    """Load and check the report and payment parameters of one Caf (French errors)."""
    parameters = ReportParameters(
        folder if isinstance(folder, ParameterSet) else load_parameters(folder)
    )
    for name in ("echeance_bilan", "taux_acompte"):
        parameters.parameters[name]  # raises a French error when the file is missing
    return parameters


def due_date(parameters: ReportParameters, year: int) -> dt.date:
    return parameters.due_date(year)


# --- Timeliness ------------------------------------------------------------------------------


class Timeliness(StrEnum):
    A_VENIR = "a_venir"  # not transmitted, deadline ahead
    EN_RETARD = "en_retard"  # not transmitted, deadline passed
    A_TEMPS = "a_temps"  # transmitted on or before the deadline
    TRANSMIS_EN_RETARD = "transmis_en_retard"
    SANS_ECHEANCE = "sans_echeance"  # no deadline parameter in force for the year


TIMELINESS_LABELS = {
    Timeliness.A_VENIR: "à transmettre",
    Timeliness.EN_RETARD: "en retard",
    Timeliness.A_TEMPS: "transmis dans les délais",
    Timeliness.TRANSMIS_EN_RETARD: "transmis après l'échéance",
    Timeliness.SANS_ECHEANCE: "échéance non paramétrée",
}


def timeliness(
    status: Status | None, due: dt.date | None, today: dt.date, first_transmitted: dt.date | None
) -> Timeliness:
    """Where a report stands against its deadline. ``status`` None: no report started; ``due``
    None: no deadline parameter in force for the year (never late).

    A report sent back « à compléter » counts from its first transmission: the Caf asked for
    more, the collectivité was not late."""
    if due is None:
        return Timeliness.SANS_ECHEANCE
    if counts_as_transmitted(status) and first_transmitted is not None:
        return Timeliness.A_TEMPS if first_transmitted <= due else Timeliness.TRANSMIS_EN_RETARD
    return Timeliness.EN_RETARD if today > due else Timeliness.A_VENIR


# --- Attainment ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attainment:
    """How many attendus stand at each level (a mission's, or the whole référentiel's)."""

    counts: Mapping[Level, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def share(self, level: Level) -> Decimal:
        """Share of ``level`` in percent, to one decimal place (0 when there is no attendu)."""
        if not self.total:
            return Decimal("0.0")
        return (Decimal(100) * self.counts[level] / self.total).quantize(
            Decimal("0.1"), ROUND_HALF_UP
        )


def attainment(levels: Iterable[Level | str]) -> Attainment:
    counts = dict.fromkeys(Level, 0)
    for level in levels:
        counts[Level(level)] += 1
    return Attainment(counts)


# --- Payments --------------------------------------------------------------------------------


class PaymentState(StrEnum):
    SOLDE_LIBERE = "solde_libere"  # the year's report is validated
    SOLDE_EN_ATTENTE = "solde_en_attente"


PAYMENT_STATE_LABELS = {
    PaymentState.SOLDE_LIBERE: "solde libéré",
    PaymentState.SOLDE_EN_ATTENTE: "solde en attente du bilan validé",
}


@dataclass(frozen=True)
class Payment:
    year: int
    amount_due: Decimal
    rate: Decimal
    advance: Decimal
    balance: Decimal
    state: PaymentState

    @property
    def balance_released(self) -> bool:
        return self.state is PaymentState.SOLDE_LIBERE

    @property
    def released(self) -> Decimal:
        """What may be paid now: the advance, plus the balance once released."""
        return self.advance + (self.balance if self.balance_released else Decimal("0.00"))


def payment(year: int, amount_due: Decimal, rate: Decimal, report_validated: bool) -> Payment:
    """Advance = amount × rate rounded half up to the cent; balance = the rest (to the cent)."""
    if amount_due < 0:
        raise ValueError("le montant dû ne peut pas être négatif")
    amount = amount_due.quantize(CENT, ROUND_HALF_UP)
    advance = (amount * rate).quantize(CENT, ROUND_HALF_UP)
    return Payment(
        year=year,
        amount_due=amount,
        rate=rate,
        advance=advance,
        balance=amount - advance,
        state=PaymentState.SOLDE_LIBERE if report_validated else PaymentState.SOLDE_EN_ATTENTE,
    )

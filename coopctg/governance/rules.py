"""Compliance of a Ctg's governance with the minimum number of Copil and Cotech (pure module).

Référentiel, mission I, « Assurer un conseil auprès des élus et des comités de pilotage » :
« Le.La chargé.e de coopération doit organiser en lien avec le collègue de la Caf les comités
de pilotage (1 fois par an minimum) et les comités techniques (1 fois par semestre minimum). »

The minimums are dated parameters (:mod:`coopctg.core.params`), one file each in a Caf's folder
(``coopctg/governance/parametres/caf-37/``):

- ``copil_minimum_par_an.yaml``: Copil per calendar year;
- ``cotech_minimum_par_semestre.yaml``: Cotech per calendar semester (1 January – 30 June,
  1 July – 31 December).

How a Ctg is judged (:func:`compute_compliance`):

- the periods are the calendar years (Copil) and semesters (Cotech) that overlap the Ctg,
  clipped to its dates: a Ctg starting on 15 April has a first semester from 15 April to
  30 June, and the minimum applies to that part too (the référentiel does not prorate);
- the minimum of a period is the value in force on the first day of the clipped period (a
  change of parameter during a period applies from the next one); no value in force → the
  period is « sans objet »;
- a meeting counts for the period containing its date once that date is today or past; one
  dated later is « prévue » and does not count yet; meetings outside the Ctg are ignored;
- status of a period: « à venir » if it starts after today; else « conforme » once the
  minimum is held; else « en cours » while today is within it (there is still time, the last
  day included); else « non conforme ».

No Django import: the web views, the dashboards and the YAML tables all call this module.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from pathlib import Path

from coopctg.core.params import (
    ParameterError,
    ParameterFileError,
    ParameterNotInForce,
    ParameterSet,
    format_date_fr,
    load_parameters,
)

COPIL_MINIMUM = "copil_minimum_par_an"
COTECH_MINIMUM = "cotech_minimum_par_semestre"


class InvalidInput(ValueError):
    """The input of :func:`compute_compliance` is inconsistent; the message is French."""


class MeetingKind(StrEnum):
    COPIL = "copil"
    COTECH = "cotech"
    GROUPE_TRAVAIL = "groupe_travail"
    RESEAU = "reseau"

    @property
    def label(self) -> str:
        return MEETING_LABELS[self]


MEETING_LABELS: dict[MeetingKind, str] = {
    MeetingKind.COPIL: "Comité de pilotage (Copil)",
    MeetingKind.COTECH: "Comité technique (Cotech)",
    MeetingKind.GROUPE_TRAVAIL: "Groupe de travail",
    MeetingKind.RESEAU: "Réunion de réseau",
}

#: (singular, plural) of the meetings whose number is required, for messages.
_NOUNS: dict[MeetingKind, tuple[str, str]] = {
    MeetingKind.COPIL: ("comité de pilotage", "comités de pilotage"),
    MeetingKind.COTECH: ("comité technique", "comités techniques"),
}


class PeriodKind(StrEnum):
    YEAR = "annee"
    SEMESTER = "semestre"


class Status(StrEnum):
    CONFORME = "conforme"
    NON_CONFORME = "non_conforme"
    EN_COURS = "en_cours"
    A_VENIR = "a_venir"
    SANS_OBJET = "sans_objet"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS: dict[Status, str] = {
    Status.CONFORME: "conforme",
    Status.NON_CONFORME: "non conforme",
    Status.EN_COURS: "en cours",
    Status.A_VENIR: "à venir",
    Status.SANS_OBJET: "sans objet",
}


class AlertCode(StrEnum):
    COPIL_MANQUANT = "COPIL_MANQUANT"  # a past year without its Copil
    COTECH_MANQUANT = "COTECH_MANQUANT"  # a past semester without its Cotech
    COPIL_A_ORGANISER = "COPIL_A_ORGANISER"  # current year: not held, not (enough) planned
    COTECH_A_ORGANISER = "COTECH_A_ORGANISER"  # current semester: idem


class AlertLevel(StrEnum):
    ERROR = "erreur"
    WARNING = "avertissement"


@dataclass(frozen=True)
class Requirement:
    """One kind of meeting with a minimum number per calendar period."""

    kind: MeetingKind
    period: PeriodKind
    parameter: str


REQUIREMENTS: tuple[Requirement, ...] = (
    Requirement(MeetingKind.COPIL, PeriodKind.YEAR, COPIL_MINIMUM),
    Requirement(MeetingKind.COTECH, PeriodKind.SEMESTER, COTECH_MINIMUM),
)


# --- Parameters ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Minimum:
    """A minimum number of meetings, with the date it took effect and its source."""

    value: int
    since: dt.date
    reference: str


@dataclass(frozen=True)
class GovernanceParameters:
    """The dated minimums of one Caf (see :func:`load_governance_parameters`)."""

    parameters: ParameterSet

    def minimum_at(self, name: str, when: dt.date) -> Minimum | None:
        """The minimum in force on ``when``; None when no value is (before the first one, or
        after a ``null`` that ended the rule)."""
        try:
            entry = self.parameters[name].entry_at(when)
        except ParameterNotInForce:
            return None
        assert entry.value is not None and entry.reference is not None  # checked at load
        return Minimum(
            value=_count(entry.value, name), since=entry.start, reference=entry.reference
        )


def _count(value: object, where: str) -> int:
    if not (isinstance(value, Decimal) and value == value.to_integral_value() and value >= 0):
        raise ParameterError(f"{where} : un nombre entier positif ou nul est attendu")
    return int(value)


def load_governance_parameters(folder: Path | ParameterSet) -> GovernanceParameters:
    """Load a Caf's folder (or its resolved parameters) and check every dated value at once
    (French errors)."""
    parameters = folder if isinstance(folder, ParameterSet) else load_parameters(folder)
    for requirement in REQUIREMENTS:
        parameter = parameters[requirement.parameter]  # ParameterFileError when missing
        for entry in parameter.values:
            if entry.value is not None:
                try:
                    _count(entry.value, f"{parameter.source}, valeur du {entry.start}")
                except ParameterError as error:
                    raise ParameterFileError(str(error)) from None
    return GovernanceParameters(parameters=parameters)


# --- Periods -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A calendar year or semester."""

    kind: PeriodKind
    year: int
    half: int = 0  # 1 or 2 for a semester

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 7 if self.half == 2 else 1, 1)

    @property
    def end(self) -> dt.date:
        return dt.date(self.year, 6, 30) if self.half == 1 else dt.date(self.year, 12, 31)

    @property
    def key(self) -> str:
        """``"2024"`` or ``"2024-S1"``: stable, for tables and HTML ids."""
        return f"{self.year}-S{self.half}" if self.kind is PeriodKind.SEMESTER else str(self.year)

    @property
    def label(self) -> str:
        """``"2024"``, ``"1er semestre 2024"``, ``"2e semestre 2024"``."""
        if self.kind is PeriodKind.SEMESTER:
            return f"{'1er' if self.half == 1 else '2e'} semestre {self.year}"
        return str(self.year)

    @property
    def sentence_label(self) -> str:
        """The label at the start of a sentence: ``"Année 2024"``, ``"1er semestre 2024"``."""
        return self.label if self.kind is PeriodKind.SEMESTER else f"Année {self.year}"


def calendar_periods(kind: PeriodKind, start: dt.date, end: dt.date) -> list[Period]:
    """The calendar periods of ``kind`` that overlap ``[start, end]``, in order."""
    periods: list[Period] = []
    for year in range(start.year, end.year + 1):
        candidates = (
            [Period(kind, year, 1), Period(kind, year, 2)]
            if kind is PeriodKind.SEMESTER
            else [Period(kind, year)]
        )
        periods.extend(p for p in candidates if p.start <= end and p.end >= start)
    return periods


# --- Compliance ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Meeting:
    kind: MeetingKind
    date: dt.date


@dataclass(frozen=True)
class PeriodCompliance:
    kind: MeetingKind
    period: Period
    start: dt.date  # the period clipped to the Ctg
    end: dt.date
    minimum: Minimum | None  # None: no minimum in force (« sans objet »)
    held: tuple[dt.date, ...]  # meetings of the period dated today or before
    planned: tuple[dt.date, ...]  # meetings of the period dated after today
    status: Status

    @property
    def key(self) -> str:
        return self.period.key

    @property
    def label(self) -> str:
        return self.period.label

    @property
    def partial(self) -> bool:
        """The Ctg covers only part of the calendar period."""
        return (self.start, self.end) != (self.period.start, self.period.end)

    @property
    def missing(self) -> int:
        """Meetings still to hold to reach the minimum."""
        return 0 if self.minimum is None else max(0, self.minimum.value - len(self.held))


@dataclass(frozen=True)
class Alert:
    code: AlertCode
    level: AlertLevel
    kind: MeetingKind
    period: str  # the period's key
    message: str


@dataclass(frozen=True)
class Compliance:
    start: dt.date
    end: dt.date
    today: dt.date
    periods: tuple[PeriodCompliance, ...]  # Copil years, then Cotech semesters, in order
    alerts: tuple[Alert, ...]  # missing meetings first, then those to organise

    def of_kind(self, kind: MeetingKind) -> tuple[PeriodCompliance, ...]:
        return tuple(p for p in self.periods if p.kind is kind)

    def period(self, kind: MeetingKind, key: str) -> PeriodCompliance:
        return next(p for p in self.periods if p.kind is kind and p.key == key)

    @property
    def non_compliant(self) -> tuple[PeriodCompliance, ...]:
        return tuple(p for p in self.periods if p.status is Status.NON_CONFORME)

    @property
    def compliant(self) -> bool:
        """No past period short of its minimum (current and future periods do not count)."""
        return not self.non_compliant


def period_status(
    start: dt.date, end: dt.date, minimum: Minimum | None, held: int, today: dt.date
) -> Status:
    """The status of one clipped period (see the module docstring)."""
    if minimum is None:
        return Status.SANS_OBJET
    if start > today:
        return Status.A_VENIR
    if held >= minimum.value:
        return Status.CONFORME
    if end >= today:
        return Status.EN_COURS
    return Status.NON_CONFORME


def compute_compliance(
    start: dt.date,
    end: dt.date,
    meetings: Iterable[Meeting],
    today: dt.date,
    parameters: GovernanceParameters,
) -> Compliance:
    """Status of each Copil year and Cotech semester of a Ctg running from ``start`` to ``end``
    (both included), with the alerts to show. Raises :class:`InvalidInput`."""
    if end < start:
        raise InvalidInput(
            f"la fin de la Ctg ({format_date_fr(end)}) précède son début ({format_date_fr(start)})"
        )
    meetings = list(meetings)
    periods: list[PeriodCompliance] = []
    for requirement in REQUIREMENTS:
        dates = sorted(m.date for m in meetings if m.kind is requirement.kind)
        for period in calendar_periods(requirement.period, start, end):
            clipped_start, clipped_end = max(start, period.start), min(end, period.end)
            inside = [d for d in dates if clipped_start <= d <= clipped_end]
            held = tuple(d for d in inside if d <= today)
            minimum = parameters.minimum_at(requirement.parameter, clipped_start)
            periods.append(
                PeriodCompliance(
                    kind=requirement.kind,
                    period=period,
                    start=clipped_start,
                    end=clipped_end,
                    minimum=minimum,
                    held=held,
                    planned=tuple(d for d in inside if d > today),
                    status=period_status(clipped_start, clipped_end, minimum, len(held), today),
                )
            )
    return Compliance(
        start=start,
        end=end,
        today=today,
        periods=tuple(periods),
        alerts=tuple(_alerts(periods)),
    )


def parse_meeting(kind: str, date: dt.date) -> Meeting:
    """A meeting from text input (YAML tables, database values). Raises :class:`InvalidInput`."""
    try:
        return Meeting(kind=MeetingKind(kind), date=date)
    except ValueError:
        known = ", ".join(k.value for k in MeetingKind)
        raise InvalidInput(f"type d'instance inconnu : « {kind} » (types : {known})") from None


# --- Alerts --------------------------------------------------------------------------------


def _count_of(kind: MeetingKind, number: int, participle: str) -> str:
    """``"aucun comité technique tenu"``, ``"1 comité technique tenu"``, ``"2 … tenus"``."""
    singular, plural = _NOUNS[kind]
    if number == 0:
        return f"aucun {singular} {participle}"
    if number == 1:
        return f"1 {singular} {participle}"
    return f"{number} {plural} {participle}s"


def _alerts(periods: list[PeriodCompliance]) -> list[Alert]:
    missing: list[Alert] = []
    to_organise: list[Alert] = []
    for p in periods:
        if p.minimum is None:
            continue
        span = f"du {format_date_fr(p.start)} au {format_date_fr(p.end)}"
        if p.status is Status.NON_CONFORME:
            code = (
                AlertCode.COPIL_MANQUANT
                if p.kind is MeetingKind.COPIL
                else (AlertCode.COTECH_MANQUANT)
            )
            message = (
                f"{p.period.sentence_label} ({span}) : {_count_of(p.kind, len(p.held), 'tenu')} "
                f"pour un minimum de {p.minimum.value}."
            )
            missing.append(Alert(code, AlertLevel.ERROR, p.kind, p.key, message))
        elif p.status is Status.EN_COURS and len(p.planned) < p.missing:
            code = (
                AlertCode.COPIL_A_ORGANISER
                if p.kind is MeetingKind.COPIL
                else (AlertCode.COTECH_A_ORGANISER)
            )
            singular, plural = _NOUNS[p.kind]
            still = p.missing - len(p.planned)
            noun = singular if still == 1 else plural
            planned = f", {len(p.planned)} prévu" + ("s" if len(p.planned) > 1 else "")
            message = (
                f"{p.period.sentence_label} : {_count_of(p.kind, len(p.held), 'tenu')}"
                f"{planned if p.planned else ''} ; {still} {noun} à organiser d'ici le "
                f"{format_date_fr(p.end)} (minimum : {p.minimum.value})."
            )
            to_organise.append(Alert(code, AlertLevel.WARNING, p.kind, p.key, message))
    return missing + to_organise

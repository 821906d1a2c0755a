"""The funding rules' vocabulary: envelopes, post types, the architecture and the result.

Money is a :class:`~decimal.Decimal` to the cent, Etp a :class:`~decimal.Decimal` to two
places; no float anywhere.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from coopctg.funding.rules.parameters import FundingParameters

CENT = Decimal("0.01")
#: Etp and euros carry at most two decimals (a hundredth of Etp, a cent).
PLACES = 2
#: An Etp (équivalent temps plein) is one full-time post, by definition: a unit, not a rule.
FULL_TIME = Decimal(1)


class Envelope(StrEnum):
    """The four thematic envelopes, in the référentiel's order (referentiel.ENVELOPES)."""

    PETITE_ENFANCE = "petite_enfance"
    ENFANCE_JEUNESSE = "enfance_jeunesse"
    PARENTALITE = "parentalite"
    AVS_LOGEMENT_ACCES_DROITS = "avs_logement_acces_droits"


class PostType(StrEnum):
    """The three kinds of fundable post (referentiel.POST_TYPES)."""

    COORDINATION_GENERALE = "coordination_generale"  # may include part of a DGS post
    THEMATIQUE = "thematique"
    COORDINATION_LOCALE = "coordination_locale"


class Severity(StrEnum):
    BLOCKING = "bloquante"
    WARNING = "avertissement"


class AnomalyCode(StrEnum):
    SEUIL_AFFECTATION = "SEUIL_AFFECTATION"
    SEUIL_POSTE = "SEUIL_POSTE"
    ETP_PERSONNE_DEPASSE = "ETP_PERSONNE_DEPASSE"
    POSTE_THEMATIQUE_TEMPS_PLEIN = "POSTE_THEMATIQUE_TEMPS_PLEIN"
    COORDINATION_LOCALE_TEMPS_PLEIN = "COORDINATION_LOCALE_TEMPS_PLEIN"
    COORDINATION_GENERALE_NON_REPARTIE = "COORDINATION_GENERALE_NON_REPARTIE"
    ENVELOPPE_HORS_CTG = "ENVELOPPE_HORS_CTG"
    NOUVEAU_DEVELOPPEMENT = "NOUVEAU_DEVELOPPEMENT"

    @property
    def label(self) -> str:
        """What people read (the code stays in JSON and in the command line's output)."""
        return ANOMALY_LABELS[self]


ANOMALY_LABELS: dict[AnomalyCode, str] = {
    AnomalyCode.SEUIL_AFFECTATION: "Affectation sous le seuil",
    AnomalyCode.SEUIL_POSTE: "Poste sous le seuil",
    AnomalyCode.ETP_PERSONNE_DEPASSE: "Plus d'un temps plein",
    AnomalyCode.POSTE_THEMATIQUE_TEMPS_PLEIN: "Poste thématique à temps plein",
    AnomalyCode.ENVELOPPE_HORS_CTG: "Enveloppe hors de la Ctg",
    AnomalyCode.NOUVEAU_DEVELOPPEMENT: "Nouveau développement",
    AnomalyCode.COORDINATION_LOCALE_TEMPS_PLEIN: "Coordination locale à temps plein",
    AnomalyCode.COORDINATION_GENERALE_NON_REPARTIE: "Coordination générale non répartie",
}


def has_places(value: Decimal, places: int = PLACES) -> bool:
    """True when ``value`` is finite and has at most ``places`` decimals (``0.40`` yes,
    ``0.123`` no)."""
    if not value.is_finite():
        return False
    # Read from the digits, not with normalize(), which overflows on « 1e999999999 ».
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # a finite Decimal
    extra = -exponent - places  # decimals beyond ``places``: they must all be zeros
    return extra <= 0 or not any(digits[-extra:])


def hundredths(value: Decimal) -> int:
    """``Decimal("0.15")`` → ``15``: Etp or euros as an exact integer of hundredths."""
    if not has_places(value):
        raise ValueError(f"« {value} » a plus de {PLACES} décimales")
    return int(value.scaleb(PLACES))


def from_hundredths(count: int) -> Decimal:
    """``15`` → ``Decimal("0.15")``, always with two places (``2400`` → ``24.00``)."""
    return Decimal(count).scaleb(-PLACES).quantize(CENT)


# --- Input ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Assignment:
    """A person's share of Etp on one envelope (an *affectation*)."""

    envelope: Envelope
    etp: Decimal

    def __post_init__(self) -> None:
        if not (has_places(self.etp) and self.etp > 0):
            raise ValueError(f"Etp invalide : « {self.etp} » (positif, au plus 2 décimales)")


@dataclass(frozen=True)
class Person:
    id: str
    post_type: PostType
    assignments: tuple[Assignment, ...]
    name: str | None = None
    function: str | None = None

    @property
    def etp(self) -> Decimal:
        return sum((assignment.etp for assignment in self.assignments), Decimal(0))


@dataclass(frozen=True)
class CejBase:
    """The former Cej coordination money redeployed into the Ctg (referentiel.REDEPLOYMENT)."""

    amount: Decimal
    etp: Decimal

    def __post_init__(self) -> None:
        if not (has_places(self.amount) and self.amount >= 0):
            raise ValueError(f"montant invalide : « {self.amount} » (positif, au centime)")
        if not (has_places(self.etp) and self.etp > 0):
            raise ValueError(f"Etp invalide : « {self.etp} » (positif, au plus 2 décimales)")


@dataclass(frozen=True)
class Architecture:
    """The organisation to fund: who works how much on which envelope, on a date."""

    date: dt.date
    persons: tuple[Person, ...]
    collectivite: str | None = None
    cej_base: CejBase | None = None
    #: The envelopes the Ctg covers; None when unknown (then not checked).
    ctg_envelopes: tuple[Envelope, ...] | None = None

    @property
    def etp(self) -> Decimal:
        return sum((person.etp for person in self.persons), Decimal(0))


# --- Result ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FundingLine:
    """One person × envelope: its Etp and its share of the funding."""

    person_id: str
    envelope: Envelope
    etp: Decimal
    amount: Decimal


@dataclass(frozen=True)
class EnvelopeTotal:
    envelope: Envelope
    etp: Decimal
    amount: Decimal


@dataclass(frozen=True)
class PersonTotal:
    person_id: str
    etp: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Anomaly:
    code: AnomalyCode
    severity: Severity
    message: str  # one French sentence that cites the référentiel
    person_id: str | None = None
    envelope: Envelope | None = None


@dataclass(frozen=True)
class FundingResult:
    date: dt.date
    parameters: FundingParameters
    lines: tuple[FundingLine, ...]  # input order
    envelopes: tuple[EnvelopeTotal, ...]  # all four, in Envelope order, zeros included
    persons: tuple[PersonTotal, ...]  # input order
    total_etp: Decimal
    total_amount: Decimal
    anomalies: tuple[Anomaly, ...]

    @property
    def eligible(self) -> bool:
        """Fundable: no blocking anomaly (warnings allowed)."""
        return all(anomaly.severity is not Severity.BLOCKING for anomaly in self.anomalies)

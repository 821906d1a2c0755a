"""Which envelopes a Ctg's thématiques open.

Référentiel, « Conditions d'éligibilité au financement » : « déterminer une clé de répartition
prévisionnelle entre : Petite enfance ; Enfance / Jeunesse ; Parentalité ; Animation de la vie
sociale, logement et accès aux droits. L'inclusion handicap est un sujet transversal à
l'ensemble de ces thématiques. » Each of the 8 thématiques belongs to one envelope, except
inclusion handicap, which opens none by itself.
"""

from collections.abc import Iterable

from coopctg.core.themes import Theme
from coopctg.funding.rules.model import Envelope

THEME_ENVELOPE: dict[Theme, Envelope | None] = {
    Theme.PETITE_ENFANCE: Envelope.PETITE_ENFANCE,
    Theme.ENFANCE: Envelope.ENFANCE_JEUNESSE,
    Theme.JEUNESSE: Envelope.ENFANCE_JEUNESSE,
    Theme.PARENTALITE: Envelope.PARENTALITE,
    Theme.ANIMATION_VIE_SOCIALE: Envelope.AVS_LOGEMENT_ACCES_DROITS,
    Theme.LOGEMENT: Envelope.AVS_LOGEMENT_ACCES_DROITS,
    Theme.ACCES_DROITS: Envelope.AVS_LOGEMENT_ACCES_DROITS,
    Theme.INCLUSION_HANDICAP: None,
}


def envelopes_for_themes(themes: Iterable[str]) -> tuple[Envelope, ...]:
    """The envelopes opened by the given theme codes, in envelope order."""
    opened = {THEME_ENVELOPE[Theme(code)] for code in themes}
    return tuple(envelope for envelope in Envelope if envelope in opened)

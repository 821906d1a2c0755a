"""The 8 thématiques of a Ctg (pure module).

Référentiel, « Conditions d'éligibilité au financement » : « les différentes thématiques abordées
dans le cadre des Ctg sont : la petite enfance, l'enfance, la jeunesse, la parentalité,
l'animation de la vie sociale, le logement, l'accès aux droits, l'inclusion handicap ».
"""

from enum import StrEnum


class Theme(StrEnum):
    PETITE_ENFANCE = "petite_enfance"
    ENFANCE = "enfance"
    JEUNESSE = "jeunesse"
    PARENTALITE = "parentalite"
    ANIMATION_VIE_SOCIALE = "animation_vie_sociale"
    LOGEMENT = "logement"
    ACCES_DROITS = "acces_droits"
    INCLUSION_HANDICAP = "inclusion_handicap"

    @property
    def label(self) -> str:
        return THEME_LABELS[self]


THEME_LABELS: dict[Theme, str] = {
    Theme.PETITE_ENFANCE: "Petite enfance",
    Theme.ENFANCE: "Enfance",
    Theme.JEUNESSE: "Jeunesse",
    Theme.PARENTALITE: "Parentalité",
    Theme.ANIMATION_VIE_SOCIALE: "Animation de la vie sociale",
    Theme.LOGEMENT: "Logement",
    Theme.ACCES_DROITS: "Accès aux droits",
    Theme.INCLUSION_HANDICAP: "Inclusion handicap",
}

THEME_CHOICES: list[tuple[str, str]] = [(theme.value, theme.label) for theme in Theme]

#: « au moins petite enfance, jeunesse, parentalité » : the themes every Ctg covers.
REQUIRED_CTG_THEMES: frozenset[Theme] = frozenset(
    {Theme.PETITE_ENFANCE, Theme.JEUNESSE, Theme.PARENTALITE}
)


def theme_labels(codes: list[str]) -> list[str]:
    """Labels of the given codes, in the référentiel's order."""
    wanted = set(codes)
    return [theme.label for theme in Theme if theme.value in wanted]

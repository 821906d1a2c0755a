"""The passages of the Caf de Touraine's référentiel that the funding rules implement.

Quoted word for word from « Chargé(e) de coopération CTG — Référentiel », Caf de Touraine,
janvier 2022 (``/work/shared/seed``), section « Conditions d'éligibilité au financement » and
its worked example. Rules cite them in their docstrings and in the anomaly messages; the
numbers themselves (0,2 Etp, 24 000 €) come from the dated parameter files, never from here.
"""

from dataclasses import dataclass

DOCUMENT = "référentiel « Chargé(e) de coopération Ctg » de la Caf de Touraine (janvier 2022)"
ELIGIBILITY = "Conditions d'éligibilité au financement"


@dataclass(frozen=True)
class Passage:
    section: str
    text: str

    def cite(self) -> str:
        """« référentiel …, « section » : « text » », to append to a message."""
        return f"{DOCUMENT}, « {self.section} » : « {self.text} »"


POST_TYPES = Passage(
    ELIGIBILITY,
    "Plusieurs type de postes peuvent être financés totalement ou partiellement pour remplir "
    "cette fonction de coopération : des postes de coordinations générales, à ce titre une "
    "partie des postes de DGS peuvent être financés ; des postes thématiques ; des postes de "
    "coordination locale.",
)
BREAKDOWN = Passage(
    ELIGIBILITY,
    "Sur le plan financier, les dépenses correspondant aux postes financés seront ventilées en "
    "fonction de la place de chaque thématique dans l'activité des professionnels financés.",
)
ENVELOPES = Passage(
    ELIGIBILITY,
    "il convient d'identifier les objectifs thématiques affectés aux postes financés et "
    "déterminer une clé de répartition prévisionnelle entre : Petite enfance ; Enfance / "
    "Jeunesse ; Parentalité ; Animation de la vie sociale, logement et accès aux droits.",
)
CTG_FIELDS = Passage(
    ELIGIBILITY,
    "Les Etp concernés doivent : […] être centré sur les champs de compétences de la Caf, "
    "c'est-à-dire ceux inscrits dans la Ctg",
)
ASSIGNMENT_THRESHOLD = Passage(
    ELIGIBILITY,
    "Cette clé de répartition ne peut pas être inférieure à 0,2 Etp par affectation.",
)
RECOGNITION_THRESHOLD = Passage(
    ELIGIBILITY,
    "La Caf fixe un seuil de reconnaissance des Etp à 0,2 Etp par souci d'efficacité pour "
    "remplir les attendus.",
)
GENERAL_POST_SPREAD = Passage(
    ELIGIBILITY,
    "Le poste de chargé de coopération générale est budgétairement réparti sur les 4 "
    "enveloppes thématiques",
)
NO_FULL_TIME_THEMATIC_POST = Passage(
    ELIGIBILITY,
    "Dès lors, il ne sera plus financé des postes de coordination Petite enfance, enfance et "
    "jeunesse à hauteur d'un Etp.",
)
REDEPLOYMENT = Passage(
    ELIGIBILITY,
    "Dès lors, le financement des postes de coordination seront (re)déployé sur l'animation de "
    "la démarche Ctg.",
)
FLAT_RATE = Passage(
    ELIGIBILITY,
    "Pour tout nouveau développement ou création de fonction de chargé de coopération, le "
    "montant forfaitaire de l'aide de la Caf est de 24 000 € / Etp.",
)
PRIOR_AGREEMENT = Passage(
    ELIGIBILITY,
    "Tout développement doit faire l'objet d'une prise de contact préalable, d'échanges et "
    "d'un accord de la Caf.",
)

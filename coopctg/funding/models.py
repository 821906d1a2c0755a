"""A collectivité's funding architecture for its Ctg: who, which post, how many Etp where.

The rows here are only the input; every figure (amounts, anomalies, eligibility) is computed by
the pure engine :mod:`coopctg.funding.rules` through :mod:`coopctg.funding.services`.

Signed means frozen: the architecture of a signed Cof version never changes again (persons,
dates, declarations), nor does a modification request's once the collectivité may no longer
edit it (submitted, decided). :meth:`FundingArchitecture.save` refuses it, whoever calls.
"""

from django.apps import apps
from django.conf import settings
from django.db import models
from django.db.models import Q

from coopctg.core.formats import format_date
from coopctg.funding.rules import Envelope, PostType


class FrozenArchitectureError(ValueError):
    """The architecture may no longer change; the message is one French sentence."""


ENVELOPE_CHOICES = [
    (Envelope.PETITE_ENFANCE.value, "Petite enfance"),
    (Envelope.ENFANCE_JEUNESSE.value, "Enfance-jeunesse"),
    (Envelope.PARENTALITE.value, "Parentalité"),
    (
        Envelope.AVS_LOGEMENT_ACCES_DROITS.value,
        "Animation de la vie sociale, logement et accès aux droits",
    ),
]
POST_TYPE_CHOICES = [
    (PostType.COORDINATION_GENERALE.value, "Coordination générale (dont part de DGS)"),
    (PostType.THEMATIQUE.value, "Poste thématique"),
    (PostType.COORDINATION_LOCALE.value, "Coordination locale"),
]


class FundingArchitecture(models.Model):
    class Kind(models.TextChoices):
        TRAVAIL = "travail", "architecture de travail"
        VERSION = "version", "version de Cof"
        DEMANDE = "demande", "demande de modification"

    kind = models.CharField("nature", max_length=10, choices=Kind.choices, default=Kind.TRAVAIL)
    ctg = models.ForeignKey("ctg.Ctg", on_delete=models.PROTECT, related_name="architectures")
    collectivite = models.ForeignKey(
        "organisations.LocalAuthority", on_delete=models.PROTECT, related_name="architectures"
    )
    date_effet = models.DateField(
        "date d'effet", help_text="Date à laquelle s'appliquent les paramètres de financement."
    )
    base_cej_montant = models.DecimalField(
        "ancien financement Cej redéployé (€)",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
    )
    base_cej_etp = models.DecimalField(
        "Etp financés par le Cej", max_digits=5, decimal_places=2, null=True, blank=True
    )
    # The collectivité's declarations, read only where no record can exist
    # (:mod:`coopctg.funding.eligibility`): the attendus (a job description established outside
    # CoopCTG, while no recruitment nor bilan transmitted records them) and the bilan (while
    # there is no Cof). ``reference_cof`` and ``declaration_reseaux`` are no longer offered nor
    # read — the Cof and the network meetings are records — and keep their past values.
    declaration_attendus = models.BooleanField(
        "la mission répond aux attendus du référentiel (déclaré)", default=False
    )
    reference_cof = models.CharField(
        "référence de la Cof signée",
        max_length=100,
        blank=True,
        help_text="Numéro ou date de la convention d'objectifs et de financement.",
    )
    declaration_reseaux = models.BooleanField(
        "participation aux réseaux thématiques et territoriaux (déclaré)", default=False
    )
    declaration_bilan = models.BooleanField(
        "bilan annuel d'activité transmis (déclaré)", default=False
    )
    modifie_le = models.DateTimeField("modifiée le", auto_now=True)
    modifie_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = "architecture de financement"
        verbose_name_plural = "architectures de financement"
        constraints = [
            models.UniqueConstraint(
                fields=["ctg", "collectivite"],
                condition=Q(kind="travail"),
                name="architecture_unique_per_ctg",
            ),
            models.CheckConstraint(
                condition=(
                    Q(base_cej_montant__isnull=True, base_cej_etp__isnull=True)
                    | Q(base_cej_montant__gte=0, base_cej_etp__gt=0)
                ),
                name="architecture_cej_base_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"Architecture de financement — {self.collectivite} ({self.ctg})"

    def save(self, *args, **kwargs) -> None:
        if (reason := self.frozen_reason()) is not None:
            raise FrozenArchitectureError(reason)
        super().save(*args, **kwargs)

    def frozen_reason(self) -> str | None:
        """Why this stored architecture may no longer change (one French sentence), or None.

        The working architecture never freezes; a version's does once the version is signed;
        a request's once the collectivité may no longer edit the request."""
        if self.pk is None or self.kind == self.Kind.TRAVAIL:
            return None
        if self.kind == self.Kind.VERSION:
            version = (
                apps.get_model("agreements", "AgreementVersion")
                .objects.filter(architecture_id=self.pk, statut="signee")
                .select_related("cof")
                .first()
            )
            if version is None:
                return None
            return (
                f"Cette architecture est celle de la Cof n° {version.cof.numero} "
                f"({version.label}), signée le {format_date(version.date_signature)} : une "
                "version signée est figée, elle ne peut plus être modifiée."
            )
        demande = (
            apps.get_model("agreements", "ModificationRequest")
            .objects.filter(architecture_id=self.pk)
            .first()
        )
        if demande is None or demande.is_editable:
            return None
        return (
            f"Cette architecture est celle de la demande de modification n° {demande.pk} "
            f"({demande.get_statut_display()}) : elle ne peut plus être modifiée."
        )


class FundedPerson(models.Model):
    architecture = models.ForeignKey(
        FundingArchitecture, on_delete=models.CASCADE, related_name="personnes"
    )
    position = models.PositiveSmallIntegerField("rang")
    nom = models.CharField("nom", max_length=150)
    fonction = models.CharField("fonction", max_length=200, blank=True)
    employeur = models.CharField("employeur", max_length=200, blank=True)
    type_poste = models.CharField("type de poste", max_length=30, choices=POST_TYPE_CHOICES)
    #: The missions of the post: the référentiel's objectives assigned to it (« tout
    #: changement […] d'affectation de mission » requires an avenant).
    objectifs = models.ManyToManyField(
        "framework.Objective",
        blank=True,
        related_name="personnes_financees",
        verbose_name="missions (objectifs du référentiel)",
    )

    class Meta:
        verbose_name = "personne financée"
        verbose_name_plural = "personnes financées"
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(type_poste__in=[c[0] for c in POST_TYPE_CHOICES]),
                name="funded_person_post_type_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.nom


class FundedAssignment(models.Model):
    personne = models.ForeignKey(
        FundedPerson, on_delete=models.CASCADE, related_name="affectations"
    )
    enveloppe = models.CharField("enveloppe", max_length=40, choices=ENVELOPE_CHOICES)
    etp = models.DecimalField("Etp", max_digits=4, decimal_places=2)

    class Meta:
        verbose_name = "affectation"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["personne", "enveloppe"], name="assignment_unique_envelope"
            ),
            models.CheckConstraint(condition=Q(etp__gt=0), name="assignment_etp_positive"),
            models.CheckConstraint(
                condition=Q(enveloppe__in=[c[0] for c in ENVELOPE_CHOICES]),
                name="assignment_envelope_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.personne} — {self.get_enveloppe_display()} : {self.etp} Etp"

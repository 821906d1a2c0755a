"""The recruitment of a funded chargé(e) de coopération, with the Caf associated to it.

Référentiel, « Conditions d'éligibilité au financement » : « Compte tenu de son accompagnement
tant stratégique que financier, la Caf doit être associée à la procédure de recrutement : le
contenu et l'organisation de la fonction de coopération doivent être arrêtés d'un commun
accord. La Caf apporte son expertise concernant les attendus du poste et émet un avis sur le
choix de la collectivité, préalablement à la phase finale du recrutement. »

A :class:`Recruitment` holds the post (intitulé, type, Etp per envelope, the attendus of the
référentiel chosen for it: its « fiche de poste »), the Caf staff member invited to the panel,
the stage reached, the Caf's opinion and the final decision. Every change goes through
:mod:`coopctg.recruitment.workflow`; the main invariants are also database constraints: no
« décision » stage and no decision without the Caf's opinion, an opinion always has its motive,
a retained candidate always has a name and a start date.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from coopctg.funding.models import ENVELOPE_CHOICES, POST_TYPE_CHOICES


class Stage(models.TextChoices):
    OUVERT = "ouvert", "Ouvert"
    CANDIDATURES = "candidatures", "Candidatures"
    ENTRETIENS = "entretiens", "Entretiens"
    AVIS_CAF = "avis_caf", "Avis de la Caf"
    DECISION = "decision", "Décision"


#: The stages in their order; a recruitment moves one step at a time.
STAGES: list[Stage] = list(Stage)


class Opinion(models.TextChoices):
    FAVORABLE = "favorable", "Favorable"
    RESERVE = "reserve", "Réservé"
    DEFAVORABLE = "defavorable", "Défavorable"


class Decision(models.TextChoices):
    RETENU = "retenu", "Candidat·e retenu·e"
    INFRUCTUEUX = "infructueux", "Recrutement infructueux"


class Recruitment(models.Model):
    collectivite = models.ForeignKey(
        "organisations.LocalAuthority",
        on_delete=models.PROTECT,
        related_name="recrutements",
        verbose_name="collectivité",
    )
    ctg = models.ForeignKey(
        "ctg.Ctg", on_delete=models.PROTECT, related_name="recrutements", verbose_name="Ctg"
    )
    personne_financee = models.ForeignKey(
        "funding.FundedPerson",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="recrutements",
        verbose_name="poste de l'architecture de financement",
    )
    #: The funded person as chosen (name, architecture): kept when the working architecture,
    #: saved again, recreates its persons and the link above is lost.
    personne_financee_libelle = models.CharField(
        "poste de l'architecture de financement (libellé)", max_length=400, blank=True
    )
    referentiel = models.ForeignKey(
        "framework.FrameworkVersion",
        on_delete=models.PROTECT,
        related_name="recrutements",
        verbose_name="version du référentiel",
    )
    intitule = models.CharField("intitulé du poste", max_length=200)
    type_poste = models.CharField("type de poste", max_length=30, choices=POST_TYPE_CHOICES)
    attendus = models.ManyToManyField(
        "framework.ExpectedOutput",
        related_name="recrutements",
        verbose_name="attendus du poste",
    )
    etape = models.CharField(
        "étape", max_length=20, choices=Stage.choices, default=Stage.OUVERT, db_index=True
    )

    # The Caf invited to the recruitment panel.
    caf_invite = models.ForeignKey(
        "organisations.StaffMember",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="recrutements_jury",
        verbose_name="membre de la Caf invité au jury",
    )
    caf_invite_le = models.DateField("date de l'invitation", null=True, blank=True)
    caf_invite_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    # The choice of the collectivité, submitted to the Caf's opinion.
    candidat_pressenti = models.CharField("candidature pressentie", max_length=200, blank=True)

    # The Caf's opinion.
    avis = models.CharField("avis de la Caf", max_length=20, choices=Opinion.choices, blank=True)
    avis_motif = models.TextField("motif de l'avis", blank=True)
    avis_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    avis_par_nom = models.CharField("avis donné par", max_length=200, blank=True)
    avis_le = models.DateTimeField("avis donné le", null=True, blank=True)

    # The final decision.
    decision = models.CharField("décision", max_length=20, choices=Decision.choices, blank=True)
    candidat_retenu = models.CharField("candidat·e retenu·e", max_length=200, blank=True)
    date_prise_poste = models.DateField("date de prise de poste", null=True, blank=True)
    decision_commentaire = models.TextField("commentaire", blank=True)
    decision_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decision_le = models.DateTimeField("décision enregistrée le", null=True, blank=True)

    cree_le = models.DateTimeField("créé le", auto_now_add=True)
    cree_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    modifie_le = models.DateTimeField("modifié le", auto_now=True)

    class Meta:
        verbose_name = "recrutement"
        ordering = ["-cree_le", "-id"]
        indexes = [
            # Recruitment list by étape, newest first.
            models.Index(fields=["etape", "cree_le"], name="recrutement_etape_cree_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(etape__in=Stage.values), name="recruitment_stage_valid"
            ),
            models.CheckConstraint(
                condition=Q(type_poste__in=[c[0] for c in POST_TYPE_CHOICES]),
                name="recruitment_post_type_valid",
            ),
            models.CheckConstraint(
                condition=Q(caf_invite__isnull=True, caf_invite_le__isnull=True)
                | Q(caf_invite__isnull=False, caf_invite_le__isnull=False),
                name="recruitment_invitation_complete",
            ),
            models.CheckConstraint(
                condition=Q(avis="", avis_motif="", avis_le__isnull=True)
                | (Q(avis__in=Opinion.values, avis_le__isnull=False) & ~Q(avis_motif="")),
                name="recruitment_opinion_complete",
                violation_error_message="L'avis de la Caf doit être motivé.",
            ),
            models.CheckConstraint(
                condition=~Q(etape=Stage.DECISION) | Q(avis__in=Opinion.values),
                name="recruitment_decision_stage_needs_opinion",
                violation_error_message=(
                    "L'avis de la Caf est obligatoire avant la phase finale du recrutement."
                ),
            ),
            models.CheckConstraint(
                condition=Q(decision="", decision_le__isnull=True)
                | Q(
                    decision=Decision.INFRUCTUEUX,
                    etape=Stage.DECISION,
                    decision_le__isnull=False,
                )
                | (
                    Q(
                        decision=Decision.RETENU,
                        etape=Stage.DECISION,
                        decision_le__isnull=False,
                        date_prise_poste__isnull=False,
                    )
                    & ~Q(candidat_retenu="")
                ),
                name="recruitment_decision_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"Recrutement « {self.intitule} » — {self.collectivite}"

    @property
    def stage(self) -> Stage:
        return Stage(self.etape)

    @property
    def stage_number(self) -> int:
        return STAGES.index(self.stage) + 1

    @property
    def next_stage(self) -> Stage | None:
        index = STAGES.index(self.stage)
        return STAGES[index + 1] if index + 1 < len(STAGES) else None

    @property
    def previous_stage(self) -> Stage | None:
        index = STAGES.index(self.stage)
        return STAGES[index - 1] if index > 0 else None

    @property
    def is_closed(self) -> bool:
        """The final decision is recorded: nothing changes any more."""
        return bool(self.decision)

    @property
    def is_editable(self) -> bool:
        """The post (intitulé, Etp, attendus) is fixed once the Caf's opinion is asked."""
        return STAGES.index(self.stage) < STAGES.index(Stage.AVIS_CAF) and not self.is_closed

    @property
    def has_opinion(self) -> bool:
        return bool(self.avis)

    def etp_total(self) -> Decimal:
        """Sum of the Etp per envelope (``affectations`` prefetched or not)."""
        return sum((a.etp for a in self.affectations.all()), Decimal(0))


class RecruitmentAssignment(models.Model):
    """The post's Etp on one thematic envelope, as in the funding architecture."""

    recrutement = models.ForeignKey(
        Recruitment, on_delete=models.CASCADE, related_name="affectations"
    )
    enveloppe = models.CharField("enveloppe", max_length=40, choices=ENVELOPE_CHOICES)
    etp = models.DecimalField("Etp", max_digits=4, decimal_places=2)

    class Meta:
        verbose_name = "affectation du poste"
        verbose_name_plural = "affectations du poste"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recrutement", "enveloppe"], name="recruitment_assignment_unique"
            ),
            models.CheckConstraint(
                condition=Q(etp__gt=0), name="recruitment_assignment_etp_positive"
            ),
            models.CheckConstraint(
                condition=Q(enveloppe__in=[c[0] for c in ENVELOPE_CHOICES]),
                name="recruitment_assignment_envelope_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_enveloppe_display()} : {self.etp} Etp"


class StageChange(models.Model):
    """One move of a recruitment from a stage to the next (or back, with a reason)."""

    class Direction(models.TextChoices):
        AVANCE = "avance", "passage à l'étape suivante"
        RETOUR = "retour", "retour à l'étape précédente"

    recrutement = models.ForeignKey(
        Recruitment, on_delete=models.CASCADE, related_name="changements_etape"
    )
    sens = models.CharField("sens", max_length=10, choices=Direction.choices)
    de = models.CharField("de l'étape", max_length=20, choices=Stage.choices)
    vers = models.CharField("vers l'étape", max_length=20, choices=Stage.choices)
    motif = models.TextField("motif", blank=True)
    par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    par_nom = models.CharField("par", max_length=200, blank=True)
    le = models.DateTimeField("le", auto_now_add=True)

    class Meta:
        verbose_name = "changement d'étape"
        verbose_name_plural = "changements d'étape"
        ordering = ["le", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(de__in=Stage.values, vers__in=Stage.values),
                name="stage_change_stages_valid",
            ),
            models.CheckConstraint(
                condition=Q(sens="avance") | (Q(sens="retour") & ~Q(motif="")),
                name="stage_change_back_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_de_display()} → {self.get_vers_display()}"

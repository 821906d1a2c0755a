"""The bilan annuel d'activité of a funded cooperation function, one per Cof and year.

A Cof (:class:`~coopctg.agreements.models.FundingAgreement`) is the funded function of one
collectivité within one Ctg: its report covers the year's self-assessment of each attendu of
the référentiel (:class:`AttenduAssessment`), a free summary, and the facts of the year
(instances, actions, indicators, faits marquants, Etp and funding) computed live while the
report is a draft and frozen in ``faits`` when it is transmitted, so that what the Caf
validated never changes afterwards.

Statuses and transitions come from the pure module :mod:`coopctg.reports.rules`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from coopctg.reports.rules import LEVEL_LABELS, STATUS_LABELS, Level, Status

STATUS_CHOICES = [(status.value, STATUS_LABELS[status]) for status in Status]
LEVEL_CHOICES = [(level.value, LEVEL_LABELS[level]) for level in Level]


class AnnualReport(models.Model):
    cof = models.ForeignKey(
        "agreements.FundingAgreement", on_delete=models.PROTECT, related_name="bilans"
    )
    annee = models.PositiveSmallIntegerField("année")
    referentiel = models.ForeignKey(
        "framework.FrameworkVersion",
        on_delete=models.PROTECT,
        related_name="bilans",
        verbose_name="version du référentiel",
    )
    statut = models.CharField(
        "statut", max_length=20, choices=STATUS_CHOICES, default=Status.BROUILLON.value
    )
    synthese = models.TextField(
        "synthèse de l'année",
        blank=True,
        help_text="Ce qui a marqué l'année, en quelques paragraphes.",
    )
    perspectives = models.TextField("perspectives pour l'année suivante", blank=True)
    faits = models.JSONField("faits de l'année (figés à la transmission)", default=dict, blank=True)
    premiere_transmission_le = models.DateTimeField(
        "première transmission le", null=True, blank=True
    )
    transmis_le = models.DateTimeField("transmis le", null=True, blank=True)
    transmis_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="transmis par",
    )
    valide_le = models.DateTimeField("validé le", null=True, blank=True)
    valide_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="validé par",
    )
    #: Bumped by every change, to refuse a decision taken on a page that has gone stale.
    revision = models.PositiveIntegerField("révision", default=0)
    cree_le = models.DateTimeField("créé le", auto_now_add=True)
    modifie_le = models.DateTimeField("modifié le", auto_now=True)

    class Meta:
        verbose_name = "bilan annuel d'activité"
        verbose_name_plural = "bilans annuels d'activité"
        ordering = ["-annee", "cof__numero"]
        indexes = [
            # Lists of bilans by year and status (page « Bilans », API ?annee=&statut=).
            models.Index(fields=["annee", "statut"], name="bilan_annee_statut_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["cof", "annee"], name="report_one_per_cof_year"),
            models.CheckConstraint(
                condition=Q(statut__in=[status.value for status in Status]),
                name="report_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(annee__gte=1900, annee__lte=2999), name="report_year_valid"
            ),
            models.CheckConstraint(
                condition=Q(statut="brouillon") | Q(premiere_transmission_le__isnull=False),
                name="report_transmitted_dated",
            ),
            models.CheckConstraint(
                condition=~Q(statut="valide") | Q(valide_le__isnull=False),
                name="report_validated_dated",
            ),
        ]

    def __str__(self) -> str:
        return f"Bilan {self.annee} — Cof n° {self.cof.numero}"

    @property
    def status(self) -> Status:
        return Status(self.statut)


class AttenduAssessment(models.Model):
    """The self-assessment of one attendu of the référentiel for the report's year."""

    bilan = models.ForeignKey(AnnualReport, on_delete=models.CASCADE, related_name="evaluations")
    attendu = models.ForeignKey(
        "framework.ExpectedOutput", on_delete=models.PROTECT, related_name="evaluations"
    )
    niveau = models.CharField(
        "niveau", max_length=20, choices=LEVEL_CHOICES, default=Level.NON_ENGAGE.value
    )
    commentaire = models.TextField("commentaire", blank=True)

    class Meta:
        verbose_name = "auto-évaluation d'un attendu"
        verbose_name_plural = "auto-évaluations des attendus"
        ordering = ["bilan", "attendu__objective__mission__position", "attendu__position"]
        constraints = [
            models.UniqueConstraint(fields=["bilan", "attendu"], name="assessment_one_per_attendu"),
            models.CheckConstraint(
                condition=Q(niveau__in=[level.value for level in Level]),
                name="assessment_level_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.attendu.code} : {self.get_niveau_display()}"


class ReportEvent(models.Model):
    """One step of the report's life, with the comment that goes with it (the Caf's request
    for more when it sends the report back, a note on validation or transmission)."""

    class Kind(models.TextChoices):
        TRANSMISSION = "transmission", "transmis à la Caf"
        RENVOI = "renvoi", "renvoyé à compléter"
        VALIDATION = "validation", "validé"

    bilan = models.ForeignKey(AnnualReport, on_delete=models.CASCADE, related_name="evenements")
    kind = models.CharField("étape", max_length=20, choices=Kind.choices)
    auteur = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="par"
    )
    commentaire = models.TextField("commentaire", blank=True)
    cree_le = models.DateTimeField("le", auto_now_add=True)

    class Meta:
        verbose_name = "étape d'un bilan"
        verbose_name_plural = "étapes des bilans"
        ordering = ["bilan", "cree_le", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["transmission", "renvoi", "validation"]),
                name="report_event_kind_valid",
            ),
            models.CheckConstraint(
                condition=~Q(kind="renvoi") | ~Q(commentaire=""),
                name="report_sent_back_with_comment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.bilan}"

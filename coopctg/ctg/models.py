"""The Convention territoriale globale (Ctg) between a Caf and one or more collectivités."""

import datetime as dt

from django.db import models
from django.db.models import F, Q

from coopctg.core.themes import THEME_CHOICES, theme_labels
from coopctg.organisations.models import Caf, LocalAuthority


class Ctg(models.Model):
    class Status(models.TextChoices):
        PROJET = "projet", "en projet"
        SIGNEE = "signee", "signée"
        ECHUE = "echue", "échue"

    caf = models.ForeignKey(Caf, on_delete=models.PROTECT, related_name="ctgs")
    signataires = models.ManyToManyField(
        LocalAuthority, related_name="ctgs", verbose_name="collectivités signataires"
    )
    intitule = models.CharField("intitulé", max_length=200)
    date_debut = models.DateField("date de début")
    date_fin = models.DateField("date de fin")
    date_signature = models.DateField("date de signature", null=True, blank=True)
    themes = models.JSONField("thématiques couvertes", default=list)
    statut = models.CharField(
        "statut", max_length=10, choices=Status.choices, default=Status.PROJET
    )

    class Meta:
        verbose_name = "Ctg"
        verbose_name_plural = "Ctg"
        ordering = ["-date_debut", "intitule"]
        indexes = [
            # Ctg list of a Caf by statut, in end-date order.
            models.Index(fields=["caf", "statut", "date_fin"], name="ctg_caf_statut_fin_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(date_fin__gt=F("date_debut")),
                name="ctg_period_valid",
                violation_error_message="La date de fin doit suivre la date de début.",
            ),
            models.CheckConstraint(
                condition=Q(statut__in=["projet", "signee", "echue"]), name="ctg_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.intitule

    def theme_labels(self) -> list[str]:
        return theme_labels(self.themes)

    def in_force_on(self, day: dt.date) -> bool:
        return self.statut == self.Status.SIGNEE and self.date_debut <= day <= self.date_fin

    @staticmethod
    def theme_choices() -> list[tuple[str, str]]:
        return THEME_CHOICES

"""The plan d'actions of a Ctg: its fiches actions and their indicators.

A fiche action (:class:`Action`) has a reference ``code`` (« A01 ») unique in its Ctg, which
identifies it in the workbook (import and export). Its status is stored among « à lancer »,
« en cours », « réalisée », « abandonnée »; « en retard » is derived from the end date
(:func:`coopctg.actionplan.rules.is_overdue`), never stored. An indicator has a baseline, a
target and one value per year (:class:`IndicatorValue`).
"""

from decimal import Decimal

from django.db import models
from django.db.models import F, Q

from coopctg.actionplan.rules import (
    FIRST_YEAR,
    LAST_YEAR,
    STATUS_CHOICES,
    VALUE_DIGITS,
    VALUE_PLACES,
    ActionStatus,
)
from coopctg.core.themes import theme_labels

CODE_MAX_LENGTH = 20


class Action(models.Model):
    """One fiche action of a Ctg's plan d'actions."""

    Status = ActionStatus

    ctg = models.ForeignKey("ctg.Ctg", on_delete=models.PROTECT, related_name="actions")
    code = models.CharField(
        "référence",
        max_length=CODE_MAX_LENGTH,
        help_text="Référence stable de la fiche dans le plan, par ex. « A01 » ou « 2.3 ».",
    )
    position = models.PositiveIntegerField("rang", default=0)
    titre = models.CharField("intitulé", max_length=200)
    description = models.TextField("description", blank=True)
    themes = models.JSONField("thématiques", default=list, blank=True)
    objectifs = models.ManyToManyField(
        "framework.Objective",
        blank=True,
        related_name="actions",
        verbose_name="objectifs du référentiel",
    )
    pilote = models.CharField(
        "pilote", max_length=200, blank=True, help_text="La personne ou le service qui la porte."
    )
    partenaires = models.TextField("partenaires", blank=True)
    date_debut = models.DateField("date de début", null=True, blank=True)
    date_fin = models.DateField("date de fin", null=True, blank=True)
    statut = models.CharField(
        "statut", max_length=20, choices=STATUS_CHOICES, default=ActionStatus.A_LANCER.value
    )
    avancement = models.PositiveSmallIntegerField("avancement (%)", default=0)
    cree_le = models.DateTimeField("créée le", auto_now_add=True)
    modifie_le = models.DateTimeField("modifiée le", auto_now=True)

    class Meta:
        verbose_name = "fiche action"
        verbose_name_plural = "fiches actions"
        ordering = ["ctg_id", "position", "code", "id"]
        constraints = [
            models.UniqueConstraint(fields=["ctg", "code"], name="action_code_unique"),
            models.CheckConstraint(condition=~Q(code=""), name="action_code_not_empty"),
            models.CheckConstraint(
                condition=Q(statut__in=[s.value for s in ActionStatus]),
                name="action_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(avancement__gte=0, avancement__lte=100),
                name="action_progress_percent",
                violation_error_message="L'avancement est un pourcentage de 0 à 100.",
            ),
            models.CheckConstraint(
                condition=Q(date_debut__isnull=True)
                | Q(date_fin__isnull=True)
                | Q(date_fin__gte=F("date_debut")),
                name="action_period_valid",
                violation_error_message="La date de fin ne peut pas précéder la date de début.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.titre}"

    def theme_labels(self) -> list[str]:
        return theme_labels(self.themes)


class Indicator(models.Model):
    """An indicator of a fiche action: baseline, target, and its values year by year."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="indicateurs")
    position = models.PositiveIntegerField("rang", default=0)
    libelle = models.CharField("indicateur", max_length=200)
    unite = models.CharField(
        "unité", max_length=50, blank=True, help_text="Par ex. « places », « familles », « % »."
    )
    valeur_reference = models.DecimalField(
        "valeur de référence",
        max_digits=VALUE_DIGITS,
        decimal_places=VALUE_PLACES,
        null=True,
        blank=True,
    )
    cible = models.DecimalField(
        "cible", max_digits=VALUE_DIGITS, decimal_places=VALUE_PLACES, null=True, blank=True
    )

    class Meta:
        verbose_name = "indicateur"
        ordering = ["action_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["action", "libelle"], name="indicator_label_unique"),
            models.CheckConstraint(condition=~Q(libelle=""), name="indicator_label_not_empty"),
        ]

    def __str__(self) -> str:
        return self.libelle

    def values_by_year(self) -> dict[int, Decimal]:
        """{year: value}; uses the prefetched ``valeurs`` when there are."""
        return {v.year: v.value for v in self.valeurs.all()}

    def latest_value(self) -> "IndicatorValue | None":
        """The value of the most recent year (prefetched ``valeurs`` used when there are)."""
        return max(self.valeurs.all(), key=lambda v: v.year, default=None)


class IndicatorValue(models.Model):
    """The value of an indicator for one year (at most one per year)."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="valeurs")
    year = models.PositiveSmallIntegerField("année")
    value = models.DecimalField("valeur", max_digits=VALUE_DIGITS, decimal_places=VALUE_PLACES)

    class Meta:
        verbose_name = "valeur d'indicateur"
        verbose_name_plural = "valeurs d'indicateurs"
        ordering = ["indicator_id", "year"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "year"], name="indicator_value_unique"),
            models.CheckConstraint(
                condition=Q(year__gte=FIRST_YEAR, year__lte=LAST_YEAR),
                name="indicator_value_year_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator} — {self.year}"

"""Values of the diagnostic's indicators, the imports that brought them, local indicators.

A value is identified by (indicator code, level, territory code, year): ``txcouv_global`` of the
EPCI ``200073237`` in 2023. It keeps the text exactly as published (``57.4``, ``57,4``) beside
its :class:`~decimal.Decimal`; never a float. A new import of the same key replaces the value
and moves the old one to :class:`TerritorialValueHistory`. The population is not stored: it is
read from the shipped INSEE communes (:mod:`coopctg.indicators.services`).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from coopctg.indicators.catalogue import LEVELS, LOCAL_PREFIX, THEMES
from coopctg.organisations.models import LocalAuthority

LEVEL_CHOICES = list(LEVELS.items())
THEME_CHOICES = list(THEMES.items())


class LocalIndicator(models.Model):
    """An indicator that a collectivité adds itself (code ``local-<id>``)."""

    collectivite = models.ForeignKey(
        LocalAuthority,
        on_delete=models.CASCADE,
        related_name="indicateurs_locaux",
        verbose_name="collectivité",
    )
    libelle = models.CharField("libellé", max_length=200)
    unite = models.CharField("unité", max_length=60)
    theme = models.CharField("thématique", max_length=30, choices=THEME_CHOICES)
    source = models.CharField(
        "source",
        max_length=300,
        help_text="Qui produit le chiffre, et où le retrouver (service, enquête, date).",
    )
    definition = models.TextField("définition", blank=True)
    cree_le = models.DateTimeField("créé le", auto_now_add=True)
    cree_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="créé par",
    )

    class Meta:
        verbose_name = "indicateur local"
        verbose_name_plural = "indicateurs locaux"
        ordering = ["collectivite", "libelle", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["collectivite", "libelle"], name="local_indicator_label_unique"
            ),
            models.CheckConstraint(
                condition=~Q(libelle="") & ~Q(unite="") & ~Q(source=""),
                name="local_indicator_fields_required",
            ),
        ]

    def __str__(self) -> str:
        return self.libelle

    @property
    def code(self) -> str:
        return f"{LOCAL_PREFIX}{self.pk}"


class ImportBatch(models.Model):
    """One import (a publisher's file) or one entry of a local value: where values came from."""

    class Kind(models.TextChoices):
        FICHIER = "fichier", "import d'un fichier"
        SAISIE = "saisie", "saisie d'une valeur locale"

    genre = models.CharField("genre", max_length=10, choices=Kind.choices)
    jeu = models.CharField(
        "jeu de données", max_length=60, blank=True, help_text="Code du jeu (txcouv_pe_epci…)."
    )
    fichier = models.CharField("fichier", max_length=255, blank=True)
    empreinte = models.CharField("empreinte SHA-256", max_length=64, blank=True)
    version_catalogue = models.CharField("version du catalogue", max_length=60)
    demonstration = models.BooleanField(
        "valeurs fictives de démonstration",
        default=False,
        help_text="Fichier d'exemple aux valeurs inventées : signalé partout où elles paraissent.",
    )
    importe_le = models.DateTimeField("importé le", auto_now_add=True)
    importe_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="importé par",
    )
    lignes = models.PositiveIntegerField("lignes lues", default=0)
    creees = models.PositiveIntegerField("valeurs nouvelles", default=0)
    remplacees = models.PositiveIntegerField("valeurs remplacées", default=0)
    inchangees = models.PositiveIntegerField("valeurs inchangées", default=0)

    class Meta:
        verbose_name = "import d'indicateurs"
        verbose_name_plural = "imports d'indicateurs"
        ordering = ["-importe_le", "-pk"]

    def __str__(self) -> str:
        if self.genre == self.Kind.SAISIE:
            return f"saisie du {self.importe_le:%d/%m/%Y}"
        return f"{self.fichier or self.jeu} ({self.importe_le:%d/%m/%Y})"


class TerritorialValue(models.Model):
    """The value in force of one indicator, territory and year."""

    indicateur = models.CharField("indicateur", max_length=60)
    niveau = models.CharField("niveau", max_length=12, choices=LEVEL_CHOICES)
    territoire = models.CharField(
        "territoire", max_length=9, help_text="Code INSEE, SIREN, code département, ou FR."
    )
    annee = models.PositiveSmallIntegerField("année")
    texte = models.CharField("valeur publiée", max_length=40)
    valeur = models.DecimalField("valeur", max_digits=24, decimal_places=6)
    lot = models.ForeignKey(
        ImportBatch, on_delete=models.PROTECT, related_name="valeurs", verbose_name="import"
    )
    modifie_le = models.DateTimeField("modifiée le", auto_now=True)

    class Meta:
        verbose_name = "valeur d'indicateur"
        verbose_name_plural = "valeurs d'indicateurs"
        ordering = ["indicateur", "niveau", "territoire", "annee"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicateur", "niveau", "territoire", "annee"],
                name="territorial_value_unique",
            ),
            models.CheckConstraint(
                condition=Q(annee__gte=1900) & Q(annee__lte=2100), name="territorial_value_year"
            ),
            models.CheckConstraint(
                condition=Q(niveau__in=list(LEVELS)), name="territorial_value_level"
            ),
        ]
        indexes = [
            models.Index(fields=["niveau", "territoire"], name="territorial_value_territory"),
        ]

    def __str__(self) -> str:
        return f"{self.indicateur} {self.niveau} {self.territoire} {self.annee} = {self.texte}"


class TerritorialValueHistory(models.Model):
    """A value replaced by a later import (or entry): what it was, and what replaced it."""

    indicateur = models.CharField("indicateur", max_length=60)
    niveau = models.CharField("niveau", max_length=12, choices=LEVEL_CHOICES)
    territoire = models.CharField("territoire", max_length=9)
    annee = models.PositiveSmallIntegerField("année")
    texte = models.CharField("valeur publiée", max_length=40)
    valeur = models.DecimalField("valeur", max_digits=24, decimal_places=6)
    lot = models.ForeignKey(
        ImportBatch, on_delete=models.PROTECT, related_name="+", verbose_name="import d'origine"
    )
    remplacee_par = models.ForeignKey(
        ImportBatch,
        on_delete=models.PROTECT,
        related_name="remplacements",
        verbose_name="remplacée par",
    )
    remplacee_le = models.DateTimeField("remplacée le", auto_now_add=True)

    class Meta:
        verbose_name = "valeur remplacée"
        verbose_name_plural = "valeurs remplacées"
        ordering = ["indicateur", "niveau", "territoire", "annee", "-remplacee_le", "-pk"]
        indexes = [
            models.Index(
                fields=["indicateur", "niveau", "territoire", "annee"],
                name="territorial_history_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicateur} {self.territoire} {self.annee} : {self.texte} (remplacée)"

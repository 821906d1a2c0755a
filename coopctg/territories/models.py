"""France's administrative territories: départements, EPCI and communes (INSEE / IGN data).

Loaded by :mod:`coopctg.territories.importer` (``coopctg territoires importer DOSSIER``).
Contours are GeoJSON geometries (WGS84, simplified), stored as JSON so that SQLite and
PostgreSQL work alike; :mod:`coopctg.territories.svgmap` draws them.
"""

from django.db import models


class Departement(models.Model):
    code = models.CharField("code", max_length=3, unique=True)
    nom = models.CharField("nom", max_length=100)

    class Meta:
        verbose_name = "département"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.nom} ({self.code})"


class Epci(models.Model):
    class Nature(models.TextChoices):
        CC = "CC", "communauté de communes"
        CA = "CA", "communauté d'agglomération"
        CU = "CU", "communauté urbaine"
        ME = "ME", "métropole"

    siren = models.CharField("SIREN", max_length=9, unique=True)
    nom = models.CharField("nom", max_length=200)
    nature = models.CharField("nature", max_length=2, choices=Nature.choices)
    geometrie = models.JSONField(
        "contour",
        null=True,
        blank=True,
        help_text="Géométrie GeoJSON (Polygon ou MultiPolygon, WGS84, simplifiée).",
    )

    class Meta:
        verbose_name = "EPCI"
        verbose_name_plural = "EPCI"
        ordering = ["nom"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(nature__in=["CC", "CA", "CU", "ME"]), name="epci_nature_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.nom


class Commune(models.Model):
    code_insee = models.CharField("code INSEE", max_length=5, unique=True)
    nom = models.CharField("nom", max_length=200)
    population_municipale = models.PositiveIntegerField(
        "population municipale",
        null=True,
        blank=True,
        help_text="Vide quand la source n'en donne pas (« \\N » dans communes.csv : les "
        "17 communes de Mayotte et une commune nouvelle).",
    )
    departement = models.ForeignKey(
        Departement, on_delete=models.PROTECT, related_name="communes", verbose_name="département"
    )
    epci = models.ForeignKey(
        Epci,
        on_delete=models.PROTECT,
        related_name="communes",
        null=True,
        blank=True,
        verbose_name="EPCI",
    )
    geometrie = models.JSONField(
        "contour",
        null=True,
        blank=True,
        help_text="Géométrie GeoJSON (Polygon ou MultiPolygon, WGS84, simplifiée).",
    )

    class Meta:
        verbose_name = "commune"
        ordering = ["nom"]

    def __str__(self) -> str:
        return f"{self.nom} ({self.code_insee})"

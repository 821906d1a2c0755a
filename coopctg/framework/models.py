"""The référentiel of the chargé(e) de coopération Ctg, as versioned data.

A :class:`FrameworkVersion` holds one edition (Caf de Touraine, janvier 2022); every element
below belongs to exactly one version, so a new edition can be loaded beside an old one and
whatever refers to an old attendu keeps pointing at it.
"""

from django.db import models


class FrameworkVersion(models.Model):
    code = models.CharField("version", max_length=50, unique=True)
    titre = models.CharField("titre", max_length=200)
    source = models.CharField("source", max_length=300)
    date_publication = models.DateField("date de publication")
    charge_le = models.DateTimeField("chargé le", auto_now=True)

    class Meta:
        verbose_name = "version du référentiel"
        verbose_name_plural = "versions du référentiel"
        ordering = ["-date_publication", "code"]

    def __str__(self) -> str:
        return f"{self.titre} ({self.code})"


class _Ordered(models.Model):
    position = models.PositiveSmallIntegerField("rang")

    class Meta:
        abstract = True
        ordering = ["position"]


class Function(_Ordered):
    """One of the 4 functions (pilotage, animation, mise en réseau, recherche de solution)."""

    version = models.ForeignKey(
        FrameworkVersion, on_delete=models.CASCADE, related_name="fonctions"
    )
    code = models.CharField("code", max_length=20)
    titre = models.CharField("titre", max_length=200)
    description = models.TextField("description")

    class Meta(_Ordered.Meta):
        verbose_name = "fonction"
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="function_code_unique")
        ]

    def __str__(self) -> str:
        return self.titre


class CompetenceSphere(_Ordered):
    """One of the 4 competence spheres (pilotage, animation, relation, recherche)."""

    version = models.ForeignKey(FrameworkVersion, on_delete=models.CASCADE, related_name="spheres")
    code = models.CharField("code", max_length=20)
    titre = models.CharField("titre", max_length=200)
    description = models.TextField("description")

    class Meta(_Ordered.Meta):
        verbose_name = "sphère de compétences"
        verbose_name_plural = "sphères de compétences"
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="sphere_code_unique")
        ]

    def __str__(self) -> str:
        return self.titre


class GeneralExpectation(_Ordered):
    """One of the 6 attendus généraux."""

    version = models.ForeignKey(
        FrameworkVersion, on_delete=models.CASCADE, related_name="attendus_generaux"
    )
    code = models.CharField("code", max_length=20)
    texte = models.TextField("texte")

    class Meta(_Ordered.Meta):
        verbose_name = "attendu général"
        verbose_name_plural = "attendus généraux"
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="general_expectation_unique")
        ]

    def __str__(self) -> str:
        return self.texte


class Mission(_Ordered):
    version = models.ForeignKey(FrameworkVersion, on_delete=models.CASCADE, related_name="missions")
    code = models.CharField("code", max_length=20)  # "M1"
    titre = models.TextField("titre")

    class Meta(_Ordered.Meta):
        verbose_name = "mission"
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="mission_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.titre}"


class Objective(_Ordered):
    mission = models.ForeignKey(Mission, on_delete=models.CASCADE, related_name="objectifs")
    code = models.CharField("code", max_length=20)  # "M1.O2"
    titre = models.TextField("titre")
    # Mission 4's objectives have a two-line heading in the document: the second line.
    sous_titre = models.TextField("sous-titre", blank=True)

    class Meta(_Ordered.Meta):
        verbose_name = "objectif"
        constraints = [
            models.UniqueConstraint(fields=["mission", "code"], name="objective_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.titre}"


class ExpectedOutput(_Ordered):
    """An attendu: what the chargé(e) de coopération is expected to deliver."""

    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="attendus")
    code = models.CharField("code", max_length=20)  # "M1.O2.A3"
    texte = models.TextField("texte")
    precision = models.TextField("précision", blank=True)

    class Meta(_Ordered.Meta):
        verbose_name = "attendu"
        constraints = [
            models.UniqueConstraint(fields=["objective", "code"], name="expected_output_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.texte}"

"""History of changes to agreements and funding figures: who, when, before, after."""

from django.conf import settings
from django.db import models


class AuditEntry(models.Model):
    class Action(models.TextChoices):
        CREATION = "creation", "création"
        MODIFICATION = "modification", "modification"
        SUPPRESSION = "suppression", "suppression"

    horodatage = models.DateTimeField("date et heure", auto_now_add=True, db_index=True)
    auteur = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="auteur",
    )
    auteur_nom = models.CharField("nom de l'auteur", max_length=200, blank=True)
    action = models.CharField("action", max_length=20, choices=Action.choices)
    objet_type = models.CharField("type d'objet", max_length=100)
    objet_id = models.CharField("identifiant de l'objet", max_length=50)
    objet_libelle = models.CharField("objet", max_length=300)
    caf = models.ForeignKey(
        "organisations.Caf", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    avant = models.JSONField("avant", null=True, blank=True)
    apres = models.JSONField("après", null=True, blank=True)

    class Meta:
        verbose_name = "entrée d'historique"
        verbose_name_plural = "historique"
        ordering = ["-horodatage", "-id"]
        indexes = [models.Index(fields=["objet_type", "objet_id"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} — {self.objet_libelle} ({self.auteur_nom})"

    def changes(self) -> list[tuple[str, object, object]]:
        """(field, before, after) for every field that differs."""
        before = self.avant or {}
        after = self.apres or {}
        keys = list(dict.fromkeys([*before.keys(), *after.keys()]))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


class CafDataVersion(models.Model):
    """The version of a Caf's data: a token drawn anew by every write that touches the Caf
    (:mod:`coopctg.core.versions`). Figures computed from a Caf's data are kept in memory
    under its token and computed again once it changes."""

    caf = models.OneToOneField(
        "organisations.Caf",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
        verbose_name="Caf",
    )
    jeton = models.CharField("jeton", max_length=32)

    class Meta:
        verbose_name = "version des données d'une Caf"
        verbose_name_plural = "versions des données des Caf"

    def __str__(self) -> str:
        return f"{self.caf_id} : {self.jeton}"

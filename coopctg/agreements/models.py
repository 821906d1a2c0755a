"""The Cof (convention d'objectifs et de financement) and its versions: initial, then avenants.

A Cof's content is a sequence of versions, each with its effective date and its architecture
(persons, post types, assignments, Cej base). The figures computed when a version is signed are
frozen on it (``ventilation``): a later change of the Caf's parameters never changes a signed
amount. A signed version is immutable; the only field that changes afterwards is ``date_fin``,
set when a later version replaces it. Versions of a Cof never overlap: one version per number
and per effective date everywhere, and on PostgreSQL an exclusion constraint on the periods.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class ImmutableVersionError(Exception):
    """A signed version's content cannot change."""


class FundingAgreement(models.Model):
    class Status(models.TextChoices):
        PROJET = "projet", "projet"
        SIGNEE = "signee", "signée"
        ECHUE = "echue", "échue"

    ctg = models.ForeignKey("ctg.Ctg", on_delete=models.PROTECT, related_name="cofs")
    collectivite = models.ForeignKey(
        "organisations.LocalAuthority", on_delete=models.PROTECT, related_name="cofs"
    )
    numero = models.CharField("numéro", max_length=50, unique=True)
    date_debut = models.DateField("début")
    date_fin = models.DateField("fin")
    signataires = models.TextField(
        "signataires",
        blank=True,
        help_text="Les personnes qui signent, avec leur qualité (une par ligne).",
    )
    statut = models.CharField(
        "statut", max_length=10, choices=Status.choices, default=Status.PROJET
    )
    cree_le = models.DateTimeField("créée le", auto_now_add=True)

    class Meta:
        verbose_name = "Cof"
        verbose_name_plural = "Cof"
        ordering = ["-date_debut", "numero"]
        constraints = [
            models.CheckConstraint(
                condition=Q(date_fin__gt=F("date_debut")),
                name="cof_period_valid",
                violation_error_message="La fin de la Cof doit suivre son début.",
            ),
            models.CheckConstraint(
                condition=Q(statut__in=["projet", "signee", "echue"]), name="cof_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Cof {self.numero} — {self.collectivite}"


class AgreementVersion(models.Model):
    """Version n°0 is the initial Cof; version n°k (k ≥ 1) is avenant n°k."""

    class Status(models.TextChoices):
        PROJET = "projet", "projet"
        SIGNEE = "signee", "signée"

    cof = models.ForeignKey(FundingAgreement, on_delete=models.PROTECT, related_name="versions")
    numero = models.PositiveSmallIntegerField("numéro")
    date_effet = models.DateField("date d'effet")
    date_fin = models.DateField(
        "dernier jour en vigueur",
        null=True,
        blank=True,
        help_text="Fixé quand une version ultérieure la remplace ; sinon, la fin de la Cof.",
    )
    architecture = models.OneToOneField(
        "funding.FundingArchitecture", on_delete=models.PROTECT, related_name="version"
    )
    motif = models.TextField("objet de l'avenant", blank=True)
    statut = models.CharField(
        "statut", max_length=10, choices=Status.choices, default=Status.PROJET
    )
    date_signature = models.DateField("date de signature", null=True, blank=True)
    #: The engine's output when signed (format of ``coopctg financement simuler``).
    ventilation = models.JSONField("ventilation figée", null=True, blank=True)
    total_etp = models.DecimalField("Etp", max_digits=6, decimal_places=2, default=Decimal(0))
    total_montant = models.DecimalField(
        "montant annuel", max_digits=12, decimal_places=2, default=Decimal(0)
    )
    document = models.FileField("document PDF", upload_to="cof/", blank=True)
    signee_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    cree_le = models.DateTimeField("créée le", auto_now_add=True)

    #: What may still change once signed.
    MUTABLE_WHEN_SIGNED = frozenset({"date_fin", "document"})

    class Meta:
        verbose_name = "version de Cof"
        verbose_name_plural = "versions de Cof"
        ordering = ["cof", "numero"]
        constraints = [
            models.UniqueConstraint(fields=["cof", "numero"], name="version_number_unique"),
            models.UniqueConstraint(fields=["cof", "date_effet"], name="version_date_unique"),
            models.CheckConstraint(
                condition=Q(date_fin__isnull=True) | Q(date_fin__gte=F("date_effet")),
                name="version_period_valid",
            ),
            models.CheckConstraint(
                condition=Q(statut="projet")
                | Q(statut="signee", date_signature__isnull=False, ventilation__isnull=False),
                name="version_signed_is_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} — {self.cof.numero}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            stored = type(self).objects.filter(pk=self.pk).values().first()
            if stored and stored["statut"] == self.Status.SIGNEE:
                changed = (
                    {
                        field.attname
                        for field in self._meta.concrete_fields
                        if stored[field.attname] != getattr(self, field.attname)
                    }
                    - {"document"}
                    - self.MUTABLE_WHEN_SIGNED
                )
                if changed:
                    raise ImmutableVersionError(
                        f"{self.label} est signée : elle ne peut plus être modifiée "
                        f"({', '.join(sorted(changed))})."
                    )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.is_signed:
            raise ImmutableVersionError(f"{self.label} est signée : elle ne peut être supprimée.")
        return super().delete(*args, **kwargs)

    @property
    def label(self) -> str:
        return "Cof initiale" if self.numero == 0 else f"Avenant n°{self.numero}"

    @property
    def is_signed(self) -> bool:
        return self.statut == self.Status.SIGNEE

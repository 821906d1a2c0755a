"""The Cof (convention d'objectifs et de financement) and its versions: initial, then avenants.

A Cof's content is a sequence of versions, each with its effective date and its architecture
(persons, post types, assignments, Cej base). The figures computed when a version is signed are
frozen on it (``ventilation``): a later change of the Caf's parameters never changes a signed
amount. A signed version is immutable; the only field that changes afterwards is ``date_fin``,
set when a later version replaces it. Versions of a Cof never overlap: one version per number
and per effective date everywhere, and on PostgreSQL an exclusion constraint on the periods.

One Cof in force per collectivité and date: two Cofs of a collectivité that are not « projet »
never cover the same day (the annual funding would count the same money twice). The database
keeps it — an exclusion constraint on PostgreSQL, triggers on SQLite (migration
``0005_cof_periods_do_not_overlap``) — whatever the caller; the services only explain it first.

A Cof's number is checked (:func:`cof_number_error`) and, in the database, matched by a check
constraint; no file name is ever built from it (documents are named from ids).
"""

import datetime as dt
import re
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class ImmutableVersionError(Exception):
    """A signed version's content cannot change."""


#: A Cof's number: letters without accents and digits, with single separators (« - », « _ »,
#: « . ») between them — never a « / », a space or « .. ».
COF_NUMBER_PATTERN = r"[A-Za-z0-9]+([-_.][A-Za-z0-9]+)*"
COF_NUMBER_MAX_LENGTH = 50
COF_NUMBER_RULE = (
    "lettres sans accent et chiffres, séparés par un tiret, un point ou un souligné "
    "(par exemple COF-37-2022-001)"
)
#: Name of the database rule « one Cof in force per collectivité and date ».
COF_OVERLAP_CONSTRAINT = "cof_periods_do_not_overlap"


def cof_number_error(numero: str) -> str | None:
    """Why ``numero`` is not a valid Cof number (one French phrase), or None."""
    if len(numero) > COF_NUMBER_MAX_LENGTH:
        return f"au plus {COF_NUMBER_MAX_LENGTH} caractères"
    if not re.fullmatch(COF_NUMBER_PATTERN, numero, re.ASCII):
        return COF_NUMBER_RULE
    return None


class FundingAgreement(models.Model):
    class Status(models.TextChoices):
        PROJET = "projet", "projet"
        SIGNEE = "signee", "signée"
        ECHUE = "echue", "échue"

    ctg = models.ForeignKey("ctg.Ctg", on_delete=models.PROTECT, related_name="cofs")
    collectivite = models.ForeignKey(
        "organisations.LocalAuthority", on_delete=models.PROTECT, related_name="cofs"
    )
    numero = models.CharField("numéro", max_length=COF_NUMBER_MAX_LENGTH, unique=True)
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
        indexes = [
            # Statut filter of the lists (« échue » : signée and date_fin past), signed Cof of
            # the tasks.
            models.Index(fields=["statut", "date_fin"], name="cof_statut_fin_idx"),
            # Cof of a collectivité in date order (lists, tasks, bilans).
            models.Index(fields=["collectivite", "date_debut"], name="cof_collectivite_debut_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(date_fin__gt=F("date_debut")),
                name="cof_period_valid",
                violation_error_message="La fin de la Cof doit suivre son début.",
            ),
            models.CheckConstraint(
                condition=Q(statut__in=["projet", "signee", "echue"]), name="cof_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(numero__regex=f"^{COF_NUMBER_PATTERN}$"),
                name="cof_number_format",
                violation_error_message=f"Le numéro de la Cof : {COF_NUMBER_RULE}.",
            ),
        ]

    def __str__(self) -> str:
        return f"Cof {self.numero} — {self.collectivite}"

    def status_on(self, day: dt.date) -> str:
        """The status shown on ``day``: « échue » is computed, not stored by a job — a signed
        Cof whose end date is past is échue (a stored ``echue`` is honoured as well)."""
        if self.statut == self.Status.SIGNEE and self.date_fin < day:
            return self.Status.ECHUE
        return self.statut

    def status_label_on(self, day: dt.date) -> str:
        return str(self.Status(self.status_on(day)).label)


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


# --- Demandes de modification ------------------------------------------------------------------


class ModificationRequest(models.Model):
    """A collectivité's request to change its Cof from a date: a proposed architecture (kind
    ``demande``) and a motive, discussed with the Caf, then accepted (an avenant is signed) or
    refused.

    ``brouillon`` → ``soumise`` → (``a_modifier`` → ``soumise``)* → ``acceptee`` | ``refusee``.
    Every change goes through :mod:`coopctg.agreements.workflow`, which bumps ``revision``: a
    decision prepared on an older revision is refused (two advisors deciding at once).
    """

    class Status(models.TextChoices):
        BROUILLON = "brouillon", "brouillon"
        SOUMISE = "soumise", "soumise"
        A_MODIFIER = "a_modifier", "à modifier"
        ACCEPTEE = "acceptee", "acceptée"
        REFUSEE = "refusee", "refusée"

    #: Statuses in which the collectivité may still change its proposal.
    EDITABLE = (Status.BROUILLON, Status.A_MODIFIER)
    #: Statuses of a request still open (one per Cof at most).
    OPEN = (Status.BROUILLON, Status.SOUMISE, Status.A_MODIFIER)
    DECIDED = (Status.ACCEPTEE, Status.REFUSEE)

    cof = models.ForeignKey(FundingAgreement, on_delete=models.PROTECT, related_name="demandes")
    architecture = models.OneToOneField(
        "funding.FundingArchitecture",
        on_delete=models.PROTECT,
        related_name="demande",
        verbose_name="architecture proposée",
    )
    motif = models.TextField("motif de la demande")
    statut = models.CharField(
        "statut", max_length=12, choices=Status.choices, default=Status.BROUILLON
    )
    revision = models.PositiveIntegerField("révision", default=0)
    demandeur = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="demandée par",
    )
    cree_le = models.DateTimeField("créée le", auto_now_add=True)
    soumise_le = models.DateTimeField("soumise le", null=True, blank=True)
    decision_motif = models.TextField("motif de la décision", blank=True)
    decidee_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="décidée par",
    )
    decidee_le = models.DateTimeField("décidée le", null=True, blank=True)
    accord_prealable = models.BooleanField("accord préalable de la Caf", default=False)
    accord_prealable_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="accord préalable donné par",
    )
    accord_prealable_le = models.DateTimeField("accord préalable donné le", null=True, blank=True)
    avenant = models.OneToOneField(
        AgreementVersion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="demande",
        verbose_name="avenant signé",
    )
    #: What the decider saw when deciding: the comparison with the version then in force
    #: (:func:`coopctg.agreements.diff.comparison_to_json`), frozen at the decision and shown
    #: afterwards instead of a comparison recomputed against a later version.
    difference_decidee = models.JSONField("différence décidée", null=True, blank=True)
    #: The label of the version the decided difference starts from (« Cof initiale »…).
    difference_depuis = models.CharField("comparée à", max_length=50, blank=True)

    class Meta:
        verbose_name = "demande de modification"
        verbose_name_plural = "demandes de modification"
        ordering = ["-cree_le", "-id"]
        indexes = [
            # Open requests of the lists and tasks, newest first.
            models.Index(fields=["statut", "cree_le"], name="demande_statut_cree_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    statut__in=["brouillon", "soumise", "a_modifier", "acceptee", "refusee"]
                ),
                name="request_status_valid",
            ),
            models.UniqueConstraint(
                fields=["cof"],
                condition=Q(statut__in=["brouillon", "soumise", "a_modifier"]),
                name="request_one_open_per_cof",
                violation_error_message=(
                    "Une demande de modification est déjà en cours pour cette Cof."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(statut__in=["acceptee", "refusee"])
                | (Q(decidee_le__isnull=False) & ~Q(decision_motif="")),
                name="request_decision_is_motivated",
            ),
            models.CheckConstraint(
                condition=Q(accord_prealable=False) | Q(accord_prealable_le__isnull=False),
                name="request_prior_agreement_dated",
            ),
            models.CheckConstraint(
                condition=Q(avenant__isnull=True) | Q(statut="acceptee"),
                name="request_amendment_only_when_accepted",
            ),
        ]

    def __str__(self) -> str:
        return f"Demande de modification n°{self.pk} — Cof {self.cof.numero}"

    @property
    def date_effet(self) -> dt.date:
        """The requested effective date (the proposed architecture's)."""
        return self.architecture.date_effet

    @property
    def is_editable(self) -> bool:
        return self.statut in self.EDITABLE

    @property
    def is_open(self) -> bool:
        return self.statut in self.OPEN

    @property
    def is_decided(self) -> bool:
        return self.statut in self.DECIDED


class RequestComment(models.Model):
    """A message in a request's exchange: a comment, or the Caf asking for changes."""

    class Kind(models.TextChoices):
        COMMENTAIRE = "commentaire", "commentaire"
        MODIFICATIONS = "modifications", "modifications demandées"

    class Side(models.TextChoices):
        CAF = "caf", "Caf"
        COLLECTIVITE = "collectivite", "collectivité"

    demande = models.ForeignKey(
        ModificationRequest, on_delete=models.CASCADE, related_name="commentaires"
    )
    auteur = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    auteur_nom = models.CharField("auteur", max_length=200)
    cote = models.CharField("côté", max_length=12, choices=Side.choices)
    nature = models.CharField(
        "nature", max_length=15, choices=Kind.choices, default=Kind.COMMENTAIRE
    )
    texte = models.TextField("message")
    cree_le = models.DateTimeField("écrit le", auto_now_add=True)

    class Meta:
        verbose_name = "commentaire d'une demande"
        verbose_name_plural = "commentaires des demandes"
        ordering = ["cree_le", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(texte=""), name="request_comment_not_empty"),
            models.CheckConstraint(
                condition=Q(cote__in=["caf", "collectivite"]), name="request_comment_side_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_nature_display().capitalize()} de {self.auteur_nom}"


class Signatory(models.Model):
    """Who signed a version for one party (the Caf, the collectivité), in which capacity and
    when. The date of the version's signature is the last party's."""

    class Party(models.TextChoices):
        CAF = "caf", "Caf"
        COLLECTIVITE = "collectivite", "collectivité"

    version = models.ForeignKey(
        AgreementVersion, on_delete=models.CASCADE, related_name="signatures"
    )
    partie = models.CharField("partie", max_length=12, choices=Party.choices)
    partie_nom = models.CharField("nom de la partie", max_length=200)
    nom = models.CharField("nom du ou de la signataire", max_length=150)
    fonction = models.CharField("fonction", max_length=200)
    date_signature = models.DateField("date de signature")

    class Meta:
        verbose_name = "signataire"
        verbose_name_plural = "signataires"
        ordering = ["version", "partie"]
        constraints = [
            models.UniqueConstraint(fields=["version", "partie"], name="signatory_one_per_party"),
            models.CheckConstraint(
                condition=Q(partie__in=["caf", "collectivite"]), name="signatory_party_valid"
            ),
            models.CheckConstraint(condition=~Q(nom="") & ~Q(fonction=""), name="signatory_named"),
        ]

    def __str__(self) -> str:
        return f"{self.nom}, {self.fonction} ({self.partie_nom})"

"""The partner directory of a Caf, shared by its territories, the links of partners to what
the Ctg do (actions, instances, diagnostic consultations, networks), and the networks the
chargé·es de coopération take part in.

Fields and codes follow the data·inclusion schema where it has one (``source``, ``id``,
``nom``, ``siret``, ``code_insee``, ``commune``, ``thematiques``, ``publics``, ``date_maj``):
a record is identified by (``source``, ``id``) within the Caf, so that re-importing an export
updates it (:mod:`coopctg.partners.importer`). A partner is a structure, never a private
person: its contact is a function (« coordinatrice petite enfance »), not a name.
"""

from django.db import models
from django.db.models import F, Q

from coopctg.core.themes import THEME_CHOICES
from coopctg.partners.rules import (
    ACTION_ROLE_LABELS,
    NETWORK_KIND_LABELS,
    PARTNER_KIND_LABELS,
    PRESENCE_LABELS,
    ActionRole,
    NetworkKind,
    PartnerKind,
    Presence,
)

KIND_CHOICES = [(k.value, label) for k, label in PARTNER_KIND_LABELS.items()]
ROLE_CHOICES = [(r.value, label) for r, label in ACTION_ROLE_LABELS.items()]
PRESENCE_CHOICES = [(p.value, label) for p, label in PRESENCE_LABELS.items()]
NETWORK_KIND_CHOICES = [(k.value, label) for k, label in NETWORK_KIND_LABELS.items()]
#: The source of the partners entered in CoopCTG itself (not imported).
LOCAL_SOURCE = "coopctg"


class Partner(models.Model):
    """A partner structure in the directory of a Caf (« structure » in data·inclusion)."""

    caf = models.ForeignKey(
        "organisations.Caf", on_delete=models.PROTECT, related_name="partenaires"
    )
    source = models.CharField(
        "source", max_length=100, default=LOCAL_SOURCE, help_text="Producteur de la donnée."
    )
    identifiant = models.CharField("identifiant chez la source", max_length=200)
    nom = models.CharField("nom", max_length=200)
    siret = models.CharField("SIRET", max_length=14, blank=True)
    kind = models.CharField("nature", max_length=30, choices=KIND_CHOICES)
    typologie = models.CharField("typologie data·inclusion", max_length=50, blank=True)
    adresse = models.CharField("adresse", max_length=300, blank=True)
    code_postal = models.CharField("code postal", max_length=5, blank=True)
    code_insee = models.CharField("code INSEE de la commune", max_length=5, blank=True)
    commune = models.CharField("commune", max_length=200, blank=True)
    themes = models.JSONField("thématiques", default=list, blank=True)
    thematiques_source = models.JSONField("thématiques data·inclusion", default=list, blank=True)
    publics = models.JSONField("publics accueillis", default=list, blank=True)
    description = models.TextField("présentation", blank=True)
    contact_fonction = models.CharField(
        "contact (fonction)",
        max_length=200,
        blank=True,
        help_text="Une fonction (« coordinatrice petite enfance »), pas le nom d'une personne.",
    )
    collectivite = models.ForeignKey(
        "organisations.LocalAuthority",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="services_internes",
        verbose_name="service interne de la collectivité",
        help_text="Pour un service de la collectivité signataire (transversalité en interne).",
    )
    date_maj = models.DateField("mise à jour chez la source")
    cree_le = models.DateTimeField("créé le", auto_now_add=True)
    modifie_le = models.DateTimeField("modifié le", auto_now=True)

    class Meta:
        verbose_name = "partenaire"
        verbose_name_plural = "partenaires"
        ordering = ["nom", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["caf", "source", "identifiant"], name="partner_source_id_unique"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=[k.value for k in PartnerKind]), name="partner_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(siret="") | Q(siret__regex=r"^[0-9]{14}$"),
                name="partner_siret_14_digits",
            ),
            models.CheckConstraint(condition=~Q(nom=""), name="partner_name_not_empty"),
            models.CheckConstraint(
                condition=Q(collectivite__isnull=True) | Q(kind="service_collectivite"),
                name="partner_internal_service_kind",
            ),
        ]

    def __str__(self) -> str:
        return self.nom

    @property
    def is_internal_service(self) -> bool:
        return self.collectivite_id is not None


class PartnerService(models.Model):
    """A service offered by a partner (« service » in data·inclusion)."""

    caf = models.ForeignKey("organisations.Caf", on_delete=models.PROTECT, related_name="+")
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="services")
    source = models.CharField("source", max_length=100, default=LOCAL_SOURCE)
    identifiant = models.CharField("identifiant chez la source", max_length=200)
    nom = models.CharField("nom", max_length=200)
    description = models.TextField("description", blank=True)
    themes = models.JSONField("thématiques", default=list, blank=True)
    thematiques_source = models.JSONField("thématiques data·inclusion", default=list, blank=True)
    publics = models.JSONField("publics", default=list, blank=True)
    code_insee = models.CharField("code INSEE de la commune", max_length=5, blank=True)
    commune = models.CharField("commune", max_length=200, blank=True)
    date_maj = models.DateField("mise à jour chez la source")

    class Meta:
        verbose_name = "service d'un partenaire"
        verbose_name_plural = "services des partenaires"
        ordering = ["nom", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["caf", "source", "identifiant"], name="partner_service_source_id_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.nom


class ActionPartner(models.Model):
    """A partner in a fiche action: pilot, contributor, or internal service."""

    action = models.ForeignKey(
        "actionplan.Action", on_delete=models.CASCADE, related_name="partenaires_lies"
    )
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="actions")
    role = models.CharField("rôle", max_length=20, choices=ROLE_CHOICES)

    class Meta:
        verbose_name = "partenaire d'une action"
        verbose_name_plural = "partenaires des actions"
        ordering = ["action_id", "role", "partner__nom"]
        constraints = [
            models.UniqueConstraint(fields=["action", "partner"], name="action_partner_unique"),
            models.CheckConstraint(
                condition=Q(role__in=[r.value for r in ActionRole]), name="action_partner_role"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner} — {self.get_role_display()}"


class MeetingPartner(models.Model):
    """A partner invited to an instance: present or excused."""

    meeting = models.ForeignKey(
        "governance.Meeting", on_delete=models.CASCADE, related_name="partenaires_lies"
    )
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="instances")
    presence = models.CharField("présence", max_length=10, choices=PRESENCE_CHOICES)

    class Meta:
        verbose_name = "partenaire d'une instance"
        verbose_name_plural = "partenaires des instances"
        ordering = ["meeting_id", "presence", "partner__nom"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "partner"], name="meeting_partner_unique"),
            models.CheckConstraint(
                condition=Q(presence__in=[p.value for p in Presence]),
                name="meeting_partner_presence",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner} — {self.get_presence_display()}"


class DiagnosticPartner(models.Model):
    """A partner consulted for a version of the diagnostic partagé."""

    diagnostic = models.ForeignKey(
        "diagnostic.Diagnostic", on_delete=models.CASCADE, related_name="partenaires_consultes"
    )
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="diagnostics")

    class Meta:
        verbose_name = "partenaire consulté pour le diagnostic"
        verbose_name_plural = "partenaires consultés pour le diagnostic"
        constraints = [
            models.UniqueConstraint(
                fields=["diagnostic", "partner"], name="diagnostic_partner_unique"
            ),
        ]

    def __str__(self) -> str:
        return str(self.partner)


class Network(models.Model):
    """A network the chargé·es de coopération of a Caf's territories take part in."""

    caf = models.ForeignKey("organisations.Caf", on_delete=models.PROTECT, related_name="reseaux")
    nom = models.CharField("nom", max_length=200)
    kind = models.CharField("nature", max_length=20, choices=NETWORK_KIND_CHOICES)
    theme = models.CharField("thématique", max_length=30, choices=THEME_CHOICES, blank=True)
    description = models.TextField("description", blank=True)
    partenaires = models.ManyToManyField(
        Partner, blank=True, related_name="reseaux", verbose_name="partenaires membres"
    )

    class Meta:
        verbose_name = "réseau"
        verbose_name_plural = "réseaux"
        ordering = ["nom", "id"]
        constraints = [
            models.UniqueConstraint(fields=["caf", "nom"], name="network_name_unique"),
            models.CheckConstraint(
                condition=Q(kind__in=[k.value for k in NetworkKind]), name="network_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.nom


class NetworkMembership(models.Model):
    """The chargé·e de coopération of a Ctg is a member of a network, from a date."""

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="adhesions")
    ctg = models.ForeignKey("ctg.Ctg", on_delete=models.PROTECT, related_name="adhesions_reseaux")
    date_debut = models.DateField("membre depuis le")
    date_fin = models.DateField("membre jusqu'au", null=True, blank=True)

    class Meta:
        verbose_name = "adhésion à un réseau"
        verbose_name_plural = "adhésions aux réseaux"
        ordering = ["ctg_id", "date_debut", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["network", "ctg", "date_debut"], name="network_membership_unique"
            ),
            models.CheckConstraint(
                condition=Q(date_fin__isnull=True) | Q(date_fin__gte=F("date_debut")),
                name="network_membership_dates",
                violation_error_message="La fin de l'adhésion doit suivre son début.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.network} — {self.ctg}"


class NetworkMeeting(models.Model):
    """The network a « réunion de réseau » instance of a Ctg belongs to."""

    meeting = models.OneToOneField(
        "governance.Meeting", on_delete=models.CASCADE, related_name="reseau_lie"
    )
    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="reunions")

    class Meta:
        verbose_name = "réunion d'un réseau"
        verbose_name_plural = "réunions des réseaux"

    def __str__(self) -> str:
        return str(self.network)

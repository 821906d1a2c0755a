"""The Caf, the collectivités it works with, its territorial team and who follows whom."""

from django.db import models
from django.db.models import Q

from coopctg.core.themes import THEME_CHOICES
from coopctg.territories.models import Commune, Departement, Epci


class Caf(models.Model):
    code = models.CharField("code", max_length=10, unique=True)
    nom = models.CharField("nom", max_length=200)
    departement = models.OneToOneField(
        Departement, on_delete=models.PROTECT, related_name="caf", verbose_name="département"
    )
    adresse = models.TextField("adresse", blank=True)
    site_web = models.URLField("site web", blank=True)
    referentiel = models.ForeignKey(
        "framework.FrameworkVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cafs",
        verbose_name="version du référentiel",
        help_text="Le référentiel des bilans de la Caf ; vide : la version la plus récente.",
    )

    class Meta:
        verbose_name = "Caf"
        verbose_name_plural = "Caf"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.nom


class LocalAuthority(models.Model):
    """A collectivité: an EPCI or a commune, partner of one Caf."""

    class Kind(models.TextChoices):
        EPCI = "epci", "EPCI"
        COMMUNE = "commune", "commune"

    caf = models.ForeignKey(Caf, on_delete=models.PROTECT, related_name="collectivites")
    nom = models.CharField("nom", max_length=200)
    libelle_usuel = models.CharField(
        "libellé usuel",
        max_length=200,
        blank=True,
        help_text="Le nom employé par la Caf (par ex. dans le référentiel), s'il diffère.",
    )
    kind = models.CharField("type", max_length=10, choices=Kind.choices)
    epci = models.OneToOneField(
        Epci, on_delete=models.PROTECT, null=True, blank=True, related_name="collectivite"
    )
    commune = models.OneToOneField(
        Commune, on_delete=models.PROTECT, null=True, blank=True, related_name="collectivite"
    )

    class Meta:
        verbose_name = "collectivité"
        ordering = ["nom"]
        indexes = [
            # Collectivités of a Caf in name order (lists filtered by Caf).
            models.Index(fields=["caf", "nom"], name="collectivite_caf_nom_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="epci", epci__isnull=False, commune__isnull=True)
                    | Q(kind="commune", commune__isnull=False, epci__isnull=True)
                ),
                name="local_authority_one_territory",
            ),
        ]

    def __str__(self) -> str:
        return self.nom

    @property
    def code(self) -> str:
        """SIREN of an EPCI, INSEE code of a commune."""
        if self.epci_id:
            return self.epci.siren  # type: ignore[union-attr]
        return self.commune.code_insee  # type: ignore[union-attr]


class StaffMember(models.Model):
    """A member of the Caf's territorial-development team.

    Personal data is limited to what the function needs: name, job title, professional phones.
    """

    class Role(models.TextChoices):
        RESPONSABLE = "responsable", "Responsable adjointe / chargée du développement territorial"
        CTT = "ctt", "Conseiller·ère technique territorial·e"
        DEVELOPPEMENT_SOCIAL = "developpement_social", "Chargé·e de développement social"
        THEMATIQUE = "thematique", "Conseiller·ère technique thématique"
        ETUDES = "etudes", "Chargé·e d'études"

    caf = models.ForeignKey(Caf, on_delete=models.PROTECT, related_name="equipe")
    prenom = models.CharField("prénom", max_length=100)
    nom = models.CharField("nom", max_length=100)
    intitule = models.CharField("intitulé du poste", max_length=200)
    telephones = models.JSONField("téléphones professionnels", default=list, blank=True)
    user = models.OneToOneField(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="fiche_equipe",
        verbose_name="compte",
    )

    class Meta:
        verbose_name = "membre de l'équipe de la Caf"
        verbose_name_plural = "équipe de la Caf"
        ordering = ["nom", "prenom"]
        constraints = [
            models.UniqueConstraint(fields=["caf", "nom", "prenom"], name="staff_member_unique")
        ]

    def __str__(self) -> str:
        return f"{self.prenom} {self.nom}"


class StaffRole(models.Model):
    """A role held by a team member (one person may hold two, as M. Boudmer does)."""

    member = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField("rôle", max_length=30, choices=StaffMember.Role.choices)
    themes = models.JSONField("thématiques", default=list, blank=True)
    telephones = models.JSONField(
        "lignes de la fonction",
        default=list,
        blank=True,
        help_text="Les lignes de la fonction plutôt que de la personne (la ligne parentalité "
        "que partagent deux conseillers, par exemple).",
    )

    class Meta:
        verbose_name = "rôle dans l'équipe"
        constraints = [models.UniqueConstraint(fields=["member", "role"], name="staff_role_unique")]

    def __str__(self) -> str:
        return f"{self.member} — {self.get_role_display()}"

    def theme_choices(self) -> list[tuple[str, str]]:
        return [c for c in THEME_CHOICES if c[0] in self.themes]


class FollowUp(models.Model):
    """A team member follows a collectivité (chargée de développement social, CTT…).

    Changed only through :func:`coopctg.organisations.services.set_follow_up` (history, and
    the advisor's access kept in step)."""

    member = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="suivis")
    collectivite = models.ForeignKey(
        LocalAuthority, on_delete=models.CASCADE, related_name="referents"
    )
    role = models.CharField("au titre de", max_length=30, choices=StaffMember.Role.choices)

    class Meta:
        verbose_name = "suivi d'une collectivité"
        constraints = [
            models.UniqueConstraint(
                fields=["member", "collectivite", "role"], name="follow_up_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member} suit {self.collectivite}"

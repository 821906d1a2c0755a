"""Users and their memberships: a role on an organisation (a Caf) or a collectivité."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q

from coopctg.accounts.roles import CAF_ROLES, COLLECTIVITE_ROLES, NATIONAL_ROLES, Role


class User(AbstractUser):
    class Meta:
        verbose_name = "utilisateur"

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Membership(models.Model):
    """One role of a user.

    Caf administrators and analysts hold it on a Caf; a Caf advisor holds one row per
    collectivité assigned to them; collectivité editors and elected officials hold it on their
    collectivité.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField("rôle", max_length=30, choices=[(r.value, r.label) for r in Role])
    caf = models.ForeignKey(
        "organisations.Caf",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
    )
    collectivite = models.ForeignKey(
        "organisations.LocalAuthority",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
    )
    administrateur = models.BooleanField(
        "administrateur·rice de la collectivité",
        default=False,
        help_text="Peut inviter des personnes et gérer les rôles de sa collectivité.",
    )

    class Meta:
        verbose_name = "rôle d'un utilisateur"
        verbose_name_plural = "rôles des utilisateurs"
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        role__in=sorted(r.value for r in CAF_ROLES if r != Role.CAF_ADVISOR),
                        caf__isnull=False,
                        collectivite__isnull=True,
                    )
                    | Q(role=Role.CAF_ADVISOR.value, caf__isnull=False)
                    | Q(
                        role__in=sorted(r.value for r in COLLECTIVITE_ROLES),
                        collectivite__isnull=False,
                        caf__isnull=True,
                    )
                    | Q(
                        role__in=sorted(r.value for r in NATIONAL_ROLES),
                        collectivite__isnull=True,
                        caf__isnull=True,
                    )
                ),
                name="membership_scope_matches_role",
            ),
            models.CheckConstraint(
                condition=Q(administrateur=False) | Q(role=Role.COLLECTIVITE_EDITOR.value),
                name="membership_admin_only_editor",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "caf"],
                condition=Q(collectivite__isnull=True),
                name="membership_unique_on_caf",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "collectivite"],
                condition=Q(collectivite__isnull=False),
                name="membership_unique_on_collectivite",
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=Q(caf__isnull=True, collectivite__isnull=True),
                name="membership_unique_national",
            ),
        ]

    def __str__(self) -> str:
        target = self.collectivite or self.caf or "toutes les Caf"
        return f"{self.user} — {Role(self.role).label} — {target}"


class LoginSession(models.Model):
    """One sign-in: when, how, and the session it opened (for « Mon compte »).

    Minimal data: no IP address, no browser. ``empreinte_session`` is the SHA-256 of the
    session key (never the key, a credential), emptied when the session ends (sign-out,
    « déconnecter cette session », deactivation); only the most recent sign-ins of each person
    are kept (:data:`coopctg.accounts.sessions.KEPT_PER_USER`).
    """

    class Method(models.TextChoices):
        PASSWORD = "mot_de_passe", "mot de passe"
        OIDC = "oidc", "OpenID Connect (ProConnect)"

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="connexions", verbose_name="compte"
    )
    empreinte_session = models.CharField(
        "empreinte SHA-256 de la clé de session", max_length=64, blank=True, db_index=True
    )
    methode = models.CharField("méthode", max_length=20, choices=Method.choices)
    debut = models.DateTimeField("connexion le", auto_now_add=True)
    fin = models.DateTimeField("fin le", null=True, blank=True)

    class Meta:
        verbose_name = "connexion"
        ordering = ["-debut", "-id"]

    def __str__(self) -> str:
        return f"{self.user} — {self.debut:%d/%m/%Y %H:%M}"


class Invitation(models.Model):
    """A person invited by e-mail to take a role on a scope (a Caf or a collectivité).

    The link sent holds a random secret; only its SHA-256 is stored (``empreinte``). The
    invitation is single-use (``acceptee_le``), expires (``expire_le``) and may be withdrawn
    (``annulee_le``). Accepting it creates the account (password) or links a federated
    identity (OpenID Connect) whose verified e-mail is the invited one, then grants the role.
    """

    courriel = models.EmailField("courriel")
    role = models.CharField("rôle", max_length=30, choices=[(r.value, r.label) for r in Role])
    caf = models.ForeignKey(
        "organisations.Caf",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="invitations",
    )
    collectivite = models.ForeignKey(
        "organisations.LocalAuthority",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="invitations",
    )
    administrateur = models.BooleanField(
        "administrateur·rice de la collectivité",
        default=False,
        help_text="Peut inviter des personnes et gérer les rôles de sa collectivité.",
    )
    empreinte = models.CharField("empreinte SHA-256 du lien", max_length=64, unique=True)
    cree_par = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="invitée par",
    )
    cree_le = models.DateTimeField("créée le", auto_now_add=True)
    expire_le = models.DateTimeField("expire le")
    acceptee_le = models.DateTimeField("acceptée le", null=True, blank=True)
    acceptee_par = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitations_acceptees",
        verbose_name="compte",
    )
    annulee_le = models.DateTimeField("annulée le", null=True, blank=True)

    class Meta:
        verbose_name = "invitation"
        ordering = ["-cree_le", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        role__in=sorted(r.value for r in CAF_ROLES if r != Role.CAF_ADVISOR),
                        caf__isnull=False,
                        collectivite__isnull=True,
                    )
                    | Q(role=Role.CAF_ADVISOR.value, caf__isnull=False)
                    | Q(
                        role__in=sorted(r.value for r in COLLECTIVITE_ROLES),
                        collectivite__isnull=False,
                        caf__isnull=True,
                    )
                ),
                name="invitation_scope_matches_role",
            ),
            models.CheckConstraint(
                condition=Q(administrateur=False) | Q(role=Role.COLLECTIVITE_EDITOR.value),
                name="invitation_admin_only_editor",
            ),
            models.CheckConstraint(
                condition=Q(acceptee_le__isnull=True) | Q(annulee_le__isnull=True),
                name="invitation_accepted_or_cancelled",
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation de {self.courriel} — {Role(self.role).label}"


class FederatedIdentity(models.Model):
    """An identity of an OpenID Connect provider (ProConnect, a Caf's own) linked to an account.

    Linked once, at the first sign-in of an invited person whose verified e-mail is the
    invited one; afterwards the pair (issuer, sub) identifies the account, whatever its
    e-mail becomes. The last ``acr`` and ``amr`` claims are kept (level of assurance).
    """

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="identites", verbose_name="compte"
    )
    fournisseur = models.CharField("fournisseur (issuer)", max_length=300)
    sujet = models.CharField("identifiant chez le fournisseur (sub)", max_length=255)
    courriel = models.EmailField("courriel vérifié à la liaison")
    liee_le = models.DateTimeField("liée le", auto_now_add=True)
    derniere_connexion_le = models.DateTimeField("dernière connexion", null=True, blank=True)
    dernier_acr = models.CharField("dernier niveau (acr)", max_length=200, blank=True)
    dernier_amr = models.JSONField("dernières méthodes (amr)", default=list, blank=True)

    class Meta:
        verbose_name = "identité fédérée"
        verbose_name_plural = "identités fédérées"
        constraints = [
            models.UniqueConstraint(
                fields=["fournisseur", "sujet"], name="federated_identity_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.fournisseur}"


class LoginDelay(models.Model):
    """Failed logins for one user name, from any address: after a few, each further attempt
    waits an increasing, capped delay (:mod:`coopctg.accounts.throttling`).

    One row per user name typed (existing or not: the answer must not tell), removed after a
    success or once the series is older than the cool-off time. Not in the backups.
    """

    identifiant = models.CharField("identifiant saisi", max_length=150, unique=True)
    echecs = models.PositiveIntegerField("échecs de la série", default=0)
    dernier_echec = models.DateTimeField("dernier échec", db_index=True)
    pas_avant = models.DateTimeField("prochain essai possible à partir de")

    class Meta:
        verbose_name = "délai de connexion d'un identifiant"
        verbose_name_plural = "délais de connexion des identifiants"

    def __str__(self) -> str:
        return f"{self.identifiant} : {self.echecs} échecs"

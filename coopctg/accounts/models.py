"""Users and their memberships: a role on an organisation (a Caf) or a collectivité."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q

from coopctg.accounts.roles import CAF_ROLES, COLLECTIVITE_ROLES, Role


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
                ),
                name="membership_scope_matches_role",
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
        ]

    def __str__(self) -> str:
        target = self.collectivite or self.caf
        return f"{self.user} — {Role(self.role).label} — {target}"

"""Personal API tokens: created and revoked by their owner, stored hashed.

The secret (``cctg_`` + 43 random characters) is shown once, when the token is created; only
its SHA-256 hash is stored, with a short prefix to tell the tokens apart on the page.
"""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

SECRET_PREFIX = "cctg_"
DISPLAY_LENGTH = len(SECRET_PREFIX) + 6


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name="utilisateur·rice",
    )
    nom = models.CharField("nom", max_length=100, help_text="Par exemple : « tableur de suivi ».")
    prefixe = models.CharField("début du jeton", max_length=DISPLAY_LENGTH)
    empreinte = models.CharField("empreinte SHA-256", max_length=64, unique=True)
    cree_le = models.DateTimeField("créé le", auto_now_add=True)
    utilise_le = models.DateTimeField("dernière utilisation", null=True, blank=True)
    revoque_le = models.DateTimeField("révoqué le", null=True, blank=True)

    class Meta:
        verbose_name = "jeton d'API"
        verbose_name_plural = "jetons d'API"
        ordering = ["-cree_le", "-id"]

    def __str__(self) -> str:
        return f"{self.nom} ({self.prefixe}…)"

    @property
    def is_active(self) -> bool:
        return self.revoque_le is None

    @classmethod
    def create_for(cls, user, nom: str) -> tuple["ApiToken", str]:
        """A new token and its secret (to show once: it is not stored)."""
        secret = SECRET_PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user, nom=nom, prefixe=secret[:DISPLAY_LENGTH], empreinte=hash_secret(secret)
        )
        return token, secret

    def revoke(self) -> None:
        if self.revoque_le is None:
            self.revoque_le = timezone.now()
            self.save(update_fields=["revoque_le"])

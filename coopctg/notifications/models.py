from django.conf import settings
from django.db import models


class Notification(models.Model):
    """A message for one user, shown in the app and sent by e-mail after commit."""

    destinataire = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    titre = models.CharField("titre", max_length=200)
    message = models.TextField("message", blank=True)
    lien = models.CharField("lien", max_length=300, blank=True)
    cree_le = models.DateTimeField("créée le", auto_now_add=True, db_index=True)
    lue_le = models.DateTimeField("lue le", null=True, blank=True)
    courriel_envoye_le = models.DateTimeField("courriel envoyé le", null=True, blank=True)

    class Meta:
        verbose_name = "notification"
        ordering = ["-cree_le", "-id"]

    def __str__(self) -> str:
        return f"{self.titre} → {self.destinataire}"

"""A document produced off the request by the task worker (README, « Documents préparés en
arrière-plan »), kept and served again until the data it shows change.

``key`` names the document's content: for the documents computed from live data (bilan,
évaluation, diagnostic, fiche diagnostic, annexe financière, fiche de poste), the SHA-256 of
its kind and of the HTML it is made from — that HTML is the rendering of exactly the data the
document shows (and of the template's version), so any change of those data, or of what the
reader may see of them, gives another key and another document; the same data give the same
key and the stored file is served again, never produced twice. For a signed Cof version, frozen
by nature, the key is the version's id and the file is the version's own ``document``.
"""

from django.db import models


class GeneratedDocument(models.Model):
    class Kind(models.TextChoices):
        BILAN = "bilan", "bilan annuel"
        EVALUATION = "evaluation", "évaluation de fin de Ctg"
        DIAGNOSTIC = "diagnostic", "diagnostic partagé"
        FICHE = "fiche", "fiche diagnostic d'une collectivité"
        ANNEXE = "annexe", "annexe financière"
        POSTE = "poste", "fiche de poste"
        COF = "cof", "Cof signée (version)"

    class Status(models.TextChoices):
        ATTENTE = "attente", "en attente"
        EN_COURS = "en_cours", "en préparation"
        PRET = "pret", "prêt"
        ECHEC = "echec", "échec"

    kind = models.CharField("type", max_length=20, choices=Kind.choices)
    key = models.CharField("clé du contenu", max_length=80, unique=True)
    #: The HTML to turn into a PDF, kept until the PDF is made (empty for a Cof version).
    source_html = models.TextField("source HTML", blank=True)
    #: The signed Cof version (kind « cof » only).
    version_id = models.PositiveBigIntegerField("version de Cof", null=True, blank=True)
    status = models.CharField("état", max_length=10, choices=Status.choices, default=Status.ATTENTE)
    progress = models.PositiveSmallIntegerField("avancement (%)", default=0)
    step = models.CharField("étape", max_length=120, blank=True)
    attempts = models.PositiveSmallIntegerField("essais", default=0)
    error = models.CharField("dernière erreur", max_length=300, blank=True)
    file = models.FileField("fichier", upload_to="documents/", blank=True, max_length=200)
    task_id = models.CharField("tâche", max_length=64, blank=True)
    created_at = models.DateTimeField("demandé le", auto_now_add=True)
    updated_at = models.DateTimeField("mis à jour le", auto_now=True)
    generated_at = models.DateTimeField("produit le", null=True, blank=True)

    class Meta:
        verbose_name = "document préparé"
        verbose_name_plural = "documents préparés"
        indexes = [models.Index(fields=["status", "updated_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.PRET

    @property
    def is_failed(self) -> bool:
        return self.status == self.Status.ECHEC

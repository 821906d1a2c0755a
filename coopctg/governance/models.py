"""The governance of a Ctg: its instances (Copil, Cotech, groupes de travail, réunions de
réseau) with their minutes and decisions, and the faits marquants kept for its evaluation.

Whether a Ctg holds enough Copil and Cotech is computed by the pure module
:mod:`coopctg.governance.rules` from dated parameters, never stored.
"""

import uuid

from django.db import models
from django.db.models import F, Q

from coopctg.core.themes import THEME_CHOICES
from coopctg.governance.files import extension_of
from coopctg.governance.rules import MEETING_LABELS, MeetingKind

MEETING_KIND_CHOICES = [(kind.value, MEETING_LABELS[kind]) for kind in MeetingKind]


def minutes_path(meeting: "Meeting", filename: str) -> str:
    """Stored under MEDIA_ROOT with a random name (the original name is kept apart): never
    guessable, never served by a public URL — only by the scoped download view."""
    return f"instances/ctg-{meeting.ctg_id}/{uuid.uuid4().hex}{extension_of(filename)}"


class Meeting(models.Model):
    """One instance of a Ctg (« instance » in French; ``Meeting`` in code)."""

    ctg = models.ForeignKey("ctg.Ctg", on_delete=models.PROTECT, related_name="instances")
    kind = models.CharField("type", max_length=20, choices=MEETING_KIND_CHOICES)
    date = models.DateField("date")
    heure = models.TimeField("heure de début", null=True, blank=True)
    heure_fin = models.TimeField("heure de fin", null=True, blank=True)
    lieu = models.CharField("lieu", max_length=200, blank=True)
    objet = models.CharField(
        "objet", max_length=200, blank=True, help_text="Par exemple : « Copil annuel, bilan 2024 »."
    )
    participants = models.JSONField("autres participants", default=list, blank=True)
    participants_caf = models.ManyToManyField(
        "organisations.StaffMember",
        blank=True,
        related_name="instances",
        verbose_name="participants de la Caf",
    )
    ordre_du_jour = models.TextField("ordre du jour", blank=True)
    compte_rendu = models.FileField(
        "compte rendu", upload_to=minutes_path, blank=True, max_length=255
    )
    compte_rendu_nom = models.CharField(
        "nom du fichier du compte rendu", max_length=200, blank=True
    )
    cree_le = models.DateTimeField("créée le", auto_now_add=True)
    modifie_le = models.DateTimeField("modifiée le", auto_now=True)

    class Meta:
        verbose_name = "instance"
        verbose_name_plural = "instances"
        ordering = ["date", "heure", "id"]
        indexes = [models.Index(fields=["ctg", "date"], name="meeting_ctg_date_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=[kind.value for kind in MeetingKind]),
                name="meeting_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(heure_fin__isnull=True)
                | Q(heure__isnull=False, heure_fin__gt=F("heure")),
                name="meeting_end_after_start",
                violation_error_message="L'heure de fin doit suivre l'heure de début.",
            ),
            models.CheckConstraint(
                condition=Q(compte_rendu="", compte_rendu_nom="")
                | (~Q(compte_rendu="") & ~Q(compte_rendu_nom="")),
                name="meeting_minutes_named",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.short_label} du {self.date:%d/%m/%Y} — {self.ctg}"

    @property
    def short_label(self) -> str:
        """« Copil », « Cotech », « Groupe de travail », « Réunion de réseau »."""
        return {
            MeetingKind.COPIL: "Copil",
            MeetingKind.COTECH: "Cotech",
        }.get(MeetingKind(self.kind), self.get_kind_display())


class Decision(models.Model):
    """A decision taken in an instance, one text line.

    ``action_ref`` is a free reference to a fiche action of the plan d'actions (« 2.3 »,
    « Relais petite enfance »), typed by the user; a foreign key to the plan's actions can be
    added next to it later without losing it.
    """

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="decisions")
    position = models.PositiveSmallIntegerField("rang")
    texte = models.CharField("décision", max_length=1000)
    action_ref = models.CharField("fiche action concernée", max_length=200, blank=True)

    class Meta:
        verbose_name = "décision"
        ordering = ["meeting", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "position"], name="decision_position_unique"
            ),
            models.CheckConstraint(condition=~Q(texte=""), name="decision_text_not_empty"),
        ]

    def __str__(self) -> str:
        return self.texte

    def as_line(self) -> str:
        """The decision as typed in the form: ``texte [action : ref]``."""
        return f"{self.texte} [action : {self.action_ref}]" if self.action_ref else self.texte


class Highlight(models.Model):
    """A fait marquant for the evaluation of the Ctg.

    Référentiel, « Les indicateurs de suivi et d'évaluation » : « des objectifs de
    développement de nouveaux services, de nouveaux partenariats et de nouvelles prises de
    compétences à l'échelon de l'intercommunalité fixées dans le cadre de la Ctg ».
    """

    class Kind(models.TextChoices):
        SERVICE = "service", "Nouveau service"
        PARTENARIAT = "partenariat", "Nouveau partenariat"
        COMPETENCE = "competence", "Nouvelle prise de compétence (intercommunalité)"

    ctg = models.ForeignKey("ctg.Ctg", on_delete=models.PROTECT, related_name="faits_marquants")
    kind = models.CharField("nature", max_length=20, choices=Kind.choices)
    date = models.DateField("date")
    theme = models.CharField("thématique", max_length=30, choices=THEME_CHOICES)
    intitule = models.CharField("intitulé", max_length=200)
    description = models.TextField("description")
    cree_le = models.DateTimeField("créé le", auto_now_add=True)
    modifie_le = models.DateTimeField("modifié le", auto_now=True)

    class Meta:
        verbose_name = "fait marquant"
        verbose_name_plural = "faits marquants"
        ordering = ["date", "id"]
        indexes = [models.Index(fields=["ctg", "date"], name="highlight_ctg_date_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["service", "partenariat", "competence"]),
                name="highlight_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(theme__in=[code for code, _ in THEME_CHOICES]),
                name="highlight_theme_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.intitule}"

"""Mission 4 of the référentiel for one Ctg: the consultations of the inhabitants (formats,
who took part — counts only —, what was said, what changed), their questionnaires answered
through a public link without an account, the information supports, the watch notes and
alerts, and the opt-in public page of the Ctg.

Nothing here names an inhabitant: participation is counted by public and commune, a
questionnaire's answers carry neither name, nor address, nor account (see the RGPD page).
The only trace of a visitor is :class:`ThrottleMark`, a keyed hash of the address kept one
hour to limit repeated answers.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

from coopctg.core.themes import THEME_CHOICES
from coopctg.participation.rules import (
    FORMAT_LABELS,
    PUBLIC_LABELS,
    QUESTION_KIND_LABELS,
    RECIPIENT_LABELS,
    SUPPORT_KIND_LABELS,
    WATCH_KIND_LABELS,
)

THEME_CODES = [code for code, _ in THEME_CHOICES]
FORMAT_CHOICES = [(f.value, label) for f, label in FORMAT_LABELS.items()]
PUBLIC_CHOICES = [(p.value, label) for p, label in PUBLIC_LABELS.items()]
QUESTION_KIND_CHOICES = [(k.value, label) for k, label in QUESTION_KIND_LABELS.items()]
SUPPORT_KIND_CHOICES = [(k.value, label) for k, label in SUPPORT_KIND_LABELS.items()]
WATCH_KIND_CHOICES = [(k.value, label) for k, label in WATCH_KIND_LABELS.items()]
RECIPIENT_CHOICES = [(r.value, label) for r, label in RECIPIENT_LABELS.items()]


def new_token() -> str:
    """The secret part of a questionnaire's public link (128 bits)."""
    return secrets.token_urlsafe(16)


class Consultation(models.Model):
    """A consultation of the inhabitants (« concertation et participation des habitants »)."""

    ctg = models.ForeignKey("ctg.Ctg", on_delete=models.PROTECT, related_name="consultations")
    intitule = models.CharField("intitulé", max_length=200)
    objectif = models.TextField("objectif", help_text="Ce que la consultation cherche à savoir.")
    theme = models.CharField("thématique", max_length=30, choices=THEME_CHOICES)
    public_vise = models.CharField(
        "public visé",
        max_length=300,
        help_text="Par exemple : « les familles avec de jeunes enfants des communes rurales ».",
    )
    communes = models.ManyToManyField(
        "territories.Commune",
        blank=True,
        related_name="+",
        verbose_name="communes",
        help_text="Aucune : tout le territoire.",
    )
    date_debut = models.DateField("début")
    date_fin = models.DateField("fin", null=True, blank=True)
    formats = models.JSONField("formats", default=list)
    partenaires = models.TextField(
        "partenaires associés",
        blank=True,
        help_text="Les partenaires, réseaux et associations qui ont relayé ou animé.",
    )
    partenaires_annuaire = models.ManyToManyField(
        "partners.Partner",
        blank=True,
        related_name="consultations",
        verbose_name="partenaires de l'annuaire de la Caf",
        help_text="Ceux de l'annuaire ; les autres s'écrivent dans « partenaires associés ».",
    )
    synthese = models.TextField(
        "ce qui a été dit",
        blank=True,
        help_text="La synthèse des paroles et avis recueillis, sans nom.",
    )
    suites = models.TextField(
        "ce qui a changé",
        blank=True,
        help_text="Les décisions prises et les suites données à la consultation.",
    )
    actions = models.ManyToManyField(
        "actionplan.Action",
        blank=True,
        related_name="consultations",
        verbose_name="actions du plan issues ou modifiées",
    )
    cree_le = models.DateTimeField("créée le", auto_now_add=True)
    modifie_le = models.DateTimeField("modifiée le", auto_now=True)

    class Meta:
        verbose_name = "consultation des habitants"
        verbose_name_plural = "consultations des habitants"
        ordering = ["ctg_id", "-date_debut", "-id"]
        indexes = [models.Index(fields=["ctg", "date_debut"], name="consultation_ctg_date_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(theme__in=THEME_CODES), name="consultation_theme_valid"
            ),
            models.CheckConstraint(condition=~Q(intitule=""), name="consultation_title_set"),
            models.CheckConstraint(
                condition=Q(date_fin__isnull=True) | Q(date_fin__gte=models.F("date_debut")),
                name="consultation_dates_ordered",
                violation_error_message="La fin précède le début.",
            ),
        ]

    def __str__(self) -> str:
        return self.intitule

    @property
    def format_labels(self) -> list[str]:
        labels = dict(FORMAT_CHOICES)
        return [labels.get(code, code) for code in self.formats]


class Participation(models.Model):
    """How many took part in a consultation, for one public and one commune: a count, never
    a person."""

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="participations"
    )
    public = models.CharField("public", max_length=20, choices=PUBLIC_CHOICES)
    commune = models.ForeignKey(
        "territories.Commune",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="commune",
        help_text="Vide : tout le territoire, ou commune inconnue.",
    )
    nombre = models.PositiveIntegerField("nombre de participants")

    class Meta:
        verbose_name = "participation"
        ordering = ["consultation_id", "public", "commune_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(public__in=[c for c, _ in PUBLIC_CHOICES]),
                name="participation_public_valid",
            ),
            models.UniqueConstraint(
                fields=["consultation", "public", "commune"],
                condition=Q(commune__isnull=False),
                name="participation_unique_commune",
            ),
            models.UniqueConstraint(
                fields=["consultation", "public"],
                condition=Q(commune__isnull=True),
                name="participation_unique_territory",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_public_display()} : {self.nombre}"


class Questionnaire(models.Model):
    """A questionnaire of a consultation, answered through its public link (no account).

    A draft is built question by question; published, it is answered and its questions no
    longer change; closed (by hand, or on its closing date), it takes no more answers."""

    class Status(models.TextChoices):
        DRAFT = "brouillon", "brouillon"
        PUBLISHED = "publie", "publié"
        CLOSED = "clos", "clos"

    consultation = models.ForeignKey(
        Consultation, on_delete=models.PROTECT, related_name="questionnaires"
    )
    titre = models.CharField("titre", max_length=200)
    introduction = models.TextField(
        "introduction",
        blank=True,
        help_text="Ce qu'on dit aux personnes avant les questions : pourquoi, pour qui, combien "
        "de temps.",
    )
    jeton = models.CharField(
        "lien public", max_length=40, unique=True, default=new_token, editable=False
    )
    statut = models.CharField("statut", max_length=10, choices=Status.choices, default=Status.DRAFT)
    date_cloture = models.DateField(
        "date de clôture",
        null=True,
        blank=True,
        help_text="Facultative : le questionnaire n'accepte plus de réponse après ce jour.",
    )
    publie_le = models.DateTimeField("publié le", null=True, blank=True)
    clos_le = models.DateTimeField("clos le", null=True, blank=True)
    cree_le = models.DateTimeField("créé le", auto_now_add=True)

    class Meta:
        verbose_name = "questionnaire"
        ordering = ["consultation_id", "-cree_le", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(statut__in=["brouillon", "publie", "clos"]),
                name="questionnaire_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.titre


class Question(models.Model):
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="questions"
    )
    position = models.PositiveSmallIntegerField("rang", default=0)
    libelle = models.CharField("question", max_length=300)
    type = models.CharField("type de réponse", max_length=20, choices=QUESTION_KIND_CHOICES)
    choix = models.JSONField("réponses proposées", default=list, blank=True)
    echelle_min = models.SmallIntegerField("échelle : de", default=1)
    echelle_max = models.SmallIntegerField("échelle : à", default=5)
    obligatoire = models.BooleanField("réponse obligatoire", default=False)

    class Meta:
        verbose_name = "question"
        ordering = ["questionnaire_id", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(type__in=[c for c, _ in QUESTION_KIND_CHOICES]),
                name="question_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(echelle_min__lt=models.F("echelle_max")),
                name="question_scale_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.libelle


class Submission(models.Model):
    """One person's answers to a questionnaire: {question id: answer}; no name, no address,
    no account, only the day it arrived."""

    class Source(models.TextChoices):
        FORM = "formulaire", "formulaire public"
        IMPORT = "import", "import d'un autre outil"

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="reponses"
    )
    recue_le = models.DateField("reçue le")
    source = models.CharField("source", max_length=12, choices=Source.choices)
    reponses = models.JSONField("réponses", default=dict)

    class Meta:
        verbose_name = "réponse à un questionnaire"
        verbose_name_plural = "réponses à un questionnaire"
        ordering = ["questionnaire_id", "id"]

    def __str__(self) -> str:
        return f"Réponse du {self.recue_le:%d/%m/%Y}"


class ThrottleMark(models.Model):
    """An answer sent from an address, kept one hour to count: a keyed hash of the address
    and the questionnaire (HMAC with the secret key), never the address."""

    empreinte = models.CharField(max_length=64, db_index=True)
    cree_le = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "envoi récent"

    def __str__(self) -> str:
        return "envoi récent"


class Support(models.Model):
    """An information support (« supports d'information »)."""

    ctg = models.ForeignKey("ctg.Ctg", on_delete=models.PROTECT, related_name="supports")
    type = models.CharField("type", max_length=20, choices=SUPPORT_KIND_CHOICES)
    titre = models.CharField("titre", max_length=200)
    date = models.DateField("date", help_text="Parution, mise en ligne, ou jour de l'événement.")
    theme = models.CharField("thématique", max_length=30, choices=THEME_CHOICES)
    public_vise = models.CharField("public visé", max_length=300)
    langues = models.CharField(
        "langues",
        max_length=200,
        blank=True,
        help_text="Les langues autres que le français (une version en anglais, en arabe…).",
    )
    falc = models.BooleanField("version « facile à lire et à comprendre » (FALC)", default=False)
    portee = models.PositiveIntegerField(
        "portée",
        null=True,
        blank=True,
        help_text="Quand elle est connue : exemplaires diffusés, visites, participants.",
    )
    lien = models.URLField("lien", blank=True, max_length=500)
    lieu = models.CharField("lieu", max_length=200, blank=True, help_text="Pour un événement.")
    annonce_publique = models.BooleanField(
        "annoncer sur la page publique de la Ctg",
        default=False,
        help_text="Pour un événement ouvert au public et à venir : titre, date, lieu et "
        "thématique seulement.",
    )
    cree_le = models.DateTimeField("créé le", auto_now_add=True)
    modifie_le = models.DateTimeField("modifié le", auto_now=True)

    class Meta:
        verbose_name = "support d'information"
        verbose_name_plural = "supports d'information"
        ordering = ["ctg_id", "-date", "-id"]
        indexes = [models.Index(fields=["ctg", "date"], name="support_ctg_date_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(theme__in=THEME_CODES), name="support_theme_valid"),
            models.CheckConstraint(
                condition=Q(type__in=[c for c, _ in SUPPORT_KIND_CHOICES]),
                name="support_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(annonce_publique=False) | Q(type="evenement"),
                name="support_public_events_only",
                violation_error_message="Seul un événement s'annonce sur la page publique.",
            ),
        ]

    def __str__(self) -> str:
        return self.titre


class WatchNote(models.Model):
    """A watch note or an alert (« adopter une démarche de veille »): to whom, about what,
    what followed."""

    ctg = models.ForeignKey("ctg.Ctg", on_delete=models.PROTECT, related_name="veilles")
    type = models.CharField("type", max_length=10, choices=WATCH_KIND_CHOICES)
    date = models.DateField("date")
    objet = models.CharField("objet", max_length=200)
    theme = models.CharField("thématique", max_length=30, choices=THEME_CHOICES, blank=True)
    destinataires = models.JSONField("destinataires", default=list)
    contenu = models.TextField("contenu", help_text="Ce qui a été observé ou signalé.")
    suite = models.TextField("suite donnée", blank=True)
    suite_le = models.DateField("suite donnée le", null=True, blank=True)
    cree_le = models.DateTimeField("créée le", auto_now_add=True)
    modifie_le = models.DateTimeField("modifiée le", auto_now=True)

    class Meta:
        verbose_name = "note de veille ou alerte"
        verbose_name_plural = "notes de veille et alertes"
        ordering = ["ctg_id", "-date", "-id"]
        indexes = [models.Index(fields=["ctg", "date"], name="watch_ctg_date_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(type__in=[c for c, _ in WATCH_KIND_CHOICES]),
                name="watch_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(theme="") | Q(theme__in=THEME_CODES), name="watch_theme_valid"
            ),
            models.CheckConstraint(
                condition=Q(suite_le__isnull=True) | ~Q(suite=""),
                name="watch_follow_up_described",
                violation_error_message="Dites quelle suite a été donnée.",
            ),
        ]

    def __str__(self) -> str:
        return self.objet

    @property
    def followed(self) -> bool:
        return bool(self.suite)

    @property
    def recipient_labels(self) -> list[str]:
        labels = dict(RECIPIENT_CHOICES)
        return [labels.get(code, code) for code in self.destinataires]


class PublicPage(models.Model):
    """The public page of a Ctg, opened by the collectivité (opt-in)."""

    ctg = models.OneToOneField("ctg.Ctg", on_delete=models.CASCADE, related_name="page_publique")
    active = models.BooleanField("page publique ouverte", default=False)
    modifie_le = models.DateTimeField("modifiée le", auto_now=True)
    modifie_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="modifiée par",
    )

    class Meta:
        verbose_name = "page publique d'une Ctg"
        verbose_name_plural = "pages publiques des Ctg"

    def __str__(self) -> str:
        return f"Page publique — {self.ctg}"

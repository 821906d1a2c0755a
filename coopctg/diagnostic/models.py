"""Mission 2 of the référentiel for one Ctg: the diagnostic partagé (versioned, its enjeux
linked to the plan d'actions and the référentiel), the anonymous register of the besoins
exprimés par les familles, the commissions d'admission (aggregated counts only) with the
follow-up of their alerts, and the objectifs de développement of each signatory.

Nothing here names a child, a family or an inhabitant: the register and the commissions hold
anonymous, aggregated data (see the RGPD page). Shares, alerts and statuses are computed by
the pure module :mod:`coopctg.diagnostic.rules`, never stored.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from coopctg.core.themes import THEME_CHOICES
from coopctg.diagnostic.rules import (
    AGE_GROUP_LABELS,
    CRITERION_LABELS,
    FOLLOW_UP_LABELS,
    NEED_KIND_LABELS,
    SOURCE_LABELS,
    Criterion,
)

THEME_CODES = [code for code, _ in THEME_CHOICES]
AGE_GROUP_CHOICES = [(group.value, label) for group, label in AGE_GROUP_LABELS.items()]
NEED_KIND_CHOICES = [(kind.value, label) for kind, label in NEED_KIND_LABELS.items()]
SOURCE_CHOICES = [(source.value, label) for source, label in SOURCE_LABELS.items()]
CRITERION_CHOICES = [(c.value, label) for c, label in CRITERION_LABELS.items()]
FOLLOW_UP_CHOICES = [(step.value, label) for step, label in FOLLOW_UP_LABELS.items()]
#: The kinds of faits marquants a target counts (governance's Highlight.Kind).
TARGET_KIND_CHOICES = [
    ("service", "Nouveaux services"),
    ("partenariat", "Nouveaux partenariats"),
    ("competence", "Nouvelles prises de compétences (intercommunalité)"),
]


# --- Diagnostic partagé --------------------------------------------------------------------------


class Diagnostic(models.Model):
    """One version of the diagnostic partagé of a Ctg.

    A version is a draft until it is validated in a Copil of the Ctg (``copil``, with its
    date in ``valide_le``); a validated version never changes again: the next one starts as a
    copy (:func:`coopctg.diagnostic.services.new_version`). At most one draft per Ctg.
    """

    ctg = models.ForeignKey("ctg.Ctg", on_delete=models.PROTECT, related_name="diagnostics")
    version = models.PositiveSmallIntegerField("version")
    date = models.DateField(
        "date du diagnostic", help_text="La date à laquelle le diagnostic est arrêté."
    )
    titre = models.CharField("titre", max_length=200, default="Diagnostic partagé du territoire")
    contexte = models.TextField(
        "contexte",
        blank=True,
        help_text="Le territoire, ses dynamiques, ce qui a motivé la démarche.",
    )
    partenaires = models.TextField(
        "partenaires consultés",
        blank=True,
        help_text="Les institutions, associations et services associés (un par ligne).",
    )
    habitants = models.TextField(
        "habitants consultés",
        blank=True,
        help_text=(
            "Comment les habitants ont été associés (questionnaire, ateliers, permanences), "
            "combien de réponses : jamais de nom."
        ),
    )
    methode = models.TextField(
        "méthode",
        blank=True,
        help_text="Comment les données ont été compilées et la démarche animée.",
    )
    instances = models.ManyToManyField(
        "governance.Meeting",
        blank=True,
        related_name="diagnostics",
        verbose_name="instances et ateliers tenus",
    )
    copil = models.ForeignKey(
        "governance.Meeting",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="diagnostics_valides",
        verbose_name="validé en Copil",
    )
    valide_le = models.DateField("validé le", null=True, blank=True)
    valide_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="validation enregistrée par",
    )
    cree_le = models.DateTimeField("créé le", auto_now_add=True)
    modifie_le = models.DateTimeField("modifié le", auto_now=True)

    class Meta:
        verbose_name = "version du diagnostic partagé"
        verbose_name_plural = "versions du diagnostic partagé"
        ordering = ["ctg_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["ctg", "version"], name="diagnostic_version_unique"),
            models.UniqueConstraint(
                fields=["ctg"],
                condition=Q(copil__isnull=True),
                name="diagnostic_one_draft_per_ctg",
                violation_error_message="La Ctg a déjà une version du diagnostic en cours.",
            ),
            models.CheckConstraint(
                condition=Q(copil__isnull=True, valide_le__isnull=True)
                | Q(copil__isnull=False, valide_le__isnull=False),
                name="diagnostic_validated_dated",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="diagnostic_version_min"),
        ]

    def __str__(self) -> str:
        return f"Diagnostic partagé, version {self.version} — {self.ctg}"

    @property
    def validated(self) -> bool:
        return self.copil_id is not None

    @property
    def status_label(self) -> str:
        return "validée en Copil" if self.validated else "en cours d'élaboration"


class Enjeu(models.Model):
    """An enjeu of the territory in one version of the diagnostic, grounded on indicators
    (codes of the indicator catalogue, :mod:`coopctg.indicators.catalogue`) and answered by
    actions of the plan and objectives of the référentiel."""

    diagnostic = models.ForeignKey(Diagnostic, on_delete=models.CASCADE, related_name="enjeux")
    position = models.PositiveSmallIntegerField("rang", default=0)
    theme = models.CharField("thématique", max_length=30, choices=THEME_CHOICES)
    intitule = models.CharField("enjeu", max_length=300)
    constat = models.TextField(
        "constat",
        blank=True,
        help_text="Ce que montrent les données et ce qu'ont dit les partenaires et habitants.",
    )
    indicateurs = models.JSONField("indicateurs", default=list, blank=True)
    actions = models.ManyToManyField(
        "actionplan.Action",
        blank=True,
        related_name="enjeux",
        verbose_name="actions du plan qui y répondent",
    )
    objectifs = models.ManyToManyField(
        "framework.Objective",
        blank=True,
        related_name="enjeux",
        verbose_name="objectifs du référentiel",
    )

    class Meta:
        verbose_name = "enjeu"
        verbose_name_plural = "enjeux du diagnostic"
        ordering = ["diagnostic_id", "position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(theme__in=THEME_CODES), name="enjeu_theme_valid"),
            models.CheckConstraint(condition=~Q(intitule=""), name="enjeu_label_not_empty"),
        ]

    def __str__(self) -> str:
        return self.intitule


# --- Besoins exprimés par les familles -----------------------------------------------------------


class Need(models.Model):
    """One demand heard by a service or a partner, qualified as a need — anonymous: no name,
    no contact, no personal situation (« besoin » in the pages)."""

    ctg = models.ForeignKey("ctg.Ctg", on_delete=models.PROTECT, related_name="besoins")
    date = models.DateField("date")
    commune = models.ForeignKey(
        "territories.Commune",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="commune",
        help_text="Vide : la demande vaut pour tout le territoire.",
    )
    theme = models.CharField("thématique", max_length=30, choices=THEME_CHOICES)
    tranche_age = models.CharField("âge concerné", max_length=10, choices=AGE_GROUP_CHOICES)
    nature = models.CharField("nature du besoin", max_length=20, choices=NEED_KIND_CHOICES)
    source = models.CharField("entendu par", max_length=20, choices=SOURCE_CHOICES)
    description = models.CharField(
        "demande",
        max_length=500,
        help_text="La demande en une ou deux phrases, sans nom ni donnée personnelle.",
    )
    repondu = models.BooleanField("une réponse a été apportée", default=False)
    reponse = models.CharField(
        "réponse apportée",
        max_length=500,
        blank=True,
        help_text="Obligatoire quand une réponse a été apportée : laquelle.",
    )
    cree_le = models.DateTimeField("créé le", auto_now_add=True)
    modifie_le = models.DateTimeField("modifié le", auto_now=True)

    class Meta:
        verbose_name = "besoin exprimé"
        verbose_name_plural = "besoins exprimés"
        ordering = ["ctg_id", "-date", "-id"]
        indexes = [models.Index(fields=["ctg", "date"], name="need_ctg_date_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(theme__in=THEME_CODES), name="need_theme_valid"),
            models.CheckConstraint(
                condition=Q(tranche_age__in=[c for c, _ in AGE_GROUP_CHOICES]),
                name="need_age_group_valid",
            ),
            models.CheckConstraint(
                condition=Q(nature__in=[c for c, _ in NEED_KIND_CHOICES]), name="need_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(source__in=[c for c, _ in SOURCE_CHOICES]), name="need_source_valid"
            ),
            models.CheckConstraint(condition=~Q(description=""), name="need_description_not_empty"),
            models.CheckConstraint(
                condition=Q(repondu=False) | ~Q(reponse=""),
                name="need_answer_described",
                violation_error_message="Dites quelle réponse a été apportée.",
            ),
        ]

    def __str__(self) -> str:
        return f"Besoin du {self.date:%d/%m/%Y} — {self.get_nature_display()}"


# --- Commissions d'admission ---------------------------------------------------------------------


class Commission(models.Model):
    """One session of a commission d'admission, for one or more services or one commune:
    places, applications, admissions, and how many admitted families fall under each
    criterion of mixity and accessibility — counts only, never a child or a family."""

    ctg = models.ForeignKey("ctg.Ctg", on_delete=models.PROTECT, related_name="commissions")
    date = models.DateField("date de la commission")
    intitule = models.CharField(
        "intitulé",
        max_length=200,
        help_text="Par exemple : « Commission d'admission petite enfance, rentrée 2025 ».",
    )
    theme = models.CharField(
        "thématique", max_length=30, choices=THEME_CHOICES, default="petite_enfance"
    )
    services = models.CharField(
        "services concernés",
        max_length=500,
        help_text=(
            "Les services dont les places sont attribuées (multi-accueil, accueil de loisirs…)."
        ),
    )
    commune = models.ForeignKey(
        "territories.Commune",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="commune",
        help_text="Pour une commission communale ; vide pour une commission intercommunale.",
    )
    places = models.PositiveIntegerField("places offertes")
    demandes = models.PositiveIntegerField("demandes examinées")
    admissions = models.PositiveIntegerField("admissions prononcées")
    qf_bas = models.PositiveIntegerField(CRITERION_LABELS[Criterion.QF_BAS], default=0)
    monoparentales = models.PositiveIntegerField(
        CRITERION_LABELS[Criterion.MONOPARENTALES], default=0
    )
    handicap = models.PositiveIntegerField(CRITERION_LABELS[Criterion.HANDICAP], default=0)
    qpv = models.PositiveIntegerField(CRITERION_LABELS[Criterion.QPV], default=0)
    insertion = models.PositiveIntegerField(CRITERION_LABELS[Criterion.INSERTION], default=0)
    cree_le = models.DateTimeField("créée le", auto_now_add=True)
    modifie_le = models.DateTimeField("modifiée le", auto_now=True)

    class Meta:
        verbose_name = "commission d'admission"
        verbose_name_plural = "commissions d'admission"
        ordering = ["ctg_id", "-date", "-id"]
        indexes = [models.Index(fields=["ctg", "date"], name="commission_ctg_date_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(theme__in=THEME_CODES), name="commission_theme_valid"
            ),
            models.CheckConstraint(
                condition=Q(admissions__lte=F("demandes")),
                name="commission_admissions_le_demandes",
                violation_error_message="Plus d'admissions que de demandes examinées.",
            ),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{c.value}__lte": F("admissions")}),
                    name=f"commission_{c.value}_le_admissions",
                    violation_error_message="Un effectif dépasse le nombre d'admissions.",
                )
                for c in Criterion
            ),
        ]

    def __str__(self) -> str:
        return f"{self.intitule} du {self.date:%d/%m/%Y}"

    def criterion_counts(self) -> dict[Criterion, int]:
        return {c: getattr(self, c.value) for c in Criterion}


class CommissionFollowUp(models.Model):
    """The follow-up of the alert raised on one criterion of a commission: who acts, what is
    done (« alerter, contrôler, assurer la transversalité, corriger ou faire corriger »),
    when, with what outcome. Recording it closes the alert."""

    commission = models.ForeignKey(Commission, on_delete=models.CASCADE, related_name="suivis")
    critere = models.CharField("critère", max_length=20, choices=CRITERION_CHOICES)
    etape = models.CharField("démarche", max_length=20, choices=FOLLOW_UP_CHOICES)
    qui = models.CharField(
        "qui agit",
        max_length=200,
        help_text="Une fonction ou une structure (« la chargée de coopération, avec la "
        "directrice du multi-accueil »).",
    )
    quoi = models.TextField("ce qui est fait")
    quand = models.DateField("quand")
    resultat = models.TextField("résultat")
    cree_le = models.DateTimeField("enregistré le", auto_now_add=True)
    modifie_le = models.DateTimeField("modifié le", auto_now=True)

    class Meta:
        verbose_name = "suivi d'une alerte de commission"
        verbose_name_plural = "suivis des alertes de commission"
        ordering = ["commission_id", "critere"]
        constraints = [
            models.UniqueConstraint(
                fields=["commission", "critere"], name="commission_follow_up_unique"
            ),
            models.CheckConstraint(
                condition=Q(critere__in=[c for c, _ in CRITERION_CHOICES]),
                name="follow_up_criterion_valid",
            ),
            models.CheckConstraint(
                condition=Q(etape__in=[c for c, _ in FOLLOW_UP_CHOICES]),
                name="follow_up_step_valid",
            ),
            models.CheckConstraint(condition=~Q(resultat=""), name="follow_up_outcome_given"),
        ]

    def __str__(self) -> str:
        return f"Suivi « {self.get_critere_display()} » — {self.commission}"


# --- Objectifs de développement -----------------------------------------------------------------


class DevelopmentTarget(models.Model):
    """One objectif de développement of a signatory of the Ctg: how many new services, new
    partnerships or new competences it aims at, from ``date_effet``.

    The rows are the history: the targets set with the Ctg have no Copil; each change is a
    new row dated by the Copil that decided it. The target in force on a day is the latest
    row dated on or before it.
    """

    ctg = models.ForeignKey(
        "ctg.Ctg", on_delete=models.PROTECT, related_name="objectifs_developpement"
    )
    collectivite = models.ForeignKey(
        "organisations.LocalAuthority",
        on_delete=models.PROTECT,
        related_name="objectifs_developpement",
        verbose_name="collectivité signataire",
    )
    kind = models.CharField("nature", max_length=20, choices=TARGET_KIND_CHOICES)
    cible = models.PositiveSmallIntegerField("objectif (nombre)")
    precisions = models.TextField(
        "précisions", blank=True, help_text="Ce qui est visé, par exemple « un LAEP, un RPE »."
    )
    date_effet = models.DateField("à partir du")
    copil = models.ForeignKey(
        "governance.Meeting",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="objectifs_decides",
        verbose_name="décidé en Copil",
    )
    decision = models.CharField("décision du Copil", max_length=1000, blank=True)
    cree_le = models.DateTimeField("enregistré le", auto_now_add=True)

    class Meta:
        verbose_name = "objectif de développement"
        verbose_name_plural = "objectifs de développement"
        ordering = ["ctg_id", "collectivite_id", "kind", "date_effet", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ctg", "collectivite", "kind", "date_effet"],
                name="development_target_one_per_day",
                violation_error_message="Un objectif de cette nature est déjà fixé à cette date.",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=[c for c, _ in TARGET_KIND_CHOICES]),
                name="development_target_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} : {self.cible} — {self.collectivite}"


class HighlightAttribution(models.Model):
    """For a Ctg signed by several collectivités: the signatory a fait marquant counts for in
    the evaluation of its objectifs de développement. A fait marquant without attribution
    counts for every signatory (it is the Ctg's)."""

    highlight = models.ForeignKey(
        "governance.Highlight", on_delete=models.CASCADE, related_name="attributions"
    )
    collectivite = models.ForeignKey(
        "organisations.LocalAuthority", on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = "attribution d'un fait marquant"
        verbose_name_plural = "attributions des faits marquants"
        constraints = [
            models.UniqueConstraint(
                fields=["highlight", "collectivite"], name="highlight_attribution_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.highlight} — {self.collectivite}"

"""Forms of mission 4 (French messages, next to the fields). The public questionnaire's form
is built from its questions by :class:`AnswerForm`, checked by the pure rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile

from coopctg.actionplan.models import Action
from coopctg.core.forms import CleanTextMixin
from coopctg.ctg.models import Ctg
from coopctg.diagnostic.forms import ActionChoiceField, CommuneChoiceField
from coopctg.diagnostic.services import ctg_communes
from coopctg.governance.forms import DATE_FORMATS, date_input
from coopctg.participation.models import (
    FORMAT_CHOICES,
    PUBLIC_CHOICES,
    RECIPIENT_CHOICES,
    Consultation,
    Question,
    Questionnaire,
    Support,
    WatchNote,
)
from coopctg.participation.rules import QuestionKind
from coopctg.partners.services import directory
from coopctg.territories.models import Commune

MAX_CSV_BYTES = 2 * 1024 * 1024
MAX_CHOICES = 30
MAX_CHOICE_LENGTH = 200


class CommunesField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.nom} ({obj.code_insee})"


class ConsultationForm(CleanTextMixin, forms.ModelForm):
    formats = forms.MultipleChoiceField(
        label="Formats",
        choices=FORMAT_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Cochez au moins un format."},
    )
    communes = CommunesField(
        label="Communes concernées",
        queryset=Commune.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Aucune cochée : tout le territoire.",
    )
    actions = ActionChoiceField(
        label="Actions du plan issues de la consultation ou modifiées par elle",
        queryset=Action.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Consultation
        fields = [
            "intitule",
            "objectif",
            "theme",
            "public_vise",
            "date_debut",
            "date_fin",
            "partenaires_annuaire",
            "partenaires",
            "synthese",
            "suites",
        ]
        widgets = {
            "date_debut": date_input(),
            "date_fin": date_input(),
            "objectif": forms.Textarea(attrs={"rows": 3}),
            "partenaires": forms.Textarea(attrs={"rows": 3}),
            "partenaires_annuaire": forms.CheckboxSelectMultiple,
            "synthese": forms.Textarea(attrs={"rows": 6}),
            "suites": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args: Any, ctg: Ctg, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ctg = ctg
        for name in ("date_debut", "date_fin"):
            self.fields[name].input_formats = DATE_FORMATS
        self.fields["communes"].queryset = ctg_communes(ctg)
        self.fields["actions"].queryset = Action.objects.filter(ctg=ctg).order_by(
            "position", "code", "id"
        )
        self.fields["partenaires_annuaire"].queryset = directory(ctg.caf_id)
        self.fields["partenaires"].label = "autres partenaires associés"
        if self.instance.pk:
            self.initial.setdefault("formats", list(self.instance.formats))
            self.initial.setdefault("communes", list(self.instance.communes.all()))
            self.initial.setdefault("actions", list(self.instance.actions.all()))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_debut"), data.get("date_fin")
        if start and end and end < start:
            self.add_error("date_fin", "La fin précède le début.")
        return data

    def save(self, commit: bool = True) -> Consultation:
        consultation: Consultation = super().save(commit=False)
        consultation.formats = list(self.cleaned_data["formats"])
        return consultation


class ParticipationForm(forms.Form):
    public = forms.ChoiceField(label="Public", choices=PUBLIC_CHOICES)
    commune = CommuneChoiceField(
        label="Commune",
        queryset=Commune.objects.none(),
        required=False,
        empty_label="Tout le territoire",
    )
    nombre = forms.IntegerField(
        label="Nombre de participants",
        min_value=0,
        max_value=1_000_000,
        help_text="Un nombre, jamais de nom. 0 retire la ligne.",
    )

    def __init__(self, *args: Any, ctg: Ctg, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["commune"].queryset = ctg_communes(ctg)


class QuestionnaireForm(CleanTextMixin, forms.ModelForm):
    class Meta:
        model = Questionnaire
        fields = ["titre", "introduction", "date_cloture"]
        widgets = {"date_cloture": date_input(), "introduction": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["date_cloture"].input_formats = DATE_FORMATS


class QuestionForm(CleanTextMixin, forms.ModelForm):
    choix_texte = forms.CharField(
        label="Réponses proposées",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Pour un choix unique ou multiple : une réponse par ligne (2 à 30).",
    )

    class Meta:
        model = Question
        fields = ["libelle", "type", "obligatoire", "echelle_min", "echelle_max"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("type")
        lines = [
            line.strip() for line in str(data.get("choix_texte", "")).splitlines() if line.strip()
        ]
        if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            if len(lines) < 2:
                self.add_error("choix_texte", "Proposez au moins deux réponses, une par ligne.")
            elif len(lines) > MAX_CHOICES:
                self.add_error("choix_texte", f"{MAX_CHOICES} réponses proposées au plus.")
            elif len(set(lines)) != len(lines):
                self.add_error("choix_texte", "Une réponse est proposée deux fois.")
            elif any(len(line) > MAX_CHOICE_LENGTH for line in lines):
                self.add_error(
                    "choix_texte", f"Une réponse proposée dépasse {MAX_CHOICE_LENGTH} caractères."
                )
        if kind == QuestionKind.SCALE:
            low, high = data.get("echelle_min"), data.get("echelle_max")
            if low is not None and high is not None and not (0 <= low < high <= 10):
                self.add_error("echelle_max", "L'échelle va de 0 à 10 au plus, « de » avant « à ».")
        else:
            data["echelle_min"], data["echelle_max"] = 1, 5
        self.choices = lines
        return data

    def save(self, commit: bool = True) -> Question:
        question: Question = super().save(commit=False)
        question.choix = self.choices
        return question


class CsvImportForm(forms.Form):
    fichier = forms.FileField(
        label="Réponses exportées d'un autre outil (.csv)",
        help_text="Une ligne par réponse, une colonne par question, intitulée comme la question. "
        "2 Mo au plus.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_fichier(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["fichier"]
        if not (upload.name or "").lower().endswith(".csv"):
            raise forms.ValidationError("Le fichier doit être un fichier .csv.")
        if upload.size is not None and upload.size > MAX_CSV_BYTES:
            raise forms.ValidationError("Le fichier dépasse la taille maximale de 2 Mo.")
        return upload


class SupportForm(CleanTextMixin, forms.ModelForm):
    class Meta:
        model = Support
        fields = [
            "type",
            "titre",
            "date",
            "theme",
            "public_vise",
            "langues",
            "falc",
            "portee",
            "lien",
            "lieu",
            "annonce_publique",
        ]
        widgets = {"date": date_input()}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["date"].input_formats = DATE_FORMATS

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("annonce_publique") and data.get("type") != "evenement":
            self.add_error("annonce_publique", "Seul un événement s'annonce sur la page publique.")
        return data


class WatchNoteForm(CleanTextMixin, forms.ModelForm):
    destinataires = forms.MultipleChoiceField(
        label="Adressée à",
        choices=RECIPIENT_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Dites à qui la note ou l'alerte est adressée."},
    )

    class Meta:
        model = WatchNote
        fields = ["type", "date", "objet", "theme", "contenu", "suite", "suite_le"]
        widgets = {
            "date": date_input(),
            "suite_le": date_input(),
            "contenu": forms.Textarea(attrs={"rows": 5}),
            "suite": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("date", "suite_le"):
            self.fields[name].input_formats = DATE_FORMATS
        self.fields["theme"].required = False
        self.fields["theme"].choices = [
            ("", "Aucune en particulier"),
            *self.fields["theme"].choices[1:],
        ]
        if self.instance.pk:
            self.initial.setdefault("destinataires", list(self.instance.destinataires))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("suite_le") and not data.get("suite"):
            self.add_error("suite", "Dites quelle suite a été donnée.")
        date, done = data.get("date"), data.get("suite_le")
        if isinstance(date, dt.date) and isinstance(done, dt.date) and done < date:
            self.add_error("suite_le", "La suite ne peut pas précéder la note.")
        return data

    def save(self, commit: bool = True) -> WatchNote:
        note: WatchNote = super().save(commit=False)
        note.destinataires = list(self.cleaned_data["destinataires"])
        return note


class PublicPageForm(forms.Form):
    active = forms.BooleanField(
        label="Ouvrir la page publique de la Ctg",
        required=False,
        help_text="Sans connexion, toute personne qui a l'adresse voit l'avancement du plan "
        "d'actions par thématique et les événements publics à venir : ni nom de personne, ni "
        "financement, ni note interne.",
    )

"""Records of mission 4 for the tests: a consultation, a questionnaire with one question of
each kind, a support, a watch note."""

from __future__ import annotations

import datetime as dt

from coopctg.participation.models import (
    Consultation,
    Participation,
    Question,
    Questionnaire,
    Submission,
    Support,
    WatchNote,
)


def add_consultation(ctg, *, day=dt.date(2025, 3, 1), **extra):
    fields = {
        "intitule": "Consultation des familles sur l'accueil du jeune enfant",
        "objectif": "Connaître les attentes des familles.",
        "theme": "petite_enfance",
        "public_vise": "Familles avec de jeunes enfants",
        "date_debut": day,
        "formats": ["questionnaire", "reunion_publique"],
    } | extra
    return Consultation.objects.create(ctg=ctg, **fields)


def add_questionnaire(consultation, *, statut="publie", **extra):
    questionnaire = Questionnaire.objects.create(
        consultation=consultation, titre="Vos besoins d'accueil", statut=statut, **extra
    )
    Question.objects.create(
        questionnaire=questionnaire,
        position=1,
        libelle="Quel mode d'accueil souhaitez-vous ?",
        type="choix_unique",
        choix=["Crèche", "Assistante maternelle", "Aucun"],
        obligatoire=True,
    )
    Question.objects.create(
        questionnaire=questionnaire,
        position=2,
        libelle="Quels jours ?",
        type="choix_multiples",
        choix=["Lundi", "Mercredi", "Samedi"],
    )
    Question.objects.create(
        questionnaire=questionnaire,
        position=3,
        libelle="Votre satisfaction",
        type="echelle",
        echelle_min=1,
        echelle_max=5,
    )
    Question.objects.create(
        questionnaire=questionnaire, position=4, libelle="Une remarque", type="texte"
    )
    return questionnaire


def question_ids(questionnaire):
    return [q.pk for q in questionnaire.questions.order_by("position")]


def answer(questionnaire, *, mode="Crèche", days=("Lundi",), scale=4, text=""):
    q1, q2, q3, q4 = question_ids(questionnaire)
    return Submission.objects.create(
        questionnaire=questionnaire,
        recue_le=dt.date(2025, 3, 10),
        source="formulaire",
        reponses={str(q1): mode, str(q2): list(days), str(q3): scale, str(q4): text or None},
    )


def add_participation(consultation, public="familles", nombre=12, commune=None):
    return Participation.objects.create(
        consultation=consultation, public=public, nombre=nombre, commune=commune
    )


def add_support(ctg, **extra):
    fields = {
        "type": "flyer",
        "titre": "Guide des modes d'accueil",
        "date": dt.date(2025, 4, 1),
        "theme": "petite_enfance",
        "public_vise": "Familles",
    } | extra
    return Support.objects.create(ctg=ctg, **fields)


def add_watch_note(ctg, **extra):
    fields = {
        "type": "alerte",
        "date": dt.date(2025, 5, 1),
        "objet": "Fermeture annoncée d'une micro-crèche",
        "destinataires": ["elus", "caf"],
        "contenu": "La micro-crèche de Neuvy-le-Roi annonce sa fermeture.",
    } | extra
    return WatchNote.objects.create(ctg=ctg, **fields)

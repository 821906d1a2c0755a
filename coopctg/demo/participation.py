"""Mission 4 of the demonstration's Gâtine-Racan Ctg (``data/participation-gatine.yaml``):
consultations of the inhabitants (participation counted by public and commune, one closed and
one open questionnaire with their answers), information supports (two upcoming public events),
watch notes and alerts, and the public page opened by the collectivité.

Runs after the follow-up of ``suivi-gatine.yaml`` (it links to the plan's actions), through the
same services and rules as the pages (history rows included). Idempotent: a consultation is
matched by its title, a questionnaire by its consultation and title, a support by its title, a
note by its subject — what exists is kept as the application left it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml
from django.utils import timezone

from coopctg.accounts.models import User
from coopctg.actionplan.models import Action
from coopctg.agreements.models import FundingAgreement
from coopctg.ctg.models import Ctg
from coopctg.diagnostic.services import ctg_communes
from coopctg.participation import questionnaires, services
from coopctg.participation.models import (
    Consultation,
    Question,
    Questionnaire,
    Submission,
    Support,
    WatchNote,
)

PARTICIPATION_FILE = Path(__file__).resolve().parent / "data" / "participation-gatine.yaml"


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def load_participation(
    path: Path = PARTICIPATION_FILE, editor: User | None = None, today: dt.date | None = None
) -> str:
    """Load mission 4 of the demonstration Ctg; returns a one-line French summary."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    cof = FundingAgreement.objects.select_related("ctg__caf").filter(numero=data["cof"]).first()
    if cof is None:
        return "Relation avec la population (démonstration) : Cof absente, rien n'est chargé."
    ctg = cof.ctg
    today = today or timezone.localdate()
    consultations = _consultations(ctg, data.get("consultations", []), editor)
    supports = _supports(ctg, data.get("supports", []), editor, today)
    notes = _watch(ctg, data.get("veille", []), editor)
    if data.get("page_publique") and not services.page_active(ctg):
        services.set_public_page(editor, ctg, True)
    return (
        f"Relation avec la population ({ctg.intitule}) : {consultations} consultations, "
        f"{supports} supports d'information, {notes} notes de veille et alertes, page publique "
        f"{'ouverte' if services.page_active(ctg) else 'fermée'}."
    )


def _consultations(ctg: Ctg, items: list[dict[str, Any]], editor: Any) -> int:
    communes = {c.nom: c for c in ctg_communes(ctg)}
    actions = {a.code: a for a in Action.objects.filter(ctg=ctg)}
    for item in items:
        consultation = Consultation.objects.filter(ctg=ctg, intitule=item["intitule"]).first()
        if consultation is None:
            consultation = services.save_consultation(
                editor,
                Consultation(
                    ctg=ctg,
                    intitule=item["intitule"],
                    objectif=item["objectif"],
                    theme=item["theme"],
                    public_vise=item["public_vise"],
                    date_debut=_date(item["debut"]),
                    date_fin=_date(item["fin"]) if item.get("fin") else None,
                    formats=list(item["formats"]),
                    partenaires=item.get("partenaires", ""),
                    synthese=item.get("synthese", ""),
                    suites=item.get("suites", ""),
                ),
                [communes[name] for name in item.get("communes", []) if name in communes],
                [actions[code] for code in item.get("actions", []) if code in actions],
            )
            for line in item.get("participation", []):
                services.set_participation(
                    editor,
                    consultation,
                    line["public"],
                    communes.get(line.get("commune", "")),
                    int(line["nombre"]),
                )
        if item.get("questionnaire"):
            _questionnaire(consultation, item["questionnaire"], editor)
    return Consultation.objects.filter(ctg=ctg).count()


def _questionnaire(consultation: Consultation, item: dict[str, Any], editor: Any) -> None:
    if Questionnaire.objects.filter(consultation=consultation, titre=item["titre"]).exists():
        return
    questionnaire = questionnaires.save_questionnaire(
        editor,
        Questionnaire(
            consultation=consultation, titre=item["titre"], introduction=item["introduction"]
        ),
    )
    for spec in item["questions"]:
        low, high = spec.get("echelle", [1, 5])
        questionnaires.add_question(
            questionnaire,
            Question(
                libelle=spec["libelle"],
                type=spec["type"],
                choix=list(spec.get("choix", [])),
                echelle_min=low,
                echelle_max=high,
                obligatoire=bool(spec.get("obligatoire", False)),
            ),
        )
    questionnaires.publish(editor, questionnaire)
    questions = questionnaires.questions_of(questionnaire)
    bounds = questionnaires.limits()
    received = consultation.date_fin or consultation.date_debut
    for row in item.get("reponses", []):
        sent = {
            str(q.pk): (value if isinstance(value, list) else [str(value)])
            for q, value in zip(questions, row, strict=True)
        }
        answers, errors = questionnaires.check_submission(questions, sent, bounds)
        assert not errors, errors  # the demonstration's answers follow the rules
        Submission.objects.create(
            questionnaire=questionnaire,
            recue_le=received,
            source=Submission.Source.FORM,
            reponses=answers,
        )
    if item.get("clos"):
        questionnaires.close(editor, questionnaire)


def _supports(ctg: Ctg, items: list[dict[str, Any]], editor: Any, today: dt.date) -> int:
    for item in items:
        if Support.objects.filter(ctg=ctg, titre=item["titre"]).exists():
            continue
        day = (
            today + dt.timedelta(days=int(item["dans_jours"]))
            if "dans_jours" in item
            else _date(item["date"])
        )
        services.save_support(
            editor,
            Support(
                ctg=ctg,
                type=item["type"],
                titre=item["titre"],
                date=day,
                theme=item["theme"],
                public_vise=item["public_vise"],
                langues=item.get("langues", ""),
                falc=bool(item.get("falc", False)),
                portee=item.get("portee"),
                lien=item.get("lien", ""),
                lieu=item.get("lieu", ""),
                annonce_publique=bool(item.get("annonce_publique", False)),
            ),
        )
    return Support.objects.filter(ctg=ctg).count()


def _watch(ctg: Ctg, items: list[dict[str, Any]], editor: Any) -> int:
    for item in items:
        if WatchNote.objects.filter(ctg=ctg, objet=item["objet"]).exists():
            continue
        services.save_watch_note(
            editor,
            WatchNote(
                ctg=ctg,
                type=item["type"],
                date=_date(item["date"]),
                objet=item["objet"],
                theme=item.get("theme", ""),
                destinataires=list(item["destinataires"]),
                contenu=item["contenu"],
                suite=item.get("suite", ""),
                suite_le=_date(item["suite_le"]) if item.get("suite_le") else None,
            ),
        )
    return WatchNote.objects.filter(ctg=ctg).count()

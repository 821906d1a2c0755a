"""The API of mission 4: read the consultations of the inhabitants (participation counts,
questionnaires and their aggregated results) and the information supports; write the results
of a consultation (what was said, what changed, who took part — counts only).

Scoped like the pages (:mod:`coopctg.participation.access`): what the user may not see, or
see but not change, is a 404. Registered on :data:`coopctg.api.api.api` by that module.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router

from coopctg.accounts import access as accounts
from coopctg.api import schemas as s
from coopctg.api.api import ERRORS, WRITE_ERRORS, Invalid, _page, _user, _year
from coopctg.core.audit import record_change
from coopctg.core.models import AuditEntry
from coopctg.diagnostic.services import ctg_communes
from coopctg.participation import access, services
from coopctg.participation import questionnaires as q_service
from coopctg.participation.models import Consultation, Participation, Support
from coopctg.participation.rules import PUBLIC_LABELS, Public

router = Router(tags=["Relation avec la population"])

MAX_TEXT = 20_000
MAX_LINES = 500


# --- Schemas -----------------------------------------------------------------------------------


class LigneParticipation(s.Schema):
    public: str = s.Field(
        ...,
        description="habitants, familles, enfants, jeunes, seniors, professionnels, elus, autre.",
    )
    commune: str | None = s.Field(
        None, description="Code INSEE d'une commune du territoire ; null : tout le territoire."
    )
    nombre: int = s.Field(..., ge=0, le=1_000_000)


class Comptage(s.Schema):
    reponse: str
    nombre: int
    part: str | None = s.Field(..., description="En % des répondants, une décimale.")


class ResultatQuestion(s.Schema):
    question: str
    type: str = s.Field(..., description="choix_unique, choix_multiples, echelle ou texte.")
    repondants: int
    comptages: list[Comptage]
    moyenne: str | None = s.Field(..., description="Échelle : la moyenne, une décimale.")
    textes: list[str]


class QuestionnaireOut(s.Schema):
    id: int
    titre: str
    statut: str = s.Field(..., description="brouillon, publie ou clos.")
    date_cloture: dt.date | None
    reponses: int
    resultats: list[ResultatQuestion]


class ConsultationResume(s.Schema):
    id: int
    ctg: s.CtgRef
    intitule: str
    thematique: str
    public_vise: str
    date_debut: dt.date
    date_fin: dt.date | None
    formats: list[str]
    participants: int


class ConsultationDetail(ConsultationResume):
    objectif: str
    communes: list[str] = s.Field(..., description="Codes INSEE ; vide : tout le territoire.")
    partenaires: str
    partenaires_annuaire: list[int] = s.Field(
        ..., description="Identifiants des partenaires de l'annuaire de la Caf associés."
    )
    synthese: str
    suites: str
    actions: list[str] = s.Field(..., description="Codes des actions du plan.")
    participation: list[LigneParticipation]
    questionnaires: list[QuestionnaireOut]


class ResultatsIn(s.Schema):
    """Ce que la consultation a donné : sans nom ni donnée personnelle."""

    synthese: s.Text | None = s.Field(None, description="Ce qui a été dit ; null : inchangé.")
    suites: s.Text | None = s.Field(None, description="Ce qui a changé ; null : inchangé.")
    participation: list[LigneParticipation] | None = s.Field(
        None, description="Remplace tous les comptages ; null : inchangés."
    )


class SupportOut(s.Schema):
    id: int
    type: str
    titre: str
    date: dt.date
    thematique: str
    public_vise: str
    langues: str
    falc: bool
    portee: int | None
    lien: str
    annonce_publique: bool


class SupportFilters(s.Schema):
    annee: s.Year | None = s.Field(None, description="Les supports de l'année.")


# --- Serializers -------------------------------------------------------------------------------


def _summary(c: Consultation) -> dict[str, Any]:
    return {
        "id": c.pk,
        "ctg": s.to_ctg_ref(c.ctg),
        "intitule": c.intitule,
        "thematique": c.theme,
        "public_vise": c.public_vise,
        "date_debut": c.date_debut,
        "date_fin": c.date_fin,
        "formats": list(c.formats),
        "participants": getattr(c, "participants", None) or 0,
    }


def _detail(consultation: Consultation) -> dict[str, Any]:
    summary = services.participation_summary(consultation)
    consultation.participants = summary.total  # type: ignore[attr-defined]
    return {
        **_summary(consultation),
        "objectif": consultation.objectif,
        "communes": [c.code_insee for c in consultation.communes.order_by("code_insee")],
        "partenaires": consultation.partenaires,
        "partenaires_annuaire": sorted(
            consultation.partenaires_annuaire.values_list("pk", flat=True)
        ),
        "synthese": consultation.synthese,
        "suites": consultation.suites,
        "actions": [a.code for a in consultation.actions.order_by("position", "code")],
        "participation": [
            {
                "public": line.public,
                "commune": line.commune.code_insee if line.commune else None,
                "nombre": line.nombre,
            }
            for line in summary.lines
        ],
        "questionnaires": [
            q_service.results_json(q) for q in consultation.questionnaires.order_by("cree_le", "id")
        ],
    }


def _support(support: Support) -> dict[str, Any]:
    return {
        "id": support.pk,
        "type": support.type,
        "titre": support.titre,
        "date": support.date,
        "thematique": support.theme,
        "public_vise": support.public_vise,
        "langues": support.langues,
        "falc": support.falc,
        "portee": support.portee,
        "lien": support.lien,
        "annonce_publique": support.annonce_publique,
    }


# --- Operations ----------------------------------------------------------------------------------


@router.get(
    "/ctg/{int:ctg_pk}/consultations/",
    response={200: s.page_of(ConsultationResume), **ERRORS},
    url_name="consultations",
)
def list_consultations(request: HttpRequest, ctg_pk: int, page: Query[s.PageQuery]):
    """Les consultations des habitants d'une Ctg, de la plus récente à la plus ancienne, avec
    le nombre de participants."""
    ctg = accounts.get_ctg_for_user(_user(request), ctg_pk)
    queryset: QuerySet[Consultation] = services.ctg_consultations(ctg).select_related("ctg")
    return _page(queryset, page, _summary)


@router.get(
    "/consultations/{int:pk}/",
    response={200: ConsultationDetail, **ERRORS},
    url_name="consultation",
)
def get_consultation(request: HttpRequest, pk: int):
    """Une consultation : objectif, formats, participation par public et commune (des
    nombres, jamais de nom), ce qui a été dit, ce qui a changé, ses questionnaires et leurs
    résultats agrégés."""
    consultation = access.get_consultation_for_user(_user(request), pk)
    return _detail(consultation)


@router.put(
    "/consultations/{int:pk}/resultats/",
    response={200: ConsultationDetail, **WRITE_ERRORS},
    url_name="consultation_resultats",
)
def put_consultation_results(request: HttpRequest, pk: int, data: ResultatsIn):
    """Enregistrer les résultats d'une consultation : synthèse, suites et participation par
    public et commune ; l'administrateur·rice de la Caf, le·la conseiller·ère, l'éditeur·rice
    d'une collectivité signataire. Tout est vérifié avant d'écrire."""
    user = _user(request)
    consultation = access.get_consultation_for_editor(user, pk)
    for name in ("synthese", "suites"):
        value = getattr(data, name)
        if value is not None and len(value) > MAX_TEXT:
            raise Invalid(f"{name} : {MAX_TEXT} caractères au plus.", name)
    lines: list[Participation] = []
    if data.participation is not None:
        if len(data.participation) > MAX_LINES:
            raise Invalid(f"participation : {MAX_LINES} lignes au plus.", "participation")
        communes = {c.code_insee: c for c in ctg_communes(consultation.ctg)}
        seen = set()
        for index, line in enumerate(data.participation, start=1):
            if line.public not in {p.value for p in Public}:
                raise Invalid(
                    f"participation, ligne {index} : public inconnu « {line.public} ».",
                    "participation",
                )
            if line.commune is not None and line.commune not in communes:
                raise Invalid(
                    f"participation, ligne {index} : « {line.commune} » n'est pas une commune "
                    "du territoire de la Ctg.",
                    "participation",
                )
            key = (line.public, line.commune)
            if key in seen:
                raise Invalid(
                    f"participation, ligne {index} : {PUBLIC_LABELS[Public(line.public)]} et "
                    "cette commune sont déjà comptés.",
                    "participation",
                )
            seen.add(key)
            if line.nombre:
                lines.append(
                    Participation(
                        consultation=consultation,
                        public=line.public,
                        commune=communes.get(line.commune) if line.commune else None,
                        nombre=line.nombre,
                    )
                )
    with transaction.atomic():
        before = {
            "synthese": consultation.synthese,
            "suites": consultation.suites,
            "participation": services.participation_rows(consultation),
        }
        if data.synthese is not None:
            consultation.synthese = data.synthese
        if data.suites is not None:
            consultation.suites = data.suites
        consultation.save(update_fields=["synthese", "suites", "modifie_le"])
        if data.participation is not None:
            consultation.participations.all().delete()
            Participation.objects.bulk_create(lines)
        record_change(
            user,
            consultation,
            AuditEntry.Action.MODIFICATION,
            before=before,
            after={
                "synthese": consultation.synthese,
                "suites": consultation.suites,
                "participation": services.participation_rows(consultation),
            },
            caf_id=consultation.ctg.caf_id,
        )
    return _detail(consultation)


@router.get(
    "/ctg/{int:ctg_pk}/supports/",
    response={200: s.page_of(SupportOut), **ERRORS},
    url_name="supports",
)
def list_supports(
    request: HttpRequest, ctg_pk: int, filtres: Query[SupportFilters], page: Query[s.PageQuery]
):
    """Les supports d'information d'une Ctg (guides, flyers, pages web, publications,
    événements), du plus récent au plus ancien."""
    ctg = accounts.get_ctg_for_user(_user(request), ctg_pk)
    queryset = services.ctg_supports(ctg)
    if (annee := _year(filtres.annee)) is not None:
        queryset = queryset.filter(date__year=annee)
    return _page(queryset, page, _support)

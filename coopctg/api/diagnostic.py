"""The API of mission 2: read the diagnostic partagé, the commissions d'admission (published
counts: « moins de N » under the statistical-secrecy minimum) and the objectifs de
développement; read and write the besoins exprimés par les familles.

Scoped like the pages (:mod:`coopctg.diagnostic.access`): what the user may not see, or see
but not change, is a 404. A besoin is validated by the page's form (same rules, same French
messages: an e-mail address or a telephone number is refused) and saved by the same service,
with its history row. Registered on :data:`coopctg.api.api.api` by that module.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, QueryDict
from django.utils import timezone
from ninja import Query, Router
from ninja.responses import Status

from coopctg.accounts import access as accounts
from coopctg.actionplan.models import Action
from coopctg.api import schemas as s
from coopctg.api.api import (
    ERRORS,
    WRITE_ERRORS,
    FormInvalid,
    Invalid,
    _page,
    _page_rows,
    _user,
    _year,
)
from coopctg.core.themes import Theme
from coopctg.diagnostic import access, commissions, needs, services, targets
from coopctg.diagnostic.forms import NeedForm
from coopctg.diagnostic.models import Diagnostic, Need
from coopctg.diagnostic.services import ctg_communes

router = Router(tags=["Diagnostic et besoins"])


# --- Schemas -----------------------------------------------------------------------------------


class IndicateurRef(s.Schema):
    code: str
    libelle: str


class ActionRef(s.Schema):
    id: int
    code: str
    titre: str


class InstanceRef(s.Schema):
    id: int
    type: str
    date: dt.date
    objet: str


class Enjeu(s.Schema):
    id: int
    thematique: str
    intitule: str
    constat: str
    indicateurs: list[IndicateurRef]
    actions: list[ActionRef]
    objectifs: list[str] = s.Field(..., description="Codes des objectifs du référentiel.")


class DiagnosticResume(s.Schema):
    id: int
    ctg: s.CtgRef
    version: int
    date: dt.date
    titre: str
    statut: str = s.Field(..., description="en_cours ou valide (validé en Copil).")
    valide_le: dt.date | None
    copil: InstanceRef | None


class DiagnosticDetail(DiagnosticResume):
    contexte: str
    partenaires: str
    habitants: str
    methode: str
    instances: list[InstanceRef]
    enjeux: list[Enjeu]
    enjeux_sans_action: list[int] = s.Field(..., description="Identifiants des enjeux.")
    actions_sans_enjeu: list[ActionRef]


class Seuil(s.Schema):
    valeur: str = s.Field(..., description="La part minimale, en %.")
    depuis: dt.date
    source: str


class Part(s.Schema):
    critere: str
    libelle: str
    objectif: str = s.Field(..., description="mixité ou accessibilité.")
    effectif: str = s.Field(
        ..., description="Le nombre de familles, « moins de N » sous le secret statistique."
    )
    part: str | None = s.Field(..., description="En %, une décimale ; null si non calculée.")
    seuil: Seuil | None
    statut: str = s.Field(..., description="conforme, sous_le_seuil, sans_seuil, non_evaluable.")
    statut_libelle: str


class Suivi(s.Schema):
    demarche: str
    demarche_libelle: str
    qui: str
    quoi: str
    quand: dt.date
    resultat: str


class AlerteCommission(s.Schema):
    critere: str
    libelle: str
    message: str
    ouverte: bool = s.Field(..., description="Vrai tant qu'aucun suivi n'est enregistré.")
    suivi: Suivi | None


class CommissionOut(s.Schema):
    id: int
    date: dt.date
    intitule: str
    thematique: str
    services: str
    commune: str | None
    places: int
    demandes: int
    admissions: int
    calcule: bool = s.Field(..., description="Faux si les seuils de la Caf manquent.")
    motif: str
    evaluable: bool = s.Field(..., description="Assez d'admissions pour calculer les parts.")
    effectif_minimum: int | None
    parts: list[Part]
    alertes: list[AlerteCommission]


class CommuneRef(s.Schema):
    code_insee: str
    nom: str


class Besoin(s.Schema):
    id: int
    date: dt.date
    commune: CommuneRef | None
    thematique: str
    tranche_age: str
    nature: str
    source: str
    demande: str
    repondu: bool
    reponse: str


class BesoinIn(s.Schema):
    """Une demande entendue, anonyme : ni nom, ni coordonnées, ni situation personnelle."""

    date: dt.date
    commune: str | None = s.Field(
        None, description="Code INSEE d'une commune du territoire ; null : tout le territoire."
    )
    thematique: str = s.Field(..., description="Une des 8 thématiques (petite_enfance…).")
    tranche_age: str = s.Field(..., description="0-3, 3-5, 6-11, 12-17, 18-25, parents, tous.")
    nature: str = s.Field(
        ...,
        description="place, horaires, cout, information, accessibilite, handicap, mobilite, autre.",
    )
    source: str = s.Field(
        ..., description="service, partenaire, caf, permanence, enquete ou autre."
    )
    demande: s.Text
    repondu: bool = False
    reponse: s.Text = ""


class HistoriqueObjectif(s.Schema):
    objectif: int
    depuis: dt.date
    copil: dt.date | None = s.Field(..., description="Le Copil qui l'a décidé ; null : initial.")
    decision: str


class ObjectifNature(s.Schema):
    nature: str
    libelle: str
    objectif: int | None = s.Field(..., description="L'objectif en vigueur ; null : aucun.")
    realises: int = s.Field(..., description="Les faits marquants comptés pour la collectivité.")
    statut: str = s.Field(..., description="atteint, en_cours, non_atteint, sans_objectif.")
    faits_marquants: list[str]
    historique: list[HistoriqueObjectif]


class ObjectifsCollectivite(s.Schema):
    collectivite: s.CollectiviteRef
    natures: list[ObjectifNature]


class BesoinFilters(s.Schema):
    annee: s.Year | None = s.Field(None, description="Les besoins de l'année.")
    thematique: str | None = s.Field(None, description="Une des 8 thématiques.")


# --- Serializers -------------------------------------------------------------------------------


def _instance_ref(meeting: Any) -> dict[str, Any]:
    return {"id": meeting.pk, "type": meeting.kind, "date": meeting.date, "objet": meeting.objet}


def _action_ref(action: Action) -> dict[str, Any]:
    return {"id": action.pk, "code": action.code, "titre": action.titre}


def _summary(diagnostic: Diagnostic) -> dict[str, Any]:
    return {
        "id": diagnostic.pk,
        "ctg": s.to_ctg_ref(diagnostic.ctg),
        "version": diagnostic.version,
        "date": diagnostic.date,
        "titre": diagnostic.titre,
        "statut": "valide" if diagnostic.validated else "en_cours",
        "valide_le": diagnostic.valide_le,
        "copil": _instance_ref(diagnostic.copil) if diagnostic.copil else None,
    }


def _need(need: Need) -> dict[str, Any]:
    commune = need.commune
    return {
        "id": need.pk,
        "date": need.date,
        "commune": {"code_insee": commune.code_insee, "nom": commune.nom} if commune else None,
        "thematique": need.theme,
        "tranche_age": need.tranche_age,
        "nature": need.nature,
        "source": need.source,
        "demande": need.description,
        "repondu": need.repondu,
        "reponse": need.reponse,
    }


# --- Diagnostic ----------------------------------------------------------------------------------


def _diagnostics(user: Any) -> QuerySet[Diagnostic]:
    return access.visible_diagnostics(user).select_related("ctg", "copil")


@router.get(
    "/ctg/{int:ctg_pk}/diagnostics/",
    response={200: s.page_of(DiagnosticResume), **ERRORS},
    url_name="diagnostics",
)
def list_diagnostics(request: HttpRequest, ctg_pk: int, page: Query[s.PageQuery]):
    """Les versions du diagnostic partagé d'une Ctg, de la plus récente à la plus ancienne."""
    ctg = accounts.get_ctg_for_user(_user(request), ctg_pk)
    queryset = _diagnostics(_user(request)).filter(ctg=ctg).order_by("-version")
    return _page(queryset, page, _summary)


@router.get(
    "/diagnostics/{int:pk}/", response={200: DiagnosticDetail, **ERRORS}, url_name="diagnostic"
)
def get_diagnostic(request: HttpRequest, pk: int):
    """Une version du diagnostic : contexte, démarche, enjeux par thématique avec leurs
    indicateurs, les actions et objectifs qui y répondent ; enjeux sans action et actions
    sans enjeu."""
    diagnostic = access.get_diagnostic_for_user(_user(request), pk)
    content = services.diagnostic_content(diagnostic)
    return {
        **_summary(diagnostic),
        "contexte": diagnostic.contexte,
        "partenaires": diagnostic.partenaires,
        "habitants": diagnostic.habitants,
        "methode": diagnostic.methode,
        "instances": [_instance_ref(m) for m in content.instances],
        "enjeux": [
            {
                "id": line.enjeu.pk,
                "thematique": line.enjeu.theme,
                "intitule": line.enjeu.intitule,
                "constat": line.enjeu.constat,
                "indicateurs": [{"code": c, "libelle": label} for c, label in line.indicators],
                "actions": [_action_ref(a) for a in line.actions],
                "objectifs": [o.code for o in line.objectives],
            }
            for block in content.themes
            for line in block.lines
        ],
        "enjeux_sans_action": [e.pk for e in content.enjeux_without_action],
        "actions_sans_enjeu": [_action_ref(a) for a in content.actions_without_enjeu],
    }


# --- Commissions ---------------------------------------------------------------------------------


class CommissionFilters(s.Schema):
    annee: s.Year | None = s.Field(None, description="Les commissions de l'année.")


@router.get(
    "/ctg/{int:ctg_pk}/commissions/",
    response={200: s.page_of(CommissionOut), **ERRORS},
    url_name="commissions",
)
def list_commissions(
    request: HttpRequest, ctg_pk: int, filtres: Query[CommissionFilters], page: Query[s.PageQuery]
):
    """Les commissions d'admission d'une Ctg (effectifs agrégés, parts, alertes et leur
    suivi), de la plus récente à la plus ancienne."""
    ctg = accounts.get_ctg_for_user(_user(request), ctg_pk)
    queryset = commissions.ctg_commissions(ctg)
    if (annee := _year(filtres.annee)) is not None:
        queryset = queryset.filter(date__year=annee)
    found = _page_rows(queryset, page)
    items = found.pop("items")
    return {
        **found,
        "resultats": [commissions.state_json(st) for st in commissions.commission_states(items)],
    }


@router.get(
    "/commissions/{int:pk}/", response={200: CommissionOut, **ERRORS}, url_name="commission"
)
def get_commission(request: HttpRequest, pk: int):
    """Une séance de commission d'admission : comptes agrégés, parts calculées et alertes."""
    commission = access.get_commission_for_user(_user(request), pk)
    return commissions.state_json(commissions.state_of(commission))


# --- Besoins -------------------------------------------------------------------------------------


@router.get(
    "/ctg/{int:ctg_pk}/besoins/", response={200: s.page_of(Besoin), **ERRORS}, url_name="besoins"
)
def list_besoins(
    request: HttpRequest, ctg_pk: int, filtres: Query[BesoinFilters], page: Query[s.PageQuery]
):
    """Le registre anonyme des besoins exprimés par les familles, du plus récent au plus
    ancien."""
    ctg = accounts.get_ctg_for_user(_user(request), ctg_pk)
    queryset = needs.ctg_needs(ctg)
    if (annee := _year(filtres.annee)) is not None:
        queryset = queryset.filter(date__year=annee)
    if filtres.thematique:
        if filtres.thematique not in {t.value for t in Theme}:
            raise Invalid(f"Thématique inconnue : « {filtres.thematique} ».", "thematique")
        queryset = queryset.filter(theme=filtres.thematique)
    return _page(queryset, page, _need)


FORM_NAMES = {"theme": "thematique", "description": "demande", "__all__": "besoin"}


@router.post(
    "/ctg/{int:ctg_pk}/besoins/",
    response={201: Besoin, **WRITE_ERRORS},
    url_name="besoin_create",
)
def create_besoin(request: HttpRequest, ctg_pk: int, data: BesoinIn):
    """Inscrire un besoin au registre : l'administrateur·rice de la Caf, le·la conseiller·ère,
    l'éditeur·rice d'une collectivité signataire. Validé comme le formulaire de la page."""
    user = _user(request)
    ctg = access.get_ctg_for_editor(user, ctg_pk)
    commune_pk = ""
    if data.commune:
        found = ctg_communes(ctg).filter(code_insee=data.commune).values_list("pk", flat=True)
        if not found:
            raise Invalid(
                f"commune : « {data.commune} » n'est pas une commune du territoire de la Ctg.",
                "commune",
            )
        commune_pk = str(found[0])
    form_data = {
        "date": data.date.isoformat(),
        "commune": commune_pk,
        "theme": data.thematique,
        "tranche_age": data.tranche_age,
        "nature": data.nature,
        "source": data.source,
        "description": data.demande,
        "reponse": data.reponse,
    }
    query = QueryDict(mutable=True)
    query.update(form_data)
    if data.repondu:
        query["repondu"] = "on"
    form = NeedForm(query, instance=Need(ctg=ctg), ctg=ctg)
    if not form.is_valid():
        errors = [
            {"champ": FORM_NAMES.get(field, field), "message": message}
            for field, messages in form.errors.items()
            for message in messages
        ]
        first = errors[0]
        raise FormInvalid(f"{first['champ']} : {first['message']}", errors)
    need = needs.save_need(user, form.save(commit=False))
    return Status(201, _need(needs.ctg_needs(ctg).get(pk=need.pk)))


# --- Objectifs de développement ------------------------------------------------------------------


@router.get(
    "/ctg/{int:ctg_pk}/objectifs-developpement/",
    response={200: list[ObjectifsCollectivite], **ERRORS},
    url_name="objectifs",
)
def list_objectifs(request: HttpRequest, ctg_pk: int):
    """Les objectifs de développement de chaque collectivité signataire que vous voyez, leur
    historique et les faits marquants comptés pour elle (collectivité par collectivité)."""
    user = _user(request)
    ctg = accounts.get_ctg_for_user(user, ctg_pk)
    signatories = list(
        accounts.visible_collectivites(user).filter(ctgs=ctg).order_by("nom").distinct()
    )
    result = []
    for block in targets.development_outcomes(ctg, timezone.localdate(), signatories):
        result.append(
            {
                "collectivite": s.to_collectivite_ref(block.collectivite),
                "natures": [
                    {
                        "nature": kind.kind,
                        "libelle": kind.label,
                        "objectif": kind.outcome.target,
                        "realises": kind.outcome.achieved,
                        "statut": kind.outcome.status.value,
                        "faits_marquants": [h.intitule for h in kind.highlights],
                        "historique": [
                            {
                                "objectif": row.cible,
                                "depuis": row.date_effet,
                                "copil": row.copil.date if row.copil else None,
                                "decision": row.decision,
                            }
                            for row in kind.history
                        ],
                    }
                    for kind in block.kinds
                ],
            }
        )
    return result

"""The API ``/api/v1/``: read what the user's role opens, write through the services.

Every operation scopes with the UI's access helpers: what the user may not see is a 404 (never
a 403), exactly like the pages; what the user sees but may not change is a 404 too, as the
UI's forms answer. Writes go through the same services as the forms (demandes de modification:
:mod:`coopctg.agreements.workflow`; instances: :func:`coopctg.governance.services.save_meeting`
validated by the instance form; indicator values:
:func:`coopctg.actionplan.services.save_indicator_values`), each writing its history row.

Errors are JSON ``{"detail": "<message en français>"}`` (and ``"erreurs"`` per field for a
validation error): 400 for a body that is not JSON within bounds (:class:`JsonParser`), 401
without a valid token, 404, 409 on a stale request, 422 invalid input.
The OpenAPI schema and the docs are for signed-in users and valid tokens only: the schema
describes every operation and field, which an anonymous visitor has no use for.
Lists are paginated (``?page=``, ``?taille=``, or by cursor ``?apres=``: see
:mod:`coopctg.api.pagination`) and filtered (``?annee=``, ``?collectivite=`` (identifiant),
``?statut=``…).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import replace
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.utils import timezone
from ninja import NinjaAPI, Query, Router, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.responses import Status

from coopctg.accounts import access as accounts
from coopctg.actionplan import access as plan_access
from coopctg.actionplan import services as plan_services
from coopctg.actionplan.models import Action, Indicator, IndicatorValue
from coopctg.actionplan.rules import parse_decimal
from coopctg.agreements import access as cof_access
from coopctg.agreements import workflow
from coopctg.agreements.annual import MAX_YEAR, MIN_YEAR, budget_to_json, budget_year
from coopctg.agreements.importer import _rows as architecture_rows
from coopctg.agreements.models import AgreementVersion, FundingAgreement
from coopctg.api import pagination
from coopctg.api import schemas as s
from coopctg.api.auth import AUTH, TokenAuth
from coopctg.api.errors import BodyError, body_error, field_errors, validation_message
from coopctg.core.parsing import load_json
from coopctg.dashboards.national import national_figures
from coopctg.dashboards.tasks import DEADLINE_KINDS, actionable_by, for_reader, tasks_of
from coopctg.funding.eligibility import architecture_of_cof, eligibility_of
from coopctg.funding.rules import InvalidInput, parse_simulation_input
from coopctg.governance import access as governance_access
from coopctg.governance import services as governance_services
from coopctg.governance.forms import MeetingForm
from coopctg.governance.models import Meeting
from coopctg.indicators.catalogue import catalogue as indicator_catalogue
from coopctg.indicators.services import build_fiche, fiche_json
from coopctg.organisations.models import LocalAuthority
from coopctg.reports import access as report_access
from coopctg.reports.models import AttenduAssessment


class JsonParser(Parser):
    """The JSON body, read within bounds (:func:`coopctg.core.parsing.load_json`: nesting,
    length of numbers): anything else is a :class:`BodyError`, a French 400."""

    def parse_body(self, request: HttpRequest) -> Any:
        try:
            return load_json(request.body)
        except ValueError as error:  # malformed JSON, bad UTF-8, too deep, number too long
            raise body_error(error) from None


def _signed_in_only(view: Any) -> Any:
    """The schema and the docs are for the API's users: a signed-in user or a valid token.

    Anonymous, the schema answers 401 in JSON (like every operation); the docs page, a browser
    page, redirects to the login page (``LoginRequiredMiddleware``, see :func:`api_urls`)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated and user.is_active
        if not signed_in and TokenAuth()(request) is None:
            return _unauthenticated(request, AuthenticationError())
        return view(request, *args, **kwargs)

    return wrapper


class CoopApi(NinjaAPI):
    """The OpenAPI schema is built once per process and root path: it depends on the code only
    (building it takes about 100 ms)."""

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: Any = None):
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        schemas = self.__dict__.setdefault("_coopctg_schemas", {})
        if path_prefix not in schemas:
            schemas[path_prefix] = super().get_openapi_schema(path_prefix=path_prefix)
        return schemas[path_prefix]


api = CoopApi(
    title="CoopCTG",
    version="1",
    description=(
        "L'API de CoopCTG : territoires, Ctg, Cof (versions, ventilation), financement annuel, "
        "plans d'actions, instances, bilans annuels, diagnostic partagé, commissions d'admission "
        "et objectifs de développement, consultations des habitants et supports d'information ; "
        "écriture des demandes de modification, des instances, des valeurs d'indicateurs, des "
        "besoins exprimés par les familles et des résultats des consultations. Jeton personnel : "
        "`Authorization: Bearer cctg_…` (page « Jetons d'API »). Chacun ne voit que ce que "
        "son rôle lui ouvre : le reste répond 404."
    ),
    urls_namespace="api",
    auth=AUTH,
    docs_decorator=_signed_in_only,
    # Swagger UI, served locally; without deep links, an operation's summary is one button
    # (a link inside it would be nested interactive content, RGAA 7.1 / axe).
    docs=Swagger(settings={"deepLinking": False, "displayRequestDuration": False}),
    parser=JsonParser(),
)

ERRORS: dict[int | frozenset[int], Any] = {frozenset({401, 404, 422}): s.Error}
WRITE_ERRORS: dict[int | frozenset[int], Any] = {frozenset({400, 401, 404, 409, 422}): s.Error}


# --- Errors ----------------------------------------------------------------------------------


def _error(request: HttpRequest, status: int, detail: str, **extra: Any) -> HttpResponse:
    return api.create_response(request, {"detail": detail, **extra}, status=status)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(
        request,
        401,
        "Authentification requise : donnez un jeton d'API valide "
        "(en-tête « Authorization: Bearer … ») ou connectez-vous.",
    )


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 404, "Introuvable.")


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return _error(request, 422, validation_message(exc.errors), erreurs=field_errors(exc.errors))


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, BodyError):  # ninja's « Cannot parse request body »
        return _error(request, exc.status_code, str(exc.__cause__))
    return _error(request, exc.status_code, str(exc))


class Invalid(Exception):
    """Refused input (422): one French message, per field when known."""

    def __init__(self, message: str, champ: str | None = None, status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.champ = champ
        self.status = status


class FormInvalid(Invalid):
    """A form's errors (422): the first one as the message, all of them per field."""

    def __init__(self, message: str, errors: list[dict[str, str]]) -> None:
        super().__init__(message)
        self.errors = errors


@api.exception_handler(Invalid)
def _refused(request: HttpRequest, exc: Invalid) -> HttpResponse:
    if isinstance(exc, FormInvalid):
        return _error(request, exc.status, exc.message, erreurs=exc.errors)
    extra = {"erreurs": [{"champ": exc.champ, "message": exc.message}]} if exc.champ else {}
    return _error(request, exc.status, exc.message, **extra)


def _workflow_error(error: workflow.WorkflowError) -> Invalid:
    status = 409 if isinstance(error, workflow.StaleRequestError) else 422
    return Invalid(error.message, error.field, status)


# --- Helpers ---------------------------------------------------------------------------------


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _page_rows(queryset: QuerySet, page: s.PageQuery) -> dict[str, Any]:
    """One page of rows (``items``) and its fields, by page number or by cursor
    (:mod:`coopctg.api.pagination`); a bad cursor is a 422 on ``apres``."""
    try:
        return pagination.paginate(queryset, page.page, page.taille, page.apres)
    except pagination.CursorError as error:
        raise Invalid(str(error), "apres") from None


def _page_list(items: list[Any], page: s.PageQuery, identity: Any, kind: str) -> dict[str, Any]:
    """:func:`_page_rows` for a list ``kind`` computed in Python, each item named by
    ``identity``."""
    try:
        return pagination.paginate_list(items, page.page, page.taille, page.apres, identity, kind)
    except pagination.CursorError as error:
        raise Invalid(str(error), "apres") from None


def _page(queryset: QuerySet, page: s.PageQuery, serialize: Any) -> dict[str, Any]:
    found = _page_rows(queryset, page)
    items = found.pop("items")
    return {**found, "resultats": [serialize(item) for item in items]}


def _year(annee: int | None) -> int | None:
    if annee is not None and not MIN_YEAR <= annee <= MAX_YEAR:
        raise Invalid(f"L'année doit être comprise entre {MIN_YEAR} et {MAX_YEAR}.", "annee")
    return annee


def _today() -> dt.date:
    return timezone.localdate()


# --- Territories and collectivités ----------------------------------------------------------

territories = Router(tags=["Territoires"])


class CollectiviteFilters(s.Schema):
    type: str | None = s.Field(None, description="epci ou commune.")
    caf: str | None = s.Field(None, description="Le code de la Caf, par ex. 37.")


@territories.get(
    "/collectivites/", response={200: s.page_of(s.Collectivite), **ERRORS}, url_name="collectivites"
)
def list_collectivites(
    request: HttpRequest, filtres: Query[CollectiviteFilters], page: Query[s.PageQuery]
):
    """Les collectivités que votre rôle vous ouvre."""
    queryset = (
        accounts.visible_collectivites(_user(request))
        .select_related("caf", "epci", "commune")
        .defer(*_without_geometry())
        .order_by("nom", "pk")
    )
    if filtres.type:
        queryset = queryset.filter(kind=filtres.type)
    if filtres.caf:
        queryset = queryset.filter(caf__code=filtres.caf)
    return _page(queryset, page, s.to_collectivite)


@territories.get(
    "/collectivites/{int:pk}/", response={200: s.Collectivite, **ERRORS}, url_name="collectivite"
)
def get_collectivite(request: HttpRequest, pk: int):
    """Une collectivité (EPCI ou commune), sa Caf et son territoire."""
    return s.to_collectivite(accounts.get_collectivite_for_user(_user(request), pk))


@territories.get("/epci/{siren}/", response={200: s.Epci, **ERRORS}, url_name="epci")
def get_epci(request: HttpRequest, siren: str):
    """Un EPCI et ses communes."""
    epci = accounts.get_epci_for_user(_user(request), siren)
    communes = epci.communes.order_by("nom", "code_insee")
    return {**s.to_epci_ref(epci), "communes": [s.to_commune(c) for c in communes]}


# --- Ctg -------------------------------------------------------------------------------------

ctgs = Router(tags=["Ctg"])


class CtgFilters(s.Schema):
    statut: str | None = s.Field(None, description="projet, signee ou echue.")
    collectivite: s.Id | None = s.Field(None, description="L'identifiant d'une signataire.")


def _without_geometry(prefix: str = "") -> list[str]:
    """The territories' outlines (heavy JSON) are not part of the API's answers."""
    return [f"{prefix}epci__geometrie", f"{prefix}commune__geometrie"]


#: The columns of a Ctg the API shows (with its Caf's code and its signatories' references).
CTG_FIELDS = ("id", "intitule", "date_debut", "date_fin", "date_signature", "statut", "themes")


def _ctg_queryset(user: Any) -> QuerySet:
    signataires = (
        LocalAuthority.objects.select_related("epci", "commune")
        .only("id", "nom", "epci_id", "commune_id", "epci__siren", "commune__code_insee")
        .order_by("nom", "pk")
    )
    return (
        accounts.visible_ctgs(user)
        .select_related("caf")
        .only(*CTG_FIELDS, "caf_id", "caf__code")
        # A list (to_attr), not a related manager per Ctg: a queryset built for each row was
        # most of a page's time.
        .prefetch_related(Prefetch("signataires", queryset=signataires, to_attr="signataires_lus"))
        .order_by("-date_debut", "intitule", "pk")
    )


@ctgs.get("/ctg/", response={200: s.page_of(s.Ctg), **ERRORS}, url_name="ctgs")
def list_ctgs(request: HttpRequest, filtres: Query[CtgFilters], page: Query[s.PageQuery]):
    """Les Ctg que votre rôle vous ouvre, filtrées par statut."""
    queryset = _ctg_queryset(_user(request))
    if filtres.statut:
        queryset = queryset.filter(statut=filtres.statut)
    if filtres.collectivite is not None:
        queryset = queryset.filter(signataires__id=filtres.collectivite)
    return _page(queryset, page, s.to_ctg)


@ctgs.get("/ctg/{int:pk}/", response={200: s.Ctg, **ERRORS}, url_name="ctg")
def get_ctg(request: HttpRequest, pk: int):
    """Une Ctg : ses signataires, sa période, ses thématiques."""
    accounts.get_ctg_for_user(_user(request), pk)
    return s.to_ctg(_ctg_queryset(_user(request)).get(pk=pk))


# --- Cof, versions, demandes ---------------------------------------------------------------------

cofs = Router(tags=["Cof"])


class CofFilters(s.Schema):
    statut: str | None = s.Field(None, description="projet, signee ou echue.")
    collectivite: s.Id | None = s.Field(None, description="L'identifiant de la collectivité.")
    annee: s.Year | None = s.Field(None, description="Les Cof en vigueur une partie de l'année.")


def _status_filter(statut: str, day: dt.date) -> Q:
    """The computed status (« échue » when a signed Cof's end is past), as the Cof list."""
    status = FundingAgreement.Status
    if statut == status.ECHUE:
        return Q(statut=status.ECHUE) | Q(statut=status.SIGNEE, date_fin__lt=day)
    if statut == status.SIGNEE:
        return Q(statut=status.SIGNEE, date_fin__gte=day)
    return Q(statut=statut)


#: The columns of a Cof list item: the Cof, its Ctg's and collectivité's references (not the
#: Ctg's themes, a JSON column, nor the territories' outlines).
COF_FIELDS = (
    "id",
    "numero",
    "date_debut",
    "date_fin",
    "statut",
    "signataires",
    "ctg_id",
    "ctg__intitule",
    "collectivite_id",
    "collectivite__nom",
    "collectivite__epci_id",
    "collectivite__commune_id",
    "collectivite__epci__siren",
    "collectivite__commune__code_insee",
)


@cofs.get("/cof/", response={200: s.page_of(s.Cof), **ERRORS}, url_name="cofs")
def list_cofs(request: HttpRequest, filtres: Query[CofFilters], page: Query[s.PageQuery]):
    """Les Cof que votre rôle vous ouvre, avec leur statut au jour de la demande."""
    today = _today()
    queryset = (
        cof_access.visible_cofs(_user(request))
        .select_related("ctg", "collectivite", "collectivite__epci", "collectivite__commune")
        .only(*COF_FIELDS)
        .order_by("collectivite__nom", "-date_debut", "numero", "pk")
    )
    if filtres.statut:
        queryset = queryset.filter(_status_filter(filtres.statut, today))
    if filtres.collectivite is not None:
        queryset = queryset.filter(collectivite_id=filtres.collectivite)
    if (annee := _year(filtres.annee)) is not None:
        queryset = queryset.filter(
            date_debut__lte=dt.date(annee, 12, 31), date_fin__gte=dt.date(annee, 1, 1)
        )
    return _page(queryset, page, lambda cof: s.to_cof(cof, today))


@cofs.get("/cof/{int:pk}/", response={200: s.CofDetail, **ERRORS}, url_name="cof")
def get_cof(request: HttpRequest, pk: int):
    """Une Cof et ses versions (Cof initiale, avenants)."""
    cof = cof_access.get_cof_for_user(_user(request), pk)
    versions = (
        AgreementVersion.objects.filter(cof=cof).order_by("numero").prefetch_related("signatures")
    )
    return {**s.to_cof(cof, _today()), "versions": [s.to_version(v) for v in versions]}


@cofs.get(
    "/cof/{int:pk}/eligibilite/",
    response={200: s.Eligibilite, **ERRORS},
    url_name="cof_eligibilite",
)
def get_cof_eligibility(request: HttpRequest, pk: int):
    """Les six conditions d'éligibilité de la fonction financée par la Cof, calculées comme sur
    la page de l'architecture : Cof signée en vigueur, réunions de réseau tenues, fiches de
    poste et bilans transmis, à la date d'effet de l'architecture jugée."""
    cof = cof_access.get_cof_for_user(_user(request), pk)
    today = _today()
    architecture = architecture_of_cof(cof, today)
    return s.to_eligibility(cof, architecture, eligibility_of(architecture, today))


@cofs.get("/versions/{int:pk}/", response={200: s.VersionDetail, **ERRORS}, url_name="version")
def get_version(request: HttpRequest, pk: int):
    """Une version de Cof et sa ventilation figée (par personne, par enveloppe)."""
    version = cof_access.get_version_for_user(_user(request), pk)
    return {
        **s.to_version(version),
        "cof": s.to_cof_ref(version.cof),
        "ventilation": version.ventilation,
    }


class DemandeFilters(s.Schema):
    statut: str | None = s.Field(
        None, description="brouillon, soumise, a_modifier, acceptee ou refusee."
    )
    cof: s.Id | None = s.Field(None, description="L'identifiant de la Cof.")


def _demandes(user: Any) -> QuerySet:
    return cof_access.visible_requests(user).select_related("cof", "architecture")


@cofs.get("/demandes/", response={200: s.page_of(s.Demande), **ERRORS}, url_name="demandes")
def list_demandes(request: HttpRequest, filtres: Query[DemandeFilters], page: Query[s.PageQuery]):
    """Les demandes de modification des Cof que vous voyez."""
    queryset = _demandes(_user(request)).order_by("-cree_le", "-id")
    if filtres.statut:
        queryset = queryset.filter(statut=filtres.statut)
    if filtres.cof is not None:
        queryset = queryset.filter(cof_id=filtres.cof)
    return _page(queryset, page, s.to_demande)


@cofs.get("/demandes/{int:pk}/", response={200: s.Demande, **ERRORS}, url_name="demande")
def get_demande(request: HttpRequest, pk: int):
    """Une demande de modification de Cof, son statut et sa décision."""
    return s.to_demande(cof_access.get_request_for_user(_user(request), pk))


def _proposal(cof: FundingAgreement, data: s.DemandeIn) -> workflow.ProposalInput:
    simulated: dict[str, Any] = {"date": data.date_effet.isoformat(), "personnes": data.personnes}
    if data.base_cej is not None:
        simulated["base_cej"] = {
            "montant": str(data.base_cej.montant),
            "etp": str(data.base_cej.etp),
        }
    try:
        architecture = parse_simulation_input(simulated)
    except InvalidInput as error:
        message = str(error)
        raise Invalid(message + ".", message.split(" ")[0]) from None
    cej = architecture.cej_base
    return workflow.ProposalInput(
        motif=data.motif,
        date_effet=data.date_effet,
        rows=architecture_rows(architecture, cof.collectivite),
        base_montant=cej.amount if cej else None,
        base_etp=cej.etp if cej else None,
    )


@cofs.post(
    "/cof/{int:pk}/demandes/",
    response={201: s.Demande, **WRITE_ERRORS},
    url_name="demande_create",
)
def create_demande(request: HttpRequest, pk: int, data: s.DemandeIn):
    """Proposer une modification de la Cof (brouillon) : les éditeur·rices de la collectivité."""
    user = _user(request)
    cof = cof_access.get_cof_for_user(user, pk)
    if not cof_access.can_propose(user, cof):
        raise Http404
    try:
        demande = workflow.do_create_request(user, cof, _proposal(cof, data))
    except workflow.WorkflowError as error:
        raise _workflow_error(error) from None
    return Status(201, s.to_demande(cof_access.get_request_for_user(user, demande.pk)))


@cofs.post(
    "/demandes/{int:pk}/soumettre/",
    response={200: s.Demande, **WRITE_ERRORS},
    url_name="demande_submit",
)
def submit_demande(request: HttpRequest, pk: int, data: s.SoumissionIn):
    """Soumettre la demande à la Caf : les éditeur·rices de la collectivité."""
    user = _user(request)
    demande = cof_access.get_request_for_user(user, pk)
    if not cof_access.can_propose(user, demande.cof):
        raise Http404
    try:
        workflow.do_submit_request(user, demande, revision=data.revision)
    except workflow.WorkflowError as error:
        raise _workflow_error(error) from None
    return s.to_demande(cof_access.get_request_for_user(user, pk))


# --- Annual funding ---------------------------------------------------------------------------

funding = Router(tags=["Financement"])


class FinancementFilters(s.Schema):
    annee: s.Year = s.Field(..., description="L'année, par ex. 2024.")
    collectivite: s.Id | None = s.Field(None, description="L'identifiant de la collectivité.")
    caf: str | None = s.Field(None, description="Le code de la Caf, par ex. 37.")


@funding.get(
    "/financement-annuel/",
    response={200: s.FinancementAnnuel, **ERRORS},
    url_name="financement_annuel",
)
def annual_funding(
    request: HttpRequest, filtres: Query[FinancementFilters], page: Query[s.PageQuery]
):
    """Les montants dus pour une année, par collectivité et par enveloppe (comme
    « coopctg financement annuel »), sur les collectivités que vous voyez : les collectivités
    par pages (« page », « taille », « apres »), les totaux par enveloppe et le total sur
    toutes."""
    annee = _year(filtres.annee)
    assert annee is not None
    collectivites = accounts.visible_collectivites(_user(request))
    if filtres.collectivite is not None:
        collectivites = collectivites.filter(pk=filtres.collectivite)
    if filtres.caf:
        collectivites = collectivites.filter(caf__code=filtres.caf)
    budget = budget_year(collectivites, annee)
    found = _page_list(budget.rows, page, lambda row: row.collectivite.pk, "financement")
    rows = found.pop("items")
    return {
        **budget_to_json(replace(budget, rows=rows)),
        "nombre": found.pop("total"),
        **found,
    }


# --- Plan d'actions ---------------------------------------------------------------------------

plans = Router(tags=["Plan d'actions"])


class ActionFilters(s.Schema):
    statut: str | None = s.Field(None, description="a_lancer, en_cours, realisee ou abandonnee.")


def _actions() -> QuerySet:
    indicators = Indicator.objects.order_by("position", "id").prefetch_related(
        Prefetch("valeurs", queryset=IndicatorValue.objects.order_by("year"))
    )
    return Action.objects.prefetch_related(
        Prefetch("objectifs", queryset=plan_services.ordered_objectives()),
        Prefetch("indicateurs", queryset=indicators),
    )


@plans.get(
    "/ctg/{int:ctg_pk}/actions/", response={200: s.page_of(s.Action), **ERRORS}, url_name="actions"
)
def list_actions(
    request: HttpRequest, ctg_pk: int, filtres: Query[ActionFilters], page: Query[s.PageQuery]
):
    """Les fiches actions du plan d'une Ctg, avec leurs indicateurs et leurs valeurs."""
    ctg = accounts.get_ctg_for_user(_user(request), ctg_pk)
    queryset = _actions().filter(ctg=ctg).order_by("position", "code", "id")
    if filtres.statut:
        queryset = queryset.filter(statut=filtres.statut)
    today = _today()
    return _page(queryset, page, lambda action: s.to_action(action, today))


@plans.get("/actions/{int:pk}/", response={200: s.Action, **ERRORS}, url_name="action")
def get_action(request: HttpRequest, pk: int):
    """Une fiche action du plan, ses indicateurs et leurs valeurs."""
    action = plan_access.get_action_for_user(_user(request), pk)
    return s.to_action(_actions().get(pk=action.pk), _today())


@plans.put(
    "/ctg/{int:ctg_pk}/indicateurs/valeurs/{int:annee}/",
    response={200: s.ValeursOut, **WRITE_ERRORS},
    url_name="indicator_values",
)
def put_indicator_values(request: HttpRequest, ctg_pk: int, annee: int, data: s.ValeursIn):
    """Saisir les valeurs d'une année des indicateurs du plan (null efface une valeur) :
    l'administrateur·rice de la Caf, le·la conseiller·ère, l'éditeur·rice de la collectivité."""
    user = _user(request)
    ctg = plan_access.get_ctg_for_plan_editor(user, ctg_pk)
    indicators = {indicator.pk for indicator in plan_services.ctg_indicators(ctg)}
    years = set(plan_services.plan_years(ctg))
    if annee not in years:
        raise Invalid(
            f"L'année {annee} est hors de la période de la Ctg "
            f"({ctg.date_debut.year}–{ctg.date_fin.year}).",
            "annee",
        )
    values: dict[int, Any] = {}
    for index, item in enumerate(data.valeurs):
        where = f"valeurs[{index}]"
        if item.indicateur not in indicators:
            raise Invalid(
                f"{where}.indicateur : l'indicateur {item.indicateur} n'est pas dans ce plan.",
                f"{where}.indicateur",
            )
        if item.indicateur in values:
            raise Invalid(
                f"{where}.indicateur : l'indicateur {item.indicateur} est donné deux fois.",
                f"{where}.indicateur",
            )
        try:
            values[item.indicateur] = None if item.valeur is None else parse_decimal(item.valeur)
        except ValueError as error:
            raise Invalid(f"{where}.valeur : {error}.", f"{where}.valeur") from None
    changed = plan_services.save_indicator_values(user, ctg, annee, values)
    return {"annee": annee, "modifies": changed}


# --- Instances --------------------------------------------------------------------------------

governance = Router(tags=["Instances"])


class InstanceFilters(s.Schema):
    annee: s.Year | None = s.Field(None, description="Les instances de l'année.")
    type: str | None = s.Field(None, description="copil, cotech, groupe_travail ou reseau.")


def _meetings() -> QuerySet:
    return Meeting.objects.select_related("ctg").prefetch_related("participants_caf", "decisions")


@governance.get(
    "/ctg/{int:ctg_pk}/instances/",
    response={200: s.page_of(s.Instance), **ERRORS},
    url_name="instances",
)
def list_instances(
    request: HttpRequest, ctg_pk: int, filtres: Query[InstanceFilters], page: Query[s.PageQuery]
):
    """Les instances d'une Ctg (Copil, Cotech, groupes de travail, réseaux)."""
    ctg = accounts.get_ctg_for_user(_user(request), ctg_pk)
    queryset = _meetings().filter(ctg=ctg).order_by("date", "heure", "id")
    if (annee := _year(filtres.annee)) is not None:
        queryset = queryset.filter(date__year=annee)
    if filtres.type:
        queryset = queryset.filter(kind=filtres.type)
    return _page(queryset, page, s.to_instance)


@governance.get("/instances/{int:pk}/", response={200: s.Instance, **ERRORS}, url_name="instance")
def get_instance(request: HttpRequest, pk: int):
    """Une instance (Copil, Cotech…), ses participants et ses décisions."""
    meeting = governance_access.get_meeting_for_user(_user(request), pk)
    return s.to_instance(_meetings().get(pk=meeting.pk))


def _breaks(text: str) -> bool:
    """A line break (the schema turned « \\x0b » and « \\x0c » into line feeds)."""
    return "\n" in text or "\r" in text


def _save_instance(request: HttpRequest, meeting: Meeting, data: s.InstanceIn) -> Meeting:
    """Validated by the UI's form (same rules, same French messages), saved by the service."""
    if any(_breaks(d.texte) or _breaks(d.fiche_action) for d in data.decisions):
        raise Invalid("Une décision tient sur une ligne.", "decisions")
    if any(_breaks(p) for p in data.participants):
        raise Invalid("Un participant tient sur une ligne.", "participants")
    form_data: dict[str, Any] = {
        "kind": data.type,
        "date": data.date.isoformat(),
        "heure": data.heure.strftime("%H:%M") if data.heure else "",
        "heure_fin": data.heure_fin.strftime("%H:%M") if data.heure_fin else "",
        "lieu": data.lieu,
        "objet": data.objet,
        "ordre_du_jour": data.ordre_du_jour,
        "participants_caf": [str(pk) for pk in data.participants_caf],
        "participants_text": "\n".join(data.participants),
        "decisions_text": "\n".join(
            f"{d.texte} [action : {d.fiche_action}]" if d.fiche_action else d.texte
            for d in data.decisions
        ),
    }
    query = QueryDict(mutable=True)
    for key, value in form_data.items():
        if isinstance(value, list):
            query.setlist(key, value)
        else:
            query[key] = value
    names = {
        "kind": "type",
        "participants_text": "participants",
        "decisions_text": "decisions",
        "__all__": "instance",
    }
    form = MeetingForm(query, instance=meeting, ctg=meeting.ctg)
    if not form.is_valid():
        errors = [
            {"champ": names.get(field, field), "message": message}
            for field, messages in form.errors.items()
            for message in messages
        ]
        first = errors[0]
        raise FormInvalid(f"{first['champ']} : {first['message']}", errors)
    instance = form.save(commit=False)
    instance.participants = form.cleaned_data["participants_text"]
    return governance_services.save_meeting(
        _user(request),
        instance,
        participants_caf=form.cleaned_data["participants_caf"],
        decisions=form.cleaned_data["decisions_text"],
    )


@governance.post(
    "/ctg/{int:ctg_pk}/instances/",
    response={201: s.Instance, **WRITE_ERRORS},
    url_name="instance_create",
)
def create_instance(request: HttpRequest, ctg_pk: int, data: s.InstanceIn):
    """Enregistrer une instance : l'administrateur·rice de la Caf, le·la conseiller·ère,
    l'éditeur·rice d'une collectivité signataire."""
    ctg = governance_access.get_ctg_for_editor(_user(request), ctg_pk)
    meeting = _save_instance(request, Meeting(ctg=ctg), data)
    return Status(201, s.to_instance(_meetings().get(pk=meeting.pk)))


@governance.put(
    "/instances/{int:pk}/", response={200: s.Instance, **WRITE_ERRORS}, url_name="instance_update"
)
def update_instance(request: HttpRequest, pk: int, data: s.InstanceIn):
    """Modifier une instance (tous ses champs ; le compte rendu déposé est gardé)."""
    meeting = governance_access.get_meeting_for_editor(_user(request), pk)
    _save_instance(request, meeting, data)
    return s.to_instance(_meetings().get(pk=pk))


# --- Bilans annuels ---------------------------------------------------------------------------

reports = Router(tags=["Bilans annuels"])


class BilanFilters(s.Schema):
    annee: s.Year | None = s.Field(None, description="L'année du bilan.")
    statut: str | None = s.Field(None, description="brouillon, transmis, a_completer ou valide.")
    collectivite: s.Id | None = s.Field(None, description="L'identifiant de la collectivité.")
    cof: s.Id | None = s.Field(None, description="L'identifiant de la Cof.")


def _bilans(user: Any) -> QuerySet:
    return (
        report_access.visible_reports(user)
        .select_related(
            "cof",
            "cof__collectivite",
            "cof__collectivite__epci",
            "cof__collectivite__commune",
            "referentiel",
        )
        .defer(*_without_geometry("cof__collectivite__"))
    )


#: What a bilan's list item does not show: its frozen facts (the heaviest JSON) and texts.
BILAN_HEAVY_FIELDS = ("faits", "synthese", "perspectives")


@reports.get("/bilans/", response={200: s.page_of(s.Bilan), **ERRORS}, url_name="bilans")
def list_bilans(request: HttpRequest, filtres: Query[BilanFilters], page: Query[s.PageQuery]):
    """Les bilans annuels d'activité (lecture seule)."""
    queryset = (
        _bilans(_user(request)).defer(*BILAN_HEAVY_FIELDS).order_by("-annee", "cof__numero", "pk")
    )
    if (annee := _year(filtres.annee)) is not None:
        queryset = queryset.filter(annee=annee)
    if filtres.statut:
        queryset = queryset.filter(statut=filtres.statut)
    if filtres.collectivite is not None:
        queryset = queryset.filter(cof__collectivite_id=filtres.collectivite)
    if filtres.cof is not None:
        queryset = queryset.filter(cof_id=filtres.cof)
    return _page(queryset, page, s.to_bilan)


@reports.get("/bilans/{int:pk}/", response={200: s.BilanDetail, **ERRORS}, url_name="bilan")
def get_bilan(request: HttpRequest, pk: int):
    """Un bilan annuel, ses auto-évaluations des attendus et ses faits de l'année (figés à la
    transmission)."""
    report = _bilans(_user(request)).filter(pk=pk).first()
    if report is None:
        raise Http404
    evaluations = AttenduAssessment.objects.filter(bilan=report).select_related("attendu")
    return {
        **s.to_bilan(report),
        "synthese": report.synthese,
        "perspectives": report.perspectives,
        "faits": report.faits or {},
        "evaluations": [
            {"attendu": e.attendu.code, "niveau": e.niveau, "commentaire": e.commentaire}
            for e in evaluations
        ],
    }


# --- Échéances (ce qui attend qui) ------------------------------------------------------------

deadlines = Router(tags=["Échéances"])


class EcheanceFilters(s.Schema):
    type: str | None = s.Field(
        None, description="Un type d'échéance : " + ", ".join(DEADLINE_KINDS) + "."
    )
    a_faire: bool = s.Field(False, description="Seulement ce que l'appelant doit faire.")
    collectivite: s.Id | None = s.Field(None, description="L'identifiant de la collectivité.")
    caf: str | None = s.Field(None, description="Le code de la Caf, par ex. 37.")


@deadlines.get("/echeances/", response={200: s.page_of(s.Echeance), **ERRORS}, url_name="echeances")
def list_echeances(request: HttpRequest, filtres: Query[EcheanceFilters], page: Query[s.PageQuery]):
    """Ce qui attend une action sur les territoires de l'appelant (toutes années), par date,
    et qui doit agir — les mêmes tâches que sa page d'accueil et la page « Échéances »."""
    if filtres.type is not None and filtres.type not in DEADLINE_KINDS:
        raise Invalid(f"Type d'échéance inconnu : « {filtres.type} ».", "type")
    user = _user(request)
    collectivites = accounts.visible_collectivites(user)
    if filtres.collectivite is not None:
        collectivites = collectivites.filter(pk=filtres.collectivite)
    if filtres.caf:
        collectivites = collectivites.filter(caf__code=filtres.caf)
    items = tasks_of(collectivites, _today(), filtres.type or "")
    if filtres.a_faire:
        items = [task for task in items if actionable_by(user, task)]
    found = _page_list(
        items, page, lambda task: [task.kind, task.ref, task.date.isoformat()], "echeances"
    )
    # Who must act is marked on the page's rows only.
    rows = for_reader(user, found.pop("items"))
    return {**found, "resultats": [s.to_echeance(task) for task in rows]}


# Mission 2 (diagnostic, commissions, besoins): its module uses the helpers above.
from coopctg.api.diagnostic import router as diagnostic  # noqa: E402

# Mission 4 (consultations, supports): its module uses the helpers above.
from coopctg.api.participation import router as participation  # noqa: E402

# Partner directory (coopctg/partners): its module uses the helpers above.
from coopctg.api.partners import router as partners  # noqa: E402

# --- Diagnostic de territoire (coopctg/indicators) --------------------------------------------

indicators = Router(tags=["Diagnostic de territoire"])


@indicators.get(
    "/indicateurs/",
    response={200: s.page_of(s.IndicateurDiagnostic), **ERRORS},
    url_name="indicateurs",
)
def list_indicateurs(request: HttpRequest, page: Query[s.PageQuery]):
    """Le catalogue des indicateurs du diagnostic (les indicateurs locaux d'une collectivité
    figurent dans sa fiche diagnostic)."""
    items = list(indicator_catalogue().values())
    found = _page_list(items, page, lambda item: item.code, "indicateurs")
    return {**found, "resultats": [s.to_indicateur(item) for item in found.pop("items")]}


class FicheFilters(s.Schema):
    annee: s.Year | None = s.Field(
        None, description="Les valeurs de cette année (à défaut, la plus récente avant elle)."
    )


@indicators.get(
    "/collectivites/{int:pk}/fiche-diagnostic/",
    response={200: s.FicheDiagnostic, **ERRORS},
    url_name="fiche_diagnostic",
)
def get_fiche_diagnostic(request: HttpRequest, pk: int, filtres: Query[FicheFilters]):
    """La fiche diagnostic d'une collectivité, comme ``coopctg diagnostic exporter`` : chaque
    indicateur avec son année, sa valeur telle que publiée, celles du département et de la
    France la même année, et sa source."""
    collectivite = accounts.get_collectivite_for_user(_user(request), pk)
    return fiche_json(build_fiche(collectivite, filtres.annee, with_map=False))


# --- Vue nationale (Cnaf) -----------------------------------------------------------------------

national = Router(tags=["Vue nationale"])


@national.get(
    "/national/{int:annee}/", response={200: s.VueNationale, **ERRORS}, url_name="national"
)
def get_national(request: HttpRequest, annee: int):
    """Les chiffres de chaque Caf pour une année (collectivités, couverture en Ctg, Etp et
    montants par enveloppe, bilans en retard, gouvernance, versements) et leur total : la
    vue nationale, réservée à l'analyste national (Cnaf)."""
    user = _user(request)
    accounts.require_national(user)
    year = _year(annee)
    assert year is not None
    figures = national_figures(year, _today())
    return {
        "annee": year,
        "date": figures.today,
        "caf": [s.to_caf_figures(one) for one in figures.cafs],
        "total": s.to_caf_figures(figures.total),
    }


for router in (
    territories,
    ctgs,
    cofs,
    funding,
    plans,
    governance,
    reports,
    deadlines,
    diagnostic,
    participation,
    indicators,
    partners,
    national,
):
    api.add_router("/", router)


def _french_summaries() -> None:
    """Each operation's summary in the documentation is the first sentence of its docstring
    (French), not its Python name (« List Collectivites »)."""
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                doc = (operation.view_func.__doc__ or "").strip()
                if doc:
                    first = " ".join(doc.split("\n\n")[0].split())
                    operation.summary = first.split(" : ")[0].split(". ")[0].rstrip(".")


_french_summaries()


def _has_nul(request: HttpRequest) -> bool:
    """A NUL character (``%00``, ``\\u0000``) in the path, the query or the JSON body:
    PostgreSQL refuses it in any text (a 500 otherwise), as the forms do."""
    values = [request.path, *(v for _, vs in request.GET.lists() for v in vs)]
    body = _body(request)
    return any("\x00" in v for v in values) or b"\x00" in body or b"\\u0000" in body


def _body(request: HttpRequest) -> bytes:
    return request.body if request.method in {"POST", "PUT", "PATCH"} else b""


def _strings(value: Any) -> Any:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _has_lone_surrogate(request: HttpRequest) -> bool:
    """A JSON string holding half of a surrogate pair (« \\ud800 »): valid JSON, but no
    UTF-8 text, hence no database, can store it (a 500 otherwise)."""
    body = _body(request)
    if b"\\ud" not in body.lower():
        return False
    try:
        data = load_json(body)
    except ValueError:
        return False  # malformed, too deep…: the API's own 4xx
    for text in _strings(data):
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return True
    return False


def _refusing_nul(view: Any) -> Any:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if _has_nul(request):
            message = "Requête invalide : le caractère nul (\\u0000) n'est pas accepté."
            return _error(request, 422, message)
        if _has_lone_surrogate(request):
            message = (
                "Requête invalide : un texte contient un caractère incomplet (demi-paire de "
                "substitution Unicode)."
            )
            return _error(request, 422, message)
        return view(request, *args, **kwargs)

    return wrapper


def api_urls() -> tuple[list[Any], str, str]:
    """``api.urls``, open to the API's own authentication (no redirection to the login page),
    except the interactive docs, a browser page for logged-in users; the schema answers 401 to
    an anonymous request (:func:`_signed_in_only`); a NUL character in the request is refused
    (422) before any operation."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        pattern.callback = _refusing_nul(pattern.callback)
        if pattern.name != "openapi-view":
            pattern.callback.login_required = False
    return patterns, app_name, namespace

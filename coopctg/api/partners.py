"""The API of the partner directory: read the partners of a Caf (shared by its territories)
and what each takes part in; create and change a partner (same form, same French messages as
the page). Scoped like the pages (:mod:`coopctg.partners.access`): what the user may not see,
or see but not change, is a 404. Registered on :data:`coopctg.api.api.api` by that module.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, QueryDict
from django.utils import timezone
from ninja import Query, Router
from ninja.responses import Status
from pydantic import Field

from coopctg.accounts.access import visible_ctgs
from coopctg.api import schemas as s
from coopctg.api.api import ERRORS, WRITE_ERRORS, FormInvalid, _page, _user
from coopctg.core.themes import Theme
from coopctg.partners import access, services
from coopctg.partners.forms import PartnerForm
from coopctg.partners.models import Partner

router = Router(tags=["Partenaires"])


class Partenaire(s.Schema):
    id: int
    source: str
    identifiant: str
    nom: str
    siret: str | None
    nature: str
    code_insee: str | None
    commune: str | None
    thematiques: list[str]
    contact: str
    service_interne_de: int | None = Field(
        description="La collectivité dont c'est un service interne."
    )
    date_maj: dt.date


class Participation(s.Schema):
    ctg: int
    type: str
    id: int
    libelle: str
    role: str


class PartenaireDetail(Partenaire):
    participations: list[Participation]
    reseaux: list[str]


class PartenaireIn(s.Schema):
    nom: str
    nature: str = Field(description="association, service_collectivite, caf, departement…")
    siret: str = ""
    adresse: str = ""
    code_postal: str = ""
    code_insee: str = ""
    thematiques: list[str] = []
    presentation: str = ""
    contact: str = Field("", description="Une fonction, jamais le nom d'une personne.")
    service_interne_de: int | None = None


class PartenaireFilters(s.Schema):
    thematique: str | None = Field(None, description="Code d'une des 8 thématiques.")


def _partner(p: Partner) -> dict[str, Any]:
    return {
        "id": p.pk,
        "source": p.source,
        "identifiant": p.identifiant,
        "nom": p.nom,
        "siret": p.siret or None,
        "nature": p.kind,
        "code_insee": p.code_insee or None,
        "commune": p.commune or None,
        "thematiques": list(p.themes),
        "contact": p.contact_fonction,
        "service_interne_de": p.collectivite_id,
        "date_maj": p.date_maj,
    }


@router.get(
    "/caf/{code}/partenaires/",
    response={200: s.page_of(Partenaire), **ERRORS},
    url_name="partenaires",
)
def list_partenaires(
    request: HttpRequest, code: str, filtres: Query[PartenaireFilters], page: Query[s.PageQuery]
):
    """L'annuaire des partenaires d'une Caf, partagé par ses territoires (par nom)."""
    caf = access.get_caf_directory_for_user(_user(request), code)
    queryset = services.directory(caf.pk)
    if filtres.thematique in {t.value for t in Theme}:
        ids = [p.pk for p in queryset.only("pk", "themes") if filtres.thematique in p.themes]
        queryset = queryset.filter(pk__in=ids)
    return _page(queryset, page, _partner)


@router.get(
    "/partenaires/{int:pk}/", response={200: PartenaireDetail, **ERRORS}, url_name="partenaire"
)
def get_partenaire(request: HttpRequest, pk: int):
    """Un partenaire et ce à quoi il participe dans les Ctg que vous voyez : fiches actions,
    instances, diagnostics partagés, réseaux."""
    user = _user(request)
    partner = access.get_partner_for_user(user, pk)
    p = services.participations(partner, visible_ctgs(user).values("pk"))
    rows = [
        {
            "ctg": r.action.ctg_id,
            "type": "action",
            "id": r.action_id,
            "libelle": f"{r.action.code} {r.action.titre}",
            "role": r.role,
        }
        for r in p.actions
    ]
    rows += [
        {
            "ctg": r.meeting.ctg_id,
            "type": "instance",
            "id": r.meeting_id,
            "libelle": f"{r.meeting.short_label} du {r.meeting.date:%d/%m/%Y}",
            "role": r.presence,
        }
        for r in p.meetings
    ]
    rows += [
        {
            "ctg": r.diagnostic.ctg_id,
            "type": "diagnostic",
            "id": r.diagnostic_id,
            "libelle": f"Diagnostic partagé, version {r.diagnostic.version}",
            "role": "consulte",
        }
        for r in p.diagnostics
    ]
    return {**_partner(partner), "participations": rows, "reseaux": [n.nom for n in p.networks]}


FORM_NAMES = {
    "kind": "nature",
    "themes": "thematiques",
    "description": "presentation",
    "contact_fonction": "contact",
    "collectivite": "service_interne_de",
    "__all__": "partenaire",
}


def _save(request: HttpRequest, caf: Any, partner: Partner, data: PartenaireIn) -> Partner:
    query = QueryDict(mutable=True)
    query.update(
        {
            "nom": data.nom,
            "kind": data.nature,
            "siret": data.siret,
            "adresse": data.adresse,
            "code_postal": data.code_postal,
            "code_insee": data.code_insee,
            "description": data.presentation,
            "contact_fonction": data.contact,
            "collectivite": "" if data.service_interne_de is None else str(data.service_interne_de),
        }
    )
    query.setlist("themes", data.thematiques)
    form = PartnerForm(query, instance=partner, caf=caf)
    if not form.is_valid():
        errors = [
            {"champ": FORM_NAMES.get(field, field), "message": message}
            for field, messages in form.errors.items()
            for message in messages
        ]
        first = errors[0]
        raise FormInvalid(f"{first['champ']} : {first['message']}", errors)
    if partner.pk is None:
        partner.identifiant = f"caf-{caf.code}-{timezone.now():%Y%m%d%H%M%S%f}"
    partner.date_maj = timezone.localdate()
    return form.save()


@router.post(
    "/caf/{code}/partenaires/",
    response={201: Partenaire, **WRITE_ERRORS},
    url_name="partenaire_create",
)
def create_partenaire(request: HttpRequest, code: str, data: PartenaireIn):
    """Ajouter un partenaire à l'annuaire d'une Caf : son administration, ses conseiller·ères,
    les éditeur·rices de ses collectivités. Validé comme le formulaire de la page."""
    caf = access.get_caf_directory_for_editor(_user(request), code)
    return Status(201, _partner(_save(request, caf, Partner(caf=caf), data)))


@router.put(
    "/partenaires/{int:pk}/",
    response={200: Partenaire, **WRITE_ERRORS},
    url_name="partenaire_update",
)
def update_partenaire(request: HttpRequest, pk: int, data: PartenaireIn):
    """Modifier un partenaire (mêmes droits et mêmes règles que l'ajout)."""
    partner = access.get_partner_for_editor(_user(request), pk)
    return _partner(_save(request, partner.caf, partner, data))

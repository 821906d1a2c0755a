import datetime as dt

from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from coopctg.accounts.access import (
    can_edit_collectivite,
    can_manage_ctg,
    get_ctg_for_user,
    manageable_collectivites,
    scope_of,
    visible_collectivites,
    visible_ctgs,
)
from coopctg.core.formats import format_date
from coopctg.core.models import AuditEntry
from coopctg.core.themes import Theme
from coopctg.ctg.forms import CtgForm
from coopctg.ctg.models import Ctg
from coopctg.ctg.services import save_ctg
from coopctg.organisations.models import LocalAuthority
from coopctg.www.pagination import caf_choice, paginate, row_url


def ctg_list(request: HttpRequest) -> HttpResponse:
    """The Ctg of the user's scope, filtered on the server (Caf, statut) and cut in pages."""
    cafs = caf_choice(request)
    ctgs = (
        visible_ctgs(request.user)
        # The columns shown (not the themes, a JSON column, nor the Caf).
        .only("id", "intitule", "date_debut", "date_fin", "statut")
        .prefetch_related(
            Prefetch(
                "signataires", LocalAuthority.objects.only("id", "nom"), to_attr="signataires_lus"
            )
        )
    )
    if cafs.chosen is not None:
        ctgs = ctgs.filter(caf=cafs.chosen)
    statut = request.GET.get("statut", "")
    if statut in Ctg.Status.values:
        ctgs = ctgs.filter(statut=statut)
    else:
        statut = ""
    pagination = paginate(
        request, ctgs.order_by("date_fin", "intitule", "pk"), label="Pages des Ctg"
    )
    url = row_url("ctg:detail")
    rows = [
        {
            "ctg": ctg,
            "url": url(ctg.pk),
            "signataires": ", ".join(la.nom for la in ctg.signataires_lus),
            "periode": f"{format_date(ctg.date_debut)} – {format_date(ctg.date_fin)}",
        }
        for ctg in pagination.page.object_list
    ]
    return render(
        request,
        "ctg/list.html",
        {
            "rows": rows,
            "pagination": pagination,
            "caf_choice": cafs,
            "statut": statut,
            "statuts": Ctg.Status.choices,
            "today": dt.date.today(),
            "can_create": manageable_collectivites(request.user).exists(),
        },
    )


def ctg_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ctg = get_ctg_for_user(request.user, pk)
    signataires = list(ctg.signataires.select_related("epci", "commune"))
    architectures = {a.collectivite_id: a for a in ctg.architectures.filter(kind="travail")}
    visible = set(
        visible_collectivites(request.user)
        .filter(pk__in=[la.pk for la in signataires])
        .values_list("pk", flat=True)
    )
    return render(
        request,
        "ctg/detail.html",
        {
            "ctg": ctg,
            "signataires": signataires,
            "funding": [
                (la, architectures.get(la.pk), can_edit_collectivite(request.user, la))
                for la in signataires
                if la.pk in visible
            ],
            "themes": [(t.label, t.value in ctg.themes) for t in Theme],
            "can_manage": can_manage_ctg(request.user, ctg),
            "can_see_history": bool(scope_of(request.user).caf_ids),
        },
    )


def _form_page(request: HttpRequest, ctg: Ctg, title: str) -> HttpResponse:
    collectivites = manageable_collectivites(request.user).order_by("nom")
    form = CtgForm(request.POST or None, instance=ctg, collectivites=collectivites)
    if request.method == "POST" and form.is_valid():
        instance = form.save(commit=False)
        signataires = list(form.cleaned_data["signataires"])
        instance.caf_id = signataires[0].caf_id
        save_ctg(request.user, instance, signataires)
        messages.success(request, "La Ctg est enregistrée.")
        return redirect(reverse("ctg:detail", args=[instance.pk]))
    return render(
        request,
        "ctg/form.html",
        {"form": form, "ctg": ctg, "title": title},
        status=400 if form.errors else 200,
    )


def ctg_create(request: HttpRequest) -> HttpResponse:
    if not manageable_collectivites(request.user).exists():
        raise Http404("Page introuvable.")
    ctg = Ctg(
        date_debut=dt.date(dt.date.today().year, 1, 1),
        date_fin=dt.date(dt.date.today().year + 4, 12, 31),
        themes=[t.value for t in Theme],
    )
    return _form_page(request, ctg, "Nouvelle Ctg")


def ctg_edit(request: HttpRequest, pk: int) -> HttpResponse:
    ctg = get_ctg_for_user(request.user, pk)
    if not can_manage_ctg(request.user, ctg):
        raise Http404("Page introuvable.")
    return _form_page(request, ctg, f"Modifier : {ctg.intitule}")


def ctg_history(request: HttpRequest, pk: int) -> HttpResponse:
    ctg = get_ctg_for_user(request.user, pk)
    if not scope_of(request.user).caf_ids:  # the history is the Caf's
        raise Http404("Page introuvable.")
    entries = AuditEntry.objects.filter(objet_type=ctg._meta.label_lower, objet_id=str(ctg.pk))
    return render(
        request,
        "ctg/history.html",
        {
            "ctg": ctg,
            "entries": entries.select_related("auteur")[:200],
            "labels": {
                "intitule": "Intitulé",
                "signataires": "Signataires",
                "date_debut": "Début",
                "date_fin": "Fin",
                "date_signature": "Signature",
                "themes": "Thématiques",
                "statut": "Statut",
            },
        },
    )

"""Pages of the diagnostic de territoire: the fiche diagnostic of a collectivité (page, XLSX,
PDF), its local indicators, the catalogue, and the Caf administrator's import of open data.

Scoping (:mod:`coopctg.accounts.access`): whoever sees a collectivité reads its fiche; its
editors, the Caf admin and the assigned advisor add local indicators and their values; only a
Caf administrator imports open-data files. Anything else is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.text import slugify

from coopctg.accounts.access import (
    can_edit_collectivite,
    get_collectivite_for_user,
    scope_of,
    visible_collectivites,
)
from coopctg.core.exports import XLSX_CONTENT_TYPE
from coopctg.indicators import documents, local
from coopctg.indicators.catalogue import COMPUTATIONS, LEVELS, THEMES, shipped_catalogue
from coopctg.indicators.forms import ImportForm, LocalIndicatorForm, LocalValueForm
from coopctg.indicators.importer import IndicatorImportError, import_file
from coopctg.indicators.models import ImportBatch, LocalIndicator
from coopctg.indicators.services import DEMO_NOTE, build_fiche
from coopctg.organisations.models import LocalAuthority
from coopctg.territories.importer import ImportIssue
from coopctg.www.documents_views.respond import serve_pdf

RECENT_IMPORTS = 20


def _crumbs(*items: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [("Accueil", reverse("home")), *items]


def _year(request: HttpRequest) -> int | None:
    text = request.GET.get("annee", "")
    if text.isascii() and text.isdigit() and len(text) == 4:
        return int(text)
    return None


def _collectivite_crumbs(collectivite: LocalAuthority, *items: tuple[str, str | None]) -> list:
    return _crumbs(
        (collectivite.nom, reverse("organisations:collectivite", args=[collectivite.pk])),
        *items,
    )


# --- The fiche diagnostic ---------------------------------------------------------------------


def fiche(request: HttpRequest, pk: int) -> HttpResponse:
    collectivite = get_collectivite_for_user(request.user, pk)
    year = _year(request)
    result = build_fiche(collectivite, year, request.GET.get("carte") or None)
    locals_ = list(collectivite.indicateurs_locaux.all())
    can_edit = can_edit_collectivite(request.user, collectivite)
    query = f"?annee={year}" if year else ""
    return render(
        request,
        "indicators/fiche.html",
        {
            "collectivite": collectivite,
            "fiche": result,
            "map": documents.commune_map(result.communes),
            "locals": locals_,
            "can_edit": can_edit,
            "demo_note": DEMO_NOTE,
            "year": year,
            "export_query": query,
            "datasets": shipped_catalogue().datasets,
            "crumbs": _collectivite_crumbs(collectivite, ("Fiche diagnostic", None)),
        },
    )


def _filename(collectivite: LocalAuthority, extension: str) -> str:
    stem = slugify(collectivite.nom) or str(collectivite.pk)
    return f"fiche-diagnostic-{stem}-{timezone.localdate():%Y%m%d}.{extension}"


def fiche_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    collectivite = get_collectivite_for_user(request.user, pk)
    result = build_fiche(collectivite, _year(request))
    response = HttpResponse(documents.fiche_xlsx(result), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        True, _filename(collectivite, "xlsx")
    )
    return response


def fiche_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    collectivite = get_collectivite_for_user(request.user, pk)
    """The fiche's PDF, made by the task worker (coopctg.www.documents_views.respond)."""
    result = build_fiche(collectivite, _year(request), request.GET.get("carte") or None)
    return serve_pdf(
        request,
        "fiche",
        lambda: documents.fiche_html(result),
        filename=_filename(collectivite, "pdf"),
        title=f"Fiche diagnostic — {collectivite.nom}",
        back=(reverse("indicators:fiche", args=[pk]), collectivite.nom),
    )


# --- Local indicators ------------------------------------------------------------------------


def _editable_collectivite(request: HttpRequest, pk: int) -> LocalAuthority:
    collectivite = get_collectivite_for_user(request.user, pk)
    if not can_edit_collectivite(request.user, collectivite):
        raise Http404("Page introuvable.")
    return collectivite


def _editable_local(request: HttpRequest, pk: int) -> LocalIndicator:
    try:
        item = LocalIndicator.objects.select_related("collectivite__caf").get(
            pk=pk, collectivite__in=visible_collectivites(request.user)
        )
    except LocalIndicator.DoesNotExist as error:
        raise Http404("Page introuvable.") from error
    if not can_edit_collectivite(request.user, item.collectivite):
        raise Http404("Page introuvable.")
    return item


def local_create(request: HttpRequest, pk: int) -> HttpResponse:
    collectivite = _editable_collectivite(request, pk)
    form = LocalIndicatorForm(
        request.POST if request.method == "POST" else None, collectivite=collectivite
    )
    if request.method == "POST" and form.is_valid():
        created = local.create_local_indicator(request.user, collectivite, form.cleaned_data)
        messages.success(request, f"Indicateur local « {created.libelle} » ajouté.")
        return redirect(reverse("indicators:local_value", args=[created.pk]))
    return render(
        request,
        "indicators/local_form.html",
        {
            "collectivite": collectivite,
            "form": form,
            "local": None,
            "crumbs": _collectivite_crumbs(
                collectivite,
                ("Fiche diagnostic", reverse("indicators:fiche", args=[collectivite.pk])),
                ("Nouvel indicateur local", None),
            ),
        },
        status=400 if request.method == "POST" else 200,
    )


def local_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = _editable_local(request, pk)
    collectivite = item.collectivite
    form = LocalIndicatorForm(
        request.POST if request.method == "POST" else None,
        instance=item,
        collectivite=collectivite,
    )
    if request.method == "POST" and form.is_valid():
        local.update_local_indicator(request.user, item, form.cleaned_data)
        messages.success(request, f"Indicateur local « {item.libelle} » modifié.")
        return redirect(reverse("indicators:fiche", args=[collectivite.pk]) + "#locaux")
    return render(
        request,
        "indicators/local_form.html",
        {
            "collectivite": collectivite,
            "form": form,
            "local": item,
            "crumbs": _collectivite_crumbs(
                collectivite,
                ("Fiche diagnostic", reverse("indicators:fiche", args=[collectivite.pk])),
                (item.libelle, None),
            ),
        },
        status=400 if request.method == "POST" else 200,
    )


def local_value(request: HttpRequest, pk: int) -> HttpResponse:
    item = _editable_local(request, pk)
    collectivite = item.collectivite
    form = LocalValueForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        text, value = form.cleaned_data["valeur"]
        year = form.cleaned_data["annee"]
        local.record_local_value(request.user, item, year, text, value)
        messages.success(request, f"Valeur {year} de « {item.libelle} » enregistrée.")
        return redirect(reverse("indicators:fiche", args=[collectivite.pk]) + "#locaux")
    fiche_data = build_fiche(collectivite)
    line = next((x for x in fiche_data.lines if x.indicator.code == item.code), None)
    return render(
        request,
        "indicators/local_value.html",
        {
            "collectivite": collectivite,
            "local": item,
            "form": form,
            "serie": line.serie if line else [],
            "crumbs": _collectivite_crumbs(
                collectivite,
                ("Fiche diagnostic", reverse("indicators:fiche", args=[collectivite.pk])),
                (item.libelle, None),
            ),
        },
        status=400 if request.method == "POST" else 200,
    )


# --- Catalogue and import ---------------------------------------------------------------------


def catalogue_page(request: HttpRequest) -> HttpResponse:
    catalogue = shipped_catalogue()
    return render(
        request,
        "indicators/catalogue.html",
        {
            "catalogue": catalogue,
            "indicators": list(catalogue.indicators.values()),
            "levels": LEVELS,
            "themes": THEMES,
            "computations": COMPUTATIONS,
            "can_import": bool(scope_of(request.user).caf_admin_ids),
            "crumbs": _crumbs(("Indicateurs du diagnostic", None)),
        },
    )


def import_page(request: HttpRequest) -> HttpResponse:
    if not scope_of(request.user).caf_admin_ids:
        raise Http404("Page introuvable.")
    errors: list[ImportIssue] = []
    form = ImportForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["fichier"]
        try:
            report = import_file(upload.name or "fichier", upload.read(), user=request.user)
        except IndicatorImportError as error:
            errors = error.errors
        else:
            messages.success(request, report.summary())
            return redirect(reverse("indicators:import"))
    recent = list(
        ImportBatch.objects.filter(genre=ImportBatch.Kind.FICHIER).select_related("importe_par")[
            :RECENT_IMPORTS
        ]
    )
    return render(
        request,
        "indicators/import.html",
        {
            "form": form,
            "errors": errors,
            "shown_errors": errors[:50],
            "recent": recent,
            "datasets": list(shipped_catalogue().datasets.values()),
            "crumbs": _crumbs(
                ("Indicateurs du diagnostic", reverse("indicators:catalogue")),
                ("Importer des données ouvertes", None),
            ),
        },
        status=400 if request.method == "POST" else 200,
    )

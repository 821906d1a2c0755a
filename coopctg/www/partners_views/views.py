"""Pages of the partner directory (per Caf, shared by its territories), of a partner (what it
takes part in), of the partner network of a Ctg (SVG graph and the same data in a table,
networks of its chargé·e de coopération), and the forms linking partners to actions and
instances."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header

from coopctg.accounts.access import get_ctg_for_user, visible_ctgs
from coopctg.actionplan.access import get_action_for_editor
from coopctg.core.exports import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE, csv_bytes
from coopctg.core.themes import THEME_CHOICES, theme_labels
from coopctg.diagnostic.access import get_diagnostic_for_editor
from coopctg.governance.access import (
    can_edit_governance,
    get_ctg_for_editor,
    get_meeting_for_editor,
)
from coopctg.partners import services
from coopctg.partners.access import (
    can_edit_directory,
    get_caf_directory_for_editor,
    get_caf_directory_for_user,
    get_membership_for_editor,
    get_network_for_editor,
    get_partner_for_editor,
    get_partner_for_user,
)
from coopctg.partners.forms import (
    ActionPartnersForm,
    DiagnosticPartnersForm,
    MeetingPartnersForm,
    MembershipForm,
    NetworkForm,
    PartnerForm,
)
from coopctg.partners.models import (
    KIND_CHOICES,
    ActionPartner,
    DiagnosticPartner,
    MeetingPartner,
    Network,
    NetworkMembership,
    Partner,
)

THEMES = dict(THEME_CHOICES)
KINDS = dict(KIND_CHOICES)


def directory(request: HttpRequest, code: str) -> HttpResponse:
    caf = get_caf_directory_for_user(request.user, code)
    theme = request.GET.get("thematique", "")
    kind = request.GET.get("nature", "")
    partners = services.directory(caf.pk).annotate(
        action_count=Count("actions", distinct=True),
        meeting_count=Count("instances", distinct=True),
    )
    if theme not in THEMES:
        theme = ""
    if kind in KINDS:
        partners = partners.filter(kind=kind)
    else:
        kind = ""
    rows = [p for p in partners if not theme or theme in p.themes]  # JSON list: in Python
    networks = list(
        Network.objects.filter(caf=caf).annotate(
            members=Count("adhesions", distinct=True), meetings=Count("reunions", distinct=True)
        )
    )
    return render(
        request,
        "partners/directory.html",
        {
            "caf": caf,
            "rows": [(p, theme_labels(p.themes)) for p in rows],
            "themes": THEME_CHOICES,
            "kinds": KIND_CHOICES,
            "theme": theme,
            "kind": kind,
            "networks": networks,
            "can_edit": can_edit_directory(request.user, caf),
        },
    )


def export(request: HttpRequest, code: str, format: str) -> HttpResponse:
    caf = get_caf_directory_for_user(request.user, code)
    if format not in ("csv", "xlsx"):
        raise Http404("Page introuvable.")
    partners = services.directory(caf.pk)
    if format == "csv":
        content = csv_bytes(services.export_csv(partners))
        content_type = CSV_CONTENT_TYPE
    else:
        content = services.export_xlsx(partners)
        content_type = XLSX_CONTENT_TYPE
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(
        True, f"partenaires-caf-{caf.code}.{format}"
    )
    return response


def _partner_form(request: HttpRequest, caf: Any, partner: Partner, title: str) -> HttpResponse:
    form = PartnerForm(request.POST or None, instance=partner, caf=caf)
    if request.method == "POST" and form.is_valid():
        if partner.pk is None:
            partner.identifiant = f"caf-{caf.code}-{timezone.now():%Y%m%d%H%M%S%f}"
            partner.date_maj = timezone.localdate()
        else:
            partner.date_maj = timezone.localdate()
        saved = form.save()
        messages.success(request, f"Partenaire « {saved.nom} » enregistré.")
        return redirect("partners:detail", saved.pk)
    return render(request, "partners/partner_form.html", {"caf": caf, "form": form, "title": title})


def partner_create(request: HttpRequest, code: str) -> HttpResponse:
    caf = get_caf_directory_for_editor(request.user, code)
    return _partner_form(request, caf, Partner(caf=caf), "Nouveau partenaire")


def partner_edit(request: HttpRequest, pk: int) -> HttpResponse:
    partner = get_partner_for_editor(request.user, pk)
    return _partner_form(request, partner.caf, partner, f"Modifier : {partner.nom}")


def partner_detail(request: HttpRequest, pk: int) -> HttpResponse:
    partner = get_partner_for_user(request.user, pk)
    taking_part = services.participations(partner, visible_ctgs(request.user).values("pk"))
    return render(
        request,
        "partners/partner_detail.html",
        {
            "partner": partner,
            "kind": KINDS.get(partner.kind, partner.kind),
            "themes": theme_labels(partner.themes),
            "services": list(partner.services.all()),
            "p": taking_part,
            "can_edit": can_edit_directory(request.user, partner.caf),
        },
    )


def ctg_network(request: HttpRequest, ctg_pk: int) -> HttpResponse:
    ctg = get_ctg_for_user(request.user, ctg_pk)
    graph = services.ctg_network(ctg.pk)
    rows = (
        ActionPartner.objects.filter(action__ctg=ctg)
        .select_related("partner", "action")
        .order_by("action__code", "role", "partner__nom")
    )
    memberships = list(
        NetworkMembership.objects.filter(ctg=ctg)
        .select_related("network")
        .order_by("date_debut", "pk")
    )
    today = timezone.localdate()
    year = today.year
    participation = services.network_participation(
        ctg.pk, today.replace(month=1, day=1), today.replace(month=12, day=31)
    )
    internal = [r for r in rows if r.role == "service_interne"]
    return render(
        request,
        "partners/ctg.html",
        {
            "ctg": ctg,
            "graph": graph,
            "rows": [r for r in rows if r.role != "service_interne"],
            "internal": internal,
            "memberships": memberships,
            "participation": participation,
            "year": year,
            "can_edit": can_edit_governance(request.user, ctg),
        },
    )


def membership_create(request: HttpRequest, ctg_pk: int) -> HttpResponse:
    ctg = get_ctg_for_editor(request.user, ctg_pk)
    form = MembershipForm(request.POST or None, ctg=ctg)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Adhésion au réseau enregistrée.")
        return redirect(reverse("partners:ctg", args=[ctg.pk]) + "#reseaux")
    return render(
        request,
        "partners/simple_form.html",
        {
            "ctg": ctg,
            "form": form,
            "title": "Nouvelle adhésion à un réseau",
            "back": reverse("partners:ctg", args=[ctg.pk]),
        },
    )


def membership_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct a membership, or record its end (« membre jusqu'au »): same rights as adding it."""
    membership = get_membership_for_editor(request.user, pk)
    ctg = membership.ctg
    form = MembershipForm(request.POST or None, instance=membership, ctg=ctg)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Adhésion au réseau modifiée.")
        return redirect(reverse("partners:ctg", args=[ctg.pk]) + "#reseaux")
    return render(
        request,
        "partners/simple_form.html",
        {
            "ctg": ctg,
            "form": form,
            "title": f"Modifier l'adhésion : {membership.network.nom}",
            "back": reverse("partners:ctg", args=[ctg.pk]),
        },
        status=400 if request.method == "POST" else 200,
    )


def network_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct a network of the Caf (name, nature, theme, members): same rights as adding it."""
    network = get_network_for_editor(request.user, pk)
    return _network_form(request, network.caf, network, f"Modifier le réseau : {network.nom}")


def network_create(request: HttpRequest, code: str) -> HttpResponse:
    caf = get_caf_directory_for_editor(request.user, code)
    return _network_form(request, caf, None, "Nouveau réseau")


def _network_form(request: HttpRequest, caf: Any, network: Any, title: str) -> HttpResponse:
    form = NetworkForm(request.POST or None, instance=network, caf=caf)
    if request.method == "POST" and form.is_valid():
        network = form.save()
        form.save_m2m()
        messages.success(request, f"Réseau « {network.nom} » enregistré.")
        return redirect(reverse("partners:directory", args=[caf.code]) + "#reseaux")
    return render(
        request,
        "partners/simple_form.html",
        {
            "caf": caf,
            "form": form,
            "title": title,
            "back": reverse("partners:directory", args=[caf.code]),
        },
        status=400 if request.method == "POST" else 200,
    )


def action_partners(request: HttpRequest, pk: int) -> HttpResponse:
    action = get_action_for_editor(request.user, pk)
    current = list(ActionPartner.objects.filter(action=action))
    initial = {
        "pilotes": [r.partner_id for r in current if r.role == "pilote"],
        "contributeurs": [r.partner_id for r in current if r.role == "contributeur"],
        "services_internes": [r.partner_id for r in current if r.role == "service_interne"],
    }
    form = ActionPartnersForm(request.POST or None, initial=initial, ctg=action.ctg)
    if request.method == "POST" and form.is_valid():
        services.set_action_partners(action, form.rows())
        messages.success(request, "Partenaires de la fiche action enregistrés.")
        return redirect("actionplan:action", action.pk)
    return render(
        request,
        "partners/simple_form.html",
        {
            "ctg": action.ctg,
            "form": form,
            "title": f"Partenaires de la fiche {action.code} — {action.titre}",
            "back": reverse("actionplan:action", args=[action.pk]),
        },
    )


def meeting_partners(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting_for_editor(request.user, pk)
    current = list(MeetingPartner.objects.filter(meeting=meeting))
    link = getattr(meeting, "reseau_lie", None) if meeting.kind == "reseau" else None
    initial = {
        "presents": [r.partner_id for r in current if r.presence == "present"],
        "excuses": [r.partner_id for r in current if r.presence == "excuse"],
        "reseau": link.network_id if link else None,
    }
    form = MeetingPartnersForm(request.POST or None, initial=initial, meeting=meeting)
    if request.method == "POST" and form.is_valid():
        services.set_meeting_partners(meeting, form.rows())
        if "reseau" in form.fields:
            services.set_meeting_network(meeting, form.cleaned_data["reseau"])
        messages.success(request, "Partenaires de l'instance enregistrés.")
        return redirect("governance:instance", meeting.pk)
    return render(
        request,
        "partners/simple_form.html",
        {
            "ctg": meeting.ctg,
            "form": form,
            "title": f"Partenaires : {meeting.short_label} du {meeting.date:%d/%m/%Y}",
            "back": reverse("governance:instance", args=[meeting.pk]),
        },
    )


def diagnostic_partners(request: HttpRequest, pk: int) -> HttpResponse:
    """The partners consulted for a version of the diagnostic partagé: while it is a draft
    (a version validated in Copil no longer changes)."""
    diagnostic = get_diagnostic_for_editor(request.user, pk)
    if diagnostic.validated:
        raise Http404("Page introuvable.")
    initial = {
        "partenaires": list(
            DiagnosticPartner.objects.filter(diagnostic=diagnostic).values_list(
                "partner_id", flat=True
            )
        )
    }
    form = DiagnosticPartnersForm(request.POST or None, initial=initial, diagnostic=diagnostic)
    if request.method == "POST" and form.is_valid():
        services.set_diagnostic_partners(diagnostic, list(form.cleaned_data["partenaires"]))
        messages.success(request, "Partenaires consultés enregistrés.")
        return redirect("diagnostic:version", diagnostic.pk)
    return render(
        request,
        "partners/simple_form.html",
        {
            "ctg": diagnostic.ctg,
            "form": form,
            "title": f"Partenaires consultés — diagnostic partagé, version {diagnostic.version}",
            "back": reverse("diagnostic:version", args=[diagnostic.pk]),
        },
    )

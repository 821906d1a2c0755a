"""Pages of a Ctg's governance: instances (Copil, Cotech…), their minutes, the compliance with
the minimum of instances, the calendar export, and the faits marquants for the evaluation."""

import contextlib
import datetime as dt
from typing import Any

from django.contrib import messages
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header

from coopctg.accounts.access import get_ctg_for_user
from coopctg.core.themes import Theme
from coopctg.ctg.models import Ctg
from coopctg.governance import services
from coopctg.governance.access import (
    can_edit_governance,
    get_ctg_for_editor,
    get_highlight_for_editor,
    get_meeting_for_editor,
    get_meeting_for_user,
)
from coopctg.governance.files import CONTENT_TYPES, extension_of
from coopctg.governance.forms import HighlightForm, MeetingForm
from coopctg.governance.models import Highlight, Meeting
from coopctg.governance.rules import REQUIREMENTS, MeetingKind, Minimum, PeriodKind


def _sources(periods) -> list[Minimum]:
    """The distinct minimums applied to the periods (value, effective date, source)."""
    return sorted({p.minimum for p in periods if p.minimum}, key=lambda m: m.since)


def ctg_governance(request: HttpRequest, ctg_pk: int) -> HttpResponse:
    ctg = get_ctg_for_user(request.user, ctg_pk)
    today = timezone.localdate()
    meetings = list(
        Meeting.objects.filter(ctg=ctg)
        .annotate(decision_count=Count("decisions"))
        .order_by("date", "heure", "id")
    )
    status = services.status_for(ctg, [(m.kind, m.date) for m in meetings], today)
    tables = [
        {
            "kind": requirement.kind,
            "title": (
                "Comités de pilotage, par année"
                if requirement.period is PeriodKind.YEAR
                else "Comités techniques, par semestre"
            ),
            "unit": "par an" if requirement.period is PeriodKind.YEAR else "par semestre",
            "periods": status.compliance.of_kind(requirement.kind) if status.compliance else (),
        }
        for requirement in REQUIREMENTS
    ]
    for table in tables:
        table["sources"] = _sources(table["periods"])
    themes = {theme.value: theme.label for theme in Theme}
    facts = [(h, themes.get(h.theme, h.theme)) for h in services.highlights(ctg)]
    return render(
        request,
        "governance/ctg.html",
        {
            "ctg": ctg,
            "today": today,
            "status": status,
            "tables": tables,
            "upcoming": [m for m in meetings if m.date >= today],
            "past": [m for m in reversed(meetings) if m.date < today],
            "facts": facts,
            "can_edit": can_edit_governance(request.user, ctg),
        },
    )


def _meeting_form_page(
    request: HttpRequest, ctg: Ctg, meeting: Meeting, title: str, initial: dict[str, Any]
) -> HttpResponse:
    form = MeetingForm(
        request.POST or None, request.FILES or None, instance=meeting, ctg=ctg, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        instance = form.save(commit=False)
        instance.participants = form.cleaned_data["participants_text"]
        services.save_meeting(
            request.user,
            instance,
            participants_caf=form.cleaned_data["participants_caf"],
            decisions=form.cleaned_data["decisions_text"],
            minutes=form.cleaned_data.get("minutes"),
            remove_minutes=bool(form.cleaned_data.get("remove_minutes")),
        )
        messages.success(request, "L'instance est enregistrée.")
        return redirect(reverse("governance:instance", args=[instance.pk]))
    return render(
        request,
        "governance/meeting_form.html",
        {"form": form, "ctg": ctg, "meeting": meeting, "title": title},
        status=400 if form.errors else 200,
    )


def meeting_create(request: HttpRequest, ctg_pk: int) -> HttpResponse:
    ctg = get_ctg_for_editor(request.user, ctg_pk)
    initial: dict[str, Any] = {}
    kind = request.GET.get("type", "")
    if kind in MeetingKind:
        initial["kind"] = kind
    with contextlib.suppress(ValueError):
        initial["date"] = dt.date.fromisoformat(request.GET.get("date", ""))
    return _meeting_form_page(request, ctg, Meeting(ctg=ctg), "Nouvelle instance", initial)


def meeting_edit(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting_for_editor(request.user, pk)
    title = f"Modifier : {services.meeting_label(meeting)}"
    return _meeting_form_page(request, meeting.ctg, meeting, title, {})


def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting_for_user(request.user, pk)
    return render(
        request,
        "governance/meeting_detail.html",
        {
            "meeting": meeting,
            "ctg": meeting.ctg,
            "label": services.meeting_label(meeting),
            "participants_caf": list(meeting.participants_caf.all()),
            "decisions": list(meeting.decisions.all()),
            "can_edit": can_edit_governance(request.user, meeting.ctg),
            "upcoming": meeting.date >= timezone.localdate(),
        },
    )


def meeting_minutes(request: HttpRequest, pk: int) -> HttpResponse:
    """The minutes file, only for those who see the Ctg; never a public URL."""
    meeting = get_meeting_for_user(request.user, pk)
    if not meeting.compte_rendu:
        raise Http404("Page introuvable.")
    try:
        content = services.read_minutes(meeting)
    except FileNotFoundError:
        raise Http404("Page introuvable.") from None
    extension = extension_of(meeting.compte_rendu.name)
    response = HttpResponse(
        content, content_type=CONTENT_TYPES.get(extension, "application/octet-stream")
    )
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=meeting.compte_rendu_nom or f"compte-rendu{extension}"
    )
    response["Cache-Control"] = "private, no-store"
    return response


def ctg_calendar(request: HttpRequest, ctg_pk: int) -> HttpResponse:
    ctg = get_ctg_for_user(request.user, ctg_pk)
    response = HttpResponse(
        services.meetings_calendar(ctg),  # UIDs and links from COOPCTG_BASE_URL: stable
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"instances-ctg-{ctg.pk}.ics"
    )
    return response


def _highlight_form_page(
    request: HttpRequest, ctg: Ctg, highlight: Highlight, title: str
) -> HttpResponse:
    form = HighlightForm(request.POST or None, instance=highlight, ctg=ctg)
    if request.method == "POST" and form.is_valid():
        services.save_highlight(request.user, form.save(commit=False))
        messages.success(request, "Le fait marquant est enregistré.")
        return redirect(reverse("governance:ctg", args=[ctg.pk]) + "#faits-marquants")
    return render(
        request,
        "governance/highlight_form.html",
        {"form": form, "ctg": ctg, "highlight": highlight, "title": title},
        status=400 if form.errors else 200,
    )


def highlight_create(request: HttpRequest, ctg_pk: int) -> HttpResponse:
    ctg = get_ctg_for_editor(request.user, ctg_pk)
    return _highlight_form_page(request, ctg, Highlight(ctg=ctg), "Nouveau fait marquant")


def highlight_edit(request: HttpRequest, pk: int) -> HttpResponse:
    highlight = get_highlight_for_editor(request.user, pk)
    return _highlight_form_page(
        request, highlight.ctg, highlight, f"Modifier : {highlight.intitule}"
    )

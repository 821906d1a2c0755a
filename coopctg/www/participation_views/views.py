"""Pages of mission 4 of a Ctg: consultations of the inhabitants (participation counted by
public and commune, synthesis, what changed), their questionnaires (builder, publication,
closing, results with charts, XLSX, import of another tool's CSV), the information supports,
the watch notes and alerts, and the opening of the Ctg's public page.

Scoping (:mod:`coopctg.participation.access`): whoever sees the Ctg reads; the editors of a
signatory, the Caf admin and the assigned advisor change; anyone else gets a 404. The public
pages are in :mod:`coopctg.www.participation_views.public`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from coopctg.accounts.access import get_ctg_for_user
from coopctg.core.exports import XLSX_CONTENT_TYPE
from coopctg.ctg.models import Ctg
from coopctg.participation import access, facts, services
from coopctg.participation import questionnaires as q_service
from coopctg.participation.forms import (
    ConsultationForm,
    CsvImportForm,
    ParticipationForm,
    PublicPageForm,
    QuestionForm,
    QuestionnaireForm,
    SupportForm,
    WatchNoteForm,
)
from coopctg.participation.models import (
    Consultation,
    PublicPage,
    Question,
    Questionnaire,
    Support,
    WatchNote,
)

LIST_LIMIT = 200


def _crumbs(ctg: Ctg, *items: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [
        ("Ctg", reverse("ctg:list")),
        (ctg.intitule, reverse("ctg:detail", args=[ctg.pk])),
        *items,
    ]


def _mission(ctg: Ctg) -> tuple[str, str]:
    return ("Relation avec la population", reverse("participation:ctg", args=[ctg.pk]))


# --- Overview -----------------------------------------------------------------------------------


def ctg_overview(request: HttpRequest, ctg_pk: int) -> HttpResponse:
    ctg = get_ctg_for_user(request.user, ctg_pk)
    return render(
        request,
        "participation/ctg.html",
        {
            "ctg": ctg,
            "consultations": list(services.ctg_consultations(ctg)[:LIST_LIMIT]),
            "counts": facts.ctg_counts(ctg),
            "public_page": services.page_active(ctg),
            "can_edit": access.can_edit(request.user, ctg),
            "can_publish": access.can_publish_page(request.user, ctg),
            "crumbs": _crumbs(ctg, ("Relation avec la population", None)),
        },
    )


# --- Consultations ------------------------------------------------------------------------------


def _consultation_form(
    request: HttpRequest, ctg: Ctg, consultation: Consultation, title: str
) -> HttpResponse:
    form = ConsultationForm(request.POST or None, instance=consultation, ctg=ctg)
    if request.method == "POST" and form.is_valid():
        saved = services.save_consultation(
            request.user,
            form.save(commit=False),
            form.cleaned_data["communes"],
            form.cleaned_data["actions"],
            form.cleaned_data["partenaires_annuaire"],
        )
        messages.success(request, "La consultation est enregistrée.")
        return redirect(reverse("participation:consultation", args=[saved.pk]))
    return render(
        request,
        "participation/consultation_form.html",
        {
            "ctg": ctg,
            "form": form,
            "consultation": consultation,
            "title": title,
            "crumbs": _crumbs(ctg, _mission(ctg), (title, None)),
        },
        status=400 if form.errors else 200,
    )


def consultation_create(request: HttpRequest, ctg_pk: int) -> HttpResponse:
    ctg = access.get_ctg_for_editor(request.user, ctg_pk)
    consultation = Consultation(ctg=ctg, date_debut=timezone.localdate())
    return _consultation_form(request, ctg, consultation, "Nouvelle consultation des habitants")


def consultation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = access.get_consultation_for_editor(request.user, pk)
    return _consultation_form(
        request, consultation.ctg, consultation, f"Modifier « {consultation.intitule} »"
    )


def consultation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = access.get_consultation_for_user(request.user, pk)
    ctg = consultation.ctg
    return render(
        request,
        "participation/consultation.html",
        {
            "ctg": ctg,
            "consultation": consultation,
            "summary": services.participation_summary(consultation),
            "communes": list(consultation.communes.defer("geometrie").order_by("nom")),
            "actions": list(consultation.actions.order_by("position", "code")),
            "questionnaires": services.consultation_questionnaires(consultation),
            "today": timezone.localdate(),
            "can_edit": access.can_edit(request.user, ctg),
            "crumbs": _crumbs(ctg, _mission(ctg), (consultation.intitule, None)),
        },
    )


def participants(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = access.get_consultation_for_editor(request.user, pk)
    ctg = consultation.ctg
    form = ParticipationForm(request.POST or None, ctg=ctg)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.set_participation(
            request.user, consultation, data["public"], data["commune"], data["nombre"]
        )
        messages.success(request, "La participation est enregistrée.")
        return redirect(reverse("participation:participants", args=[consultation.pk]))
    return render(
        request,
        "participation/participants.html",
        {
            "ctg": ctg,
            "consultation": consultation,
            "form": form,
            "summary": services.participation_summary(consultation),
            "crumbs": _crumbs(
                ctg,
                _mission(ctg),
                (consultation.intitule, reverse("participation:consultation", args=[pk])),
                ("Qui a participé", None),
            ),
        },
        status=400 if form.errors else 200,
    )


# --- Questionnaires -----------------------------------------------------------------------------


def _questionnaire_crumbs(questionnaire: Questionnaire, *items: tuple[str, str | None]) -> Any:
    consultation = questionnaire.consultation
    ctg = consultation.ctg
    return _crumbs(
        ctg,
        _mission(ctg),
        (consultation.intitule, reverse("participation:consultation", args=[consultation.pk])),
        *items,
    )


def _questionnaire_form(
    request: HttpRequest, questionnaire: Questionnaire, title: str
) -> HttpResponse:
    form = QuestionnaireForm(request.POST or None, instance=questionnaire)
    if request.method == "POST" and form.is_valid():
        saved = q_service.save_questionnaire(request.user, form.save(commit=False))
        messages.success(request, "Le questionnaire est enregistré.")
        return redirect(reverse("participation:questionnaire", args=[saved.pk]))
    return render(
        request,
        "participation/questionnaire_form.html",
        {
            "ctg": questionnaire.consultation.ctg,
            "form": form,
            "questionnaire": questionnaire,
            "title": title,
            "crumbs": _questionnaire_crumbs(questionnaire, (title, None)),
        },
        status=400 if form.errors else 200,
    )


def questionnaire_create(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = access.get_consultation_for_editor(request.user, pk)
    questionnaire = Questionnaire(consultation=consultation, titre=consultation.intitule)
    return _questionnaire_form(request, questionnaire, "Nouveau questionnaire")


def questionnaire_edit(request: HttpRequest, pk: int) -> HttpResponse:
    questionnaire = access.get_questionnaire_for_editor(request.user, pk)
    return _questionnaire_form(request, questionnaire, f"Modifier « {questionnaire.titre} »")


def questionnaire_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The builder: the questions, a form to add one while it is a draft, the public link."""
    questionnaire = access.get_questionnaire_for_user(request.user, pk)
    ctg = questionnaire.consultation.ctg
    can_edit = access.can_edit(request.user, ctg)
    draft = questionnaire.statut == Questionnaire.Status.DRAFT
    form = QuestionForm(request.POST or None) if can_edit and draft else None
    if request.method == "POST":
        if form is None:
            messages.error(request, "Le questionnaire est publié : ses questions ne changent plus.")
            return redirect(reverse("participation:questionnaire", args=[pk]))
        if form.is_valid():
            try:
                q_service.add_question(questionnaire, form.save(commit=False))
            except q_service.QuestionnaireError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, "La question est ajoutée.")
            return redirect(reverse("participation:questionnaire", args=[pk]) + "#questions")
    today = timezone.localdate()
    return render(
        request,
        "participation/questionnaire.html",
        {
            "ctg": ctg,
            "questionnaire": questionnaire,
            "questions": q_service.questions_of(questionnaire),
            "answers": questionnaire.reponses.count(),
            "state": q_service.state_label(questionnaire, today),
            "open": q_service.is_open(questionnaire, today),
            "public_url": request.build_absolute_uri(
                reverse("public:answer", args=[questionnaire.jeton])
            ),
            "form": form,
            "can_edit": can_edit,
            "crumbs": _questionnaire_crumbs(questionnaire, (questionnaire.titre, None)),
        },
        status=400 if form is not None and form.errors else 200,
    )


@require_POST
def question_delete(request: HttpRequest, pk: int) -> HttpResponse:
    question = Question.objects.filter(pk=pk).values_list("questionnaire_id", flat=True).first()
    questionnaire = access.get_questionnaire_for_editor(request.user, question or 0)
    try:
        q_service.delete_question(questionnaire.questions.get(pk=pk))
    except q_service.QuestionnaireError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "La question est supprimée.")
    return redirect(reverse("participation:questionnaire", args=[questionnaire.pk]) + "#questions")


@require_POST
def questionnaire_publish(request: HttpRequest, pk: int) -> HttpResponse:
    questionnaire = access.get_questionnaire_for_editor(request.user, pk)
    try:
        q_service.publish(request.user, questionnaire)
    except q_service.QuestionnaireError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, "Le questionnaire est publié : diffusez son lien, aucun compte n'est demandé."
        )
    return redirect(reverse("participation:questionnaire", args=[pk]))


@require_POST
def questionnaire_close(request: HttpRequest, pk: int) -> HttpResponse:
    questionnaire = access.get_questionnaire_for_editor(request.user, pk)
    try:
        q_service.close(request.user, questionnaire)
    except q_service.QuestionnaireError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Le questionnaire est clos : il n'accepte plus de réponse.")
    return redirect(reverse("participation:results", args=[pk]))


def results(request: HttpRequest, pk: int) -> HttpResponse:
    questionnaire = access.get_questionnaire_for_user(request.user, pk)
    outcome = q_service.results_of(questionnaire)
    blocks = [
        {
            "result": result,
            "chart": outcome.chart(result, index) if result.counts else "",
            "index": index,
        }
        for index, result in enumerate(outcome.questions, start=1)
    ]
    today = timezone.localdate()
    return render(
        request,
        "participation/results.html",
        {
            "ctg": questionnaire.consultation.ctg,
            "questionnaire": questionnaire,
            "outcome": outcome,
            "blocks": blocks,
            "state": q_service.state_label(questionnaire, today),
            "can_edit": access.can_edit(request.user, questionnaire.consultation.ctg),
            "crumbs": _questionnaire_crumbs(
                questionnaire,
                (questionnaire.titre, reverse("participation:questionnaire", args=[pk])),
                ("Résultats", None),
            ),
        },
    )


def results_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    questionnaire = access.get_questionnaire_for_user(request.user, pk)
    response = HttpResponse(q_service.results_xlsx(questionnaire), content_type=XLSX_CONTENT_TYPE)
    name = f"resultats-{slugify(questionnaire.titre)[:60] or 'questionnaire'}.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


def answers_import(request: HttpRequest, pk: int) -> HttpResponse:
    questionnaire = access.get_questionnaire_for_editor(request.user, pk)
    posted = request.method == "POST"
    form = CsvImportForm(request.POST if posted else None, request.FILES if posted else None)
    errors: list[str] = []
    if posted and form.is_valid():
        try:
            count = q_service.import_csv(
                request.user, questionnaire, form.cleaned_data["fichier"].read()
            )
        except q_service.ImportRefused as refused:
            errors = refused.errors
        else:
            plural = "s" if count > 1 else ""
            messages.success(request, f"{count} réponse{plural} importée{plural}.")
            return redirect(reverse("participation:results", args=[pk]))
    return render(
        request,
        "participation/import.html",
        {
            "ctg": questionnaire.consultation.ctg,
            "questionnaire": questionnaire,
            "questions": q_service.questions_of(questionnaire),
            "form": form,
            "errors": errors,
            "crumbs": _questionnaire_crumbs(
                questionnaire,
                (questionnaire.titre, reverse("participation:questionnaire", args=[pk])),
                ("Importer des réponses", None),
            ),
        },
        status=400 if posted else 200,
    )


# --- Supports d'information ---------------------------------------------------------------------


def supports(request: HttpRequest, ctg_pk: int) -> HttpResponse:
    ctg = get_ctg_for_user(request.user, ctg_pk)
    return render(
        request,
        "participation/supports.html",
        {
            "ctg": ctg,
            "supports": list(services.ctg_supports(ctg)[:LIST_LIMIT]),
            "can_edit": access.can_edit(request.user, ctg),
            "crumbs": _crumbs(ctg, _mission(ctg), ("Supports d'information", None)),
        },
    )


def _support_form(request: HttpRequest, ctg: Ctg, support: Support, title: str) -> HttpResponse:
    form = SupportForm(request.POST or None, instance=support)
    if request.method == "POST" and form.is_valid():
        services.save_support(request.user, form.save(commit=False))
        messages.success(request, "Le support est enregistré.")
        return redirect(reverse("participation:supports", args=[ctg.pk]))
    return render(
        request,
        "participation/support_form.html",
        {
            "ctg": ctg,
            "form": form,
            "title": title,
            "crumbs": _crumbs(
                ctg,
                _mission(ctg),
                ("Supports d'information", reverse("participation:supports", args=[ctg.pk])),
                (title, None),
            ),
        },
        status=400 if form.errors else 200,
    )


def support_create(request: HttpRequest, ctg_pk: int) -> HttpResponse:
    ctg = access.get_ctg_for_editor(request.user, ctg_pk)
    support = Support(ctg=ctg, date=timezone.localdate())
    return _support_form(request, ctg, support, "Nouveau support d'information")


def support_edit(request: HttpRequest, pk: int) -> HttpResponse:
    support = access.get_support_for_editor(request.user, pk)
    return _support_form(request, support.ctg, support, f"Modifier « {support.titre} »")


# --- Veille et alertes --------------------------------------------------------------------------


def watch_notes(request: HttpRequest, ctg_pk: int) -> HttpResponse:
    ctg = get_ctg_for_user(request.user, ctg_pk)
    return render(
        request,
        "participation/watch.html",
        {
            "ctg": ctg,
            "notes": list(services.ctg_watch_notes(ctg)[:LIST_LIMIT]),
            "can_edit": access.can_edit(request.user, ctg),
            "crumbs": _crumbs(ctg, _mission(ctg), ("Veille et alertes", None)),
        },
    )


def _watch_form(request: HttpRequest, ctg: Ctg, note: WatchNote, title: str) -> HttpResponse:
    form = WatchNoteForm(request.POST or None, instance=note)
    if request.method == "POST" and form.is_valid():
        services.save_watch_note(request.user, form.save(commit=False))
        messages.success(request, "La note est enregistrée.")
        return redirect(reverse("participation:watch", args=[ctg.pk]))
    return render(
        request,
        "participation/watch_form.html",
        {
            "ctg": ctg,
            "form": form,
            "title": title,
            "crumbs": _crumbs(
                ctg,
                _mission(ctg),
                ("Veille et alertes", reverse("participation:watch", args=[ctg.pk])),
                (title, None),
            ),
        },
        status=400 if form.errors else 200,
    )


def watch_create(request: HttpRequest, ctg_pk: int) -> HttpResponse:
    ctg = access.get_ctg_for_editor(request.user, ctg_pk)
    note = WatchNote(ctg=ctg, date=timezone.localdate(), type="veille")
    return _watch_form(request, ctg, note, "Nouvelle note de veille ou alerte")


def watch_edit(request: HttpRequest, pk: int) -> HttpResponse:
    note = access.get_watch_note_for_editor(request.user, pk)
    return _watch_form(request, note.ctg, note, f"Modifier « {note.objet} »")


# --- Page publique ------------------------------------------------------------------------------


def public_page_settings(request: HttpRequest, ctg_pk: int) -> HttpResponse:
    ctg = get_ctg_for_user(request.user, ctg_pk)
    if not access.can_publish_page(request.user, ctg):
        from django.http import Http404

        raise Http404("Page introuvable.")
    page = PublicPage.objects.filter(ctg=ctg).first()
    posted = request.POST if request.method == "POST" else None  # unticked: an empty POST
    form = PublicPageForm(posted, initial={"active": bool(page and page.active)})
    if request.method == "POST" and form.is_valid():
        active = form.cleaned_data["active"]
        services.set_public_page(request.user, ctg, active)
        messages.success(
            request, "La page publique est ouverte." if active else "La page publique est fermée."
        )
        return redirect(reverse("participation:public_settings", args=[ctg.pk]))
    return render(
        request,
        "participation/public_settings.html",
        {
            "ctg": ctg,
            "form": form,
            "page": page,
            "public_url": request.build_absolute_uri(reverse("public:ctg", args=[ctg.pk])),
            "crumbs": _crumbs(ctg, _mission(ctg), ("Page publique", None)),
        },
    )

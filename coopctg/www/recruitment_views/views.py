"""Recruitment pages: list, creation and edit of the post, detail with the stages, the Caf's
invitation, opinion and decision, the fiche de poste PDF. Access through
:mod:`coopctg.recruitment.access` (404 for what a user may not see or do); every change through
:mod:`coopctg.recruitment.workflow`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from coopctg.framework.loader import versions_newest_first
from coopctg.recruitment import access, workflow
from coopctg.recruitment.documents import job_description, post_funding_notes
from coopctg.recruitment.forms import (
    AdvanceForm,
    DecisionForm,
    InviteForm,
    OpinionForm,
    RecruitmentForm,
    StepBackForm,
    add_workflow_error,
)
from coopctg.recruitment.models import (
    STAGES,
    Opinion,
    Recruitment,
    RecruitmentAssignment,
    Stage,
    StageChange,
)
from coopctg.recruitment.workflow import RecruitmentError
from coopctg.www.documents_views.respond import serve_pdf
from coopctg.www.pagination import caf_choice, paginate

OPINION_BADGES: dict[str, str] = {
    Opinion.FAVORABLE.value: "badge-success",
    Opinion.RESERVE.value: "badge-warning",
    Opinion.DEFAVORABLE.value: "badge-error",
}


def _not_found() -> Http404:
    return Http404("Page introuvable.")


# --- List --------------------------------------------------------------------------------


def recruitment_list(request: HttpRequest) -> HttpResponse:
    """The recruitments of the user's scope, filtered on the server (Caf, étape), in pages."""
    recruitments = (
        access.visible_recruitments(request.user)
        .select_related("collectivite", "ctg", "caf_invite")
        .prefetch_related(
            Prefetch("affectations", queryset=RecruitmentAssignment.objects.order_by("id"))
        )
        .order_by("-cree_le", "-id")
    )
    cafs = caf_choice(request)
    if cafs.chosen is not None:
        recruitments = recruitments.filter(collectivite__caf=cafs.chosen)
    etape = request.GET.get("etape", "")
    if etape in Stage.values:
        recruitments = recruitments.filter(etape=etape)
    else:
        etape = ""
    pagination = paginate(request, recruitments, label="Pages des recrutements")
    return render(
        request,
        "recruitment/list.html",
        {
            "recruitments": pagination.page.object_list,
            "pagination": pagination,
            "caf_choice": cafs,
            "etape": etape,
            "stages": Stage.choices,
            "stage_count": len(STAGES),
            "can_create": access.creatable_collectivites(request.user).exists(),
        },
    )


# --- Create and edit the post ----------------------------------------------------------------


def _form_page(
    request: HttpRequest, form: RecruitmentForm, recruitment: Recruitment | None
) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        try:
            if recruitment is None:
                recruitment = workflow.do_create_recruitment(request.user, form.to_post())
                messages.success(request, "Le recrutement est ouvert.")
            else:
                recruitment = workflow.do_update_recruitment(
                    request.user, recruitment, form.to_post()
                )
                messages.success(request, "Le poste est enregistré.")
        except RecruitmentError as error:
            add_workflow_error(form, error)
        else:
            return redirect(reverse("recruitment:detail", args=[recruitment.pk]))
    return render(
        request,
        "recruitment/form.html",
        {
            "form": form,
            "recruitment": recruitment,
            "tree": form.attendus_tree(),
            "version": form.version,
            "title": "Nouveau recrutement"
            if recruitment is None
            else f"Modifier : {recruitment.intitule}",
        },
        status=400 if form.errors else 200,
    )


def recruitment_create(request: HttpRequest) -> HttpResponse:
    """Whoever may recruit for several collectivités (a Caf) chooses the collectivité first
    (``?collectivite=``): the form then lists its Ctg and funded posts only, not those of
    every collectivité of the Caf."""
    collectivites = access.creatable_collectivites(request.user)
    names = list(collectivites.order_by("nom").values_list("pk", "nom")[:2])
    if not names:
        raise _not_found()
    if len(names) > 1:
        chosen = request.POST.get("collectivite") or request.GET.get("collectivite", "")
        one = collectivites.filter(pk=int(chosen)) if chosen.isdigit() else None
        if one is None or not one.exists():
            return render(
                request,
                "recruitment/choose.html",
                {
                    "collectivites": collectivites.order_by("nom").only("pk", "nom"),
                    "unknown": bool(chosen),
                },
                status=400 if chosen else 200,
            )
        collectivites = one
    form = RecruitmentForm(
        request.POST or None,
        version=versions_newest_first().first(),
        collectivites=collectivites,
    )
    return _form_page(request, form, None)


def recruitment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    recruitment = access.get_recruitment_for_user(request.user, pk)
    if not access.can_edit(request.user, recruitment):
        raise _not_found()
    if not recruitment.is_editable:
        messages.error(
            request,
            "Le poste ne peut plus être modifié : l'avis de la Caf a été demandé sur ce "
            "recrutement.",
        )
        return redirect(reverse("recruitment:detail", args=[recruitment.pk]))
    form = RecruitmentForm(
        request.POST or None,
        version=recruitment.referentiel,
        collectivites=access.creatable_collectivites(request.user),
        recruitment=recruitment,
    )
    return _form_page(request, form, recruitment)


# --- Detail ----------------------------------------------------------------------------------


def _steps(recruitment: Recruitment) -> list[dict[str, Any]]:
    current = STAGES.index(recruitment.stage)
    return [
        {
            "number": index + 1,
            "label": stage.label,
            "state": "done" if index < current else "current" if index == current else "todo",
        }
        for index, stage in enumerate(STAGES)
    ]


def _detail(
    request: HttpRequest,
    recruitment: Recruitment,
    *,
    status: int = 200,
    bound: dict[str, forms.Form] | None = None,
    error: str = "",
) -> HttpResponse:
    """The detail page; ``bound`` replaces the blank form of an action by the submitted one
    (with its errors), ``error`` is a refusal shown above the stage actions."""
    user = request.user
    r = recruitment
    can_move = access.can_move_stage(user, r) and not r.is_closed
    forms_: dict[str, forms.Form | None] = {
        # « Décision » is not offered before the Caf's opinion (the workflow refuses it too).
        "advance": (
            AdvanceForm(recruitment=r)
            if can_move
            and r.next_stage is not None
            and not (r.next_stage == Stage.DECISION and not r.has_opinion)
            else None
        ),
        "back": StepBackForm() if can_move and r.previous_stage is not None else None,
        "invite": (
            InviteForm(recruitment=r)
            if access.can_invite_caf(user, r) and not r.is_closed
            else None
        ),
        "opinion": (
            OpinionForm(initial={"avis": r.avis, "motif": r.avis_motif})
            if access.can_give_opinion(user, r) and r.stage == Stage.AVIS_CAF and not r.is_closed
            else None
        ),
        "decision": (
            DecisionForm(recruitment=r)
            if access.can_decide(user, r) and r.stage == Stage.DECISION and not r.is_closed
            else None
        ),
    }
    forms_.update(bound or {})
    return render(
        request,
        "recruitment/detail.html",
        {
            "r": r,
            "job": job_description(r),
            "funding_notes": post_funding_notes(r),
            "steps": _steps(r),
            "stage_changes": list(StageChange.objects.filter(recrutement=r).order_by("le", "id")),
            "forms": forms_,
            "error": error,
            "can_edit": access.can_edit(user, r) and r.is_editable,
            "opinion_missing": not r.has_opinion,
            "opinion_class": OPINION_BADGES.get(r.avis, ""),
            "next_is_decision": r.next_stage == Stage.DECISION,
        },
        status=status,
    )


def recruitment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, access.get_recruitment_for_user(request.user, pk))


def job_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The fiche de poste, made by the task worker (coopctg.www.documents_views.respond)."""
    from coopctg.recruitment.documents import job_html

    recruitment = access.get_recruitment_for_user(request.user, pk)
    name = slugify(recruitment.intitule)[:60] or "poste"
    return serve_pdf(
        request,
        "poste",
        lambda: job_html(recruitment),
        filename=f"fiche-de-poste-{name}.pdf",
        title=f"Fiche de poste — {recruitment.intitule}",
        back=(reverse("recruitment:detail", args=[pk]), recruitment.intitule),
    )


# --- Actions (POST only) ------------------------------------------------------------------


def _action(
    request: HttpRequest,
    pk: int,
    allowed: Any,
    key: str,
    make_form: Callable[[Recruitment], forms.Form],
    apply: Callable[[Recruitment, dict[str, Any]], Recruitment],
    success: str,
) -> HttpResponse:
    """Run one workflow action: 404 when the user may not, 400 with the page and its errors
    when the input or the rules refuse it, a redirection to the page when it is done."""
    recruitment = access.get_recruitment_for_user(request.user, pk)
    if not allowed(request.user, recruitment):
        raise _not_found()
    form = make_form(recruitment)
    if form.is_valid():
        try:
            apply(recruitment, form.cleaned_data)
        except RecruitmentError as error:
            if error.field and error.field in form.fields:
                form.add_error(error.field, error.message)
                return _detail(request, recruitment, status=400, bound={key: form})
            recruitment.refresh_from_db()
            return _detail(request, recruitment, status=400, bound={key: form}, error=error.message)
        messages.success(request, success)
        return redirect(reverse("recruitment:detail", args=[recruitment.pk]))
    return _detail(request, recruitment, status=400, bound={key: form})


@require_POST
def advance(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        access.can_move_stage,
        "advance",
        lambda r: AdvanceForm(request.POST, recruitment=r),
        lambda r, data: workflow.do_advance_stage(
            request.user, r, candidat_pressenti=data.get("candidat_pressenti", "")
        ),
        "Le recrutement passe à l'étape suivante.",
    )


@require_POST
def step_back(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        access.can_move_stage,
        "back",
        lambda r: StepBackForm(request.POST),
        lambda r, data: workflow.do_step_back(request.user, r, data["motif"]),
        "Le recrutement revient à l'étape précédente.",
    )


@require_POST
def invite_caf(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        access.can_invite_caf,
        "invite",
        lambda r: InviteForm(request.POST, recruitment=r),
        lambda r, data: workflow.do_invite_caf(
            request.user, r, data["membre"], data["date_invitation"]
        ),
        "L'invitation de la Caf au jury est enregistrée.",
    )


@require_POST
def give_opinion(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        access.can_give_opinion,
        "opinion",
        lambda r: OpinionForm(request.POST),
        lambda r, data: workflow.do_give_opinion(request.user, r, data["avis"], data["motif"]),
        "L'avis de la Caf est enregistré.",
    )


@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        access.can_decide,
        "decision",
        lambda r: DecisionForm(request.POST, recruitment=r),
        lambda r, data: workflow.do_record_decision(
            request.user,
            r,
            data["decision"],
            candidat=data.get("candidat_retenu", ""),
            date_prise_poste=data.get("date_prise_poste"),
            commentaire=data.get("commentaire", ""),
        ),
        "La décision finale est enregistrée : le recrutement est clos.",
    )

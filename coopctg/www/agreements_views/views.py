"""Cof pages: list, detail with the versions timeline, version (frozen figures, PDF), creation
from the working architecture, comparison of two versions, history; modification requests
(proposal with live preview, exchange, decision).

Access through :mod:`coopctg.agreements.access` (404 for what a user may not see or do); every
change through :mod:`coopctg.agreements.workflow`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.db.models import Exists, OuterRef, Prefetch, Q, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from coopctg.accounts.access import get_architecture_for_user, visible_collectivites
from coopctg.agreements import access, workflow
from coopctg.agreements.diff import Comparison, compare, comparison_from_json
from coopctg.agreements.documents import version_title
from coopctg.agreements.forms import (
    ChangesForm,
    CofForm,
    CommentForm,
    DecisionForm,
    ProposedArchitectureForm,
    RequestForm,
    SignatureForm,
    SubmitForm,
    apply_error,
    proposal_input,
    signature_initial,
)
from coopctg.agreements.models import (
    AgreementVersion,
    FundingAgreement,
    ModificationRequest,
    RequestComment,
)
from coopctg.agreements.services import SignatureError, parties, record_signatories
from coopctg.agreements.workflow import StaleRequestError, WorkflowError
from coopctg.background.services import request_cof
from coopctg.core.formats import format_date, format_euros
from coopctg.core.models import AuditEntry
from coopctg.core.params import ParameterError
from coopctg.funding import services as funding
from coopctg.funding.forms import PersonFormSet, initial_persons
from coopctg.funding.models import FundingArchitecture
from coopctg.www.agreements_views.display import frozen_context, history_items
from coopctg.www.documents_views.respond import respond
from coopctg.www.funding_views.views import _preview, _result_context
from coopctg.www.pagination import caf_choice, paginate, row_url

SIGNED = AgreementVersion.Status.SIGNEE


def mission_titles(*comparisons: Comparison | None, rows: Any = ()) -> dict[str, str]:
    """Titles of the missions a comparison or rows mention (one query)."""
    codes = set(funding.rows_objectives(*rows))
    for comparison in comparisons:
        if comparison is None:
            continue
        for person in comparison.persons:
            codes.update(person.missions_added, person.missions_removed)
            for row in (person.before, person.after):
                if row is not None:
                    codes.update(row.objectifs)
    return funding.objective_titles(codes) if codes else {}


def _not_found() -> Http404:
    return Http404("Page introuvable.")


def _signed_prefetch() -> Prefetch:
    """The signed versions, without their frozen ventilation nor anything else a list does not
    show (it shows only their dates, label and annual amount)."""
    return Prefetch(
        "versions",
        queryset=AgreementVersion.objects.filter(statut=SIGNED)
        .only("id", "cof_id", "numero", "statut", "date_effet", "date_fin", "total_montant")
        .order_by("numero"),
        to_attr="signed",
    )


#: The columns of a Cof, its Ctg and its collectivité the list shows (not the Ctg's themes,
#: a JSON column, nor the signatories' text).
LIST_FIELDS = (
    "id",
    "numero",
    "statut",
    "date_debut",
    "date_fin",
    "ctg_id",
    "ctg__intitule",
    "collectivite_id",
    "collectivite__nom",
)


def _in_force(versions: list[AgreementVersion], day: dt.date) -> AgreementVersion | None:
    for version in reversed(versions):
        if version.date_effet <= day and (version.date_fin is None or day <= version.date_fin):
            return version
    return None


def _status_filter(statut: str, day: dt.date) -> Q:
    """The computed status (« échue » when a signed Cof's end is past) as a query."""
    S = FundingAgreement.Status
    if statut == S.ECHUE:
        return Q(statut=S.ECHUE) | Q(statut=S.SIGNEE, date_fin__lt=day)
    if statut == S.SIGNEE:
        return Q(statut=S.SIGNEE, date_fin__gte=day)
    return Q(statut=statut)


# --- List ----------------------------------------------------------------------------------

#: Open requests listed above the Cof (the oldest first); the Échéances page has them all.
PENDING_SHOWN = 20


def cof_list(request: HttpRequest) -> HttpResponse:
    """The Cof of the user's scope, filtered on the server (Caf, statut, collectivité) and cut
    in pages: a bounded number of queries, the versions' ventilations never read."""
    today = workflow.today()
    cafs = caf_choice(request)
    cofs = (
        access.visible_cofs(request.user)
        .select_related("ctg", "collectivite")
        .only(*LIST_FIELDS)
        # A correlated EXISTS, not a join and GROUP BY over the scope: the page's count
        # drops it, and it is evaluated for the page's rows only.
        .annotate(
            open_requests=Exists(
                ModificationRequest.objects.filter(
                    cof=OuterRef("pk"), statut__in=ModificationRequest.OPEN
                )
            )
        )
        .order_by("collectivite__nom", "-date_debut", "numero", "pk")
    )
    if cafs.chosen is not None:
        cofs = cofs.filter(ctg__caf=cafs.chosen)
    statut = request.GET.get("statut", "")
    if statut in FundingAgreement.Status.values:
        cofs = cofs.filter(_status_filter(statut, today))
    else:
        statut = ""
    collectivites_qs = visible_collectivites(request.user).filter(cofs__isnull=False)
    if cafs.chosen is not None:
        collectivites_qs = collectivites_qs.filter(caf=cafs.chosen)
    # The collectivité select lists one Caf's collectivités: for a scope of several Caf, once
    # a Caf is chosen (thousands of options otherwise).
    collectivites = (
        list(collectivites_qs.distinct().order_by("nom").only("id", "nom"))
        if cafs.chosen is not None or not cafs.shown
        else []
    )
    collectivite = request.GET.get("collectivite", "")
    if collectivite.isdigit() and collectivites_qs.filter(pk=int(collectivite)).exists():
        cofs = cofs.filter(collectivite_id=int(collectivite))
    else:
        collectivite = ""
    pagination = paginate(request, cofs, label="Pages des Cof")
    page_cofs = list(pagination.page.object_list)
    prefetch_related_objects(page_cofs, _signed_prefetch())
    cof_url, version_url = row_url("agreements:detail"), row_url("agreements:version")
    rows = []
    for cof in page_cofs:
        in_force = _in_force(cof.signed, today)
        rows.append(
            {
                "cof": cof,
                "url": cof_url(cof.pk),
                "status": cof.status_on(today),
                "status_label": cof.status_label_on(today),
                "periode": f"{format_date(cof.date_debut)} – {format_date(cof.date_fin)}",
                "in_force": in_force,
                "in_force_url": version_url(in_force.pk) if in_force else "",
                "montant": format_euros(in_force.total_montant) if in_force else "",
                "versions": len(cof.signed),
            }
        )
    pending = (
        access.visible_requests(request.user)
        .filter(statut__in=ModificationRequest.OPEN)
        .select_related("cof", "cof__collectivite", "architecture")
        .order_by("soumise_le", "cree_le", "id")
    )
    if access.is_caf_staff(request.user):  # a draft is the collectivité's until submitted
        pending = pending.exclude(statut=ModificationRequest.Status.BROUILLON)
    if cafs.chosen is not None:
        pending = pending.filter(cof__ctg__caf=cafs.chosen)
    pending = list(pending[: PENDING_SHOWN + 1])
    return render(
        request,
        "agreements/list.html",
        {
            "rows": rows,
            "pagination": pagination,
            "caf_choice": cafs,
            "statut": statut,
            "statuts": FundingAgreement.Status.choices,
            "collectivite": collectivite,
            "collectivites": collectivites,
            "pending": pending[:PENDING_SHOWN],
            "pending_more": len(pending) > PENDING_SHOWN,
            "today": today,
        },
    )


# --- One Cof -------------------------------------------------------------------------------


def _version_rows(version: AgreementVersion) -> list[funding.PersonRow]:
    return funding.stored_rows(funding.load_architecture(version.architecture_id))


def cof_detail(request: HttpRequest, pk: int) -> HttpResponse:
    cof = access.get_cof_for_user(request.user, pk)
    today = workflow.today()
    versions = list(cof.versions.select_related("signee_par").order_by("numero"))
    signed = [v for v in versions if v.statut == SIGNED]
    in_force = _in_force(signed, today)
    requests = list(cof.demandes.select_related("demandeur", "architecture", "avenant"))
    open_request = next((r for r in requests if r.is_open), None)
    context: dict[str, Any] = {
        "cof": cof,
        "status": cof.status_on(today),
        "status_label": cof.status_label_on(today),
        "versions": versions,
        "in_force": in_force,
        "today": today,
        "requests": requests,
        "open_request": open_request,
        "can_propose": access.can_propose(request.user, cof) and bool(signed),
        "can_see_history": access.can_see_history(request.user),
        "signataires": [line for line in cof.signataires.splitlines() if line.strip()],
        "initial_signatures": list(versions[0].signatures.all()) if versions else [],
    }
    if in_force is not None:
        context.update(frozen_context(in_force.ventilation, _version_rows(in_force)))
    return render(request, "agreements/detail.html", context)


def version_detail(request: HttpRequest, pk: int) -> HttpResponse:
    version = access.get_version_for_user(request.user, pk)
    cof = version.cof
    siblings = list(cof.versions.filter(statut=SIGNED).order_by("numero"))
    index = next((i for i, v in enumerate(siblings) if v.pk == version.pk), None)
    previous = siblings[index - 1] if index else None
    following = siblings[index + 1] if index is not None and index + 1 < len(siblings) else None
    today = workflow.today()
    context: dict[str, Any] = {
        "cof": cof,
        "version": version,
        "previous": previous,
        "following": following,
        "in_force_today": version.date_effet <= today
        and (version.date_fin is None or today <= version.date_fin)
        and version.statut == SIGNED,
        "origin": ModificationRequest.objects.filter(avenant=version).first(),
        "architecture": funding.load_architecture(version.architecture_id),
        "signatures": list(version.signatures.all()),
        "parties": parties(cof),
        "can_sign": access.can_review(request.user, cof) and version.statut == SIGNED,
    }
    rows = _version_rows(version)
    context.update(frozen_context(version.ventilation, rows))
    context["persons"] = rows
    context["mission_titles"] = mission_titles(rows=[rows])
    return render(request, "agreements/version.html", context)


def version_signature(request: HttpRequest, pk: int) -> HttpResponse:
    """Record (or correct) who signed a signed version for each party, and when."""
    version = access.get_version_for_user(request.user, pk)
    cof = version.cof
    if not access.can_review(request.user, cof) or version.statut != SIGNED:
        raise _not_found()
    cof_parties = parties(cof)
    if request.method == "POST":
        form = SignatureForm(request.POST, parties=cof_parties)
        if form.is_valid():
            try:
                record_signatories(request.user, version, form.signatures(), today=workflow.today())
            except SignatureError as error:
                form.add_error(error.field if error.field in form.fields else None, str(error))
            else:
                messages.success(request, f"La signature de « {version.label} » est enregistrée.")
                return redirect(reverse("agreements:version", args=[version.pk]))
    else:
        initial = {}
        for signatory in version.signatures.all():
            initial[f"{signatory.partie}_nom"] = signatory.nom
            initial[f"{signatory.partie}_fonction"] = signatory.fonction
            initial[f"{signatory.partie}_date"] = signatory.date_signature
        form = SignatureForm(parties=cof_parties, initial=initial)
    return render(
        request,
        "agreements/signature.html",
        {"version": version, "cof": cof, "form": form},
        status=400 if request.method == "POST" else 200,
    )


def version_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The stored PDF; asked of the task worker if it is missing (not made yet, or its
    generation had failed): the page « Document en préparation… » until it is there."""
    version = access.get_version_for_user(request.user, pk)
    if version.statut != SIGNED:
        raise _not_found()
    suffix = "initiale" if version.numero == 0 else f"avenant-{version.numero}"
    filename = f"{version.cof.numero}-{suffix}.pdf"
    document = version.document
    if document and not document.storage.exists(document.name):
        AgreementVersion.objects.filter(pk=version.pk).update(document="")
        version.document = None
    elif document and request.method in ("GET", "HEAD") and not request.htmx:
        with document.open("rb") as handle:
            content = handle.read()
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=False, filename=filename
        )
        return response
    return respond(
        request,
        request_cof(version),
        filename=filename,
        title=version_title(version),
        back=(reverse("agreements:version", args=[pk]), version.label),
    )


def cof_create(request: HttpRequest, architecture_pk: int) -> HttpResponse:
    """Create the Cof from the collectivité's working architecture and sign its initial
    version."""
    architecture = get_architecture_for_user(request.user, architecture_pk)
    if architecture.kind != FundingArchitecture.Kind.TRAVAIL or not access.can_create_cof(
        request.user, architecture.collectivite
    ):
        raise _not_found()
    ctg = architecture.ctg
    cof_parties = parties(FundingAgreement(ctg=ctg, collectivite=architecture.collectivite))
    if request.method == "POST":
        form = CofForm(request.POST, parties=cof_parties)
        if form.is_valid():
            try:
                cof = workflow.do_create_cof(request.user, architecture, form.to_input())
            except WorkflowError as error:
                apply_error(form, error)
            else:
                messages.success(request, f"La Cof n° {cof.numero} est signée : Cof initiale.")
                return redirect(reverse("agreements:detail", args=[cof.pk]))
    else:
        form = CofForm(
            parties=cof_parties,
            initial={
                "date_debut": max(architecture.date_effet, ctg.date_debut),
                "date_fin": ctg.date_fin,
            },
        )
    context: dict[str, Any] = {
        "form": form,
        "architecture": architecture,
        "ctg": ctg,
        "collectivite": architecture.collectivite,
    }
    try:
        result = funding.compute_architecture(architecture)
    except ParameterError as error:
        context["parameter_error"] = str(error)
    else:
        context.update(_result_context(result, funding.stored_rows(architecture)))
    status = 400 if request.method == "POST" else 200
    return render(request, "agreements/create.html", context, status=status)


def cof_diff(request: HttpRequest, pk: int) -> HttpResponse:
    """Compare any two signed versions: ``?de=<version>&a=<version>``."""
    cof = access.get_cof_for_user(request.user, pk)
    versions = list(cof.versions.filter(statut=SIGNED).order_by("numero"))
    by_pk = {str(v.pk): v for v in versions}
    errors = []
    de, a = request.GET.get("de"), request.GET.get("a")
    if de is None and a is None:
        first = versions[-2] if len(versions) >= 2 else (versions[0] if versions else None)
        second = versions[-1] if versions else None
    else:
        first, second = by_pk.get(de or ""), by_pk.get(a or "")
        if first is None:
            errors.append(("de", "Choisissez une version de cette Cof."))
        if second is None:
            errors.append(("a", "Choisissez une version de cette Cof."))
    context: dict[str, Any] = {
        "cof": cof,
        "versions": versions,
        "first": first,
        "second": second,
        "errors": dict(errors),
    }
    if first is not None and second is not None and not errors:
        context["comparison"] = compare(
            _version_rows(first), first.ventilation, _version_rows(second), second.ventilation
        )
        context["mission_titles"] = mission_titles(context["comparison"])
    return render(request, "agreements/diff.html", context, status=400 if errors else 200)


def cof_history(request: HttpRequest, pk: int) -> HttpResponse:
    """Every change to the Cof, its versions (and their architectures), its requests (their
    proposed architectures and exchanges): who, when, before, after. Caf staff only."""
    cof = access.get_cof_for_user(request.user, pk)
    if not access.can_see_history(request.user):
        raise _not_found()
    versions = list(cof.versions.values_list("pk", "architecture_id"))
    requests = list(cof.demandes.values_list("pk", "architecture_id"))
    comments = list(RequestComment.objects.filter(demande__cof=cof).values_list("pk", flat=True))

    def ids(values: list[Any]) -> list[str]:
        return [str(v) for v in values]

    objects = (
        Q(objet_type="agreements.fundingagreement", objet_id=str(cof.pk))
        | Q(objet_type="agreements.agreementversion", objet_id__in=ids([v for v, _ in versions]))
        | Q(objet_type="agreements.modificationrequest", objet_id__in=ids([r for r, _ in requests]))
        | Q(objet_type="agreements.requestcomment", objet_id__in=ids(comments))
        | Q(
            objet_type="funding.fundingarchitecture",
            objet_id__in=ids([a for _, a in versions] + [a for _, a in requests]),
        )
    )
    entries = list(AuditEntry.objects.filter(objects).order_by("-horodatage", "-id")[:500])
    return render(request, "agreements/history.html", {"cof": cof, "items": history_items(entries)})


# --- Requests ------------------------------------------------------------------------------


def _suggested_date(cof: FundingAgreement, latest: AgreementVersion | None) -> dt.date:
    today = workflow.today()
    day = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)  # next month's 1st
    if latest is not None and day <= latest.date_effet:
        day = latest.date_effet + dt.timedelta(days=1)
    return min(max(day, cof.date_debut), cof.date_fin)


def _revision(request: HttpRequest) -> int | None:
    value = request.POST.get("revision", "")
    return int(value) if value.isdigit() else None


def _proposal_page(
    request: HttpRequest, cof: FundingAgreement, demande: ModificationRequest | None
) -> HttpResponse:
    latest = workflow.latest_version(cof)
    if demande is not None:
        instance = funding.load_architecture(demande.architecture_id)
        rows = funding.stored_rows(instance)
        motif = demande.motif
    else:
        rows, source = workflow.initial_proposal(cof)
        instance = FundingArchitecture(
            kind=FundingArchitecture.Kind.DEMANDE,
            ctg=cof.ctg,
            collectivite=cof.collectivite,
            date_effet=_suggested_date(cof, latest),
            base_cej_montant=source.base_cej_montant if source else None,
            base_cej_etp=source.base_cej_etp if source else None,
        )
        motif = ""
    if request.method == "POST":
        request_form = RequestForm(request.POST)
        form = ProposedArchitectureForm(request.POST, instance=instance, cof=cof, latest=latest)
        formset = PersonFormSet(request.POST, prefix="personnes")
    else:
        request_form = RequestForm(initial={"motif": motif})
        form = ProposedArchitectureForm(instance=instance, cof=cof, latest=latest)
        formset = PersonFormSet(initial=initial_persons(rows), prefix="personnes")
    latest_rows = _version_rows(latest) if latest else []
    asked = (
        demande.commentaires.filter(nature=RequestComment.Kind.MODIFICATIONS).last()
        if demande is not None and demande.statut == ModificationRequest.Status.A_MODIFIER
        else None
    )
    context: dict[str, Any] = {
        "cof": cof,
        "demande": demande,
        "asked": asked,
        "latest": latest,
        "request_form": request_form,
        "form": form,
        "formset": formset,
        "collectivite": cof.collectivite,
    }
    if request.method == "POST":
        context.update(
            _preview(
                request,
                form,
                formset,
                caf_code=cof.ctg.caf.code,
                themes=cof.ctg.themes,
                collectivite=cof.collectivite.nom,
            )
        )
    elif rows:
        try:
            result = funding.compute(
                funding.to_engine(
                    instance.date_effet,
                    rows,
                    base_montant=instance.base_cej_montant,
                    base_etp=instance.base_cej_etp,
                    ctg_themes=cof.ctg.themes,
                    collectivite=cof.collectivite.nom,
                ),
                cof.ctg.caf.code,
            )
        except ParameterError as error:
            context["parameter_error"] = str(error)
        else:
            context.update(_result_context(result, rows))
    if context.get("result") is not None and latest is not None:
        current_rows = formset.rows() if request.method == "POST" else rows
        context["comparison"] = compare(
            latest_rows, latest.ventilation, current_rows, context["result"]
        )
        context["mission_titles"] = mission_titles(context["comparison"])
    if request.method == "POST":
        if request.htmx:
            return render(request, "agreements/_request_preview.html", context)
        if "ajouter" in request.POST:
            data = request.POST.copy()
            total = data.get("personnes-TOTAL_FORMS", "")
            data["personnes-TOTAL_FORMS"] = str(int(total) + 1 if total.isdigit() else 1)
            context["formset"] = PersonFormSet(data, prefix="personnes")
            context["formset"].is_valid()
            return render(request, "agreements/request_form.html", context)
        if request_form.is_valid() and not context.get("preview_invalid"):
            data = proposal_input(request_form, form, formset)
            try:
                if demande is None:
                    saved = workflow.do_create_request(request.user, cof, data)
                else:
                    saved = workflow.do_update_request(
                        request.user, demande, data, revision=_revision(request)
                    )
            except WorkflowError as error:
                target = form if error.field in form.fields else request_form
                apply_error(target, error)
            else:
                messages.success(
                    request,
                    "La demande est enregistrée : soumettez-la à la Caf quand elle est prête.",
                )
                return redirect(reverse("agreements:request", args=[saved.pk]))
        return render(request, "agreements/request_form.html", context, status=400)
    return render(request, "agreements/request_form.html", context)


def request_create(request: HttpRequest, pk: int) -> HttpResponse:
    cof = access.get_cof_for_user(request.user, pk)
    if not access.can_propose(request.user, cof) or workflow.latest_version(cof) is None:
        raise _not_found()
    open_request = cof.demandes.filter(statut__in=ModificationRequest.OPEN).first()
    if open_request is not None:
        messages.info(request, "Une demande de modification est déjà en cours pour cette Cof.")
        return redirect(reverse("agreements:request", args=[open_request.pk]))
    return _proposal_page(request, cof, None)


def request_edit(request: HttpRequest, pk: int) -> HttpResponse:
    demande = access.get_request_for_user(request.user, pk)
    if not access.can_propose(request.user, demande.cof):
        raise _not_found()
    if not demande.is_editable:
        messages.error(
            request,
            f"La demande est {demande.get_statut_display()} : elle ne peut plus être modifiée.",
        )
        return redirect(reverse("agreements:request", args=[demande.pk]))
    return _proposal_page(request, demande.cof, demande)


def _request_page(
    request: HttpRequest,
    demande: ModificationRequest,
    *,
    status: int = 200,
    **forms: Any,
) -> HttpResponse:
    user = request.user
    cof = demande.cof
    can_review = access.can_review(user, cof)
    can_propose = access.can_propose(user, cof)
    context: dict[str, Any] = {
        "demande": demande,
        "cof": cof,
        "comments": list(demande.commentaires.select_related("auteur")),
        "can_edit": can_propose and demande.is_editable,
        "can_submit": can_propose and demande.is_editable,
        "can_comment": access.can_comment(user, cof)
        and demande.statut
        in (ModificationRequest.Status.SOUMISE, ModificationRequest.Status.A_MODIFIER),
        "can_decide": can_review and demande.statut == ModificationRequest.Status.SOUMISE,
        "collectivite": cof.collectivite,
    }
    comparison = None
    rows = funding.stored_rows(funding.load_architecture(demande.architecture_id))
    if demande.is_decided:
        # What was decided, as the decider saw it: never recomputed against a later version.
        if demande.difference_decidee is not None:
            comparison = comparison_from_json(demande.difference_decidee)
        latest = workflow.latest_version(cof)
        context["frozen"] = True
        try:
            result = funding.compute_architecture(
                funding.load_architecture(demande.architecture_id)
            )
        except ParameterError as error:
            context["parameter_error"] = str(error)
        else:
            context.update(_result_context(result, rows))
    else:
        try:
            comparison, result, latest = workflow.request_comparison(demande)
        except ParameterError as error:
            context["parameter_error"] = str(error)
            latest = workflow.latest_version(cof)
        else:
            context.update(_result_context(result, rows))
    context["latest"] = latest
    context["comparison"] = comparison
    context["mission_titles"] = mission_titles(comparison, rows=[rows])
    initial = {"revision": demande.revision}
    context["submit_form"] = forms.get("submit_form") or SubmitForm(initial=initial)
    context["comment_form"] = forms.get("comment_form") or CommentForm()
    context["changes_form"] = forms.get("changes_form") or ChangesForm(initial=initial)
    context["decision_form"] = forms.get("decision_form") or DecisionForm(
        initial={**initial, **signature_initial(latest)},
        is_development=bool(comparison and comparison.is_development),
        parties=parties(cof),
    )
    context["open_panel"] = forms.get("open_panel", "")
    context["action_error"] = forms.get("action_error", "")
    return render(request, "agreements/request_detail.html", context, status=status)


def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _request_page(request, access.get_request_for_user(request.user, pk))


def _error_status(error: WorkflowError) -> int:
    return 409 if isinstance(error, StaleRequestError) else 400


def _action_error(error: WorkflowError) -> str:
    """A stale request's message goes on top of the page: its form may be gone."""
    return error.message if isinstance(error, StaleRequestError) else ""


@require_POST
def request_submit(request: HttpRequest, pk: int) -> HttpResponse:
    demande = access.get_request_for_user(request.user, pk)
    if not access.can_propose(request.user, demande.cof):
        raise _not_found()
    form = SubmitForm(request.POST)
    if not form.is_valid():
        return _request_page(request, demande, status=400, submit_form=form)
    try:
        workflow.do_submit_request(request.user, demande, revision=form.cleaned_data["revision"])
    except WorkflowError as error:
        apply_error(form, error)
        return _request_page(
            request,
            access.get_request_for_user(request.user, pk),
            status=_error_status(error),
            submit_form=form,
            action_error=_action_error(error),
        )
    messages.success(request, "La demande est soumise à la Caf.")
    return redirect(reverse("agreements:request", args=[demande.pk]))


@require_POST
def request_comment(request: HttpRequest, pk: int) -> HttpResponse:
    demande = access.get_request_for_user(request.user, pk)
    if not access.can_comment(request.user, demande.cof):
        raise _not_found()
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            workflow.do_comment(request.user, demande, form.cleaned_data["texte"])
        except WorkflowError as error:
            apply_error(form, error)
            return _request_page(
                request,
                access.get_request_for_user(request.user, pk),
                status=_error_status(error),
                comment_form=form,
                action_error=_action_error(error),
            )
        messages.success(request, "Votre commentaire est envoyé.")
        return redirect(reverse("agreements:request", args=[demande.pk]) + "#echanges")
    return _request_page(request, demande, status=400, comment_form=form)


@require_POST
def request_changes(request: HttpRequest, pk: int) -> HttpResponse:
    demande = access.get_request_for_user(request.user, pk)
    if not access.can_review(request.user, demande.cof):
        raise _not_found()
    form = ChangesForm(request.POST)
    if form.is_valid():
        try:
            workflow.do_request_changes(
                request.user,
                demande,
                form.cleaned_data["texte"],
                revision=form.cleaned_data["revision"],
            )
        except WorkflowError as error:
            apply_error(form, error)
            return _request_page(
                request,
                access.get_request_for_user(request.user, pk),
                status=_error_status(error),
                changes_form=form,
                open_panel="changes",
                action_error=_action_error(error),
            )
        messages.success(request, "La demande est renvoyée à la collectivité pour modification.")
        return redirect(reverse("agreements:request", args=[demande.pk]))
    return _request_page(request, demande, status=400, changes_form=form, open_panel="changes")


@require_POST
def request_decide(request: HttpRequest, pk: int) -> HttpResponse:
    demande = access.get_request_for_user(request.user, pk)
    if not access.can_review(request.user, demande.cof):
        raise _not_found()
    try:
        comparison, _, _ = workflow.request_comparison(demande)
        is_development = comparison.is_development
    except ParameterError:
        is_development = False
    form = DecisionForm(request.POST, is_development=is_development, parties=parties(demande.cof))
    if form.is_valid():
        try:
            decided = workflow.do_decide(
                request.user,
                demande,
                accept=form.accept,
                motif=form.cleaned_data["motif"],
                accord_prealable=form.cleaned_data["accord_prealable"],
                revision=form.cleaned_data["revision"],
                signatures=form.signatures() if form.accept else None,
            )
        except WorkflowError as error:
            apply_error(form, error)
            return _request_page(
                request,
                access.get_request_for_user(request.user, pk),
                status=_error_status(error),
                decision_form=form,
                open_panel="decision",
                action_error=_action_error(error),
            )
        if decided.avenant is not None:
            messages.success(
                request,
                f"Demande acceptée : {decided.avenant.label} signé le "
                f"{decided.avenant.date_signature:%d/%m/%Y}, en vigueur à compter du "
                f"{decided.architecture.date_effet:%d/%m/%Y}.",
            )
        else:
            messages.success(request, "Demande refusée ; la collectivité est prévenue.")
        return redirect(reverse("agreements:request", args=[demande.pk]))
    return _request_page(request, demande, status=400, decision_form=form, open_panel="decision")

import datetime as dt

from django.contrib.auth.decorators import login_not_required
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader

from coopctg.accounts.access import scope_of, visible_collectivites, visible_ctgs
from coopctg.accounts.roles import Role
from coopctg.ctg.models import Ctg
from coopctg.organisations.models import FollowUp

#: A Ctg ending within this many days is announced on the home page.
CTG_END_NOTICE_DAYS = 365


def home(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request.user)
    today = dt.date.today()
    collectivites = list(
        visible_collectivites(request.user)
        .select_related("caf")
        .prefetch_related(
            Prefetch("referents", queryset=FollowUp.objects.select_related("member")),
            Prefetch("ctgs", queryset=Ctg.objects.order_by("-date_debut")),
        )
        .order_by("nom")
    )
    ctgs = list(visible_ctgs(request.user).prefetch_related("signataires").order_by("date_fin"))
    in_force = [c for c in ctgs if c.in_force_on(today)]
    ending = [c for c in in_force if (c.date_fin - today).days <= CTG_END_NOTICE_DAYS]
    drafts = [c for c in ctgs if c.statut == Ctg.Status.PROJET]
    covered = {la.pk for c in in_force for la in c.signataires.all()}
    without_ctg = [la for la in collectivites if la.pk not in covered]
    without_referent = [la for la in collectivites if not la.referents.all()]
    if scope.caf_wide_ids:
        profile = "caf"
    elif Role.CAF_ADVISOR in scope.roles:
        profile = "conseiller"
    elif scope.member_ids:
        profile = "collectivite"
    else:
        profile = "aucun"
    return render(
        request,
        "home/home.html",
        {
            "profile": profile,
            "roles": sorted(role.label for role in scope.roles),
            "read_only": not (scope.caf_admin_ids or scope.advised_ids or scope.edited_ids),
            "collectivites": collectivites,
            "in_force": in_force,
            "ending": ending,
            "drafts": drafts,
            "without_ctg": without_ctg,
            "without_referent": without_referent,
            "today": today,
        },
    )


#: Errors under this prefix answer JSON, like the API itself (also for URLs it cannot route,
#: such as /api/v1/ctg/abc/).
API_PREFIX = "/api/"


@login_not_required
def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": "Introuvable."}, status=404)
    return render(request, "errors/404.html", status=404)


@login_not_required
def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return JsonResponse(
            {"detail": "Erreur interne : l'incident est enregistré, réessayez plus tard."},
            status=500,
        )
    # Without the request: no context processor, no database query (the error may be the
    # database itself).
    return HttpResponseServerError(loader.render_to_string("errors/500.html"))


def privacy(request: HttpRequest) -> HttpResponse:
    """What personal data is kept and why (RGPD): the same page for everyone."""
    return render(request, "home/privacy.html")

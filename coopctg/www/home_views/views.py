from django.contrib.auth.decorators import login_not_required
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.utils import timezone

from coopctg.accounts.access import scope_of, visible_collectivites, visible_ctgs
from coopctg.accounts.roles import Role
from coopctg.ctg.models import Ctg
from coopctg.dashboards.tasks import split_for, tasks_for_user
from coopctg.organisations.models import FollowUp, LocalAuthority

#: A Ctg ending within this many days is announced on the home page.
CTG_END_NOTICE_DAYS = 365


#: Tasks shown on the home page in each list; the « Échéances » page has them all.
HOME_TASKS = 12


def home(request: HttpRequest) -> HttpResponse:
    """What awaits the person: their tasks (« À faire »), then what others must do on their
    territories (« À suivre »), from the one tasks' service; an elected official lands on
    their territory's dashboard."""
    scope = scope_of(request.user)
    today = timezone.localdate()
    if scope.national:  # the Cnaf's home is the national view, not every Caf's task list
        return redirect("national:index")
    if scope.member_ids and not (scope.edited_ids or scope.caf_ids):
        own = visible_collectivites(request.user).order_by("nom").first()
        if own is not None:
            return redirect("dashboards:collectivite", pk=own.pk)
    if scope.caf_wide_ids:
        profile = "caf"
    elif Role.CAF_ADVISOR in scope.roles:
        profile = "conseiller"
    elif scope.member_ids:
        profile = "collectivite"
    else:
        profile = "aucun"
    collectivites_qs = visible_collectivites(request.user).order_by("nom")
    if profile == "caf":  # figures and names only: no card per collectivité
        collectivites = list(collectivites_qs.only("id", "nom"))
    else:
        collectivites = list(
            collectivites_qs.select_related("caf").prefetch_related(
                Prefetch("referents", queryset=FollowUp.objects.select_related("member")),
                Prefetch("ctgs", queryset=Ctg.objects.order_by("-date_debut")),
            )
        )
    ctgs = list(
        visible_ctgs(request.user)
        .only("id", "intitule", "statut", "date_debut", "date_fin")
        .prefetch_related(Prefetch("signataires", LocalAuthority.objects.only("id")))
        .order_by("date_fin")
    )
    in_force = [c for c in ctgs if c.in_force_on(today)]
    ending = [c for c in in_force if (c.date_fin - today).days <= CTG_END_NOTICE_DAYS]
    drafts = [c for c in ctgs if c.statut == Ctg.Status.PROJET]
    covered = {la.pk for c in in_force for la in c.signataires.all()}
    without_ctg = [la for la in collectivites if la.pk not in covered]
    mine, others = split_for(request.user, tasks_for_user(request.user, today))
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
            "drafts": drafts[:HOME_TASKS],
            "drafts_count": len(drafts),
            "without_ctg": without_ctg[:HOME_TASKS],
            "without_ctg_count": len(without_ctg),
            "mine": mine[:HOME_TASKS],
            "mine_count": len(mine),
            "mine_late": sum(1 for task in mine if task.late),
            "others": others[:HOME_TASKS],
            "others_count": len(others),
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

from collections import defaultdict

from django.db.models import Count, Prefetch, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from coopctg.accounts.access import (
    can_edit_collectivite,
    get_caf_for_user,
    get_collectivite_for_user,
    scope_of,
    visible_collectivites,
    visible_ctgs,
    visible_epcis,
)
from coopctg.core.themes import THEME_LABELS, Theme
from coopctg.organisations.models import FollowUp, StaffMember, StaffRole
from coopctg.territories.models import Commune


def collectivite_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    collectivites = (
        visible_collectivites(request.user)
        .select_related("caf", "epci", "commune")
        .annotate(nb_ctg=Count("ctgs", filter=Q(ctgs__statut="signee"), distinct=True))
        .prefetch_related(Prefetch("referents", queryset=FollowUp.objects.select_related("member")))
        .order_by("nom")
    )
    if q:
        collectivites = collectivites.filter(Q(nom__icontains=q) | Q(libelle_usuel__icontains=q))
    collectivites = list(collectivites)
    populations = dict(
        Commune.objects.filter(epci_id__in=[la.epci_id for la in collectivites if la.epci_id])
        .values_list("epci_id")
        .annotate(total=Sum("population_municipale"))
    )
    rows = [
        (la, populations.get(la.epci_id) if la.epci_id else la.commune.population_municipale)
        for la in collectivites
    ]
    return render(request, "organisations/collectivite_list.html", {"rows": rows, "q": q})


def collectivite_detail(request: HttpRequest, pk: int) -> HttpResponse:
    collectivite = get_collectivite_for_user(request.user, pk)
    follow_ups = (
        FollowUp.objects.filter(collectivite=collectivite)
        .select_related("member")
        .order_by("member__nom")
    )
    epci = collectivite.epci or (collectivite.commune.epci if collectivite.commune else None)
    if collectivite.epci:
        population = collectivite.epci.communes.aggregate(total=Sum("population_municipale"))[
            "total"
        ]
        nb_communes = collectivite.epci.communes.count()
    else:
        population = collectivite.commune.population_municipale  # type: ignore[union-attr]
        nb_communes = 1
    # Thematic advisors of the Caf, whose expertise serves every collectivité.
    thematic = (
        StaffRole.objects.filter(member__caf=collectivite.caf, role=StaffMember.Role.THEMATIQUE)
        .select_related("member")
        .order_by("member__nom")
    )
    return render(
        request,
        "organisations/collectivite_detail.html",
        {
            "collectivite": collectivite,
            "follow_ups": follow_ups,
            "thematic": [(r.member, [THEME_LABELS[Theme(t)] for t in r.themes]) for r in thematic],
            "ctgs": visible_ctgs(request.user)
            .filter(signataires=collectivite)
            .order_by("-date_debut"),
            "population": population,
            "nb_communes": nb_communes,
            "epci_visible": epci is not None
            and visible_epcis(request.user).filter(pk=epci.pk).exists(),
            "epci": epci,
            "can_edit": can_edit_collectivite(request.user, collectivite),
        },
    )


ROLE_ORDER = [
    StaffMember.Role.RESPONSABLE,
    StaffMember.Role.CTT,
    StaffMember.Role.DEVELOPPEMENT_SOCIAL,
    StaffMember.Role.THEMATIQUE,
    StaffMember.Role.ETUDES,
]


def team(request: HttpRequest, code: str) -> HttpResponse:
    caf = get_caf_for_user(request.user, code)
    roles = (
        StaffRole.objects.filter(member__caf=caf)
        .select_related("member")
        .order_by("member__nom", "member__prenom")
    )
    follow_ups = (
        FollowUp.objects.filter(member__caf=caf)
        .select_related("collectivite", "member")
        .order_by("collectivite__nom")
    )
    territories: dict[tuple[int, str], list] = defaultdict(list)
    for follow_up in follow_ups:
        territories[(follow_up.member_id, follow_up.role)].append(follow_up.collectivite)
    visible_ids = set(visible_collectivites(request.user).values_list("id", flat=True))
    groups = []
    for role in ROLE_ORDER:
        people = [
            {
                "member": r.member,
                "themes": [THEME_LABELS[Theme(t)] for t in r.themes],
                "collectivites": [
                    (la, la.pk in visible_ids) for la in territories[(r.member_id, r.role)]
                ],
            }
            for r in roles
            if r.role == role
        ]
        if people:
            groups.append((role.label, people))
    by_territory = defaultdict(list)
    for follow_up in follow_ups:
        by_territory[follow_up.collectivite].append(follow_up.member)
    return render(
        request,
        "organisations/team.html",
        {
            "caf": caf,
            "groups": groups,
            "by_territory": sorted(by_territory.items(), key=lambda item: item[0].nom),
            "visible_ids": visible_ids,
            "is_caf_staff": caf.pk in scope_of(request.user).caf_ids,
        },
    )

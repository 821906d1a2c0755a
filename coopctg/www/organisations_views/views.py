from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.db.models import Count, Prefetch, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from coopctg.accounts.access import (
    can_edit_collectivite,
    get_caf_for_user,
    get_collectivite_for_user,
    scope_of,
    visible_collectivites,
    visible_ctgs,
    visible_epcis,
)
from coopctg.core.models import AuditEntry
from coopctg.core.themes import THEME_LABELS, Theme
from coopctg.organisations.models import Caf, FollowUp, LocalAuthority, StaffMember, StaffRole
from coopctg.organisations.services import (
    FOLLOW_UP_ROLES,
    HISTORY_KEY,
    FollowUpError,
    can_assign_follow_ups,
    set_follow_up,
)
from coopctg.territories.models import Commune
from coopctg.www.pagination import caf_choice, paginate

from .forms import GROUP_LABELS, AddFollowUpForm

#: The territories' outlines (heavy JSON), never read by the list.
WITHOUT_GEOMETRY = ("epci__geometrie", "commune__geometrie")


def collectivite_list(request: HttpRequest) -> HttpResponse:
    """The collectivités of the user's scope, searched and filtered on the server (name, Caf,
    type) and cut in pages; populations of the page's EPCI in one query."""
    q = request.GET.get("q", "").strip()
    cafs = caf_choice(request)
    collectivites = (
        visible_collectivites(request.user)
        .select_related("caf", "epci", "commune")
        .defer(*WITHOUT_GEOMETRY)
        .annotate(nb_ctg=Count("ctgs", filter=Q(ctgs__statut="signee"), distinct=True))
        .prefetch_related(Prefetch("referents", queryset=FollowUp.objects.select_related("member")))
        .order_by("nom", "pk")
    )
    if q:
        collectivites = collectivites.filter(Q(nom__icontains=q) | Q(libelle_usuel__icontains=q))
    if cafs.chosen is not None:
        collectivites = collectivites.filter(caf=cafs.chosen)
    kind = request.GET.get("type", "")
    if kind in LocalAuthority.Kind.values:
        collectivites = collectivites.filter(kind=kind)
    else:
        kind = ""
    pagination = paginate(request, collectivites, label="Pages des collectivités")
    page = list(pagination.page.object_list)
    populations = dict(
        Commune.objects.filter(epci_id__in=[la.epci_id for la in page if la.epci_id])
        .values_list("epci_id")
        .annotate(total=Sum("population_municipale"))
    )
    rows = [
        (la, populations.get(la.epci_id) if la.epci_id else la.commune.population_municipale)
        for la in page
    ]
    return render(
        request,
        "organisations/collectivite_list.html",
        {
            "rows": rows,
            "q": q,
            "pagination": pagination,
            "caf_choice": cafs,
            "kind": kind,
            "kinds": LocalAuthority.Kind.choices,
        },
    )


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
    thematic = list(
        StaffRole.objects.filter(member__caf=collectivite.caf, role=StaffMember.Role.THEMATIQUE)
        .select_related("member")
        .order_by("member__nom")
    )
    lines = role_lines(thematic)
    return render(
        request,
        "organisations/collectivite_detail.html",
        {
            "collectivite": collectivite,
            "follow_ups": follow_ups,
            "thematic": [
                (r.member, [THEME_LABELS[Theme(t)] for t in r.themes], lines[r.pk])
                for r in thematic
            ],
            "ctgs": visible_ctgs(request.user)
            .filter(signataires=collectivite)
            .order_by("-date_debut"),
            "population": population,
            "nb_communes": nb_communes,
            "epci_visible": epci is not None
            and visible_epcis(request.user).filter(pk=epci.pk).exists(),
            "epci": epci,
            "can_edit": can_edit_collectivite(request.user, collectivite),
            "can_assign": can_assign_follow_ups(request.user, collectivite.caf_id),
        },
    )


ROLE_ORDER = [
    StaffMember.Role.RESPONSABLE,
    StaffMember.Role.CTT,
    StaffMember.Role.DEVELOPPEMENT_SOCIAL,
    StaffMember.Role.THEMATIQUE,
    StaffMember.Role.ETUDES,
]


def role_lines(roles: list[StaffRole]) -> dict[int, list[tuple[str, str, list[str]]]]:
    """The lines of each role's function (not the person's): {role pk: [(label, number, the
    other people who answer it)]}: « Ligne parentalité », 02.46.67.10.66, [Mickaël BOUDMER]."""
    holders: dict[str, list[str]] = defaultdict(list)
    for role in roles:
        for phone in role.telephones:
            holders[phone].append(str(role.member))
    found: dict[int, list[tuple[str, str, list[str]]]] = defaultdict(list)
    for role in roles:
        themes = ", ".join(THEME_LABELS[Theme(t)].lower() for t in role.themes)
        label = f"Ligne {themes}" if themes else "Ligne de la fonction"
        for phone in role.telephones:
            others = [name for name in holders[phone] if name != str(role.member)]
            found[role.pk].append((label, phone, others))
    return found


def team(request: HttpRequest, code: str) -> HttpResponse:
    caf = get_caf_for_user(request.user, code)
    roles = list(
        StaffRole.objects.filter(member__caf=caf)
        .select_related("member")
        .order_by("member__nom", "member__prenom")
    )
    follow_ups = (
        FollowUp.objects.filter(member__caf=caf)
        .select_related("collectivite", "member")
        .order_by("collectivite__nom", "member__nom", "member__prenom")
    )
    territories: dict[tuple[int, str], list] = defaultdict(list)
    for follow_up in follow_ups:
        territories[(follow_up.member_id, follow_up.role)].append(follow_up.collectivite)
    visible_ids = set(visible_collectivites(request.user).values_list("id", flat=True))
    lines = role_lines(roles)
    groups = []
    for role in ROLE_ORDER:
        people = [
            {
                "member": r.member,
                "themes": [THEME_LABELS[Theme(t)] for t in r.themes],
                "lines": lines[r.pk],
                "collectivites": [
                    (la, la.pk in visible_ids) for la in territories[(r.member_id, r.role)]
                ],
            }
            for r in roles
            if r.role == role
        ]
        if people:
            groups.append((role.label, people))
    by_territory: dict[LocalAuthority, dict[str, list[StaffMember]]] = defaultdict(
        lambda: {role.value: [] for role in FOLLOW_UP_ROLES}
    )
    for follow_up in follow_ups:
        if follow_up.role in by_territory[follow_up.collectivite]:
            by_territory[follow_up.collectivite][follow_up.role].append(follow_up.member)
    return render(
        request,
        "organisations/team.html",
        {
            "caf": caf,
            "groups": groups,
            "by_territory": [
                (la, [members[role.value] for role in FOLLOW_UP_ROLES])
                for la, members in sorted(by_territory.items(), key=lambda item: item[0].nom)
            ],
            "follow_up_roles": [GROUP_LABELS[role] for role in FOLLOW_UP_ROLES],
            "visible_ids": visible_ids,
            "is_caf_staff": caf.pk in scope_of(request.user).caf_ids,
            "can_assign": can_assign_follow_ups(request.user, caf.pk),
        },
    )


# --- « Suivi des collectivités »: the Caf administrator assigns the team -----------------------

#: The most recent changes shown under the page.
HISTORY_LENGTH = 30


def _assigning_caf(request: HttpRequest, code: str) -> Caf:
    """The Caf whose follow-ups the user decides: 404 for anyone but its administrators."""
    caf = get_caf_for_user(request.user, code)
    if not can_assign_follow_ups(request.user, caf.pk):
        raise Http404("Page introuvable.")
    return caf


def _follow_ups_page(
    request: HttpRequest,
    caf: Caf,
    bound: tuple[int, AddFollowUpForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    collectivites = list(LocalAuthority.objects.filter(caf=caf).order_by("nom"))
    follow_ups: dict[int, list[FollowUp]] = defaultdict(list)
    for follow_up in (
        FollowUp.objects.filter(collectivite__caf=caf)
        .select_related("member")
        .order_by("member__nom", "member__prenom")
    ):
        follow_ups[follow_up.collectivite_id].append(follow_up)
    roles = list(
        StaffRole.objects.filter(member__caf=caf, role__in=[r.value for r in FOLLOW_UP_ROLES])
        .select_related("member")
        .order_by("member__nom", "member__prenom")
    )
    visible_ids = set(visible_collectivites(request.user).values_list("id", flat=True))
    rows = []
    for la in collectivites:
        mine = follow_ups[la.pk]
        taken = {(f.member_id, f.role) for f in mine}
        if bound is not None and bound[0] == la.pk:
            form = bound[1]
        else:
            form = AddFollowUpForm(roles=roles, taken=taken, prefix=f"c{la.pk}")
        rows.append(
            {
                "collectivite": la,
                "visible": la.pk in visible_ids,
                "groups": [
                    (GROUP_LABELS[role], [f for f in mine if f.role == role])
                    for role in FOLLOW_UP_ROLES
                ],
                "form": form,
            }
        )
    return render(
        request,
        "organisations/follow_ups.html",
        {
            "caf": caf,
            "rows": rows,
            "history": _history(caf, {la.pk: la for la in collectivites}),
            "crumbs": [
                ("Accueil", reverse("home")),
                ("Équipe de la Caf", reverse("organisations:team", args=[caf.code])),
                ("Suivi des collectivités", ""),
            ],
        },
        status=status,
    )


def _history(caf: Caf, collectivites: dict[int, LocalAuthority]) -> list[dict[str, Any]]:
    """The latest changes of who follows which collectivité (added, removed), newest first."""
    entries = AuditEntry.objects.filter(
        caf=caf,
        objet_type=LocalAuthority._meta.label_lower,
        objet_id__in=[str(pk) for pk in collectivites],
        apres__has_key=HISTORY_KEY,
    ).order_by("-horodatage", "-id")[:HISTORY_LENGTH]
    found = []
    for entry in entries:
        before = set((entry.avant or {}).get(HISTORY_KEY, []))
        after = set((entry.apres or {}).get(HISTORY_KEY, []))
        found.append(
            {
                "entry": entry,
                "collectivite": collectivites[int(entry.objet_id)],
                "added": sorted(after - before),
                "removed": sorted(before - after),
            }
        )
    return found


def follow_ups(request: HttpRequest, code: str) -> HttpResponse:
    return _follow_ups_page(request, _assigning_caf(request, code))


def _back(caf: Caf, collectivite_id: int) -> HttpResponse:
    url = reverse("organisations:follow_ups", args=[caf.code])
    return redirect(f"{url}#collectivite-{collectivite_id}")


@require_POST
def follow_up_add(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    caf = _assigning_caf(request, code)
    collectivite = LocalAuthority.objects.filter(caf=caf, pk=pk).select_related("caf").first()
    if collectivite is None:
        raise Http404("Page introuvable.")
    roles = StaffRole.objects.filter(member__caf=caf).select_related("member")
    taken = set(FollowUp.objects.filter(collectivite=collectivite).values_list("member_id", "role"))
    form = AddFollowUpForm(request.POST, roles=roles, taken=taken, prefix=f"c{collectivite.pk}")
    if form.is_valid():
        role = form.staff_role
        try:
            set_follow_up(
                request.user,
                member=role.member,
                collectivite=collectivite,
                role=role.role,
                follows=True,
            )
        except FollowUpError as error:
            form.add_error("suivi", str(error))
        else:
            messages.success(
                request,
                f"{role.member} suit désormais {collectivite.nom} "
                f"({role.get_role_display().lower()}).",
            )
            return _back(caf, collectivite.pk)
    return _follow_ups_page(request, caf, bound=(collectivite.pk, form), status=400)


@require_POST
def follow_up_remove(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    caf = _assigning_caf(request, code)
    follow_up = (
        FollowUp.objects.filter(collectivite__caf=caf, pk=pk)
        .select_related("member", "collectivite__caf")
        .first()
    )
    if follow_up is None:
        raise Http404("Page introuvable.")
    collectivite = follow_up.collectivite
    try:
        set_follow_up(
            request.user,
            member=follow_up.member,
            collectivite=collectivite,
            role=follow_up.role,
            follows=False,
        )
    except FollowUpError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            f"{follow_up.member} ne suit plus {collectivite.nom} "
            f"({follow_up.get_role_display().lower()}).",
        )
    return _back(caf, collectivite.pk)

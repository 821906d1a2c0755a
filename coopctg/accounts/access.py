"""Who may see and change what. Every view goes through these helpers.

One helper per object type; a user who may not see an object gets a 404 (never a 403 that
would confirm the object exists).

Scopes:
- Caf administrator and analyst: everything of their Caf (its département, collectivités, Ctg);
- Caf advisor: their Caf's reference pages (département, map, team) and the collectivités
  assigned to them;
- collectivité editor and elected official: their collectivité, its EPCI page, its Ctg, and
  their Caf's team directory;
- national analyst (Cnaf): what a Caf analyst sees, for every Caf, and the national pages
  (:func:`is_national`); writes nothing, manages no account.

Accounts (« Comptes »): a Caf administrator manages every role of their Caf and of its
collectivités; a collectivité editor with the « administrateur de la collectivité » right
manages the editor and elected-official roles of their own collectivité. Nobody else manages
accounts (the command line acts as the system).
"""

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse

from coopctg.accounts.models import Invitation, Membership, User
from coopctg.accounts.roles import (
    CAF_ROLES,
    CAF_WIDE_ROLES,
    COLLECTIVITE_ROLES,
    EDITOR_ROLES,
    NATIONAL_ROLES,
    Role,
)
from coopctg.ctg.models import Ctg
from coopctg.funding.models import FundingArchitecture
from coopctg.organisations.models import Caf, LocalAuthority
from coopctg.territories.models import Departement, Epci


@dataclass
class Scope:
    """What one user's memberships open, computed once per request."""

    user: User
    roles: set[Role] = field(default_factory=set)
    caf_ids: set[int] = field(default_factory=set)  # Cafs whose staff the user is
    caf_wide_ids: set[int] = field(default_factory=set)  # Cafs seen whole (admin, analyst)
    caf_admin_ids: set[int] = field(default_factory=set)  # Cafs the user administers
    advised_ids: set[int] = field(default_factory=set)  # collectivités assigned (advisor)
    member_ids: set[int] = field(default_factory=set)  # the user's own collectivités
    edited_ids: set[int] = field(default_factory=set)  # own collectivités as editor
    administered_ids: set[int] = field(default_factory=set)  # own collectivités administered
    national: bool = False  # reads every Caf and the national pages (Cnaf)

    @property
    def collectivite_ids(self) -> set[int]:
        """Collectivités seen one by one (besides the whole Cafs of ``caf_wide_ids``)."""
        return self.advised_ids | self.member_ids

    @property
    def is_caf_staff(self) -> bool:
        return bool(self.caf_ids)


def scope_of(user: User) -> Scope:
    cached = getattr(user, "_coopctg_scope", None)
    if cached is not None:
        return cached
    scope = Scope(user=user)
    if user.is_authenticated and user.is_active:
        rows = Membership.objects.filter(user=user).select_related("collectivite")
        for row in rows:
            role = Role(row.role)
            scope.roles.add(role)
            if role in CAF_ROLES:
                caf_id = row.caf_id or row.collectivite.caf_id  # type: ignore[union-attr]
                scope.caf_ids.add(caf_id)
                if role in CAF_WIDE_ROLES:
                    scope.caf_wide_ids.add(caf_id)
                if role == Role.CAF_ADMIN:
                    scope.caf_admin_ids.add(caf_id)
                if role == Role.CAF_ADVISOR and row.collectivite_id:
                    scope.advised_ids.add(row.collectivite_id)
            elif role in NATIONAL_ROLES:
                scope.national = True
            elif row.collectivite_id:
                scope.member_ids.add(row.collectivite_id)
                if role in EDITOR_ROLES:
                    scope.edited_ids.add(row.collectivite_id)
                if role == Role.COLLECTIVITE_EDITOR and row.administrateur:
                    scope.administered_ids.add(row.collectivite_id)
        if scope.national:  # a Caf analyst of every Caf: read-only, one more query
            every_caf = set(Caf.objects.values_list("id", flat=True))
            scope.caf_ids |= every_caf
            scope.caf_wide_ids |= every_caf
    user._coopctg_scope = scope  # type: ignore[attr-defined]
    return scope


def is_national(user: User) -> bool:
    """The national pages (every Caf consolidated) are the national analyst's only."""
    return scope_of(user).national


def require_national(user: User) -> None:
    """404 for anyone but a national analyst (the national pages do not exist for them)."""
    if not is_national(user):
        raise Http404("Page introuvable.")


# --- Querysets of what a user sees -------------------------------------------------------


def visible_collectivites(user: User) -> QuerySet[LocalAuthority]:
    scope = scope_of(user)
    return LocalAuthority.objects.filter(
        Q(caf_id__in=scope.caf_wide_ids) | Q(id__in=scope.collectivite_ids)
    )


def visible_ctgs(user: User) -> QuerySet[Ctg]:
    scope = scope_of(user)
    return Ctg.objects.filter(
        Q(caf_id__in=scope.caf_wide_ids) | Q(signataires__id__in=scope.collectivite_ids)
    ).distinct()


def visible_cafs(user: User) -> QuerySet[Caf]:
    """Cafs whose team directory the user may read: their own, or their collectivités' Caf.

    Never a join on the collectivités (a national analyst sees every Caf: the join and its
    DISTINCT would read every collectivité of the country on each list page)."""
    scope = scope_of(user)
    condition = Q(id__in=scope.caf_ids)
    if scope.collectivite_ids:
        own = LocalAuthority.objects.filter(id__in=scope.collectivite_ids).values("caf_id")
        condition |= Q(id__in=own)
    return Caf.objects.filter(condition)


def visible_departements(user: User) -> QuerySet[Departement]:
    """Département pages and maps are for Caf staff of that département's Caf."""
    return Departement.objects.filter(caf__id__in=scope_of(user).caf_ids)


def visible_epcis(user: User) -> QuerySet[Epci]:
    scope = scope_of(user)
    return Epci.objects.filter(
        Q(communes__departement__caf__id__in=scope.caf_ids)
        | Q(collectivite__id__in=scope.collectivite_ids)
        | Q(communes__collectivite__id__in=scope.collectivite_ids)
    ).distinct()


# --- Object getters: 404 when not visible --------------------------------------------------


def _get_or_404[T](queryset: QuerySet[T], **lookup: object) -> T:
    try:
        return queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError) as error:  # type: ignore[attr-defined]
        raise Http404("Page introuvable.") from error


def get_collectivite_for_user(user: User, pk: int) -> LocalAuthority:
    queryset = visible_collectivites(user).select_related("caf", "epci", "commune")
    return _get_or_404(queryset, pk=pk)


def get_ctg_for_user(user: User, pk: int) -> Ctg:
    return _get_or_404(visible_ctgs(user).select_related("caf"), pk=pk)


def get_departement_for_user(user: User, code: str) -> Departement:
    return _get_or_404(visible_departements(user), code=code)


def get_epci_for_user(user: User, siren: str) -> Epci:
    return _get_or_404(visible_epcis(user), siren=siren)


def get_caf_for_user(user: User, code: str) -> Caf:
    return _get_or_404(visible_cafs(user).select_related("departement"), code=code)


def visible_architectures(user: User) -> QuerySet[FundingArchitecture]:
    scope = scope_of(user)
    return FundingArchitecture.objects.filter(
        Q(collectivite__caf_id__in=scope.caf_wide_ids)
        | Q(collectivite_id__in=scope.collectivite_ids)
    )


def get_architecture_for_user(user: User, pk: int) -> FundingArchitecture:
    queryset = (
        visible_architectures(user)
        .select_related("ctg", "ctg__caf", "collectivite")
        .prefetch_related("personnes__affectations", "personnes__objectifs")
    )
    return _get_or_404(queryset, pk=pk)


# --- Write permissions -----------------------------------------------------------------------


def can_edit_collectivite(user: User, collectivite: LocalAuthority) -> bool:
    """Its data (later: its Cof architecture): Caf admin, assigned advisor, its editor."""
    scope = scope_of(user)
    return (
        collectivite.caf_id in scope.caf_admin_ids
        or collectivite.pk in scope.advised_ids
        or collectivite.pk in scope.edited_ids
    )


def can_manage_ctg(user: User, ctg: Ctg) -> bool:
    """A Ctg is the Caf's agreement: its admin, or the advisor of a signatory, changes it."""
    scope = scope_of(user)
    if ctg.caf_id in scope.caf_admin_ids:
        return True
    return any(la.pk in scope.advised_ids for la in ctg.signataires.all())


def manageable_collectivites(user: User) -> QuerySet[LocalAuthority]:
    """Collectivités for which the user may create a Ctg."""
    scope = scope_of(user)
    return LocalAuthority.objects.filter(
        Q(caf_id__in=scope.caf_admin_ids) | Q(id__in=scope.advised_ids)
    )


# --- Accounts ------------------------------------------------------------------------------

_CAF_ROLE_VALUES = sorted(r.value for r in CAF_ROLES)
_COLLECTIVITE_ROLE_VALUES = sorted(r.value for r in COLLECTIVITE_ROLES)


def can_manage_accounts(user: User) -> bool:
    """Whether the user manages any account (the « Comptes » pages)."""
    scope = scope_of(user)
    return bool(scope.caf_admin_ids or scope.administered_ids)


def can_manage_scope(
    user: User, role: Role, *, caf_id: int | None, collectivite: LocalAuthority | None
) -> bool:
    """Whether the user may grant, change or withdraw ``role`` on that scope (or invite)."""
    scope = scope_of(user)
    if role in CAF_ROLES:
        return caf_id is not None and caf_id in scope.caf_admin_ids
    if collectivite is None:
        return False
    return collectivite.caf_id in scope.caf_admin_ids or collectivite.pk in scope.administered_ids


def _managed_filter(user: User) -> Q:
    scope = scope_of(user)
    return (
        Q(role__in=_CAF_ROLE_VALUES, caf_id__in=scope.caf_admin_ids)
        | Q(role__in=_COLLECTIVITE_ROLE_VALUES, collectivite__caf_id__in=scope.caf_admin_ids)
        | Q(role__in=_COLLECTIVITE_ROLE_VALUES, collectivite_id__in=scope.administered_ids)
    )


def managed_memberships(user: User) -> QuerySet[Membership]:
    """The roles the user may change or withdraw."""
    return Membership.objects.filter(_managed_filter(user))


def managed_invitations(user: User) -> QuerySet[Invitation]:
    """The invitations the user sees, resends and cancels."""
    return Invitation.objects.filter(_managed_filter(user))


def managed_users(user: User) -> QuerySet[User]:
    """People with a role in the user's scope, or who accepted an invitation of that scope
    (so that a person whose roles were all withdrawn can still be found and deactivated)."""
    if not can_manage_accounts(user):
        return User.objects.none()
    return User.objects.filter(
        Q(pk__in=managed_memberships(user).values("user_id"))
        | Q(pk__in=managed_invitations(user).values("acceptee_par_id"))
    )


def get_managed_user_for_user(user: User, pk: int) -> User:
    return _get_or_404(managed_users(user), pk=pk)


def get_managed_membership_for_user(user: User, pk: int) -> Membership:
    queryset = managed_memberships(user).select_related("user", "caf", "collectivite")
    return _get_or_404(queryset, pk=pk)


def get_managed_invitation_for_user(user: User, pk: int) -> Invitation:
    queryset = managed_invitations(user).select_related("caf", "collectivite", "cree_par")
    return _get_or_404(queryset, pk=pk)


# --- Navigation ------------------------------------------------------------------------------


def navigation_for(user: User) -> list[tuple[str, str]]:
    """The main menu, by what the person does: the Caf's administrator funds and steers every
    territory, its advisor follows theirs, its analyst reads; the collectivité's editor runs
    their Ctg; the elected official reads their territory's dashboard. A page left out of a
    menu stays reachable (and protected) as before: the menu only spares people what they
    never use."""
    scope = scope_of(user)
    caf_staff = bool(scope.caf_ids)
    writes = bool(scope.caf_admin_ids or scope.advised_ids or scope.edited_ids)
    sees_territories = bool(scope.collectivite_ids or scope.caf_wide_ids)
    reads_only = sees_territories and not writes
    items: list[tuple[str, str]] = []
    if scope.national:  # the Cnaf: the national view first, then any Caf read-only
        items.append(("Vue nationale", reverse("national:index")))
    if not (reads_only and not caf_staff):  # the elected official's home is the dashboard
        items.append(("Accueil", reverse("home")))
    if sees_territories:
        items.append(("Tableau de bord", reverse("dashboards:index")))
        items.append(("Échéances", reverse("deadlines:list")))
        if caf_staff:
            items.append(("Collectivités", reverse("organisations:collectivites")))
        items.append(("Ctg", reverse("ctg:list")))
        if writes or caf_staff:
            items.append(("Cof", reverse("agreements:list")))
        items.append(("Bilans", reverse("reports:list")))
        if writes:
            items.append(("Recrutements", reverse("recruitment:list")))
        if scope.caf_wide_ids:
            items.append(("Budget", reverse("budget:index")))
        if scope.caf_wide_ids or scope.edited_ids:
            items.append(("Versements", reverse("payments:index")))
    if scope.caf_ids:
        items.append(("Territoires", reverse("territories:map")))
    if writes or not sees_territories:
        items.append(("Simulateur", reverse("funding:simulator")))
    items.append(("Référentiel", reverse("framework:index")))
    cafs = list(visible_cafs(user).values_list("code", flat=True)[:1])
    if cafs and (caf_staff or writes):
        items.append(("Équipe de la Caf", reverse("organisations:team", args=[cafs[0]])))
    if can_manage_accounts(user):
        items.append(("Comptes", reverse("accounts:list")))
    return items

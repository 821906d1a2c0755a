"""Who may see and change the partner directory, the links and the networks.

The directory of a Caf is shared by its territories: whoever sees the Caf
(:func:`coopctg.accounts.access.visible_cafs`: its staff, the editors and élus of its
collectivités) reads it; the Caf's admin and advisors, and the editors of its collectivités,
add and change partners and networks. The links of a Ctg (partners of its actions and
instances, memberships of networks) follow its governance: read by whoever sees the Ctg,
written by whoever may edit one of its signatories. Anything else is a 404.
"""

from django.db.models import QuerySet
from django.http import Http404

from coopctg.accounts.access import _get_or_404, scope_of, visible_cafs, visible_ctgs
from coopctg.accounts.models import User
from coopctg.accounts.roles import Role
from coopctg.governance.access import can_edit_governance
from coopctg.organisations.models import Caf, LocalAuthority
from coopctg.partners.models import Network, NetworkMembership, Partner


def can_edit_directory(user: User, caf: Caf) -> bool:
    scope = scope_of(user)
    if caf.pk in scope.caf_admin_ids:
        return True
    if Role.CAF_ADVISOR in scope.roles and caf.pk in scope.caf_ids and scope.advised_ids:
        return True
    if not scope.edited_ids:
        return False
    return LocalAuthority.objects.filter(pk__in=scope.edited_ids, caf=caf).exists()


def get_caf_directory_for_user(user: User, code: str) -> Caf:
    return _get_or_404(visible_cafs(user), code=code)


def get_caf_directory_for_editor(user: User, code: str) -> Caf:
    caf = get_caf_directory_for_user(user, code)
    if not can_edit_directory(user, caf):
        raise Http404("Page introuvable.")
    return caf


def visible_partners(user: User) -> QuerySet[Partner]:
    return Partner.objects.filter(caf__in=visible_cafs(user).values("pk"))


def get_partner_for_user(user: User, pk: int) -> Partner:
    return _get_or_404(visible_partners(user).select_related("caf", "collectivite"), pk=pk)


def get_partner_for_editor(user: User, pk: int) -> Partner:
    partner = get_partner_for_user(user, pk)
    if not can_edit_directory(user, partner.caf):
        raise Http404("Page introuvable.")
    return partner


def get_network_for_editor(user: User, pk: int) -> Network:
    """A network of a Caf whose directory the user may change (404 otherwise)."""
    network = _get_or_404(
        Network.objects.filter(caf__in=visible_cafs(user).values("pk")).select_related("caf"),
        pk=pk,
    )
    if not can_edit_directory(user, network.caf):
        raise Http404("Page introuvable.")
    return network


def get_membership_for_editor(user: User, pk: int) -> NetworkMembership:
    """A membership of a Ctg whose governance the user may change (404 otherwise)."""
    membership = _get_or_404(
        NetworkMembership.objects.filter(ctg__in=visible_ctgs(user).values("pk")).select_related(
            "network", "ctg"
        ),
        pk=pk,
    )
    if not can_edit_governance(user, membership.ctg):
        raise Http404("Page introuvable.")
    return membership

"""Who follows which collectivité at the Caf: one function for every change.

:func:`set_follow_up` is used by the Caf administrator's page « Suivi des collectivités », the
team import (``coopctg equipe importer``) and the demonstration. In one transaction it adds or
removes the follow-up, writes the collectivité's history (who follows it, before and after:
:func:`coopctg.core.audit.record_change`) and keeps the advisor's access in step: when the team
member has an account that holds the « conseiller·ère Caf » role in this Caf, the role on that
collectivité is given or withdrawn through :mod:`coopctg.accounts.invitations` (history of the
account, notification of the person), so that a Caf advisor sees exactly the collectivités
they follow. An advisor whose last collectivité is withdrawn keeps the role on the Caf, without
collectivité: a follow-up given later opens it again.

``actor`` is the person acting (a page's ``request.user``): a Caf administrator of the
collectivité's Caf. ``actor=None`` is the system (import, demonstration): no check,
« système » in the history. A refusal is a :class:`FollowUpError` (one French sentence).
"""

from typing import Any

from django.db import transaction

from coopctg.accounts.roles import Role
from coopctg.core.audit import record_change
from coopctg.core.models import AuditEntry
from coopctg.organisations.models import FollowUp, LocalAuthority, StaffMember

#: The roles in which a team member follows a collectivité, in the order the pages show them.
FOLLOW_UP_ROLES: tuple[StaffMember.Role, ...] = (
    StaffMember.Role.CTT,
    StaffMember.Role.DEVELOPPEMENT_SOCIAL,
    StaffMember.Role.THEMATIQUE,
)

#: The key of the collectivité's history rows written here.
HISTORY_KEY = "suivie_par"


class FollowUpError(ValueError):
    """A refused change of follow-up; the message is one French sentence."""


def can_assign_follow_ups(user: Any, caf_id: int) -> bool:
    """Only the Caf's administrators decide who follows its collectivités."""
    from coopctg.accounts.access import scope_of

    return caf_id in scope_of(user).caf_admin_ids


def follow_up_label(follow_up: FollowUp) -> str:
    """« Armelle BARON (conseiller·ère technique territorial·e) »."""
    return f"{follow_up.member} ({follow_up.get_role_display().lower()})"


def follow_up_state(collectivite: LocalAuthority) -> dict[str, Any]:
    """What the history keeps: who follows the collectivité, and as what."""
    rows = FollowUp.objects.filter(collectivite=collectivite).select_related("member")
    return {HISTORY_KEY: sorted(follow_up_label(f) for f in rows)}


@transaction.atomic
def set_follow_up(
    actor: Any,
    *,
    member: StaffMember,
    collectivite: LocalAuthority,
    role: str,
    follows: bool,
) -> bool:
    """``member`` follows (``follows``) or no longer follows ``collectivite`` as ``role``.
    Returns whether anything changed: asking for the state already there writes nothing."""
    try:
        role = StaffMember.Role(role)
    except ValueError:
        raise FollowUpError(f"Rôle de suivi inconnu : « {role} ».") from None
    if role not in FOLLOW_UP_ROLES:
        raise FollowUpError(
            f"On ne suit pas une collectivité comme « {role.label.lower()} » : choisissez "
            "conseiller·ère technique territorial·e, chargé·e de développement social ou "
            "conseiller·ère technique thématique."
        )
    if actor is not None and not can_assign_follow_ups(actor, collectivite.caf_id):
        raise FollowUpError("Seule l'administration de la Caf désigne qui suit ses collectivités.")
    if member.caf_id != collectivite.caf_id:
        raise FollowUpError(
            f"{member} n'est pas dans l'équipe de la Caf de la collectivité {collectivite.nom}."
        )
    # One change at a time per collectivité, so that each history row tells the truth.
    LocalAuthority.objects.select_for_update().filter(pk=collectivite.pk).first()
    existing = FollowUp.objects.filter(member=member, collectivite=collectivite, role=role)
    if follows == existing.exists():
        return False
    if follows and not member.roles.filter(role=role).exists():
        raise FollowUpError(f"{member} n'est pas {role.label.lower()} dans l'équipe de la Caf.")
    before = follow_up_state(collectivite)
    if follows:
        FollowUp.objects.create(member=member, collectivite=collectivite, role=role)
    else:
        existing.delete()
    record_change(
        actor,
        collectivite,
        AuditEntry.Action.MODIFICATION,
        before=before,
        after=follow_up_state(collectivite),
        caf_id=collectivite.caf_id,
    )
    _sync_advisor_scope(actor, member, collectivite)
    return True


def _sync_advisor_scope(actor: Any, member: StaffMember, collectivite: LocalAuthority) -> None:
    """The « conseiller·ère Caf » role of ``member``'s account on ``collectivite``: held while
    the member follows it (in any role), when the account is a Caf advisor of that Caf."""
    from coopctg.accounts import invitations
    from coopctg.accounts.models import Membership

    user = member.user
    if user is None or not user.is_active:
        return
    roles = Membership.objects.filter(
        user=user, role=Role.CAF_ADVISOR.value, caf_id=collectivite.caf_id
    ).select_related("caf", "collectivite", "user")
    if not roles.exists():  # not an advisor's account (administrator, analyst…)
        return
    follows = FollowUp.objects.filter(member=member, collectivite=collectivite).exists()
    held = roles.filter(collectivite=collectivite).first()
    try:
        if follows and held is None:
            invitations.grant_role(
                actor,
                user,
                role=Role.CAF_ADVISOR,
                caf=collectivite.caf,
                collectivite=collectivite,
            )
        elif not follows and held is not None:
            if not roles.exclude(pk=held.pk).exists():  # stays an advisor of the Caf
                invitations.grant_role(actor, user, role=Role.CAF_ADVISOR, caf=collectivite.caf)
            invitations.withdraw_role(actor, held)
    except invitations.AccountError as error:
        raise FollowUpError(str(error)) from None

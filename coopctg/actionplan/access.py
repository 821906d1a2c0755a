"""Who may see and change a Ctg's plan d'actions. Every view goes through these helpers.

Read: whoever sees the Ctg (:func:`coopctg.accounts.access.visible_ctgs`: the Caf's admins and
analysts, the advisor of a signatory, the signatories' editors and élus). Write: whoever may
edit one of its signatories (:func:`coopctg.accounts.access.can_edit_collectivite`: the Caf
admin, the assigned advisor, the collectivité's editor); analysts and élus read only. Anything
else is a 404, never a 403.
"""

from django.db.models import QuerySet
from django.http import Http404

from coopctg.accounts.access import (
    _get_or_404,
    can_edit_collectivite,
    get_ctg_for_user,
    visible_ctgs,
)
from coopctg.accounts.models import User
from coopctg.actionplan.models import Action
from coopctg.ctg.models import Ctg


def can_edit_plan(user: User, ctg: Ctg) -> bool:
    return any(can_edit_collectivite(user, la) for la in ctg.signataires.all())


def get_ctg_for_plan_editor(user: User, pk: int) -> Ctg:
    ctg = get_ctg_for_user(user, pk)
    if not can_edit_plan(user, ctg):
        raise Http404("Page introuvable.")
    return ctg


def visible_actions(user: User) -> QuerySet[Action]:
    return Action.objects.filter(ctg__in=visible_ctgs(user).values("pk"))


def get_action_for_user(user: User, pk: int) -> Action:
    return _get_or_404(visible_actions(user).select_related("ctg", "ctg__caf"), pk=pk)


def get_action_for_editor(user: User, pk: int) -> Action:
    action = get_action_for_user(user, pk)
    if not can_edit_plan(user, action.ctg):
        raise Http404("Page introuvable.")
    return action

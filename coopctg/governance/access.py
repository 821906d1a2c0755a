"""Who may see and change a Ctg's instances and faits marquants.

Read: whoever sees the Ctg (:func:`coopctg.accounts.access.visible_ctgs`). Write: whoever may
edit one of its signatories (:func:`coopctg.accounts.access.can_edit_collectivite`: the Caf
admin, the assigned advisor, the collectivité's editor). Anything else is a 404.
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
from coopctg.ctg.models import Ctg
from coopctg.governance.models import Highlight, Meeting


def can_edit_governance(user: User, ctg: Ctg) -> bool:
    return any(can_edit_collectivite(user, la) for la in ctg.signataires.all())


def get_ctg_for_editor(user: User, pk: int) -> Ctg:
    ctg = get_ctg_for_user(user, pk)
    if not can_edit_governance(user, ctg):
        raise Http404("Page introuvable.")
    return ctg


def visible_meetings(user: User) -> QuerySet[Meeting]:
    return Meeting.objects.filter(ctg__in=visible_ctgs(user).values("pk"))


def get_meeting_for_user(user: User, pk: int) -> Meeting:
    return _get_or_404(visible_meetings(user).select_related("ctg", "ctg__caf"), pk=pk)


def get_meeting_for_editor(user: User, pk: int) -> Meeting:
    meeting = get_meeting_for_user(user, pk)
    if not can_edit_governance(user, meeting.ctg):
        raise Http404("Page introuvable.")
    return meeting


def get_highlight_for_editor(user: User, pk: int) -> Highlight:
    queryset = Highlight.objects.filter(ctg__in=visible_ctgs(user).values("pk"))
    highlight = _get_or_404(queryset.select_related("ctg", "ctg__caf"), pk=pk)
    if not can_edit_governance(user, highlight.ctg):
        raise Http404("Page introuvable.")
    return highlight

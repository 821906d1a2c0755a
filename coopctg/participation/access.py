"""Who may see and change the records of mission 4 of a Ctg.

Read: whoever sees the Ctg (:func:`coopctg.accounts.access.visible_ctgs`). Write: whoever may
edit one of its signatories (the Caf admin, the assigned advisor, the collectivité's editor),
as for the instances and the diagnostic; analysts and élus read only. Opening the public page
is the collectivité's choice: only the editor of a signatory (:func:`can_publish_page`).
Anything else is a 404, never a 403. The public pages (a questionnaire's link, an opted-in
Ctg's page) need no account: :mod:`coopctg.participation.public`.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from coopctg.accounts.access import _get_or_404, get_ctg_for_user, scope_of, visible_ctgs
from coopctg.accounts.models import User
from coopctg.ctg.models import Ctg
from coopctg.governance.access import can_edit_governance
from coopctg.participation.models import Consultation, Questionnaire, Support, WatchNote


def can_edit(user: User, ctg: Ctg) -> bool:
    return can_edit_governance(user, ctg)


def can_publish_page(user: User, ctg: Ctg) -> bool:
    """The collectivité decides: the editor of one of the Ctg's signatories."""
    edited = scope_of(user).edited_ids
    return any(la.pk in edited for la in ctg.signataires.all())


def get_ctg_for_editor(user: User, pk: int) -> Ctg:
    ctg = get_ctg_for_user(user, pk)
    if not can_edit(user, ctg):
        raise Http404("Page introuvable.")
    return ctg


def _editable[T](user: User, obj: T, ctg: Ctg) -> T:
    if not can_edit(user, ctg):
        raise Http404("Page introuvable.")
    return obj


def visible_consultations(user: User) -> QuerySet[Consultation]:
    return Consultation.objects.filter(ctg__in=visible_ctgs(user).values("pk"))


def get_consultation_for_user(user: User, pk: int) -> Consultation:
    return _get_or_404(visible_consultations(user).select_related("ctg", "ctg__caf"), pk=pk)


def get_consultation_for_editor(user: User, pk: int) -> Consultation:
    consultation = get_consultation_for_user(user, pk)
    return _editable(user, consultation, consultation.ctg)


def visible_questionnaires(user: User) -> QuerySet[Questionnaire]:
    return Questionnaire.objects.filter(
        consultation__ctg__in=visible_ctgs(user).values("pk")
    ).select_related("consultation", "consultation__ctg", "consultation__ctg__caf")


def get_questionnaire_for_user(user: User, pk: int) -> Questionnaire:
    return _get_or_404(visible_questionnaires(user), pk=pk)


def get_questionnaire_for_editor(user: User, pk: int) -> Questionnaire:
    questionnaire = get_questionnaire_for_user(user, pk)
    return _editable(user, questionnaire, questionnaire.consultation.ctg)


def visible_supports(user: User) -> QuerySet[Support]:
    return Support.objects.filter(ctg__in=visible_ctgs(user).values("pk"))


def get_support_for_editor(user: User, pk: int) -> Support:
    support = _get_or_404(visible_supports(user).select_related("ctg", "ctg__caf"), pk=pk)
    return _editable(user, support, support.ctg)


def visible_watch_notes(user: User) -> QuerySet[WatchNote]:
    return WatchNote.objects.filter(ctg__in=visible_ctgs(user).values("pk"))


def get_watch_note_for_editor(user: User, pk: int) -> WatchNote:
    note = _get_or_404(visible_watch_notes(user).select_related("ctg", "ctg__caf"), pk=pk)
    return _editable(user, note, note.ctg)

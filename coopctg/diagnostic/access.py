"""Who may see and change the diagnostic, the besoins, the commissions and the objectifs de
développement of a Ctg. Every view and API operation goes through these helpers.

Read: whoever sees the Ctg (:func:`coopctg.accounts.access.visible_ctgs`: the Caf's admins
and analysts, the advisor of a signatory, the signatories' editors and élus). Write: whoever
may edit one of its signatories (:func:`coopctg.accounts.access.can_edit_collectivite`: the
Caf admin, the assigned advisor, the collectivité's editor), as for the instances and the
plan d'actions; analysts and élus read only. Anything else is a 404, never a 403.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from coopctg.accounts.access import _get_or_404, get_ctg_for_user, visible_ctgs
from coopctg.accounts.models import User
from coopctg.ctg.models import Ctg
from coopctg.diagnostic.models import Commission, Diagnostic, Enjeu, Need
from coopctg.governance.access import can_edit_governance


def can_edit(user: User, ctg: Ctg) -> bool:
    return can_edit_governance(user, ctg)


def get_ctg_for_editor(user: User, pk: int) -> Ctg:
    ctg = get_ctg_for_user(user, pk)
    if not can_edit(user, ctg):
        raise Http404("Page introuvable.")
    return ctg


def _editable[T](user: User, obj: T, ctg: Ctg) -> T:
    if not can_edit(user, ctg):
        raise Http404("Page introuvable.")
    return obj


# --- Diagnostic ----------------------------------------------------------------------------------


def visible_diagnostics(user: User) -> QuerySet[Diagnostic]:
    return Diagnostic.objects.filter(ctg__in=visible_ctgs(user).values("pk"))


def get_diagnostic_for_user(user: User, pk: int) -> Diagnostic:
    queryset = visible_diagnostics(user).select_related("ctg", "ctg__caf", "copil")
    return _get_or_404(queryset, pk=pk)


def get_diagnostic_for_editor(user: User, pk: int) -> Diagnostic:
    diagnostic = get_diagnostic_for_user(user, pk)
    return _editable(user, diagnostic, diagnostic.ctg)


def get_enjeu_for_editor(user: User, pk: int) -> Enjeu:
    queryset = Enjeu.objects.filter(diagnostic__in=visible_diagnostics(user).values("pk"))
    enjeu = _get_or_404(
        queryset.select_related("diagnostic", "diagnostic__ctg", "diagnostic__ctg__caf"), pk=pk
    )
    return _editable(user, enjeu, enjeu.diagnostic.ctg)


# --- Besoins -------------------------------------------------------------------------------------


def visible_needs(user: User) -> QuerySet[Need]:
    return Need.objects.filter(ctg__in=visible_ctgs(user).values("pk"))


def get_need_for_editor(user: User, pk: int) -> Need:
    need = _get_or_404(visible_needs(user).select_related("ctg", "ctg__caf", "commune"), pk=pk)
    return _editable(user, need, need.ctg)


# --- Commissions ---------------------------------------------------------------------------------


def visible_commissions(user: User) -> QuerySet[Commission]:
    return Commission.objects.filter(ctg__in=visible_ctgs(user).values("pk"))


def get_commission_for_user(user: User, pk: int) -> Commission:
    queryset = visible_commissions(user).select_related("ctg", "ctg__caf", "commune")
    return _get_or_404(queryset.defer("commune__geometrie"), pk=pk)


def get_commission_for_editor(user: User, pk: int) -> Commission:
    commission = get_commission_for_user(user, pk)
    return _editable(user, commission, commission.ctg)

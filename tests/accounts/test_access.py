import pytest
from django.db import IntegrityError, transaction
from django.http import Http404

from coopctg.accounts import access
from coopctg.accounts.models import Membership
from coopctg.accounts.roles import Role


def ids(queryset):
    return set(queryset.values_list("pk", flat=True))


def test_caf_wide_roles_see_every_collectivite_of_their_caf(touraine):
    w = touraine
    for user in (w.admin, w.analyst):
        assert ids(access.visible_collectivites(user)) == {w.own.pk, w.other.pk}
    assert ids(access.visible_collectivites(w.outsider)) == {w.foreign.pk}


def test_advisor_sees_assigned_collectivites_only(touraine):
    w = touraine
    assert ids(access.visible_collectivites(w.advisor)) == {w.own.pk}
    assert ids(access.visible_ctgs(w.advisor)) == {w.ctg_own.pk}
    assert ids(access.visible_departements(w.advisor)) == {w.dep.pk}


def test_collectivite_members_see_their_own(touraine):
    w = touraine
    for user in (w.editor, w.elu):
        assert ids(access.visible_collectivites(user)) == {w.own.pk}
        assert ids(access.visible_ctgs(user)) == {w.ctg_own.pk}
        assert ids(access.visible_departements(user)) == set()
        assert ids(access.visible_epcis(user)) == {w.epci_own.pk}
        assert ids(access.visible_cafs(user)) == {w.caf.pk}
    # a commune sees the EPCI it belongs to
    assert ids(access.visible_epcis(w.other_editor)) == {w.epci_other.pk}


def test_user_without_membership_sees_nothing(touraine):
    w = touraine
    assert not access.visible_collectivites(w.nobody).exists()
    assert not access.visible_ctgs(w.nobody).exists()
    assert not access.visible_cafs(w.nobody).exists()


def test_inactive_user_sees_nothing(touraine):
    touraine.admin.is_active = False
    assert not access.visible_collectivites(touraine.admin).exists()


@pytest.mark.parametrize(
    ("role", "can_edit_own", "can_manage_own_ctg"),
    [
        ("admin", True, True),
        ("advisor", True, True),
        ("analyst", False, False),
        ("editor", True, False),
        ("elu", False, False),
        ("other_editor", False, False),
        ("outsider", False, False),
    ],
)
def test_write_permissions(touraine, role, can_edit_own, can_manage_own_ctg):
    user = getattr(touraine, role)
    assert access.can_edit_collectivite(user, touraine.own) is can_edit_own
    assert access.can_manage_ctg(user, touraine.ctg_own) is can_manage_own_ctg


def test_getters_raise_404_for_other_territory(touraine):
    with pytest.raises(Http404):
        access.get_collectivite_for_user(touraine.editor, touraine.other.pk)
    with pytest.raises(Http404):
        access.get_ctg_for_user(touraine.outsider, touraine.ctg_own.pk)
    assert access.get_ctg_for_user(touraine.admin, touraine.ctg_own.pk) == touraine.ctg_own


def test_membership_scope_must_match_role(touraine):
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(
            user=touraine.nobody, role=Role.COLLECTIVITE_ELU.value, caf=touraine.caf
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(
            user=touraine.nobody, role=Role.CAF_ADMIN.value, collectivite=touraine.own
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(
            user=touraine.editor, role=Role.COLLECTIVITE_EDITOR.value, collectivite=touraine.own
        )

import pytest
from django.db import IntegrityError, transaction
from django.http import Http404
from django.urls import reverse

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


def test_visible_cafs_never_joins_the_collectivites(touraine):
    """The Caf filter of every list page: for a national analyst (every Caf) as for an editor
    (their collectivité's Caf), a lookup by identifiers, not a join over the collectivités."""
    from tests.factories import member

    national = member(Role.NATIONAL_ANALYST)
    for user in (national, touraine.editor, touraine.admin):
        sql = str(access.visible_cafs(user).query)
        assert "JOIN" not in sql and "DISTINCT" not in sql
    assert ids(access.visible_cafs(touraine.editor)) == {touraine.caf.pk}
    assert touraine.caf.pk in ids(access.visible_cafs(national))


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


def test_the_menu_follows_what_each_role_does(client, touraine):
    """Issue 11: the elected official reads their territory's dashboard, not the Caf's budget,
    the simulator or API tokens; the Caf's administrator steers everything."""

    def menu(user):
        client.force_login(user)
        response = client.get(reverse("framework:index"))
        assert response.status_code == 200
        page = response.content.decode()
        assert "Jetons d&#x27;API</a>" not in page.split("<main")[0]  # under « Mon compte »
        return [label for label, _ in response.context["nav_items"]]

    assert menu(touraine.elu) == [
        "Tableau de bord",
        "Échéances",
        "Ctg",
        "Bilans",
        "Référentiel",
    ]
    editor = menu(touraine.editor)
    assert {"Recrutements", "Versements", "Simulateur", "Cof"} <= set(editor)
    assert {"Budget", "Territoires", "Collectivités"}.isdisjoint(editor)
    admin = menu(touraine.admin)
    assert {"Budget", "Versements", "Territoires", "Collectivités", "Comptes"} <= set(admin)
    advisor = menu(touraine.advisor)
    assert {"Collectivités", "Recrutements", "Territoires"} <= set(advisor)
    assert "Budget" not in advisor and "Comptes" not in advisor
    analyst = menu(touraine.analyst)
    assert {"Budget", "Versements", "Cof"} <= set(analyst)
    assert {"Recrutements", "Simulateur", "Comptes"}.isdisjoint(analyst)
    assert menu(touraine.nobody) == ["Accueil", "Simulateur", "Référentiel"]

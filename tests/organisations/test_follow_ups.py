"""Who follows which collectivité: the service (history, the advisor's access kept in step)
and the Caf administrator's page « Suivi des collectivités »."""

import pytest
from django.urls import reverse

from coopctg.accounts.models import Membership
from coopctg.core.models import AuditEntry
from coopctg.notifications.models import Notification
from coopctg.organisations.models import FollowUp, StaffMember, StaffRole
from coopctg.organisations.services import FollowUpError, set_follow_up
from tests.factories import CommuneFactory, EpciFactory, StaffMemberFactory

CTT = StaffMember.Role.CTT
SOCIAL = StaffMember.Role.DEVELOPPEMENT_SOCIAL


@pytest.fixture
def ctt(touraine):
    member = StaffMemberFactory(caf=touraine.caf, prenom="Armelle", nom="BARON")
    StaffRole.objects.create(member=member, role=CTT)
    return member


def history(collectivite):
    return list(
        AuditEntry.objects.filter(
            objet_type="organisations.localauthority", objet_id=str(collectivite.pk)
        ).order_by("id")
    )


def advised(user):
    return set(
        Membership.objects.filter(user=user, role="caf_conseiller").values_list(
            "collectivite_id", flat=True
        )
    )


# --- The service ---------------------------------------------------------------------------


def test_a_follow_up_is_added_once_with_its_history(touraine, ctt):
    w = touraine
    assert set_follow_up(w.admin, member=ctt, collectivite=w.other, role=CTT, follows=True)
    assert FollowUp.objects.filter(member=ctt, collectivite=w.other, role=CTT).exists()
    [entry] = history(w.other)
    assert entry.auteur == w.admin and entry.caf_id == w.caf.pk
    assert entry.avant == {"suivie_par": []}
    assert entry.apres == {"suivie_par": ["Armelle BARON (conseiller·ère technique territorial·e)"]}
    # Asking again for the state already there changes nothing and writes nothing.
    assert not set_follow_up(w.admin, member=ctt, collectivite=w.other, role=CTT, follows=True)
    assert len(history(w.other)) == 1

    assert set_follow_up(w.admin, member=ctt, collectivite=w.other, role=CTT, follows=False)
    assert not FollowUp.objects.filter(member=ctt).exists()
    assert history(w.other)[-1].apres == {"suivie_par": []}


def test_the_advisors_access_follows_their_follow_ups(touraine):
    """Sylvie MICHEL (``staff``) has the advisor's account ``advisor``, on ``own``."""
    w = touraine
    w.staff.user = w.advisor
    w.staff.save()
    StaffRole.objects.create(member=w.staff, role=CTT)
    set_follow_up(w.admin, member=w.staff, collectivite=w.other, role=CTT, follows=True)
    assert advised(w.advisor) == {w.own.pk, w.other.pk}
    assert Notification.objects.filter(destinataire=w.advisor, titre__contains="rôle").exists()
    user_history = AuditEntry.objects.filter(objet_type="accounts.user", objet_id=str(w.advisor.pk))
    assert user_history.filter(auteur=w.admin).count() == 1

    # Still following ``own`` in another role: the access stays.
    StaffRole.objects.create(member=w.staff, role=StaffMember.Role.THEMATIQUE)
    set_follow_up(w.admin, member=w.staff, collectivite=w.own, role="thematique", follows=True)
    set_follow_up(w.admin, member=w.staff, collectivite=w.own, role=SOCIAL, follows=False)
    assert advised(w.advisor) == {w.own.pk, w.other.pk}
    set_follow_up(w.admin, member=w.staff, collectivite=w.own, role="thematique", follows=False)
    assert advised(w.advisor) == {w.other.pk}

    # The last collectivité withdrawn: still an advisor of the Caf, without collectivité;
    # a later follow-up opens it again.
    set_follow_up(w.admin, member=w.staff, collectivite=w.other, role=CTT, follows=False)
    assert advised(w.advisor) == {None}
    set_follow_up(w.admin, member=w.staff, collectivite=w.own, role=SOCIAL, follows=True)
    assert advised(w.advisor) == {None, w.own.pk}


def test_an_account_that_is_not_an_advisor_is_left_alone(touraine, ctt):
    w = touraine
    ctt.user = w.analyst
    ctt.save()
    set_follow_up(w.admin, member=ctt, collectivite=w.own, role=CTT, follows=True)
    assert list(Membership.objects.filter(user=w.analyst).values_list("role", flat=True)) == [
        "caf_analyste"
    ]


@pytest.mark.parametrize("actor", ["advisor", "analyst", "editor", "outsider"])
def test_only_the_cafs_administration_assigns(touraine, ctt, actor):
    w = touraine
    with pytest.raises(FollowUpError, match="Seule l'administration de la Caf"):
        set_follow_up(getattr(w, actor), member=ctt, collectivite=w.own, role=CTT, follows=True)
    assert not FollowUp.objects.filter(member=ctt).exists() and not history(w.own)


def test_refusals(touraine, ctt):
    w = touraine
    with pytest.raises(FollowUpError, match="n'est pas chargé·e de développement social"):
        set_follow_up(w.admin, member=ctt, collectivite=w.own, role=SOCIAL, follows=True)
    with pytest.raises(FollowUpError, match="On ne suit pas une collectivité comme"):
        set_follow_up(w.admin, member=ctt, collectivite=w.own, role="etudes", follows=True)
    with pytest.raises(FollowUpError, match="pas dans l'équipe de la Caf"):
        set_follow_up(None, member=ctt, collectivite=w.foreign, role=CTT, follows=True)
    assert not FollowUp.objects.filter(member=ctt).exists()


def test_an_account_error_cancels_the_whole_change(touraine):
    """The administrator who follows a collectivité with their own advisor's account may not
    change their own roles: nothing is written."""
    w = touraine
    Membership.objects.create(user=w.admin, role="caf_conseiller", caf=w.caf, collectivite=w.own)
    w.staff.user = w.admin
    w.staff.save()
    StaffRole.objects.create(member=w.staff, role=CTT)
    with pytest.raises(FollowUpError, match="vos propres rôles"):
        set_follow_up(w.admin, member=w.staff, collectivite=w.other, role=CTT, follows=True)
    assert not FollowUp.objects.filter(collectivite=w.other).exists() and not history(w.other)


# --- The page --------------------------------------------------------------------------------


def page(code="37"):
    return reverse("organisations:follow_ups", args=[code])


def test_the_page_lists_each_collectivite_and_who_follows_it(client, touraine, ctt):
    w = touraine
    client.force_login(w.admin)
    response = client.get(page())
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="collectivite-{w.own.pk}"' in html and f'id="collectivite-{w.other.pk}"' in html
    assert "Sylvie MICHEL" in html and w.foreign.nom not in html
    assert f'<option value="{ctt.pk}:ctt">Armelle BARON</option>' in html
    # Sylvie MICHEL already follows ``own``: she is not offered there again.
    assert html.count(f'value="{w.staff.pk}:developpement_social"') == 1


def test_adding_and_removing_from_the_page(client, touraine, ctt):
    w = touraine
    client.force_login(w.admin)
    url = reverse("organisations:follow_up_add", args=["37", w.other.pk])
    response = client.post(url, {f"c{w.other.pk}-suivi": f"{ctt.pk}:ctt"}, follow=True)
    assert response.redirect_chain[-1][0] == f"{page()}#collectivite-{w.other.pk}"
    assert "Armelle BARON suit désormais Commune de Saint-Pierre-des-Corps" in (
        response.content.decode()
    )
    follow_up = FollowUp.objects.get(member=ctt, collectivite=w.other)
    assert "ajout : Armelle BARON" in response.content.decode()  # the history, under the page

    response = client.post(reverse("organisations:follow_up_remove", args=["37", follow_up.pk]))
    assert response.status_code == 302
    assert not FollowUp.objects.filter(member=ctt).exists()
    assert len(history(w.other)) == 2


def test_a_wrong_choice_is_shown_next_to_the_field(client, touraine, ctt):
    w = touraine
    client.force_login(w.admin)
    url = reverse("organisations:follow_up_add", args=["37", w.own.pk])
    response = client.post(url, {f"c{w.own.pk}-suivi": f"{w.staff.pk}:developpement_social"})
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="id_c{w.own.pk}-suivi_error"' in html and 'aria-invalid="true"' in html
    assert FollowUp.objects.count() == 1


@pytest.mark.parametrize("role", ["advisor", "analyst", "editor", "outsider"])
def test_others_may_not_change_anything(client, touraine, ctt, role):
    w = touraine
    client.force_login(getattr(w, role))
    follow_up = FollowUp.objects.get(member=w.staff)
    add = reverse("organisations:follow_up_add", args=["37", w.own.pk])
    remove = reverse("organisations:follow_up_remove", args=["37", follow_up.pk])
    assert client.post(add, {f"c{w.own.pk}-suivi": f"{ctt.pk}:ctt"}).status_code == 404
    assert client.post(remove).status_code == 404
    assert FollowUp.objects.count() == 1 and not history(w.own)


def test_a_follow_up_of_another_caf_is_not_found(client, touraine):
    w = touraine
    other_member = StaffMemberFactory(caf=w.caf_b)
    StaffRole.objects.create(member=other_member, role=CTT)
    foreign = FollowUp.objects.create(member=other_member, collectivite=w.foreign, role=CTT)
    client.force_login(w.admin)
    assert (
        client.post(reverse("organisations:follow_up_remove", args=["37", foreign.pk])).status_code
        == 404
    )
    add = reverse("organisations:follow_up_add", args=["37", w.foreign.pk])
    assert client.post(add, {}).status_code == 404
    assert FollowUp.objects.filter(pk=foreign.pk).exists()


def test_the_page_queries_do_not_grow(client, touraine, ctt, django_assert_max_num_queries):
    from coopctg.organisations.models import LocalAuthority

    w = touraine
    client.force_login(w.admin)
    set_follow_up(w.admin, member=ctt, collectivite=w.own, role=CTT, follows=True)
    with django_assert_max_num_queries(20) as small:
        assert client.get(page()).status_code == 200
    for _ in range(8):
        epci = EpciFactory()
        CommuneFactory(departement=w.dep, epci=epci)
        la = LocalAuthority.objects.create(caf=w.caf, kind="epci", epci=epci, nom=epci.nom)
        member = StaffMemberFactory(caf=w.caf)
        StaffRole.objects.create(member=member, role=CTT)
        set_follow_up(w.admin, member=member, collectivite=la, role=CTT, follows=True)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(page()).status_code == 200


def test_the_team_directory_shows_the_follow_ups_by_role_and_links_the_page(client, touraine, ctt):
    w = touraine
    set_follow_up(w.admin, member=ctt, collectivite=w.own, role=CTT, follows=True)
    team = reverse("organisations:team", args=["37"])
    client.force_login(w.admin)
    assert page() in client.get(team).content.decode()
    client.force_login(w.analyst)
    html = client.get(team).content.decode()
    assert page() not in html
    row = html[html.index(f">{w.own.nom}</a></th>") :].split("</tr>")[0]
    assert "<td>Armelle BARON</td><td>Sylvie MICHEL</td><td><span class" in row


def test_the_collectivite_page_links_the_administrator_to_its_follow_ups(client, touraine):
    w = touraine
    url = reverse("organisations:collectivite", args=[w.own.pk])
    link = f"{page()}#collectivite-{w.own.pk}"
    client.force_login(w.admin)
    assert link in client.get(url).content.decode()
    client.force_login(w.advisor)
    assert link not in client.get(url).content.decode()

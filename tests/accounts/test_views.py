"""Accounts pages: the invitation page, « Comptes », a person's page, « Mon compte », the
forgotten password and the password change."""

import re

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.urls import reverse

from coopctg.accounts import invitations as service
from coopctg.accounts.models import Invitation, LoginSession, Membership, User
from coopctg.accounts.roles import Role
from coopctg.accounts.sessions import session_hash
from coopctg.notifications.models import Notification

PASSWORD = "une-phrase-de-passe-solide"


def make_local_admin(w):
    Membership.objects.filter(user=w.editor).update(administrateur=True)


def invite(w, **kwargs):
    kwargs.setdefault("courriel", "julie@gatine.fr")
    kwargs.setdefault("role", Role.COLLECTIVITE_EDITOR)
    kwargs.setdefault("collectivite", w.own)
    return service.create_invitation(w.admin, **kwargs)


def account_data(**overrides):
    data = {
        "username": "julie",
        "first_name": "Julie",
        "last_name": "Martin",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(overrides)
    return data


# --- The invitation page --------------------------------------------------------------------


def test_invitation_page_creates_the_account_and_signs_in(client, touraine):
    _, secret = invite(touraine)
    url = reverse("accounts:accept", args=[secret])
    page = client.get(url)
    content = page.content.decode()
    assert "Éditeur·rice collectivité — Communauté de communes de Gâtine-Racan" in content
    assert str(touraine.admin) in content
    assert page.context["form"]["username"].value() == "julie"
    assert "Se connecter avec ProConnect" not in content
    response = client.post(url, account_data())
    assert response.status_code == 302 and response["Location"] == reverse("home")
    user = User.objects.get(username="julie")
    assert int(client.session["_auth_user_id"]) == user.pk
    assert LoginSession.objects.get(user=user).methode == "mot_de_passe"
    assert client.get(reverse("framework:index")).status_code == 200


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"password1": "court", "password2": "court"}, "password1", "trop court"),
        ({"password2": "autre-phrase-de-passe"}, "password2", "diffèrent"),
        ({"username": "EDITEUR"}, "username", "déjà pris"),
        ({"username": "julie martin"}, "username", "Identifiant invalide"),
        ({"first_name": ""}, "first_name", "obligatoire"),
    ],
)
def test_invitation_page_shows_errors_next_to_the_fields(
    client, touraine, overrides, field, message
):
    _, secret = invite(touraine)
    response = client.post(reverse("accounts:accept", args=[secret]), account_data(**overrides))
    assert response.status_code == 400
    assert any(message in error for error in response.context["form"].errors[field])
    assert not User.objects.filter(email="julie@gatine.fr").exists()


def test_invitation_page_says_why_a_link_fails(client, touraine):
    response = client.get(reverse("accounts:accept", args=["inconnu"]))
    assert response.status_code == 404
    assert "inconnu" in response.context["reason"]
    invitation, secret = invite(touraine)
    service.cancel_invitation(touraine.admin, invitation)
    response = client.get(reverse("accounts:accept", args=[secret]))
    assert response.status_code == 404 and "annulée" in response.content.decode()


def test_signed_in_person_accepts_with_their_account(client, touraine):
    _, secret = invite(
        touraine, courriel="elu@gatine.fr", role=Role.COLLECTIVITE_ELU, collectivite=touraine.other
    )
    client.force_login(touraine.elu)
    url = reverse("accounts:accept", args=[secret])
    page = client.get(url)
    assert page.context["form"] is None
    assert "Accepter l'invitation avec ce compte" in page.content.decode()
    assert client.post(url).status_code == 302
    assert Membership.objects.filter(user=touraine.elu, collectivite=touraine.other).exists()


def test_existing_address_is_told_to_sign_in(client, touraine):
    touraine.elu.email = "julie@gatine.fr"
    touraine.elu.save()
    _, secret = invite(touraine)
    page = client.get(reverse("accounts:accept", args=[secret]))
    assert page.context["existing_account"] is True
    assert "connectez-vous avec ce compte" in page.content.decode()


# The ProConnect button of this page: tests/accounts/test_oidc.py
# (test_invitation_page_offers_the_provider).


# --- « Comptes » ------------------------------------------------------------------------------


def test_caf_admin_invites_and_sees_the_link_once(
    client, touraine, django_capture_on_commit_callbacks
):
    client.force_login(touraine.admin)
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(
            reverse("accounts:invite"),
            {"courriel": "a@caf37.fr", "role": "caf_conseiller", "collectivite": touraine.own.pk},
        )
    assert page.status_code == 200
    assert page["Cache-Control"].startswith("max-age=0")
    invitation = Invitation.objects.get()
    assert (invitation.caf, invitation.collectivite) == (touraine.caf, touraine.own)
    link = page.context["link"]
    assert link in mail.outbox[0].body
    listing = client.get(reverse("accounts:list")).content.decode()
    assert "a@caf37.fr" in listing and link not in listing


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"courriel": "x", "role": "collectivite_elu"}, "courriel", "adresse de courriel valide"),
        ({"role": "collectivite_elu"}, "collectivite", "Choisissez la collectivité"),
        ({"role": "caf_admin", "collectivite": "own"}, "collectivite", "Laissez vide"),
        (
            {"role": "collectivite_elu", "collectivite": "own", "administrateur": "on"},
            "administrateur",
            "éditeur",
        ),
        ({"role": "collectivite_elu", "collectivite": "foreign"}, "collectivite", "choix valide"),
    ],
)
def test_invite_form_errors(client, touraine, data, field, message):
    objects = {"own": touraine.own.pk, "foreign": touraine.foreign.pk}
    data = {k: objects.get(v, v) for k, v in data.items()}
    data.setdefault("courriel", "a@b.fr")
    client.force_login(touraine.admin)
    response = client.post(reverse("accounts:invite"), data)
    assert response.status_code == 400
    assert any(message in e for e in response.context["form"].errors[field]), response.context[
        "form"
    ].errors
    assert not Invitation.objects.exists()


def test_collectivite_admin_invites_only_on_their_collectivite(client, touraine):
    make_local_admin(touraine)
    client.force_login(touraine.editor)
    form = client.get(reverse("accounts:invite")).context["form"]
    assert [value for value, _ in form.fields["role"].choices] == [
        "",
        "collectivite_editeur",
        "collectivite_elu",
    ]
    assert list(form.fields["collectivite"].queryset) == [touraine.own]
    response = client.post(
        reverse("accounts:invite"),
        {"courriel": "a@b.fr", "role": "caf_admin", "collectivite": touraine.own.pk},
    )
    assert response.status_code == 400
    response = client.post(
        reverse("accounts:invite"),
        {"courriel": "a@b.fr", "role": "collectivite_elu", "collectivite": touraine.other.pk},
    )
    assert response.status_code == 400
    response = client.post(
        reverse("accounts:invite"),
        {"courriel": "a@b.fr", "role": "collectivite_elu", "collectivite": touraine.own.pk},
    )
    assert response.status_code == 200
    assert Invitation.objects.get().cree_par == touraine.editor


def test_list_shows_the_accounts_of_the_scope_only(client, touraine):
    make_local_admin(touraine)
    invite(touraine, courriel="pending@gatine.fr")
    service.create_invitation(
        None, courriel="caf@caf37.fr", role=Role.CAF_ANALYST, caf=touraine.caf
    )
    client.force_login(touraine.editor)
    page = client.get(reverse("accounts:list"))
    assert {p.username for p in page.context["people"]} == {"editeur", "elu"}
    assert [i.courriel for i, _, _ in page.context["invitations"]] == ["pending@gatine.fr"]
    client.force_login(touraine.admin)
    page = client.get(reverse("accounts:list"))
    assert {p.username for p in page.context["people"]} == {
        "admin",
        "analyste",
        "conseiller",
        "editeur",
        "elu",
        "editeur2",
    }
    assert len(page.context["invitations"]) == 2


def test_person_page_grants_changes_withdraws(client, touraine):
    w = touraine
    client.force_login(w.admin)
    url = reverse("accounts:person", args=[w.elu.pk])
    membership = Membership.objects.get(user=w.elu)
    response = client.post(
        reverse("accounts:role_change", args=[membership.pk]),
        {
            f"r{membership.pk}-role": "collectivite_editeur",
            f"r{membership.pk}-administrateur": "on",
        },
    )
    assert response["Location"] == url
    membership.refresh_from_db()
    assert (membership.role, membership.administrateur) == ("collectivite_editeur", True)
    response = client.post(
        reverse("accounts:role_grant", args=[w.elu.pk]),
        {"role": "collectivite_elu", "collectivite": w.other.pk},
    )
    assert response.status_code == 302
    assert Membership.objects.filter(user=w.elu).count() == 2
    response = client.post(
        reverse("accounts:role_grant", args=[w.elu.pk]),
        {"role": "collectivite_elu", "collectivite": w.other.pk},
    )
    assert response.status_code == 400
    assert "a déjà le rôle" in response.content.decode()
    assert client.post(reverse("accounts:role_withdraw", args=[membership.pk])).status_code == 302
    assert list(Membership.objects.filter(user=w.elu).values_list("collectivite", flat=True)) == [
        w.other.pk
    ]
    page = client.get(url)
    assert len(page.context["history"]) == 3
    assert list(
        Notification.objects.filter(destinataire=w.elu)
        .values_list("titre", flat=True)
        .order_by("pk")
    ) == [
        "Votre rôle a changé",
        "Un rôle vous est donné",
        "Un rôle vous est retiré",
    ]


def test_collectivite_admin_cannot_touch_other_roles(client, touraine):
    w = touraine
    make_local_admin(w)
    client.force_login(w.editor)
    advisor_row = Membership.objects.get(user=w.advisor)
    assert client.post(reverse("accounts:role_withdraw", args=[advisor_row.pk])).status_code == 404
    other_row = Membership.objects.get(user=w.other_editor)
    assert client.post(reverse("accounts:role_withdraw", args=[other_row.pk])).status_code == 404
    assert client.post(reverse("accounts:deactivate", args=[w.other_editor.pk])).status_code == 404
    assert Membership.objects.filter(pk__in=[advisor_row.pk, other_row.pk]).count() == 2
    # the elected official of their collectivité: yes
    assert client.post(reverse("accounts:deactivate", args=[w.elu.pk])).status_code == 302
    w.elu.refresh_from_db()
    assert not w.elu.is_active


def test_deactivation_refused_when_roles_are_outside_the_scope(client, touraine):
    w = touraine
    make_local_admin(w)
    Membership.objects.create(user=w.elu, role=Role.COLLECTIVITE_ELU, collectivite=w.other)
    client.force_login(w.editor)
    page = client.get(reverse("accounts:person", args=[w.elu.pk]))
    assert page.context["others"] == 1
    assert "hors de votre périmètre" in page.context["refusal"]
    response = client.post(reverse("accounts:deactivate", args=[w.elu.pk]), follow=True)
    assert "hors de votre périmètre" in response.content.decode()
    w.elu.refresh_from_db()
    assert w.elu.is_active


def test_deactivate_then_reactivate_from_the_page(client, touraine):
    w = touraine
    elu_browser = Client()
    elu_browser.force_login(w.elu)
    client.force_login(w.admin)
    client.post(reverse("accounts:deactivate", args=[w.elu.pk]))
    assert elu_browser.get(reverse("framework:index")).status_code == 302
    page = client.get(reverse("accounts:person", args=[w.elu.pk]))
    assert "Réactiver le compte" in page.content.decode()
    client.post(reverse("accounts:reactivate", args=[w.elu.pk]))
    w.elu.refresh_from_db()
    assert w.elu.is_active
    assert (
        elu_browser.get(reverse("framework:index")).status_code == 302
    )  # the old session stays closed


def test_resend_gives_a_new_link_and_cancel_ends_it(client, touraine):
    invitation, old = invite(touraine)
    client.force_login(touraine.admin)
    page = client.post(reverse("accounts:invitation_resend", args=[invitation.pk]))
    new = page.context["link"].rstrip("/").rsplit("/", 1)[1]
    assert new != old
    assert Client().get(reverse("accounts:accept", args=[old])).status_code == 404
    assert Client().get(reverse("accounts:accept", args=[new])).status_code == 200
    client.post(reverse("accounts:invitation_cancel", args=[invitation.pk]))
    assert Client().get(reverse("accounts:accept", args=[new])).status_code == 404
    client.force_login(touraine.outsider)
    assert (
        client.post(reverse("accounts:invitation_resend", args=[invitation.pk])).status_code == 404
    )


def test_navigation_entries(client, touraine):
    make_local_admin(touraine)
    for user, sees in ((touraine.admin, True), (touraine.editor, True), (touraine.elu, False)):
        client.force_login(user)
        page = client.get(reverse("framework:index"))
        assert (("Comptes", reverse("accounts:list")) in page.context["nav_items"]) is sees
        assert f'href="{reverse("accounts:me")}"' in page.content.decode()


# --- « Mon compte » -------------------------------------------------------------------------


def sign_in(username):
    browser = Client()
    response = browser.post(
        reverse("login"), {"username": username, "password": "mot-de-passe-de-test"}
    )
    assert response.status_code == 302
    return browser


def test_my_account_lists_roles_sessions_and_last_logins(touraine):
    office = sign_in("editeur")
    home = sign_in("editeur")
    page = office.get(reverse("accounts:me"))
    assert page.context["roles"] == [
        "Éditeur·rice collectivité — Communauté de communes de Gâtine-Racan"
    ]
    assert len(page.context["sessions"]) == 2 and len(page.context["logins"]) == 2
    assert "cette session" in page.content.decode()
    # end the other session
    other = next(
        s
        for s in page.context["sessions"]
        if s.empreinte_session != session_hash(office.session.session_key)
    )
    assert office.post(reverse("accounts:session_end", args=[other.pk])).status_code == 302
    assert home.get(reverse("framework:index")).status_code == 302
    assert office.get(reverse("framework:index")).status_code == 200
    assert len(office.get(reverse("accounts:me")).context["sessions"]) == 1
    # someone else's session is a 404
    elu = sign_in("elu")
    mine = LoginSession.objects.get(user=touraine.elu)
    assert office.post(reverse("accounts:session_end", args=[mine.pk])).status_code == 404
    assert elu.get(reverse("framework:index")).status_code == 200


def test_end_all_other_sessions_then_this_one(touraine):
    first, second, third = sign_in("editeur"), sign_in("editeur"), sign_in("editeur")
    first.post(reverse("accounts:sessions_end_others"))
    assert second.get(reverse("framework:index")).status_code == 302
    assert third.get(reverse("framework:index")).status_code == 302
    current = LoginSession.objects.get(empreinte_session=session_hash(first.session.session_key))
    response = first.post(reverse("accounts:session_end", args=[current.pk]))
    assert response["Location"] == reverse("login")
    assert first.get(reverse("framework:index")).status_code == 302
    assert not Session.objects.exists()


def test_sign_out_closes_the_record(touraine):
    browser = sign_in("elu")
    browser.post(reverse("logout"))
    record = LoginSession.objects.get(user=touraine.elu)
    assert record.empreinte_session == "" and record.fin is not None


def test_password_change_closes_the_other_sessions(touraine):
    office, home = sign_in("elu"), sign_in("elu")
    response = office.post(
        reverse("accounts:password_change"),
        {
            "old_password": "mot-de-passe-de-test",
            "new_password1": PASSWORD,
            "new_password2": PASSWORD,
        },
    )
    assert response["Location"] == reverse("accounts:password_change_done")
    assert office.get(reverse("framework:index")).status_code == 200
    assert home.get(reverse("framework:index")).status_code == 302
    assert Session.objects.count() == 1


def test_password_change_without_usable_password(client, touraine):
    touraine.elu.set_unusable_password()
    touraine.elu.save()
    client.force_login(touraine.elu)
    page = client.get(reverse("accounts:password_change"))
    assert "ProConnect" in page.content.decode()
    assert client.post(reverse("accounts:password_change"), {}).status_code == 404


# --- Forgotten password ----------------------------------------------------------------------


def test_password_reset_same_answer_whether_the_address_exists(client, touraine, settings):
    settings.COOPCTG_BASE_URL = "https://coopctg.caf37.fr"
    touraine.elu.email = "elu@gatine.fr"
    touraine.elu.save()
    elu_browser = sign_in("elu")  # before the request: a sign-in changes the link's token
    known = client.post(reverse("accounts:password_reset"), {"email": "ELU@gatine.fr"}, follow=True)
    unknown = client.post(
        reverse("accounts:password_reset"), {"email": "personne@gatine.fr"}, follow=True
    )
    assert (
        known.redirect_chain
        == unknown.redirect_chain
        == [(reverse("accounts:password_reset_done"), 302)]
    )
    assert known.content == unknown.content
    [message] = mail.outbox
    assert message.to == ["elu@gatine.fr"]
    assert message.subject == "CoopCTG : choisir un nouveau mot de passe"
    link = re.search(r"https://coopctg\.caf37\.fr(/mot-de-passe-oublie/\S+/\S+/)", message.body)
    assert link is not None
    # the link leads to the new password form; the old sessions end
    response = client.get(link.group(1), follow=True)
    assert response.context["validlink"] is True
    response = client.post(
        response.redirect_chain[-1][0], {"new_password1": PASSWORD, "new_password2": PASSWORD}
    )
    assert response["Location"] == reverse("accounts:password_reset_complete")
    touraine.elu.refresh_from_db()
    assert touraine.elu.check_password(PASSWORD)
    assert elu_browser.get(reverse("framework:index")).status_code == 302
    # an inactive account gets nothing
    touraine.elu.is_active = False
    touraine.elu.save()
    client.post(reverse("accounts:password_reset"), {"email": "elu@gatine.fr"})
    assert len(mail.outbox) == 1


def test_login_page_links_to_the_forgotten_password(client):
    assert reverse("accounts:password_reset") in client.get(reverse("login")).content.decode()


def test_privacy_page_lists_the_accounts_data(client, touraine):
    client.force_login(touraine.elu)
    content = client.get(reverse("privacy")).content.decode()
    for heading in ("Personnes invitées", "Changements d'accès", "Connexions"):
        assert f'<th scope="row">{heading}' in content
    assert "ni adresse IP ni navigateur" in content


def test_the_inviter_cannot_accept_their_own_invitation(client, touraine):
    invitation, secret = invite(touraine)
    client.force_login(touraine.admin)
    url = reverse("accounts:accept", args=[secret])
    page = client.get(url)
    assert page.context["own_invitation"] is True
    assert "Accepter l'invitation avec ce compte" not in page.content.decode()
    response = client.post(url, follow=True)
    assert "Vous avez créé cette invitation" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.acceptee_le is None
    assert not Membership.objects.filter(user=touraine.admin, collectivite=touraine.own).exists()

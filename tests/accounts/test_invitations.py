"""The accounts service: invitations (single use, expiring, hashed), roles, deactivation."""

import datetime as dt
import hashlib

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.db import connection
from django.utils import timezone

from coopctg.accounts import invitations as service
from coopctg.accounts.invitations import AccountError, IdentityClaims
from coopctg.accounts.models import FederatedIdentity, Invitation, Membership, User
from coopctg.accounts.roles import Role
from coopctg.api.models import ApiToken
from coopctg.core.models import AuditEntry
from coopctg.notifications.models import Notification
from tests.factories import UserFactory

STRONG = "une-phrase-de-passe-solide"


def invite(actor, courriel="julie.martin@gatine.fr", role=Role.COLLECTIVITE_EDITOR, **scope):
    return service.create_invitation(actor, courriel=courriel, role=role, **scope)


# --- create_invitation ---------------------------------------------------------------------


def test_invitation_stores_only_the_hash_and_mails_the_link_after_commit(
    touraine, settings, django_capture_on_commit_callbacks
):
    settings.COOPCTG_BASE_URL = "https://coopctg.caf37.fr"
    settings.COOPCTG_INVITATION_DAYS = 10
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        invitation, secret = invite(touraine.admin, collectivite=touraine.own)
    assert len(secret) >= 40
    assert invitation.empreinte == hashlib.sha256(secret.encode()).hexdigest()
    stored = " ".join(str(v) for v in Invitation.objects.values_list().get())
    assert secret not in stored
    assert invitation.cree_par == touraine.admin
    assert dt.timedelta(days=10) <= invitation.expire_le - before < dt.timedelta(days=10, hours=1)
    [message] = mail.outbox
    assert message.to == ["julie.martin@gatine.fr"]
    assert f"https://coopctg.caf37.fr/invitation/{secret}/" in message.body
    assert touraine.own.nom in message.body and str(touraine.admin) in message.body
    entry = AuditEntry.objects.get(objet_type="accounts.invitation")
    assert entry.auteur == touraine.admin and entry.caf_id == touraine.caf.pk
    assert entry.apres["courriel"] == "julie.martin@gatine.fr"
    assert service.invitation_url(secret) == f"https://coopctg.caf37.fr/invitation/{secret}/"


def test_invitation_expiry_defaults_to_seven_days(touraine):
    invitation, _ = invite(None, collectivite=touraine.own)
    delta = invitation.expire_le - timezone.now()
    assert dt.timedelta(days=6, hours=23) < delta <= dt.timedelta(days=7)
    assert AuditEntry.objects.get(objet_type="accounts.invitation").auteur_nom == "système"


def test_mail_failure_keeps_the_invitation(
    touraine, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(*args, **kwargs):
        raise OSError("serveur de courriel injoignable")

    monkeypatch.setattr(service, "send_mail", broken)
    with django_capture_on_commit_callbacks(execute=True):
        invitation, _ = invite(touraine.admin, collectivite=touraine.own)
    assert Invitation.objects.filter(pk=invitation.pk).exists()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"courriel": "pas-une-adresse"}, "Adresse électronique invalide"),
        ({"role": "maire"}, "Rôle inconnu"),
        ({"role": Role.COLLECTIVITE_EDITOR, "caf": "caf"}, "s'exerce sur une collectivité"),
        ({"role": Role.COLLECTIVITE_ELU}, "s'exerce sur une collectivité"),
        ({"role": Role.CAF_ADMIN, "collectivite": "own"}, "s'exerce sur une Caf"),
        ({"role": Role.CAF_ANALYST}, "s'exerce sur une Caf"),
        (
            {"role": Role.CAF_ADVISOR, "caf": "caf", "collectivite": "foreign"},
            "ne relève pas de la",
        ),
        ({"role": Role.COLLECTIVITE_ELU, "administrateur": True}, "administrateur"),
    ],
)
def test_bad_input_is_refused_with_one_french_sentence(touraine, kwargs, message):
    objects = {"caf": touraine.caf, "own": touraine.own, "foreign": touraine.foreign}
    kwargs = {k: objects.get(v, v) if isinstance(v, str) else v for k, v in kwargs.items()}
    kwargs.setdefault("courriel", "x@example.fr")
    kwargs.setdefault("role", Role.COLLECTIVITE_EDITOR)
    if kwargs["role"] in (Role.COLLECTIVITE_EDITOR,) and "caf" not in kwargs:
        kwargs.setdefault("collectivite", touraine.own)
    with pytest.raises(AccountError, match=message) as error:
        service.create_invitation(None, **kwargs)
    assert "\n" not in str(error.value)
    assert not Invitation.objects.exists()


def test_advisor_on_a_collectivite_takes_its_caf(touraine):
    invitation, _ = invite(None, role=Role.CAF_ADVISOR, collectivite=touraine.own)
    assert (invitation.caf, invitation.collectivite) == (touraine.caf, touraine.own)


@pytest.mark.parametrize(
    ("actor", "role", "target", "allowed"),
    [
        ("admin", Role.CAF_ADMIN, "caf", True),
        ("admin", Role.CAF_ANALYST, "caf", True),
        ("admin", Role.COLLECTIVITE_EDITOR, "own", True),
        ("admin", Role.COLLECTIVITE_ELU, "other", True),
        ("admin", Role.COLLECTIVITE_EDITOR, "foreign", False),
        ("admin", Role.CAF_ADMIN, "caf_b", False),
        ("outsider", Role.COLLECTIVITE_EDITOR, "own", False),
        ("analyst", Role.COLLECTIVITE_EDITOR, "own", False),
        ("advisor", Role.COLLECTIVITE_EDITOR, "own", False),
        ("editor", Role.COLLECTIVITE_ELU, "own", False),
        ("local_admin", Role.COLLECTIVITE_ELU, "own", True),
        ("local_admin", Role.COLLECTIVITE_EDITOR, "own", True),
        ("local_admin", Role.COLLECTIVITE_EDITOR, "other", False),
        ("local_admin", Role.CAF_ANALYST, "caf", False),
    ],
)
def test_who_may_invite(touraine, actor, role, target, allowed):
    w = touraine
    w.local_admin = UserFactory(username="admin.gatine")
    Membership.objects.create(
        user=w.local_admin, role=Role.COLLECTIVITE_EDITOR, collectivite=w.own, administrateur=True
    )
    scope = {"caf": getattr(w, target)} if target.startswith("caf") else {}
    scope = scope or {"collectivite": getattr(w, target)}
    if allowed:
        invite(getattr(w, actor), role=role, **scope)
        assert Invitation.objects.count() == 1
    else:
        with pytest.raises(AccountError, match="Vous ne pouvez pas donner le rôle"):
            invite(getattr(w, actor), role=role, **scope)
        assert not Invitation.objects.exists()


def test_no_second_pending_invitation_nor_a_role_already_held(touraine):
    invite(None, collectivite=touraine.own)
    with pytest.raises(AccountError, match="déjà en attente"):
        invite(None, courriel="JULIE.MARTIN@gatine.fr", collectivite=touraine.own)
    touraine.editor.email = "editeur@gatine.fr"
    touraine.editor.save()
    with pytest.raises(AccountError, match="a déjà le rôle"):
        invite(None, courriel="Editeur@gatine.fr", collectivite=touraine.own)


# --- check_invitation / pending_invitation_for_email ---------------------------------------


def test_check_invitation_says_why_a_link_does_not_work(touraine):
    invitation, secret = invite(None, collectivite=touraine.own)
    assert service.check_invitation(secret) == invitation
    with pytest.raises(AccountError, match="inconnu"):
        service.check_invitation("pas-le-bon-secret")
    Invitation.objects.filter(pk=invitation.pk).update(
        expire_le=timezone.now() - dt.timedelta(minutes=1)
    )
    with pytest.raises(AccountError, match="a expiré le"):
        service.check_invitation(secret)
    Invitation.objects.filter(pk=invitation.pk).update(annulee_le=timezone.now())
    with pytest.raises(AccountError, match="annulée"):
        service.check_invitation(secret)
    other, other_secret = invite(None, courriel="b@example.fr", collectivite=touraine.own)
    service.accept_invitation(other, username="b", password=STRONG)
    with pytest.raises(AccountError, match="déjà servi"):
        service.check_invitation(other_secret)


def test_pending_invitation_for_email_is_the_latest_valid_one(touraine):
    older, _ = invite(
        None, courriel="Julie@Gatine.fr", role=Role.COLLECTIVITE_ELU, collectivite=touraine.own
    )
    newer, _ = invite(None, courriel="julie@gatine.fr", collectivite=touraine.other)
    assert service.pending_invitation_for_email("JULIE@gatine.fr") == newer
    service.cancel_invitation(None, newer)
    assert service.pending_invitation_for_email("julie@gatine.fr") == older
    Invitation.objects.filter(pk=older.pk).update(expire_le=timezone.now())
    assert service.pending_invitation_for_email("julie@gatine.fr") is None
    assert service.pending_invitation_for_email("") is None


# --- accept_invitation ---------------------------------------------------------------------


def test_accept_creates_the_account_grants_the_role_and_tells_the_inviter(touraine):
    invitation, secret = invite(touraine.admin, collectivite=touraine.own, administrateur=True)
    user = service.accept_invitation(
        invitation, username="julie.martin", first_name="Julie", last_name="Martin", password=STRONG
    )
    assert user.email == "julie.martin@gatine.fr" and user.get_full_name() == "Julie Martin"
    assert user.check_password(STRONG)
    membership = Membership.objects.get(user=user)
    assert (membership.role, membership.collectivite, membership.administrateur) == (
        Role.COLLECTIVITE_EDITOR.value,
        touraine.own,
        True,
    )
    invitation.refresh_from_db()
    assert invitation.acceptee_par == user and invitation.acceptee_le is not None
    notification = Notification.objects.get(destinataire=touraine.admin)
    assert "a accepté votre invitation" in notification.titre
    assert notification.lien == f"/comptes/{user.pk}/"
    roles_entry = AuditEntry.objects.filter(objet_type="accounts.user", action="modification").get()
    assert roles_entry.auteur == touraine.admin
    assert roles_entry.avant["roles"] == []
    assert roles_entry.apres["roles"] == [
        f"Éditeur·rice collectivité — {touraine.own.nom} (administrateur·rice de la collectivité)"
    ]
    with pytest.raises(AccountError, match="déjà servi"):
        service.check_invitation(secret)


def test_accept_without_password_gives_an_unusable_one_and_links_the_identity(touraine):
    invitation, _ = invite(None, collectivite=touraine.own)
    identity = IdentityClaims(
        issuer="https://proconnect.example",
        sub="abc-123",
        email="julie.martin@gatine.fr",
        acr="eidas1",
        amr=("pwd", "mfa"),
    )
    user = service.accept_invitation(invitation, identity=identity, first_name="Julie")
    assert not user.has_usable_password()
    assert user.username == "julie.martin"
    link = FederatedIdentity.objects.get(user=user)
    assert (link.fournisseur, link.sujet, link.courriel) == (
        "https://proconnect.example",
        "abc-123",
        "julie.martin@gatine.fr",
    )
    assert (link.dernier_acr, link.dernier_amr) == ("eidas1", ["pwd", "mfa"])
    # the same identity cannot be linked twice
    again, _ = invite(None, courriel="autre@gatine.fr", collectivite=touraine.own)
    with pytest.raises(AccountError, match="déjà liée"):
        service.accept_invitation(again, identity=identity)


def test_accept_with_an_existing_account_adds_the_role(touraine):
    invitation, _ = invite(
        touraine.admin,
        courriel="elu@gatine.fr",
        collectivite=touraine.other,
        role=Role.COLLECTIVITE_ELU,
    )
    user = service.accept_invitation(invitation, user=touraine.elu)
    assert user == touraine.elu
    assert set(Membership.objects.filter(user=user).values_list("collectivite_id", flat=True)) == {
        touraine.own.pk,
        touraine.other.pk,
    }


def test_accept_refuses_an_address_that_already_has_an_account(touraine):
    touraine.editor.email = "julie.martin@gatine.fr"
    touraine.editor.save()
    invitation, _ = invite(
        None,
        courriel="Julie.Martin@gatine.fr",
        role=Role.COLLECTIVITE_ELU,
        collectivite=touraine.own,
    )
    with pytest.raises(AccountError, match="Un compte existe déjà"):
        service.accept_invitation(invitation, username="julie2", password=STRONG)
    touraine.editor.is_active = False
    with pytest.raises(AccountError, match="désactivé"):
        service.accept_invitation(invitation, user=touraine.editor)
    assert Invitation.objects.get().acceptee_le is None


def test_accept_checks_the_identifier_and_the_password(touraine):
    invitation, _ = invite(None, collectivite=touraine.own)
    with pytest.raises(AccountError, match="déjà pris"):
        service.accept_invitation(invitation, username="EDITEUR", password=STRONG)
    with pytest.raises(AccountError, match="Identifiant invalide"):
        service.accept_invitation(invitation, username="julie martin", password=STRONG)
    with pytest.raises(AccountError, match="trop court"):
        service.accept_invitation(invitation, username="julie", password="court")
    assert User.objects.filter(username="julie").count() == 0


def test_a_stale_invitation_cannot_be_accepted_twice(touraine):
    """Two acceptances of one link, the second with an object read before the first: the
    row is read again (locked) inside the transaction, so the second fails."""
    invitation, _ = invite(None, collectivite=touraine.own)
    stale = Invitation.objects.get(pk=invitation.pk)
    service.accept_invitation(invitation, username="premiere", password=STRONG)
    assert stale.acceptee_le is None
    with pytest.raises(AccountError, match="déjà servi"):
        service.accept_invitation(stale, username="seconde", password=STRONG)
    assert not User.objects.filter(username="seconde").exists()
    assert (
        Membership.objects.filter(collectivite=touraine.own, role="collectivite_editeur").count()
        == 2
    )


@pytest.mark.django_db(transaction=True)
def test_concurrent_acceptances_one_wins(touraine):
    """Two threads accept one link at once: on PostgreSQL the row lock makes one wait, then
    see the invitation used."""
    if connection.vendor != "postgresql":
        pytest.skip("verrou de ligne : PostgreSQL seulement (SQLite sérialise les écritures)")
    import threading

    from django.db import connections

    invitation, _ = invite(None, collectivite=touraine.own)
    barrier = threading.Barrier(2)
    results: list[str] = []

    def accept(name):
        try:
            barrier.wait()
            service.accept_invitation(invitation, username=name, password=STRONG)
            results.append("ok")
        except AccountError as error:
            results.append(str(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=accept, args=(f"personne{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results)[-1] == "ok" and results.count("ok") == 1
    assert User.objects.filter(username__startswith="personne").count() == 1


# --- Roles ---------------------------------------------------------------------------------


def test_grant_change_withdraw_are_in_the_history_and_notified(touraine):
    w = touraine
    membership = service.grant_role(
        w.admin, w.nobody, role=Role.COLLECTIVITE_ELU, collectivite=w.own
    )
    service.change_role(w.admin, membership, role=Role.COLLECTIVITE_EDITOR, administrateur=True)
    membership.refresh_from_db()
    assert (membership.role, membership.administrateur) == ("collectivite_editeur", True)
    service.withdraw_role(w.admin, membership)
    assert not Membership.objects.filter(user=w.nobody).exists()
    entries = list(
        AuditEntry.objects.filter(objet_type="accounts.user", objet_id=str(w.nobody.pk)).order_by(
            "id"
        )
    )
    assert [(e.avant["roles"], e.apres["roles"]) for e in entries] == [
        ([], [f"Élu·e (lecture seule) — {w.own.nom}"]),
        (
            [f"Élu·e (lecture seule) — {w.own.nom}"],
            [f"Éditeur·rice collectivité — {w.own.nom} (administrateur·rice de la collectivité)"],
        ),
        ([f"Éditeur·rice collectivité — {w.own.nom} (administrateur·rice de la collectivité)"], []),
    ]
    assert all(e.auteur == w.admin and e.caf_id == w.caf.pk for e in entries)
    titles = list(
        Notification.objects.filter(destinataire=w.nobody)
        .order_by("id")
        .values_list("titre", flat=True)
    )
    assert titles == ["Un rôle vous est donné", "Votre rôle a changé", "Un rôle vous est retiré"]


def test_role_changes_keep_the_scope(touraine):
    w = touraine
    advisor_row = Membership.objects.get(user=w.advisor)
    with pytest.raises(AccountError, match="s'exerce sur une Caf"):
        service.change_role(w.admin, advisor_row, role=Role.CAF_ADMIN)
    editor_row = Membership.objects.get(user=w.editor)
    with pytest.raises(AccountError, match="s'exerce sur une Caf"):
        service.change_role(w.admin, editor_row, role=Role.CAF_ANALYST)
    analyst_row = Membership.objects.get(user=w.analyst)
    service.change_role(w.admin, analyst_row, role=Role.CAF_ADMIN)
    assert Membership.objects.get(user=w.analyst).role == "caf_admin"


def test_roles_refused_outside_the_scope_and_on_oneself(touraine):
    w = touraine
    with pytest.raises(AccountError, match="Vous ne pouvez pas donner"):
        service.grant_role(w.outsider, w.nobody, role=Role.COLLECTIVITE_ELU, collectivite=w.own)
    with pytest.raises(AccountError, match="propres rôles"):
        service.withdraw_role(w.admin, Membership.objects.get(user=w.admin))
    with pytest.raises(AccountError, match="a déjà le rôle"):
        service.grant_role(w.admin, w.editor, role=Role.COLLECTIVITE_EDITOR, collectivite=w.own)
    local = Membership.objects.get(user=w.editor)
    local.administrateur = True
    local.save()
    with pytest.raises(AccountError, match="Vous ne pouvez pas donner"):
        service.change_role(
            w.editor, Membership.objects.get(user=w.other_editor), role=Role.COLLECTIVITE_ELU
        )
    service.change_role(w.editor, Membership.objects.get(user=w.elu), role=Role.COLLECTIVITE_EDITOR)


# --- Deactivation --------------------------------------------------------------------------


def test_deactivation_ends_sessions_and_revokes_tokens_at_once(client, touraine):
    w = touraine
    client.force_login(w.editor)
    other_browser = client.__class__()
    other_browser.force_login(w.editor)
    client.__class__().force_login(w.elu)  # someone else's session is kept
    ApiToken.create_for(w.editor, "tableur")
    assert Session.objects.count() == 3
    service.deactivate_user(w.admin, w.editor)
    w.editor.refresh_from_db()
    assert not w.editor.is_active
    assert Session.objects.count() == 1
    assert ApiToken.objects.get(user=w.editor).revoque_le is not None
    assert Membership.objects.filter(user=w.editor).exists()  # kept
    entry = AuditEntry.objects.get(objet_type="accounts.user", objet_id=str(w.editor.pk))
    assert (entry.avant["actif"], entry.apres["actif"]) == (True, False)
    service.reactivate_user(w.admin, w.editor)
    w.editor.refresh_from_db()
    assert w.editor.is_active
    assert ApiToken.objects.get(user=w.editor).revoque_le is not None  # stays revoked


def test_deactivation_needs_every_role_in_scope(touraine):
    w = touraine
    with pytest.raises(AccountError, match="votre propre compte"):
        service.deactivate_user(w.admin, w.admin)
    with pytest.raises(AccountError, match="pas dans votre périmètre"):
        service.deactivate_user(w.outsider, w.editor)
    Membership.objects.create(user=w.elu, role=Role.COLLECTIVITE_ELU, collectivite=w.foreign)
    with pytest.raises(AccountError, match="hors de votre périmètre"):
        service.deactivate_user(w.admin, w.elu)
    service.deactivate_user(None, w.elu)  # the command line may
    w.elu.refresh_from_db()
    assert not w.elu.is_active

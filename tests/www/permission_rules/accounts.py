"""Rules of the accounts pages.

« Comptes » is for the Caf administrators (their Caf and its collectivités) and, in this
world, ``editor``, made administrator of the collectivité ``own`` (its editors and elected
officials); « Mon compte » is everyone's. Changes are POST only (405 to a GET). The public
pages (invitation link, forgotten password) are in ``PUBLIC``: what an anonymous visitor gets.
"""

from tests.www.permission_rules.common import EVERYONE, ROLES, seen_by

MANAGERS = {"admin", "outsider", "editor"}
POST_ONLY = {role: 405 for role in ROLES}

RULES = {
    "accounts:me": [("", lambda w: {}, seen_by(EVERYONE))],
    "accounts:session_end": [("get", lambda w: {"pk": w.login_editor.pk}, POST_ONLY)],
    "accounts:sessions_end_others": [("get", lambda w: {}, POST_ONLY)],
    "accounts:password_change": [("", lambda w: {}, seen_by(EVERYONE))],
    "accounts:password_change_done": [("", lambda w: {}, seen_by(EVERYONE))],
    "accounts:list": [("", lambda w: {}, seen_by(MANAGERS))],
    "accounts:invite": [("", lambda w: {}, seen_by(MANAGERS))],
    "accounts:person": [
        ("elu-collectivite", lambda w: {"pk": w.elu.pk}, seen_by({"admin", "editor"})),
        ("conseiller-caf", lambda w: {"pk": w.advisor.pk}, seen_by({"admin"})),
        ("autre-collectivite", lambda w: {"pk": w.other_editor.pk}, seen_by({"admin"})),
        ("autre-caf", lambda w: {"pk": w.outsider.pk}, seen_by({"outsider"})),
        ("sans-role", lambda w: {"pk": w.nobody.pk}, seen_by(set())),
        ("invite-accepte", lambda w: {"pk": w.invited.pk}, seen_by({"admin", "editor"})),
    ],
    "accounts:role_grant": [("get", lambda w: {"pk": w.elu.pk}, POST_ONLY)],
    "accounts:deactivate": [("get", lambda w: {"pk": w.elu.pk}, POST_ONLY)],
    "accounts:reactivate": [("get", lambda w: {"pk": w.elu.pk}, POST_ONLY)],
    "accounts:role_change": [("get", lambda w: {"pk": w.elu_membership.pk}, POST_ONLY)],
    "accounts:role_withdraw": [("get", lambda w: {"pk": w.elu_membership.pk}, POST_ONLY)],
    "accounts:invitation_resend": [("get", lambda w: {"pk": w.invitation.pk}, POST_ONLY)],
    "accounts:invitation_cancel": [("get", lambda w: {"pk": w.invitation.pk}, POST_ONLY)],
}

#: Public pages: name → (kwargs built from the world, status for an anonymous visitor).
PUBLIC = {
    "accounts:accept": (lambda w: {"secret": w.invitation_secret}, 200),
    "accounts:password_reset": (lambda w: {}, 200),
    "accounts:password_reset_done": (lambda w: {}, 200),
    "accounts:password_reset_confirm": (lambda w: {"uidb64": "MQ", "token": "faux-jeton"}, 200),
    "accounts:password_reset_complete": (lambda w: {}, 200),
}


def extend_world(w):
    from coopctg.accounts import invitations
    from coopctg.accounts.models import LoginSession, Membership
    from coopctg.accounts.roles import Role

    Membership.objects.filter(user=w.editor, collectivite=w.own).update(administrateur=True)
    w.elu_membership = Membership.objects.get(user=w.elu)
    w.login_editor = LoginSession.objects.create(user=w.editor, empreinte_session="x" * 64)
    w.invitation, w.invitation_secret = invitations.create_invitation(
        w.admin, courriel="invitee@gatine.fr", role=Role.COLLECTIVITE_ELU, collectivite=w.own
    )
    accepted, _ = invitations.create_invitation(
        w.admin, courriel="ancien@gatine.fr", role=Role.COLLECTIVITE_ELU, collectivite=w.own
    )
    w.invited = invitations.accept_invitation(accepted, username="ancien", password=None)
    Membership.objects.filter(user=w.invited).delete()  # a person without role any more

"""Rules of the « Suivi des collectivités » pages: the Caf's administrators decide who follows
which collectivité; everyone else gets a 404 (they read the same in the team directory).
Changes are POST only (405 to a GET); their access is tested in
tests/organisations/test_follow_up_views.py."""

from tests.www.permission_rules.common import ROLES, seen_by

POST_ONLY = {role: 405 for role in ROLES}

RULES = {
    "organisations:follow_ups": [
        ("37", lambda w: {"code": "37"}, seen_by({"admin"})),
        ("41", lambda w: {"code": "41"}, seen_by({"outsider"})),
    ],
    "organisations:follow_up_add": [
        ("get", lambda w: {"code": "37", "pk": w.own.pk}, POST_ONLY),
    ],
    "organisations:follow_up_remove": [
        ("get", lambda w: {"code": "37", "pk": w.staff_follow_up.pk}, POST_ONLY),
    ],
}


def extend_world(w):
    from coopctg.organisations.models import FollowUp

    w.staff_follow_up = FollowUp.objects.get(member=w.staff, collectivite=w.own)

"""Rules of the tableaux de bord (/tableau-de-bord/) and the échéances (/echeances/).

The collectivité dashboard is seen by whoever sees the collectivité; the Caf dashboard by the
Caf's staff (the advisor: the collectivités they follow); the index sends each user with a
scope to their dashboard (302), a user without any role gets a 404; the échéances page lists
what the user sees (empty for a user without any role), and so does its iCalendar export
(one Caf at a time for the national analyst).
"""

from tests.www.permission_rules.common import CAF_37, EVERYONE, NATIONAL, OWN, seen_by

SEE_OTHER = {"admin", "analyst", "other_editor"}

RULES = {
    "dashboards:index": [("", lambda w: {}, seen_by(EVERYONE - {"nobody"}, status=302))],
    "dashboards:collectivite": [
        ("own", lambda w: {"pk": w.own.pk}, seen_by(OWN)),
        ("other", lambda w: {"pk": w.other.pk}, seen_by(SEE_OTHER)),
        ("foreign", lambda w: {"pk": w.foreign.pk}, seen_by({"outsider"}, NATIONAL)),
    ],
    "dashboards:caf": [
        ("37", lambda w: {"code": "37"}, seen_by(CAF_37)),
        ("41", lambda w: {"code": "41"}, seen_by({"outsider"}, NATIONAL)),
        ("inconnue", lambda w: {"code": "99"}, seen_by(set())),
    ],
    "deadlines:list": [("", lambda w: {}, seen_by(EVERYONE))],
    # One Caf at a time for whoever sees several (the national analyst): 400 without ?caf=.
    "deadlines:calendar": [("", lambda w: {}, {**seen_by(EVERYONE), "national": 400})],
}

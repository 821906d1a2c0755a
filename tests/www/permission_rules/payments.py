"""Rules of the versements pages (the Caf's payment schedule).

Like the budget: everyone with a Caf or a collectivité sees the schedule of what they see (Caf
admin and analyst all of their Caf, the advisor their collectivités, a collectivité's users
their own, the outsider Caf 41's — whose advance rate is not set: the page says so); a user
without any role gets a 404, and so does a year out of bounds for the exports.
"""

from tests.www.permission_rules.common import EVERYONE, ROLES, seen_by

WITH_A_SCOPE = EVERYONE - {"nobody"}

RULES = {
    "payments:index": [("", lambda w: {}, seen_by(WITH_A_SCOPE))],
    "payments:xlsx": [
        ("2023", lambda w: {"annee": 2023}, seen_by(WITH_A_SCOPE)),
        ("hors-limites", lambda w: {"annee": 1000}, {role: 404 for role in ROLES}),
    ],
    "payments:csv": [("2023", lambda w: {"annee": 2023}, seen_by(WITH_A_SCOPE))],
}

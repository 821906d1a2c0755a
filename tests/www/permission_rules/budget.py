"""Rules of the budget pages (the funding due per calendar year).

Everyone with a Caf or a collectivité sees the budget of what they see: Caf admin and analyst
all of their Caf, the advisor their collectivités, a collectivité's users their own, the
outsider Caf 41's; a user without any role gets a 404.
"""

from tests.www.permission_rules.common import EVERYONE, ROLES, seen_by

WITH_A_SCOPE = EVERYONE - {"nobody"}

RULES = {
    "budget:index": [("", lambda w: {}, seen_by(WITH_A_SCOPE, status=302))],
    "budget:annual": [
        ("2023", lambda w: {"annee": 2023}, seen_by(WITH_A_SCOPE)),
        ("hors-limites", lambda w: {"annee": 1000}, {role: 404 for role in ROLES}),
    ],
    "budget:annual_xlsx": [("2023", lambda w: {"annee": 2023}, seen_by(WITH_A_SCOPE))],
}

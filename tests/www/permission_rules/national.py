"""Rules of the national view (Cnaf): the national analyst only; every Caf or collectivité role,
even a Caf's administrator or analyst, gets a 404."""

from tests.www.permission_rules.common import NATIONAL, ROLES, seen_by

RULES = {
    "national:index": [("", lambda w: {}, seen_by(NATIONAL, status=302))],
    "national:annual": [
        ("2024", lambda w: {"annee": 2024}, seen_by(NATIONAL)),
        ("hors-limites", lambda w: {"annee": 1000}, {role: 404 for role in ROLES}),
    ],
    "national:budget": [("2024", lambda w: {"annee": 2024}, seen_by(NATIONAL))],
    "national:annual_xlsx": [("2024", lambda w: {"annee": 2024}, seen_by(NATIONAL))],
}

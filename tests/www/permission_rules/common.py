"""Roles of the permission table and helpers to write expected statuses.

``national`` is the Cnaf's national analyst: a read-only analyst of every Caf. Wherever the
Caf analyst sees a page, the national analyst sees it too (:func:`seen_by` adds it); where only
the other Caf's people see a page (``outsider``), a rule lists ``NATIONAL`` when the page only
reads. The national pages are seen by ``NATIONAL`` alone.
"""

ROLES = [
    "admin",
    "analyst",
    "advisor",
    "editor",
    "elu",
    "other_editor",
    "outsider",
    "nobody",
    "national",
]
CAF_37 = {"admin", "analyst", "advisor"}
OWN = CAF_37 | {"editor", "elu"}
EVERYONE = set(ROLES)
NATIONAL = {"national"}


def seen_by(*groups, status=200):
    allowed = set().union(*groups)
    if "analyst" in allowed:
        allowed.add("national")
    return {role: status if role in allowed else 404 for role in ROLES}

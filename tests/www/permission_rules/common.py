"""Roles of the permission table and helpers to write expected statuses."""

ROLES = ["admin", "analyst", "advisor", "editor", "elu", "other_editor", "outsider", "nobody"]
CAF_37 = {"admin", "analyst", "advisor"}
OWN = CAF_37 | {"editor", "elu"}
EVERYONE = set(ROLES)


def seen_by(*groups, status=200):
    allowed = set().union(*groups)
    return {role: status if role in allowed else 404 for role in ROLES}

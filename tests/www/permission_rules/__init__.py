"""The permission table, one module per domain; each module defines ``RULES`` and may define
``extend_world(w)`` to add the objects its rules need to the ``touraine`` world.

Each rule: URL name → list of (case label, kwargs built from the world, expected status per
role). A module may also define ``PUBLIC``: the pages open without signing in. Expected
statuses: 200 seen, 404 hidden (never 403), 302 a redirection.
"""

import importlib
import pkgutil

MODULES = [
    importlib.import_module(f"{__name__}.{info.name}")
    for info in pkgutil.iter_modules(__path__)
    if info.name != "common"
]

RULES: dict = {}
#: Pages open without signing in: name → (kwargs built from the world, anonymous status).
PUBLIC: dict = {}
for module in MODULES:
    duplicated = set(RULES) & set(module.RULES)
    assert not duplicated, f"règles en double : {duplicated}"
    RULES.update(module.RULES)
    PUBLIC.update(getattr(module, "PUBLIC", {}))


def extend_world(world):
    for module in MODULES:
        hook = getattr(module, "extend_world", None)
        if hook is not None:
            hook(world)
    return world

"""Who acted, as the workflows record and announce it: a signed-in user, or nobody (the
command line, an import) shown as « système »."""

from collections.abc import Iterable
from typing import Any

from coopctg.accounts.models import User


def actor(user: Any) -> User | None:
    """The user to record as author, or None when the change comes from the system."""
    return user if getattr(user, "is_authenticated", False) else None


def actor_name(user: Any) -> str:
    return str(user) if getattr(user, "is_authenticated", False) else "système"


def others(users: Iterable[User], user: Any) -> list[User]:
    """``users`` but the one who acted: nobody is notified of their own action."""
    return [u for u in users if u.pk != getattr(user, "pk", None)]

import functools
from typing import Any

from django.http import HttpRequest


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The navigation entries the signed-in user may open (built by the accounts roles)."""
    from coopctg.accounts.access import navigation_for
    from coopctg.notifications.models import Notification

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "unread_count": 0}

    @functools.cache
    def unread_count() -> int:  # called by the template only when it shows the header
        return Notification.objects.filter(destinataire=user, lue_le__isnull=True).count()

    return {"nav_items": navigation_for(user), "unread_count": unread_count}

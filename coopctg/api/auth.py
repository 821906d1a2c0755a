"""Who calls the API: a personal token (``Authorization: Bearer cctg_…``), or the browser's
session (the interactive docs; Django's CSRF check applies to its writes).

``request.auth`` is the user in both cases; every operation scopes what it reads and writes
with the UI's helpers (:mod:`coopctg.accounts.access` and the domain access modules).
"""

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from coopctg.api.models import ApiToken, hash_secret


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        if not token:
            return None
        found = (
            ApiToken.objects.select_related("user")
            .filter(empreinte=hash_secret(token), revoque_le__isnull=True, user__is_active=True)
            .first()
        )
        if found is None:
            return None
        ApiToken.objects.filter(pk=found.pk).update(utilise_le=timezone.now())
        return found.user


class ActiveSessionAuth(SessionAuth):
    """The logged-in user of the browser session (with Django's CSRF check)."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            return user
        return None


AUTH = [TokenAuth(), ActiveSessionAuth()]

"""``/sante/``: the load balancer's health check.

Open without signing in, it reads nothing but ``SELECT 1``: 200 ``{"etat": "ok", "base":
"ok"}`` when the database answers, 503 ``{"etat": "erreur", "base": "erreur"}`` otherwise.
No session is read or created (the probe sends no cookie and gets none), nothing about the
instance is said (no version, no error message: the error goes to the log), never cached.
Exempt from the HTTPS redirection (settings, ``SECURE_REDIRECT_EXEMPT``).
"""

import logging

from django.contrib.auth.decorators import login_not_required
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


def database_answers(using: str = DEFAULT_DB_ALIAS) -> bool:
    """True when the database answers a query."""
    try:
        with connections[using].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("Contrôle de santé : la base ne répond pas")
        return False
    return True


@login_not_required
@require_safe
@never_cache
def health(request: HttpRequest) -> JsonResponse:
    if database_answers():
        return JsonResponse({"etat": "ok", "base": "ok"})
    return JsonResponse({"etat": "erreur", "base": "erreur"}, status=503)

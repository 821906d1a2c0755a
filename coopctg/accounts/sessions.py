"""Sign-ins and their sessions: recorded at sign-in, listed on « Mon compte », ended at once.

Each sign-in writes a :class:`LoginSession` (date, method, session key). Ending sessions
(« déconnecter cette session », « toutes les autres », a deactivated account, a changed
password) deletes them from the session store, so the next request of that browser is
anonymous. Sessions opened before this record existed are found by reading the session table.
"""

from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models import QuerySet
from django.dispatch import receiver
from django.utils import timezone

from coopctg.accounts.models import LoginSession, User

#: Sign-ins kept per person (the oldest are deleted at each sign-in): enough for « dernières
#: connexions », no more (minimal data).
KEPT_PER_USER = 20

#: Session engines whose table can be read to find a person's sessions.
_DB_ENGINES = {"django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cached_db"}


def _session_store() -> Any:
    return import_module(settings.SESSION_ENGINE).SessionStore


def login_method(user: Any) -> str:
    """The sign-in method, from the authentication backend ``login()`` recorded."""
    backend = getattr(user, "backend", "") or ""
    if "oidc" in backend.lower():
        return LoginSession.Method.OIDC.value
    return LoginSession.Method.PASSWORD.value


@receiver(user_logged_in, dispatch_uid="coopctg_record_login")
def record_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if session is None or not isinstance(user, User):
        return
    if session.session_key is None:
        session.save()
    LoginSession.objects.create(
        user=user, cle_session=session.session_key or "", methode=login_method(user)
    )
    old = LoginSession.objects.filter(user=user).order_by("-debut", "-id")[KEPT_PER_USER:]
    LoginSession.objects.filter(pk__in=list(old.values_list("pk", flat=True))).delete()


@receiver(user_logged_out, dispatch_uid="coopctg_record_logout")
def record_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    key = getattr(getattr(request, "session", None), "session_key", None)
    if key and user is not None:
        LoginSession.objects.filter(user=user, cle_session=key).update(
            cle_session="", fin=timezone.now()
        )


def active_sessions(user: User) -> list[LoginSession]:
    """The person's sign-ins whose session is still open (two queries)."""
    records = list(LoginSession.objects.filter(user=user).exclude(cle_session=""))
    if not records:
        return []
    keys = {r.cle_session for r in records}
    if settings.SESSION_ENGINE in _DB_ENGINES:
        from django.contrib.sessions.models import Session

        keys = set(
            Session.objects.filter(
                session_key__in=keys, expire_date__gt=timezone.now()
            ).values_list("session_key", flat=True)
        )
    else:
        store = _session_store()
        keys = {key for key in keys if store().exists(key)}
    return [r for r in records if r.cle_session in keys]


def recent_logins(user: User, limit: int = 10) -> QuerySet[LoginSession]:
    return LoginSession.objects.filter(user=user).order_by("-debut", "-id")[:limit]


def _all_session_keys(user: User) -> set[str]:
    """Every live session key of the person: recorded, or found in the session table."""
    keys = set(
        LoginSession.objects.filter(user=user)
        .exclude(cle_session="")
        .values_list("cle_session", flat=True)
    )
    if settings.SESSION_ENGINE in _DB_ENGINES:
        from django.contrib.sessions.models import Session

        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
            if session.get_decoded().get(SESSION_KEY) == str(user.pk):
                keys.add(session.session_key)
    return keys


def end_sessions(user: User, *, keep: str | None = None, only: str | None = None) -> int:
    """Ends the person's sessions (all, all but ``keep``, or just ``only``); returns how many
    sessions were ended."""
    keys = {only} if only else _all_session_keys(user)
    keys.discard(keep or "")
    store = _session_store()
    for key in keys:
        store(session_key=key).delete()
    LoginSession.objects.filter(user=user, cle_session__in=keys).update(
        cle_session="", fin=timezone.now()
    )
    return len(keys)

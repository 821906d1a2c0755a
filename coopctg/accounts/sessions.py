"""Sign-ins and their sessions: recorded at sign-in, listed on « Mon compte », ended at once.

Each sign-in writes a :class:`LoginSession` (date, method, and the SHA-256 of its session key:
the key itself, a credential, is kept only in the session table, which is never backed up).
Ending sessions (« déconnecter cette session », « toutes les autres », a deactivated account,
a new password) deletes them from the session table, so the next request of that browser is
anonymous. The sessions are the database's (Django's default engine): their table is read to
match the recorded fingerprints and to find every session of a person.
"""

import hashlib
from typing import Any

from django.contrib.auth import SESSION_KEY
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.contrib.sessions.models import Session
from django.dispatch import receiver
from django.utils import timezone

from coopctg.accounts.models import LoginSession, User

#: Sign-ins kept per person (the oldest are deleted at each sign-in): enough for « dernières
#: connexions », no more (minimal data).
KEPT_PER_USER = 20


def session_hash(key: str | None) -> str:
    return hashlib.sha256(key.encode()).hexdigest() if key else ""


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
        user=user, empreinte_session=session_hash(session.session_key), methode=login_method(user)
    )
    old = LoginSession.objects.filter(user=user).order_by("-debut", "-id")[KEPT_PER_USER:]
    LoginSession.objects.filter(pk__in=list(old.values_list("pk", flat=True))).delete()


@receiver(user_logged_out, dispatch_uid="coopctg_record_logout")
def record_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    key = getattr(getattr(request, "session", None), "session_key", None)
    if key and user is not None:
        LoginSession.objects.filter(user=user, empreinte_session=session_hash(key)).update(
            empreinte_session="", fin=timezone.now()
        )


def _live_sessions() -> Any:
    return Session.objects.filter(expire_date__gt=timezone.now())


def active_sessions(user: User) -> list[LoginSession]:
    """The person's sign-ins whose session is still open (two queries)."""
    records = list(LoginSession.objects.filter(user=user).exclude(empreinte_session=""))
    if not records:
        return []
    live = {session_hash(key) for key in _live_sessions().values_list("session_key", flat=True)}
    return [r for r in records if r.empreinte_session in live]


def recent_logins(user: User, limit: int = 10) -> list[LoginSession]:
    return list(LoginSession.objects.filter(user=user).order_by("-debut", "-id")[:limit])


def end_sessions(user: User, *, keep: str | None = None, only: str | None = None) -> int:
    """Ends the person's open sessions — all, all but the session key ``keep``, or only the one
    whose fingerprint is ``only`` — and returns how many were ended."""
    keys = set()
    for session in _live_sessions().iterator():
        if only is not None and session_hash(session.session_key) != only:
            continue
        if session.get_decoded().get(SESSION_KEY) == str(user.pk):
            keys.add(session.session_key)
    keys.discard(keep or "")
    Session.objects.filter(session_key__in=keys).delete()
    hashes = {session_hash(key) for key in keys} | ({only} if only else set())
    LoginSession.objects.filter(user=user, empreinte_session__in=hashes).update(
        empreinte_session="", fin=timezone.now()
    )
    return len(keys)

"""Login throttling: django-axes, extended with a per-account delay (see settings).

Two rules, both stored in the database (every application process sees them):

1. **Per user name and address** (django-axes): after ``AXES_FAILURE_LIMIT`` (5) failures for
   one user name from one address, that pair is locked out for ``AXES_COOLOFF_TIME`` (15
   minutes); a success resets it.
2. **Per user name, from any address** (:class:`ThrottlingHandler`, :class:`LoginDelay`): after
   ``COOPCTG_LOGIN_ACCOUNT_FAILURES`` (5) failures for a user name in a series (no gap longer
   than the cool-off time), each further attempt for that user name must wait 1, 2, 4, 8… seconds
   after the previous one, at most ``COOPCTG_LOGIN_MAX_DELAY`` (60 s); an attempt made too early
   is answered « réessayez dans X secondes » without checking the password and without counting
   as a failure. A success resets the series.

What an attacker can and cannot do:

- Guess the password of one account from many addresses (a botnet, or forged X-Forwarded-For
  when ``COOPCTG_TRUSTED_PROXIES`` is set but the application is reached directly): rule 1 does
  not see it, rule 2 does. Once the series is long, one guess per minute per account, whatever
  the number of addresses; concurrent attempts cannot slip through together (the next slot is
  claimed atomically, see :func:`claim_attempt`). A minimum of 12 characters for passwords
  makes a guess per minute hopeless.
- Lock a real user out: not with rule 2 — there is no lock, only a delay of at most a minute,
  and a refused attempt is not a failure (it does not lengthen the delay). An attacker who fires
  exactly when each delay ends could still take every slot; so a browser in which the account
  has already signed in carries a signed cookie (:data:`DEVICE_COOKIE`, 90 days, HttpOnly) that
  exempts it from rule 2 (not from rule 1): the real user signs in from a usual computer at
  once, whatever the attacker does. From a new computer during such an attack, the user may have
  to wait, never more than the attack lasts. Rule 1 only locks the attacker's own addresses (and
  whoever shares one of them, behind the same NAT). Whoever steals that cookie (HttpOnly, Secure
  in production: it takes the user's browser, which also holds the session) escapes rule 2 for
  that account only, not rule 1.
- Learn whether a user name exists: every user name typed is counted and delayed alike.
- Fill the database: one row per user name typed, deleted once older than the cool-off time.

The client address is :func:`client_ip` (``AXES_CLIENT_IP_CALLABLE``).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
from collections.abc import Callable
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from coopctg.accounts.models import LoginDelay

#: The signed cookie of a browser in which an account has signed in (rule 2 does not apply).
DEVICE_COOKIE = "coopctg_appareil"
DEVICE_SALT = "coopctg.accounts.throttling.appareil-connu"
DEVICE_MAX_AGE = dt.timedelta(days=90)
#: LoginDelay.identifiant's length: longer user names cannot exist, they share a row.
USERNAME_LENGTH = 150


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR, or — behind ``COOPCTG_TRUSTED_PROXIES`` reverse proxies that each append
    the address they saw to X-Forwarded-For — the address the outermost trusted proxy saw.
    Addresses a client wrote itself in the header, to the left, are never trusted; with fewer
    hops than proxies, or a hop that is not an IP address, the request did not come through
    them: REMOTE_ADDR. Only set ``COOPCTG_TRUSTED_PROXIES`` when the application can be reached
    through the proxies alone: otherwise a client can write any address (rule 2 still holds)."""
    proxies = settings.COOPCTG_TRUSTED_PROXIES
    remote = request.META.get("REMOTE_ADDR", "")
    if proxies <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [hop for hop in hops if hop]
    if len(hops) < proxies:
        return remote
    try:
        return str(ipaddress.ip_address(hops[-proxies]))
    except ValueError:
        return remote


# --- Rule 2: the per-account delay ------------------------------------------------------------


def _now() -> dt.datetime:
    return timezone.now()


def delay_after(failures: int) -> dt.timedelta:
    """The wait before the next attempt after ``failures`` failures in a series."""
    over = failures - settings.COOPCTG_LOGIN_ACCOUNT_FAILURES
    if over < 0:
        return dt.timedelta(0)
    maximum = settings.COOPCTG_LOGIN_MAX_DELAY
    return min(dt.timedelta(seconds=2 ** min(over, 32)), maximum)


def _key(username: str) -> str:
    return username[:USERNAME_LENGTH]


def claim_attempt(username: str) -> dt.timedelta:
    """Whether an attempt for ``username`` may check its password now: ``timedelta(0)`` if so
    (and the next slot is taken, atomically: a concurrent attempt waits), else how long to
    wait."""
    now = _now()
    row = LoginDelay.objects.filter(
        identifiant=_key(username),
        echecs__gte=settings.COOPCTG_LOGIN_ACCOUNT_FAILURES,
        dernier_echec__gt=now - settings.AXES_COOLOFF_TIME,
    ).first()
    if row is None:
        return dt.timedelta(0)
    if row.pas_avant <= now:
        claimed = LoginDelay.objects.filter(pk=row.pk, pas_avant__lte=now).update(
            pas_avant=now + delay_after(row.echecs)
        )
        if claimed:
            return dt.timedelta(0)
        row.refresh_from_db(fields=["pas_avant"])
    return max(row.pas_avant - now, dt.timedelta(seconds=1))


def record_failure(username: str) -> None:
    """One more failure in the series of ``username`` (a new series after the cool-off)."""
    now = _now()
    expired = now - settings.AXES_COOLOFF_TIME
    with transaction.atomic():
        row, created = LoginDelay.objects.select_for_update().get_or_create(
            identifiant=_key(username),
            defaults={"echecs": 1, "dernier_echec": now, "pas_avant": now + delay_after(1)},
        )
        if not created:
            row.echecs = 1 if row.dernier_echec <= expired else row.echecs + 1
            row.dernier_echec = now
            row.pas_avant = now + delay_after(row.echecs)
            row.save(update_fields=["echecs", "dernier_echec", "pas_avant"])
    LoginDelay.objects.filter(dernier_echec__lte=expired).delete()


def _device_id(username: str) -> str:
    return salted_hmac(DEVICE_SALT, username, algorithm="sha256").hexdigest()[:32]


def is_known_device(request: HttpRequest, username: str) -> bool:
    """Whether the account ``username`` has signed in from this browser (signed cookie)."""
    value = request.get_signed_cookie(
        DEVICE_COOKIE, default=None, salt=DEVICE_SALT, max_age=DEVICE_MAX_AGE
    )
    return value is not None and constant_time_compare(value, _device_id(username))


class ThrottlingHandler(AxesDatabaseHandler):
    """django-axes' database handler (rule 1) plus the per-account delay (rule 2)."""

    def is_locked(self, request: Any, credentials: dict[str, Any] | None = None) -> bool:
        # Called by AxesStandaloneBackend before any password is checked.
        if super().is_locked(request, credentials):
            request.coopctg_refused = True
            return True
        username = get_client_username(request, credentials)
        if not username or is_known_device(request, username):
            return False
        wait = claim_attempt(username)
        if not wait:
            return False
        request.coopctg_refused = True
        request.coopctg_login_wait = wait
        request.axes_locked_out = True  # answered by lockout_response (AxesMiddleware)
        return True

    def user_login_failed(
        self, sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
    ) -> None:
        if request is not None and getattr(request, "coopctg_login_wait", None):
            return  # too early: no password checked, no failure counted, no delay lengthened
        refused = request is not None and getattr(request, "coopctg_refused", False)
        super().user_login_failed(sender, credentials, request, **kwargs)
        username = get_client_username(request, credentials) if request is not None else None
        if username and not refused:
            record_failure(username)

    def user_logged_in(self, sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
        super().user_logged_in(sender, request, user, **kwargs)
        username = user.get_username()
        LoginDelay.objects.filter(identifiant=_key(username)).delete()
        if request is not None:
            request.coopctg_known_device = username


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponseBase | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: 429, with how long to wait (rule 1 or rule 2)."""
    wait: dt.timedelta | None = getattr(request, "coopctg_login_wait", None)
    cooloff = settings.AXES_COOLOFF_TIME
    seconds = math.ceil(wait.total_seconds()) if wait else None
    context = {"attente": seconds, "suspension": int(cooloff.total_seconds() // 60)}
    response = render(request, "accounts/locked_out.html", context, status=429)
    response["Retry-After"] = str(seconds or int(cooloff.total_seconds()))
    return response


class KnownDeviceMiddleware:
    """Gives the browser in which an account has just signed in its :data:`DEVICE_COOKIE`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        username = getattr(request, "coopctg_known_device", None)
        if username:
            response.set_signed_cookie(
                DEVICE_COOKIE,
                _device_id(username),
                salt=DEVICE_SALT,
                max_age=DEVICE_MAX_AGE,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response

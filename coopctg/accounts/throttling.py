"""The client address used to throttle logins (django-axes, see settings)."""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR, or — behind ``COOPCTG_TRUSTED_PROXIES`` reverse proxies that each append
    the address they saw to X-Forwarded-For — the address the outermost trusted proxy saw.
    Addresses a client wrote itself in the header, to the left, are never trusted."""
    proxies = settings.COOPCTG_TRUSTED_PROXIES
    remote = request.META.get("REMOTE_ADDR", "")
    if proxies <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [hop for hop in hops if hop]
    return hops[-proxies] if len(hops) >= proxies else remote

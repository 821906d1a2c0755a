"""What a Caf-wide page is about: the Caf asked for and the year, read from the request the
same way by the budget and the payment schedule (``?caf=CODE``, ``?annee=AAAA``)."""

from django.http import Http404, HttpRequest
from django.utils import timezone

from coopctg.accounts.access import get_caf_for_user, visible_cafs
from coopctg.agreements.annual import MAX_YEAR, MIN_YEAR
from coopctg.organisations.models import Caf


def requested_caf(request: HttpRequest) -> Caf:
    """The Caf asked for (``?caf=CODE``), else the user's first one; 404 when none is visible."""
    code = request.GET.get("caf")
    if code:
        return get_caf_for_user(request.user, code)
    caf = visible_cafs(request.user).order_by("code").first()
    if caf is None:
        raise Http404("Page introuvable.")
    return caf


def checked_year(annee: int) -> int:
    """A year from the URL; 404 outside the years the pages know."""
    if not MIN_YEAR <= annee <= MAX_YEAR:
        raise Http404("Page introuvable.")
    return annee


def requested_year(request: HttpRequest) -> int:
    """``?annee=AAAA`` when it is a known year, else the current year."""
    asked = request.GET.get("annee", "")
    if asked.isdigit() and MIN_YEAR <= int(asked) <= MAX_YEAR:
        return int(asked)
    return timezone.localdate().year

"""Response headers that Django does not set by itself.

- ``Permissions-Policy`` on every response: the application uses no camera, microphone,
  location, payment, USB… so every powerful browser feature is denied to its pages and to
  anything that would be injected in them.
- ``Cache-Control: private, no-store`` on every response that may carry personal or financial
  data: any page or document for a signed-in user (HTML, PDF, XLSX, CSV, iCalendar…), any
  request with an ``Authorization`` header (the API's Bearer tokens), any download
  (``Content-Disposition``) and any data format (JSON, PDF, spreadsheets…) even anonymous.
  Neither a shared cache (a proxy) nor the browser's disk keeps them: the back button after
  « Se déconnecter » on a shared computer shows nothing. Cache directives already set by a
  view are kept and completed (``public`` is dropped). Static files keep their long cache:
  WhiteNoise answers them (``WhiteNoiseFileResponse``) with their own headers.

Placed right after SecurityMiddleware, before WhiteNoise, so that static files get the
Permissions-Policy too; ``request.user`` is read once the inner middlewares have run.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_cache_control
from whitenoise.middleware import WhiteNoiseFileResponse

from coopctg.core.caf_params import one_reading

#: Every feature the application does not use, denied to every origin.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "ambient-light-sensor",
        "autoplay",
        "bluetooth",
        "browsing-topics",
        "camera",
        "display-capture",
        "encrypted-media",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "interest-cohort",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
)

#: Media types of data and documents: never cached, even when the request is anonymous.
PRIVATE_TYPES = frozenset(
    {
        "application/json",
        "application/geo+json",
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/octet-stream",
        "text/csv",
        "text/calendar",
    }
)


def is_private(request: HttpRequest, response: HttpResponseBase) -> bool:
    """Whether ``response`` may carry personal or financial data (see the module docstring)."""
    if isinstance(response, WhiteNoiseFileResponse):
        return False
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return True
    if "HTTP_AUTHORIZATION" in request.META or response.has_header("Content-Disposition"):
        return True
    media_type = response.get("Content-Type", "").split(";")[0].strip().lower()
    return media_type in PRIVATE_TYPES


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if is_private(request, response):
            patch_cache_control(response, private=True, no_store=True)
        return response


class ParameterReadingMiddleware:
    """The dated parameter files of each Caf looked at once per request
    (:func:`coopctg.core.caf_params.one_reading`), not once per line of a list."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        with one_reading():
            return self.get_response(request)

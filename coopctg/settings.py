"""Django settings, read from the environment with safe development defaults.

Environment variables:
- DATABASE_URL: ``sqlite:///chemin`` (default: db.sqlite3 at the project root) or
  ``postgres://user@host:port/name`` (production).
- DJANGO_SECRET_KEY: required when DJANGO_DEBUG is off.
- DJANGO_DEBUG: "1" (default in development) or "0".
- DJANGO_CONN_MAX_AGE: seconds a database connection is kept (default 60 when DJANGO_DEBUG=0,
  else 0).
- DJANGO_ALLOWED_HOSTS: comma-separated host names.
- COOPCTG_TASKS_BACKEND: the task queue (default: the database, run by ``coopctg db_worker``;
  ``immediate``: run in the request, as the tests do).
- COOPCTG_OIDC_*, COOPCTG_PASSWORD_LOGIN: sign-in through OpenID Connect (ProConnect), below.
"""

import datetime as dt
import json
import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
PACKAGE_DIR = Path(__file__).resolve().parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "oui", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise RuntimeError("DJANGO_SECRET_KEY doit être défini quand DJANGO_DEBUG=0.")
    SECRET_KEY = "dev-only-insecure-key-coopctg"  # development and tests only
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "axes",
    "ninja",  # its templates and static files: the API docs, served locally
    "django_tasks_db",  # the task queue in the database, and its worker « coopctg db_worker »
    "coopctg.core",
    "coopctg.background",  # documents produced off the request by the task worker
    "coopctg.accounts",
    "coopctg.territories",
    "coopctg.framework",
    "coopctg.organisations",
    "coopctg.ctg",
    "coopctg.funding",
    "coopctg.agreements",
    "coopctg.notifications",
    "coopctg.recruitment",
    "coopctg.actionplan",
    "coopctg.governance",
    "coopctg.reports",
    "coopctg.indicators",  # indicateurs du diagnostic, commande « coopctg diagnostic »
    "coopctg.diagnostic",
    "coopctg.participation",  # mission 4 : concertation, supports, veille, page publique
    "coopctg.partners",  # annuaire des partenaires, liens, réseaux
    "coopctg.dashboards",  # its commands (coopctg echeances); no models
    "coopctg.api",
    "coopctg.demo",
    "coopctg.www",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "coopctg.core.middleware.SecurityHeadersMiddleware",  # Permissions-Policy, no-store
    "coopctg.core.middleware.ParameterReadingMiddleware",  # parameter files: once per request
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "coopctg.accounts.throttling.KnownDeviceMiddleware",  # cookie of a signed-in browser
    "axes.middleware.AxesMiddleware",  # last: answers a locked-out login
]

ROOT_URLCONF = "coopctg.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            # |unlocalize everywhere: ids and years must never get a thousand separator.
            "builtins": ["django.templatetags.l10n"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "coopctg.core.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "coopctg.wsgi.application"

# Persistent connections: each process keeps its connection DJANGO_CONN_MAX_AGE seconds
# (production default 60: +37 % requests per second measured, no connection set-up per
# request; development 0, a connection per request), checked before reuse (a database
# restarted meanwhile costs one query, never an error page).
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "0" if DEBUG else "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Writers take the lock when their transaction begins and wait for it (up to 20 s): the
    # loser of two concurrent decisions reads the winner's result (409), never « database is
    # locked ». WAL: a long read (``coopctg sauvegarder``) never blocks a write.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    }
# Long jobs (the PDFs) run off the request: Django's tasks framework, queued in the database
# (django-tasks-db) and run by the worker, « coopctg db_worker » (started by « make run »; in
# production, its own service: README, « Documents préparés en arrière-plan »).
_TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django.tasks.backends.immediate.ImmediateBackend",
}
_task_backend = os.environ.get("COOPCTG_TASKS_BACKEND", "database")
if _task_backend not in _TASK_BACKENDS:
    raise RuntimeError("COOPCTG_TASKS_BACKEND doit valoir « database » ou « immediate ».")
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[_task_backend], "QUEUES": ["default"]}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login throttling (django-axes + coopctg.accounts.throttling, which explains what an attacker
# can and cannot do): after 5 failures for one user name from one address, that pair is locked
# out for 15 minutes; after 5 failures for one user name from anywhere, each further attempt
# waits 1, 2, 4… seconds, at most COOPCTG_LOGIN_MAX_DELAY (never a lock), except from a browser
# where the account has signed in. Kept in the database, so every app process behind the proxy
# sees them. A success resets both.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("COOPCTG_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # keep failures only (data minimisation, see « privacy »)
AXES_HANDLER = "coopctg.accounts.throttling.ThrottlingHandler"
AXES_LOCKOUT_CALLABLE = "coopctg.accounts.throttling.lockout_response"  # locked_out.html, 429
AXES_CLIENT_IP_CALLABLE = "coopctg.accounts.throttling.client_ip"
COOPCTG_LOGIN_ACCOUNT_FAILURES = AXES_FAILURE_LIMIT
COOPCTG_LOGIN_MAX_DELAY = dt.timedelta(seconds=60)
#: Reverse proxies in front of the app that append to X-Forwarded-For (0: none, the client
#: address is REMOTE_ADDR). Only when the app is reachable through them alone: otherwise a
#: client can forge X-Forwarded-For (see coopctg.accounts.throttling.client_ip).
COOPCTG_TRUSTED_PROXIES = int(os.environ.get("COOPCTG_TRUSTED_PROXIES", "0"))
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# OpenID Connect sign-in (ProConnect, or a Caf's own identity provider) with
# mozilla-django-oidc; README, « Connexion avec ProConnect ». On when COOPCTG_OIDC_CLIENT_ID is
# set. The endpoints are given explicitly (no network at start-up); « coopctg oidc decouvrir »
# reads them from the provider's /.well-known/openid-configuration and prints them.
OIDC_RP_CLIENT_ID = os.environ.get("COOPCTG_OIDC_CLIENT_ID", "")
COOPCTG_OIDC_ENABLED = bool(OIDC_RP_CLIENT_ID)
OIDC_RP_CLIENT_SECRET = os.environ.get("COOPCTG_OIDC_CLIENT_SECRET", "")
#: The provider's issuer: the ``iss`` every ID token must carry, and the « fournisseur » of the
#: identities linked to accounts.
COOPCTG_OIDC_ISSUER = os.environ.get("COOPCTG_OIDC_ISSUER", "")
COOPCTG_OIDC_PROVIDER_NAME = os.environ.get("COOPCTG_OIDC_PROVIDER_NAME", "ProConnect")
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("COOPCTG_OIDC_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("COOPCTG_OIDC_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = os.environ.get("COOPCTG_OIDC_USERINFO_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = os.environ.get("COOPCTG_OIDC_JWKS_ENDPOINT", "")
COOPCTG_OIDC_END_SESSION_ENDPOINT = os.environ.get("COOPCTG_OIDC_END_SESSION_ENDPOINT", "")
OIDC_RP_SIGN_ALGO = os.environ.get("COOPCTG_OIDC_SIGN_ALGO", "RS256")
# ProConnect's scopes: e-mail, first name (given_name), name (usual_name), organisation (siret).
OIDC_RP_SCOPES = os.environ.get("COOPCTG_OIDC_SCOPES", "openid email given_name usual_name siret")
#: Levels of assurance (acr) accepted, e.g. « eidas1 » ; none: any level, still recorded.
COOPCTG_OIDC_ACR_VALUES = env_list("COOPCTG_OIDC_ACR_VALUES", [])
# ProConnect takes the acr and amr wishes as the « claims » parameter of the authorization
# request (acr_values is not among its parameters): acr and amr in the ID token, the acr
# required (essential) when levels are listed.
OIDC_AUTH_REQUEST_EXTRA_PARAMS = {
    "claims": json.dumps(
        {
            "id_token": {
                "acr": (
                    {"essential": True, "values": COOPCTG_OIDC_ACR_VALUES}
                    if COOPCTG_OIDC_ACR_VALUES
                    else None
                ),
                "amr": {"essential": True},
            }
        }
    )
}
OIDC_USE_PKCE = True
OIDC_PKCE_CODE_CHALLENGE_METHOD = "S256"
OIDC_USE_NONCE = True
OIDC_CREATE_USER = False  # never an account for an unknown identity (coopctg/accounts/oidc.py)
OIDC_STORE_ID_TOKEN = True  # the id_token_hint of the logout at the provider
OIDC_TIMEOUT = 10
OIDC_AUTHENTICATE_CLASS = "coopctg.www.login_views.views.OIDCAuthenticateView"
OIDC_CALLBACK_CLASS = "coopctg.www.login_views.views.OIDCCallbackView"
OIDC_OP_LOGOUT_URL_METHOD = "coopctg.accounts.oidc.logout_url"
#: Password sign-in: always when OpenID Connect is off; with it, COOPCTG_PASSWORD_LOGIN=0
#: closes it for the whole instance (one switch, not per Caf).
COOPCTG_PASSWORD_LOGIN = not COOPCTG_OIDC_ENABLED or env_bool("COOPCTG_PASSWORD_LOGIN", True)
# A refused identity at the callback is not a guessed password: django-axes ignores it.
AXES_WHITELIST_CALLABLE = "coopctg.accounts.oidc.is_oidc_callback"
if COOPCTG_OIDC_ENABLED:
    _oidc_required = {
        "COOPCTG_OIDC_CLIENT_SECRET": OIDC_RP_CLIENT_SECRET,
        "COOPCTG_OIDC_ISSUER": COOPCTG_OIDC_ISSUER,
        "COOPCTG_OIDC_AUTHORIZATION_ENDPOINT": OIDC_OP_AUTHORIZATION_ENDPOINT,
        "COOPCTG_OIDC_TOKEN_ENDPOINT": OIDC_OP_TOKEN_ENDPOINT,
        "COOPCTG_OIDC_USERINFO_ENDPOINT": OIDC_OP_USER_ENDPOINT,
        "COOPCTG_OIDC_JWKS_ENDPOINT": OIDC_OP_JWKS_ENDPOINT,
    }
    _oidc_missing = [name for name, value in _oidc_required.items() if not value]
    if _oidc_missing:
        raise RuntimeError(
            "Connexion OpenID Connect (COOPCTG_OIDC_CLIENT_ID est défini) : définissez aussi "
            + ", ".join(_oidc_missing)
            + " (voir « coopctg oidc decouvrir »)."
        )
    AUTHENTICATION_BACKENDS.append("coopctg.accounts.oidc.OIDCBackend")
    if not COOPCTG_PASSWORD_LOGIN:
        AUTHENTICATION_BACKENDS.remove("django.contrib.auth.backends.ModelBackend")

LANGUAGE_CODE = "fr-fr"
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
# Numbers are formatted explicitly (|euros, |etp, |nombre… in coopctg/core/formats.py): an id or
# a year must never read « 2 025 », so Django does not group digits on its own.
USE_THOUSAND_SEPARATOR = False

STATIC_URL = "static/"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
# WhiteNoise serves the assets from the application itself, in production too (no CDN):
# straight from the package, or from COOPCTG_STATIC_ROOT after « coopctg collectstatic ».
STATIC_ROOT = os.environ.get("COOPCTG_STATIC_ROOT") or None
WHITENOISE_USE_FINDERS = STATIC_ROOT is None
MEDIA_ROOT = Path(os.environ.get("COOPCTG_MEDIA_ROOT", BASE_DIR / "media"))
#: Signs the backups (coopctg.core.backup); unset: a key derived from SECRET_KEY.
COOPCTG_BACKUP_KEY = os.environ.get("COOPCTG_BACKUP_KEY", "")

SESSION_COOKIE_AGE = 8 * 3600  # a working day; the session also ends with the browser
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Content-Security-Policy: everything from the application itself, never inline (no
# « unsafe-inline »): scripts and styles are static files; SVG charts use attributes.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
if COOPCTG_OIDC_END_SESSION_ENDPOINT:
    # The « Se déconnecter » form answers with a redirect to the provider's logout: browsers
    # apply form-action to that redirect too.
    _end_session = urlsplit(COOPCTG_OIDC_END_SESSION_ENDPOINT)
    SECURE_CSP["form-action"].append(f"{_end_session.scheme}://{_end_session.netloc}")

if not DEBUG:
    # Production (DJANGO_DEBUG=0): HTTPS only. Behind a reverse proxy that terminates TLS,
    # set DJANGO_PROXY_SSL_HEADER=1 so that X-Forwarded-Proto tells Django the request was
    # secure (the proxy must overwrite that header).
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SSL_REDIRECT", True)
    # The load balancer's health check (« /sante/ ») may probe over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^sante/$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if env_bool("DJANGO_PROXY_SSL_HEADER", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

# E-mail: printed on the console in development; in production, SMTP configured by
# DJANGO_EMAIL_HOST, DJANGO_EMAIL_PORT, DJANGO_EMAIL_USER, DJANGO_EMAIL_PASSWORD and
# DJANGO_EMAIL_TLS (1: STARTTLS), or another backend named by DJANGO_EMAIL_BACKEND.
EMAIL_BACKEND_NAME = os.environ.get(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
MAILERS = {"default": {"BACKEND": EMAIL_BACKEND_NAME}}
if EMAIL_BACKEND_NAME.endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "host": os.environ.get("DJANGO_EMAIL_HOST", "localhost"),
        "port": int(os.environ.get("DJANGO_EMAIL_PORT", "25")),
        "username": os.environ.get("DJANGO_EMAIL_USER") or None,
        "password": os.environ.get("DJANGO_EMAIL_PASSWORD") or None,
        "use_tls": env_bool("DJANGO_EMAIL_TLS", False),
        "timeout": 10,
    }
COOPCTG_BASE_URL = os.environ.get("COOPCTG_BASE_URL", "http://127.0.0.1:8000")
#: Days an invitation link stays valid (coopctg/accounts/invitations.py).
COOPCTG_INVITATION_DAYS = int(os.environ.get("COOPCTG_INVITATION_DAYS", "7"))
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "coopctg@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

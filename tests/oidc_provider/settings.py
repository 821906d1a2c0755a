"""Settings of the test provider: configured by the suite through the environment.

- ``OIDC_TEST_SITE_URL``: http://127.0.0.1:PORT (the issuer is this URL + ``/openid``);
- ``OIDC_TEST_DB``: path of its own SQLite file (never the suite's database).
"""

import os

DEBUG = False
SECRET_KEY = "test-provider-only-not-a-secret"  # a throwaway test server
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
SITE_URL = os.environ["OIDC_TEST_SITE_URL"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "oidc_provider",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
ROOT_URLCONF = "tests.oidc_provider.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [os.path.join(os.path.dirname(__file__), "templates")],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]
DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["OIDC_TEST_DB"]}
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast, test only
USE_TZ = True
LOGIN_URL = "/connexion/"

# What ProConnect sends: the ID token carries acr and amr; the user info, the e-mail and the
# scopes given_name, usual_name, siret, uid.
OIDC_IDTOKEN_SUB_GENERATOR = "tests.oidc_provider.claims.sub"
OIDC_USERINFO = "tests.oidc_provider.claims.userinfo"
OIDC_EXTRA_SCOPE_CLAIMS = "tests.oidc_provider.claims.ProConnectScopeClaims"
OIDC_IDTOKEN_PROCESSING_HOOK = "tests.oidc_provider.claims.add_acr_amr"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

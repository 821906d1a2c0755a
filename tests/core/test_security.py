"""Production settings, the Content-Security-Policy and the other security headers."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "coopctg" / "templates"


def deploy_check(**env: str) -> subprocess.CompletedProcess:
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "coopctg.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "coopctg.caf37.example.fr",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_check_without_a_warning():
    result = deploy_check()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_deploy_check_catches_an_insecure_setting():
    """The check above can fail: HSTS turned off is reported."""
    result = deploy_check(DJANGO_HSTS_SECONDS="0")
    assert result.returncode != 0 and "security.W004" in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = deploy_check(DJANGO_SECRET_KEY="")
    assert result.returncode != 0 and "DJANGO_SECRET_KEY doit être défini" in result.stderr


def test_pages_carry_a_content_security_policy_without_inline(client):
    response = client.get(reverse("login"))
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    # Every powerful browser feature denied; never stored (tests/core/test_headers.py).
    assert "camera=()" in response["Permissions-Policy"]
    assert "no-store" in response["Cache-Control"]


def test_the_headers_middleware_sees_every_response_but_static_files_keep_their_cache():
    """Placed before WhiteNoise: static files get the Permissions-Policy too, and the
    middleware recognises them (WhiteNoiseFileResponse) to leave their long cache alone."""
    from django.conf import settings

    middleware = settings.MIDDLEWARE
    headers = middleware.index("coopctg.core.middleware.SecurityHeadersMiddleware")
    assert headers < middleware.index("whitenoise.middleware.WhiteNoiseMiddleware")


#: Inline code the CSP would block (a JSON data block is not code: the browser never runs it).
INLINE = re.compile(
    r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>|<style\b|\sstyle=|\son[a-z]+=",
    re.I,
)


def test_served_templates_hold_no_inline_script_or_style():
    """The CSP blocks inline code: a page template with some would break in the browser.
    PDF templates (rendered by WeasyPrint, never served as pages) may hold their styles."""
    offenders = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0).strip()}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        if "pdf" not in path.relative_to(TEMPLATES).parts
        for match in INLINE.finditer(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_login_throttling_locks_an_address_and_only_delays_an_account(settings):
    """tests/accounts/test_throttling.py tests the rules; here, that they are on."""
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AXES_HANDLER == "coopctg.accounts.throttling.ThrottlingHandler"
    assert "coopctg.accounts.throttling.KnownDeviceMiddleware" in settings.MIDDLEWARE
    assert settings.COOPCTG_LOGIN_MAX_DELAY.total_seconds() <= 60  # never a lock

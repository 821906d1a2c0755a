"""``/sante/``: the load balancer's health check."""

import json

import pytest
from django.contrib.sessions.models import Session
from django.db import OperationalError
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_database_answers_200_ok_without_sign_in_session_or_cache(
    client, django_assert_num_queries
):
    with django_assert_num_queries(1):  # SELECT 1, no session read
        response = client.get("/sante/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {"etat": "ok", "base": "ok"}
    assert not response.cookies  # no session, no CSRF cookie
    assert "no-store" in response["Cache-Control"]
    assert Session.objects.count() == 0
    assert client.head(reverse("health")).status_code == 200


def test_a_signed_in_browser_gets_the_same_answer_and_no_new_cookie(client, touraine):
    client.force_login(touraine.admin)
    response = client.get("/sante/")
    assert json.loads(response.content) == {"etat": "ok", "base": "ok"}
    assert not response.cookies


def test_the_database_down_503_and_nothing_leaks(client, monkeypatch, caplog):
    def broken(self):
        raise OperationalError("connection to server at 10.0.0.5 failed: secret détail")

    monkeypatch.setattr("django.db.backends.base.base.BaseDatabaseWrapper.cursor", broken)
    response = client.get("/sante/")
    assert response.status_code == 503
    assert json.loads(response.content) == {"etat": "erreur", "base": "erreur"}
    assert b"10.0.0.5" not in response.content and b"secret" not in response.content
    assert "la base ne répond pas" in caplog.text  # for the operator, in the log


def test_only_get_and_head(client):
    assert client.post("/sante/").status_code == 405


def test_exempt_from_the_https_redirection_in_production(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = [r"^sante/$"]
    browser = Client()
    assert browser.get("/sante/").status_code == 200
    assert browser.get("/connexion/").status_code == 301


def test_production_settings_keep_connections_with_health_checks():
    import subprocess
    import sys

    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='coopctg.settings'; "
        "from django.conf import settings as s; d=s.DATABASES['default']; "
        "print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'], s.SECURE_REDIRECT_EXEMPT)"
    )
    env = {"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "x" * 50, "PATH": ""}
    production = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert production.stdout.split(" ", 2)[:2] == ["60", "True"]
    assert "sante" in production.stdout
    env["DJANGO_CONN_MAX_AGE"] = "0"
    chosen = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert chosen.stdout.startswith("0 True")

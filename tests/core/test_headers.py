"""Permissions-Policy on every response; ``Cache-Control: private, no-store`` on everything that
may carry personal or financial data (pages of a signed-in user, documents, exports, the API),
never on static files (WhiteNoise keeps their long cache)."""

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from coopctg.api.models import ApiToken
from coopctg.core.middleware import PERMISSIONS_POLICY
from tests.factories import DEMO_PASSWORD


def assert_no_store(response):
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives, response["Cache-Control"]
    assert "public" not in directives


def assert_permissions_policy(response):
    policy = response["Permissions-Policy"]
    assert policy == PERMISSIONS_POLICY
    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "interest-cohort"):
        assert f"{feature}=()" in policy


def test_the_policy_denies_powerful_features_to_every_origin():
    directives = [d.strip() for d in PERMISSIONS_POLICY.split(",")]
    assert all(d.endswith("=()") for d in directives)
    assert len(directives) == len(set(directives)) >= 10


def test_a_page_of_a_signed_in_user_is_never_stored(client, touraine):
    client.force_login(touraine.admin)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert_permissions_policy(response)
    assert_no_store(response)


@pytest.mark.parametrize(
    ("url", "media_type"),
    [
        (
            reverse("payments:xlsx", kwargs={"annee": 2023}),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (reverse("payments:csv", kwargs={"annee": 2023}), "text/csv"),
    ],
    ids=["xlsx", "csv"],
)
def test_exports_are_never_stored(client, touraine, url, media_type):
    client.force_login(touraine.admin)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith(media_type)
    assert_permissions_policy(response)
    assert_no_store(response)


def test_a_pdf_is_never_stored(client, touraine):
    client.force_login(touraine.admin)
    response = client.get(reverse("evaluation:pdf", args=[touraine.ctg_own.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert_permissions_policy(response)
    assert_no_store(response)


def test_the_api_is_never_stored_even_with_a_token_only(client, touraine):
    _token, secret = ApiToken.create_for(touraine.admin, "essai")
    response = client.get(reverse("api:ctgs"), headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200 and response.json()["total"] >= 1
    assert_permissions_policy(response)
    assert_no_store(response)
    refused = client.get(reverse("api:ctgs"))  # anonymous: JSON data all the same
    assert refused.status_code == 401
    assert_no_store(refused)


def test_static_files_keep_their_cache(client, touraine):
    assert finders.find("coopctg/css/coopctg.css")
    client.force_login(touraine.admin)  # even for a signed-in user
    response = client.get("/static/coopctg/css/coopctg.css")
    assert response.status_code == 200
    response.close()
    assert "no-store" not in response.get("Cache-Control", "")
    assert "max-age" in response["Cache-Control"]  # WhiteNoise's own
    assert_permissions_policy(response)


def test_the_login_page_still_works(client, touraine):
    page = client.get(reverse("login"))
    assert page.status_code == 200 and "csrfmiddlewaretoken" in page.text
    assert_permissions_policy(page)
    assert_no_store(page)  # Django's own never_cache, kept
    client.get(reverse("login"))
    response = client.post(
        reverse("login"), {"username": touraine.editor.username, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302 and client.session["_auth_user_id"]
    assert_no_store(response)
    assert client.get(reverse("home")).status_code == 200


def test_an_anonymous_redirection_carries_no_cache_control_of_its_own(client, db):
    """Nothing personal in it: the middleware adds no Cache-Control."""
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith("/connexion/")
    assert_permissions_policy(response)
    assert "Cache-Control" not in response

"""Login throttling (django-axes): repeated failures lock the user name from that address."""

import pytest
from django.test import RequestFactory, override_settings
from django.urls import reverse

from coopctg.accounts.throttling import client_ip
from tests.factories import DEMO_PASSWORD


def attempt(client, username, password, address="192.0.2.10"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_five_failures_lock_out_even_the_right_password(client, touraine):
    username = touraine.editor.username
    for _ in range(4):
        response = attempt(client, username, "mauvais-mot-de-passe")
        assert response.status_code == 200 and "Saisissez un nom d" in response.text
    locked = attempt(client, username, "mauvais-mot-de-passe")
    assert locked.status_code == 429 and "Connexion suspendue" in locked.text
    still = attempt(client, username, DEMO_PASSWORD)
    assert still.status_code == 429 and "_auth_user_id" not in client.session
    # Another address, or another user name from this one, is not locked.
    assert attempt(client, username, DEMO_PASSWORD, address="198.51.100.7").status_code == 302


def test_a_success_resets_the_count(client, touraine):
    username = touraine.editor.username
    for _ in range(4):
        attempt(client, username, "mauvais-mot-de-passe")
    assert attempt(client, username, DEMO_PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        assert attempt(client, username, "mauvais-mot-de-passe").status_code == 200
    assert attempt(client, username, DEMO_PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.9", "10.0.0.2"),  # no proxy: the header is the client's own words
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # a forged left part is ignored
        (2, "203.0.113.9, 10.0.0.1", "203.0.113.9"),
        (2, "", "10.0.0.2"),
    ],
)
def test_client_address_behind_trusted_proxies(proxies, forwarded, expected):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    with override_settings(COOPCTG_TRUSTED_PROXIES=proxies):
        assert client_ip(request) == expected

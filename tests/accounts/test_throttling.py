"""Login throttling (coopctg.accounts.throttling): rule 1, django-axes, locks a user name from
one address; rule 2 delays every further attempt for a user name failed too often from
anywhere, without ever locking the real user out."""

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse
from django.utils import timezone

from coopctg.accounts import throttling
from coopctg.accounts.models import LoginDelay
from coopctg.accounts.throttling import DEVICE_COOKIE, claim_attempt, client_ip, delay_after
from tests.factories import DEMO_PASSWORD

WRONG = "mauvais-mot-de-passe"


def attempt(client, username, password, address="192.0.2.10", **extra):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        **extra,
    )


def address(index):
    return f"203.0.113.{index + 1}"


class Clock:
    """The throttling's clock (``throttling._now``), moved by hand."""

    def __init__(self, monkeypatch):
        self.now = timezone.now()
        monkeypatch.setattr(throttling, "_now", lambda: self.now)

    def advance(self, seconds):
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def signed_in(response, client):
    return response.status_code == 302 and "_auth_user_id" in client.session


def delayed(response, seconds):
    """The answer to an attempt made too early: 429, « réessayez dans N secondes »."""
    unit = "seconde" if seconds == 1 else "secondes"
    return (
        response.status_code == 429
        and f"réessayez dans {seconds} {unit}" in response.text
        and response["Retry-After"] == str(seconds)
    )


# --- Rule 1: a user name from one address (django-axes) ---------------------------------------


def test_five_failures_lock_out_even_the_right_password(client, touraine, clock):
    username = touraine.editor.username
    for _ in range(4):
        response = attempt(client, username, WRONG)
        assert response.status_code == 200 and "Saisissez un nom d" in response.text
    locked = attempt(client, username, WRONG)
    assert locked.status_code == 429 and "Connexion suspendue" in locked.text
    assert "suspendue pendant 15 minutes" in locked.text and locked["Retry-After"] == "900"
    still = attempt(client, username, DEMO_PASSWORD)
    assert still.status_code == 429 and "_auth_user_id" not in client.session
    # Another address is not locked out: it only waits for the account's delay (rule 2).
    assert delayed(attempt(client, username, DEMO_PASSWORD, address="198.51.100.7"), 1)
    clock.advance(1)
    assert signed_in(attempt(client, username, DEMO_PASSWORD, address="198.51.100.7"), client)


def test_another_user_name_from_the_same_address_is_not_locked(client, touraine):
    for _ in range(5):
        attempt(client, touraine.editor.username, WRONG)
    assert signed_in(attempt(client, touraine.elu.username, DEMO_PASSWORD), client)


def test_a_success_resets_the_count(client, touraine):
    username = touraine.editor.username
    for _ in range(4):
        attempt(client, username, WRONG)
    assert attempt(client, username, DEMO_PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        assert attempt(client, username, WRONG).status_code == 200
    assert attempt(client, username, DEMO_PASSWORD).status_code == 302


# --- Rule 2: a user name from anywhere ----------------------------------------------------------


def test_the_delay_doubles_and_is_capped():
    assert [delay_after(n).total_seconds() for n in range(4)] == [0, 0, 0, 0]
    assert [delay_after(n).total_seconds() for n in range(5, 13)] == [
        1,
        2,
        4,
        8,
        16,
        32,
        60,
        60,
    ]
    assert delay_after(10_000) == dt.timedelta(seconds=60)


def test_failures_from_many_addresses_delay_each_further_attempt(client, touraine, clock):
    """A botnet (or forged addresses): rule 1 never fires, rule 2 does."""
    username = touraine.editor.username
    for index in range(5):
        assert attempt(client, username, WRONG, address(index)).status_code == 200
    assert not AccessAttempt.objects.filter(failures_since_start__gte=2).exists()
    # Too early: refused before the password is checked, even the right one.
    response = attempt(client, username, DEMO_PASSWORD, address(10))
    assert delayed(response, 1) and "_auth_user_id" not in client.session
    assert "Votre mot de passe n'a pas été vérifié" in response.text
    expected = [1, 2, 4, 8, 16, 32, 60, 60, 60]
    for index, wait in enumerate(expected):
        clock.advance(wait - 0.5)
        assert delayed(attempt(client, username, WRONG, address(20 + index)), 1)
        clock.advance(0.5)
        assert attempt(client, username, WRONG, address(20 + index)).status_code == 200
    assert LoginDelay.objects.get(identifiant=username).echecs == 5 + len(expected)


def test_an_attempt_made_too_early_does_not_lengthen_the_delay(client, touraine, clock):
    username = touraine.editor.username
    for index in range(7):
        clock.advance(60)
        attempt(client, username, WRONG, address(index))
    row = LoginDelay.objects.get(identifiant=username)
    assert (row.echecs, row.pas_avant - clock.now) == (7, dt.timedelta(seconds=4))
    for index in range(30):
        assert attempt(client, username, WRONG, address(index)).status_code == 429
    row.refresh_from_db()
    assert (row.echecs, row.pas_avant - clock.now) == (7, dt.timedelta(seconds=4))
    assert not AccessAttempt.objects.filter(failures_since_start__gte=2).exists()  # no rule 1
    clock.advance(4)
    assert signed_in(attempt(client, username, DEMO_PASSWORD, address(99)), client)
    assert not LoginDelay.objects.filter(identifiant=username).exists()  # a success resets


def test_the_real_user_signs_in_after_at_most_a_minute_however_long_the_attack(
    client, touraine, clock
):
    username = touraine.editor.username
    attacker = Client()
    for index in range(40):
        attempt(attacker, username, WRONG, address(index))
        clock.advance(61)
    assert LoginDelay.objects.get(identifiant=username).echecs == 40
    assert signed_in(attempt(client, username, DEMO_PASSWORD, "192.0.2.200"), client)


def test_a_browser_where_the_account_signed_in_is_not_delayed(client, touraine, clock):
    """An attacker who fires at the very end of each delay takes every slot; the real user's
    usual browser carries a signed cookie that exempts it from rule 2."""
    username = touraine.editor.username
    response = attempt(client, username, DEMO_PASSWORD)
    cookie = response.cookies[DEVICE_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["max-age"] >= 86400
    assert username not in cookie.value  # a keyed hash of the user name, signed
    client.post(reverse("logout"))  # signing out keeps the cookie (Client.logout drops all)
    assert "_auth_user_id" not in client.session and DEVICE_COOKIE in client.cookies
    attacker = Client()
    for index in range(12):
        attempt(attacker, username, WRONG, address(index))
        clock.advance(delay_after(5 + index).total_seconds())
    # The attacker takes each slot as soon as it opens: anyone else waits a minute…
    assert attempt(attacker, username, WRONG, address(50)).status_code == 200
    assert delayed(attempt(Client(), username, DEMO_PASSWORD, address(51)), 60)
    # … but not the real user, in their usual browser.
    assert signed_in(attempt(client, username, DEMO_PASSWORD), client)

    # The cookie is worth nothing for another account, nor forged.
    client.post(reverse("logout"))
    for index in range(6):
        clock.advance(60)
        attempt(attacker, touraine.elu.username, WRONG, address(index))
    assert attempt(client, touraine.elu.username, DEMO_PASSWORD).status_code == 429
    forger = Client()
    forger.cookies[DEVICE_COOKIE] = "faux:cookie"
    assert attempt(forger, touraine.elu.username, DEMO_PASSWORD).status_code == 429


def test_unknown_user_names_are_delayed_alike(client, db, clock):
    """The answers do not tell whether a user name exists."""
    for index in range(5):
        assert attempt(client, "personne-inconnue", WRONG, address(index)).status_code == 200
    assert delayed(attempt(client, "personne-inconnue", WRONG, address(9)), 1)


def test_a_series_ends_after_the_cooloff_time(client, touraine, clock, settings):
    username = touraine.editor.username
    for index in range(6):
        attempt(client, username, WRONG, address(index))
        clock.advance(2)
    LoginDelay.objects.create(
        identifiant="ancien", echecs=9, dernier_echec=clock.now, pas_avant=clock.now
    )
    clock.advance(settings.AXES_COOLOFF_TIME.total_seconds())
    assert attempt(client, username, WRONG, address(20)).status_code == 200
    assert LoginDelay.objects.get(identifiant=username).echecs == 1  # a new series
    assert not LoginDelay.objects.filter(identifiant="ancien").exists()  # cleaned up


def test_concurrent_attempts_cannot_share_a_slot(touraine, clock):
    """The slot is claimed atomically: a second attempt at the same instant waits."""
    username = touraine.editor.username
    LoginDelay.objects.create(
        identifiant=username, echecs=8, dernier_echec=clock.now, pas_avant=clock.now
    )
    assert claim_attempt(username) == dt.timedelta(0)
    assert claim_attempt(username) == dt.timedelta(seconds=8)
    clock.advance(8)
    assert claim_attempt(username) == dt.timedelta(0)


@override_settings(COOPCTG_TRUSTED_PROXIES=1)
def test_forged_forwarded_addresses_do_not_escape_the_account_delay(client, touraine, clock):
    """The application reached directly although COOPCTG_TRUSTED_PROXIES is set: each attempt
    forges another X-Forwarded-For. Rule 1 is fooled, rule 2 is not."""
    username = touraine.editor.username
    for index in range(5):
        forged = {"HTTP_X_FORWARDED_FOR": address(index)}
        assert attempt(client, username, WRONG, "192.0.2.66", **forged).status_code == 200
    assert AccessAttempt.objects.count() == 5
    forged = {"HTTP_X_FORWARDED_FOR": address(30)}
    assert delayed(attempt(client, username, DEMO_PASSWORD, "192.0.2.66", **forged), 1)


# --- The client address -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.9", "10.0.0.2"),  # no proxy: the header is the client's own words
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # a forged left part is ignored
        (2, "203.0.113.9, 10.0.0.1", "203.0.113.9"),
        (2, "6.6.6.6, 203.0.113.9, 10.0.0.1", "203.0.113.9"),
        (2, "", "10.0.0.2"),
        (2, "203.0.113.9", "10.0.0.2"),  # fewer hops than proxies: not through them
        (1, "pas une adresse", "10.0.0.2"),
        (1, "203.0.113.9:4711", "10.0.0.2"),
        (1, "2001:DB8::1", "2001:db8::1"),
    ],
)
def test_client_address_behind_trusted_proxies(proxies, forwarded, expected):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    with override_settings(COOPCTG_TRUSTED_PROXIES=proxies):
        assert client_ip(request) == expected


@override_settings(COOPCTG_TRUSTED_PROXIES=1)
def test_a_forwarded_value_that_is_no_address_is_recorded_as_the_remote_address(client, touraine):
    """PostgreSQL stores the address as ``inet``: a forged word would be a server error."""
    forged = {"HTTP_X_FORWARDED_FOR": "<script>"}
    assert (
        attempt(client, touraine.editor.username, WRONG, "192.0.2.7", **forged).status_code == 200
    )
    assert AccessAttempt.objects.get().ip_address == "192.0.2.7"


def test_the_browser_cookie_is_secure_in_production(client, touraine, settings):
    settings.SESSION_COOKIE_SECURE = True  # DJANGO_DEBUG=0
    response = attempt(client, touraine.editor.username, DEMO_PASSWORD)
    assert response.cookies[DEVICE_COOKIE]["secure"]

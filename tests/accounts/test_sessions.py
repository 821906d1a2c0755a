"""Sign-in records: the session key itself is never stored; ending a session by its
fingerprint only ends one's own."""

from django.contrib.sessions.models import Session
from django.test import Client

from coopctg.accounts.models import LoginSession
from coopctg.accounts.sessions import KEPT_PER_USER, end_sessions, session_hash


def test_only_the_fingerprint_of_the_session_key_is_stored(touraine):
    browser = Client()
    browser.force_login(touraine.elu)
    key = browser.session.session_key
    record = LoginSession.objects.get(user=touraine.elu)
    assert record.empreinte_session == session_hash(key)
    assert key not in " ".join(str(v) for v in LoginSession.objects.values_list().get())


def test_ending_someone_elses_session_by_fingerprint_does_nothing(touraine):
    browser = Client()
    browser.force_login(touraine.elu)
    fingerprint = session_hash(browser.session.session_key)
    assert end_sessions(touraine.editor, only=fingerprint) == 0
    assert Session.objects.count() == 1
    assert end_sessions(touraine.elu, only=fingerprint) == 1
    assert not Session.objects.exists()
    assert LoginSession.objects.get().fin is not None


def test_only_the_last_sign_ins_are_kept(touraine):
    browser = Client()
    for _ in range(KEPT_PER_USER + 3):
        browser.force_login(touraine.elu)
    assert LoginSession.objects.filter(user=touraine.elu).count() == KEPT_PER_USER

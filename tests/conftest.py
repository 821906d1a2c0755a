"""Strict test configuration: unknown template variables fail, warnings are errors."""

import pytest
from django.template import engines


class InvalidTemplateVariable(str):
    """``string_if_invalid`` that fails the test on an unknown variable."""

    def __contains__(self, item: object) -> bool:
        return item == "%s"

    def __mod__(self, other: object) -> str:
        raise AssertionError(f"Variable de gabarit inconnue : {other!r}")


@pytest.fixture(autouse=True)
def _strict_templates():
    engine = engines["django"].engine
    previous = engine.string_if_invalid
    engine.string_if_invalid = InvalidTemplateVariable("%s")
    yield
    engine.string_if_invalid = previous


@pytest.fixture(autouse=True)
def _test_settings(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    # Background tasks (the PDFs) run within the request; tests/background/ also run the
    # database queue and its worker.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    # Real hashing costs ~0.3 s per password: tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def touraine(db):
    """A small Touraine world: the Caf, two collectivités, their Ctg, one user per role."""
    from tests.factories import build_touraine

    return build_touraine()


@pytest.fixture(scope="session")
def live_server(live_server, django_db_setup, django_db_blocker):
    """pytest-django's live server, and on PostgreSQL no connection of its request threads left
    behind when the test database is dropped at the end of the session (a browser's last
    keep-alive request may still hold one)."""
    yield live_server
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    live_server.stop()
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture
def computed_afresh(monkeypatch):
    """What is kept per Caf until its data change (:mod:`coopctg.core.versions`) computed at
    every call: for the tests that count the queries of the computation itself, before and
    after the data grow."""
    from coopctg.core.versions import PerCafMemo

    original = PerCafMemo.get

    def get(self, *args, **kwargs):
        self.clear()
        return original(self, *args, **kwargs)

    monkeypatch.setattr(PerCafMemo, "get", get)

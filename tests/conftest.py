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
    # Real hashing costs ~0.3 s per password: tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def touraine(db):
    """A small Touraine world: the Caf, two collectivités, their Ctg, one user per role."""
    from tests.factories import build_touraine

    return build_touraine()

"""Fixtures shared with the eligibility tests: the clock and the architecture of ``own``."""

from tests.funding.test_eligibility_views import architecture, clock  # noqa: F401

"""Fixtures of the bilan tests: the référentiel, a frozen today, a signed Cof for ``own``."""

import datetime as dt

import pytest

from coopctg.framework.loader import load_framework
from coopctg.reports import workflow
from tests.agreements.helpers import make_cof

TODAY = dt.date(2025, 2, 15)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(workflow, "today", lambda: TODAY)


@pytest.fixture
def framework(db):
    return load_framework()


@pytest.fixture
def cof(touraine, framework):
    return make_cof(touraine.admin, touraine.ctg_own, touraine.own, "COF-37-2022-001")


@pytest.fixture
def report(touraine, cof):
    return workflow.do_create_report(touraine.editor, cof, 2024)

"""Fixtures of the recruitment tests: the référentiel, a frozen today, recruitments at any stage."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from coopctg.framework.loader import load_framework
from coopctg.framework.models import ExpectedOutput
from coopctg.recruitment import workflow
from coopctg.recruitment.models import Opinion, Recruitment, Stage

TODAY = dt.date(2025, 3, 15)

#: The attendus of the example post: two of mission 1, one of mission 2 (with its précision).
CODES = ["M1.O1.A1", "M1.O2.A1", "M2.O3.A1"]


@pytest.fixture
def frozen_today(monkeypatch):
    real = timezone.localdate

    def localdate(value=None, timezone=None):
        return TODAY if value is None else real(value, timezone)

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)
    return TODAY


@pytest.fixture
def framework(db):
    return load_framework()


def attendus(*codes: str) -> list[ExpectedOutput]:
    return list(ExpectedOutput.objects.filter(code__in=codes or CODES).order_by("pk"))


def post(w, version, **changes) -> workflow.PostInput:
    values = {
        "collectivite": w.own,
        "ctg": w.ctg_own,
        "intitule": "Chargé·e de coopération Ctg petite enfance et parentalité",
        "type_poste": "thematique",
        "etp": {"petite_enfance": Decimal("0.40"), "parentalite": Decimal("0.40")},
        "attendus": attendus(),
        "referentiel": version,
    }
    values.update(changes)
    return workflow.PostInput(**values)


def make_recruitment(w, version, *, user=None, **changes) -> Recruitment:
    return workflow.do_create_recruitment(user or w.editor, post(w, version, **changes))


def bring_to(w, recruitment: Recruitment, stage: Stage) -> Recruitment:
    """Move ``recruitment`` forward to ``stage`` the ordinary way: the Caf's staff member
    invited, the collectivité's choice named, the advisor's opinion given when the way goes
    past « Avis de la Caf » (reaching « Avis de la Caf » leaves it without an opinion)."""
    if recruitment.caf_invite_id is None:
        recruitment = workflow.do_invite_caf(w.editor, recruitment, w.staff, TODAY)
    while recruitment.stage != stage:
        if recruitment.stage == Stage.AVIS_CAF and not recruitment.has_opinion:
            recruitment = workflow.do_give_opinion(
                w.advisor, recruitment, Opinion.FAVORABLE, "Profil conforme aux attendus."
            )
        recruitment = workflow.do_advance_stage(
            w.editor, recruitment, candidat_pressenti="Camille Martin"
        )
    return recruitment

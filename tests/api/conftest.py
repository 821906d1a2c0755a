"""The API tests' world: ``touraine`` with Cofs and requests (tests/agreements/helpers.py),
instances, plans d'actions and bilans for ``own`` and ``other``; tokens for each role."""

import datetime as dt
import json
from decimal import Decimal

import pytest

from coopctg.api.models import ApiToken
from tests.agreements.helpers import build_agreements
from tests.www.permission_rules.common import ROLES


def add_plan(ctg, code="A01"):
    from coopctg.actionplan.models import Action, Indicator, IndicatorValue

    action = Action.objects.create(
        ctg=ctg,
        code=code,
        position=1,
        titre="Ouvrir un relais petite enfance",
        themes=["petite_enfance"],
        date_debut=dt.date(2023, 1, 1),
        date_fin=dt.date(2024, 6, 30),
        statut="en_cours",
        avancement=40,
    )
    indicator = Indicator.objects.create(
        action=action, position=1, libelle=f"Familles accueillies {code}", cible=Decimal("120")
    )
    IndicatorValue.objects.create(indicator=indicator, year=2023, value=Decimal("45"))
    return action, indicator


def add_meeting(ctg, day=dt.date(2024, 3, 12), kind="copil"):
    from coopctg.governance.models import Decision, Meeting

    meeting = Meeting.objects.create(
        ctg=ctg, kind=kind, date=day, lieu="Neuvy-le-Roi", objet="Copil annuel"
    )
    Decision.objects.create(meeting=meeting, position=1, texte="Ouvrir un LAEP", action_ref="A01")
    return meeting


def add_report(cof, year, framework):
    from coopctg.reports.models import AnnualReport

    return AnnualReport.objects.create(cof=cof, annee=year, referentiel=framework)


def add_mission_2(w):
    """A diagnostic, a commission (with an alert) and a besoin on ``own``, ``other`` and
    ``foreign``'s Ctg; the diagnostic of ``own`` is validated at ``w.meeting_own``'s Copil."""
    from coopctg.diagnostic.models import Diagnostic, Enjeu, Need
    from tests.diagnostic.helpers import add_commission

    for name in ("own", "other", "foreign"):
        ctg = getattr(w, f"ctg_{name}")
        meeting = getattr(w, f"meeting_{name}")
        validated = {"copil": meeting, "valide_le": meeting.date} if name == "own" else {}
        diagnostic = Diagnostic.objects.create(
            ctg=ctg, version=1, date=dt.date(2024, 2, 1), **validated
        )
        enjeu = Enjeu.objects.create(
            diagnostic=diagnostic,
            theme="petite_enfance",
            intitule="Places d'accueil",
            indicateurs=["txcouv_global"],
        )
        enjeu.actions.set([getattr(w, f"action_{name}")])
        setattr(w, f"diagnostic_{name}", diagnostic)
        setattr(w, f"commission_{name}", add_commission(ctg))
        setattr(
            w,
            f"besoin_{name}",
            Need.objects.create(
                ctg=ctg,
                date=dt.date(2025, 3, 1),
                theme="petite_enfance",
                tranche_age="0-3",
                nature="place",
                source="service",
                description="Une place en crèche à temps partiel.",
            ),
        )


def add_mission_4(w):
    """A consultation (with a questionnaire) and a support on each Ctg."""
    from tests.participation.helpers import add_consultation, add_questionnaire, add_support

    for name in ("own", "other", "foreign"):
        ctg = getattr(w, f"ctg_{name}")
        consultation = add_consultation(ctg)
        add_questionnaire(consultation)
        setattr(w, f"consultation_{name}", consultation)
        add_support(ctg)


@pytest.fixture
def world(touraine):
    from coopctg.framework.loader import load_framework

    w = build_agreements(touraine)
    w.framework = load_framework()
    w.meeting_own = add_meeting(w.ctg_own)
    w.meeting_other = add_meeting(w.ctg_other)
    w.meeting_foreign = add_meeting(w.ctg_foreign)
    w.action_own, w.indicator_own = add_plan(w.ctg_own)
    w.action_other, w.indicator_other = add_plan(w.ctg_other)
    w.action_foreign, _ = add_plan(w.ctg_foreign)
    w.bilan_own = add_report(w.cof_own, 2023, w.framework)
    w.bilan_other = add_report(w.cof_other, 2023, w.framework)
    add_mission_2(w)
    add_mission_4(w)
    add_partners(w)
    w.tokens = {role: ApiToken.create_for(getattr(w, role), "essai")[1] for role in ROLES}
    return w


class Api:
    """Calls with a Bearer token (or none): JSON in, response out."""

    def __init__(self, client):
        self.client = client

    def __call__(self, method, url, token=None, body=None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        kwargs = {"headers": headers}
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        return getattr(self.client, method.lower())(url, **kwargs)


@pytest.fixture
def call(client):
    return Api(client)


def add_partners(w):
    """A partner in each Caf's directory (coopctg/partners)."""
    from coopctg.partners.models import Partner

    w.partner_a, w.partner_b = (
        Partner.objects.create(
            caf=caf,
            identifiant=code,
            nom=f"Association {code} (fictive)",
            kind="association",
            date_maj=dt.date(2025, 1, 1),
        )
        for caf, code in ((w.caf, "a"), (w.caf_b, "b"))
    )

"""The condition « transmettre un bilan annuel » becomes automatic once there is a Cof."""

import datetime as dt

from coopctg.funding.rules.eligibility import (
    AnnualReportFact,
    ConditionState,
    EligibilityFacts,
    eligibility_checklist,
)
from coopctg.reports import workflow
from coopctg.reports.services import annual_report_fact


def facts(report=None, declared=False):
    return EligibilityFacts(
        ctg_title="Ctg",
        ctg_signed=True,
        ctg_start=dt.date(2022, 1, 1),
        ctg_end=dt.date(2026, 12, 31),
        effective_date=dt.date(2024, 1, 1),
        today=dt.date(2024, 1, 1),
        collectivite_is_signatory=True,
        total_etp_positive=True,
        lines_outside_ctg=0,
        declared_annual_report=declared,
        annual_report=report,
    )


def condition(report=None, declared=False):
    checklist = eligibility_checklist(facts(report, declared))
    return next(c for c in checklist if c.code == "bilan_annuel")


def test_without_cof_the_declaration_applies():
    assert condition(None, declared=True).state is ConditionState.SATISFIED
    assert condition(None).state is ConditionState.TO_DECLARE


def test_transmitted_report_satisfies_whatever_the_declaration():
    fact = AnnualReportFact(2024, dt.date(2025, 3, 31), dt.date(2025, 3, 15))
    result = condition(fact)
    assert result.state is ConditionState.SATISFIED
    assert result.proof == "bilan 2024 transmis le 15/03/2025"


def test_overdue_report_is_not_satisfied_even_if_declared():
    fact = AnnualReportFact(2024, dt.date(2025, 3, 31), None, overdue=True)
    result = condition(fact, declared=True)
    assert result.state is ConditionState.NOT_SATISFIED
    assert "31/03/2025" in result.proof


def test_fact_read_from_the_database(touraine, cof, report):
    w = touraine
    assert annual_report_fact(w.ctg_own.pk, w.other.pk) is None
    before = annual_report_fact(w.ctg_own.pk, w.own.pk, dt.date(2025, 2, 15))
    assert (before.year, before.transmitted_on, before.overdue) == (2023, None, True)
    workflow.do_create_report(w.editor, cof, 2023)
    report_2023 = cof.bilans.get(annee=2023)
    workflow.do_transmit(w.editor, report_2023)
    after = annual_report_fact(w.ctg_own.pk, w.own.pk, dt.date(2025, 2, 15))
    assert after.year == 2023 and after.transmitted_on is not None


def test_report_still_to_transmit_is_not_a_declaration():
    fact = AnnualReportFact(2024, dt.date(2025, 3, 31), None)
    result = condition(fact)
    assert result.state is ConditionState.TO_TRANSMIT and result.state_label == "à transmettre"
    assert result.proof == "bilan 2024 à transmettre au plus tard le 31/03/2025"


def test_late_transmission_says_so():
    fact = AnnualReportFact(2024, dt.date(2025, 3, 31), dt.date(2025, 4, 2), overdue=True)
    result = condition(fact)
    assert result.state is ConditionState.SATISFIED
    assert result.proof == (
        "bilan 2024 transmis après l'échéance (le 02/04/2025, échéance du 31/03/2025)"
    )
    on_time = AnnualReportFact(2024, dt.date(2025, 3, 31), dt.date(2025, 3, 31))
    assert condition(on_time).proof == "bilan 2024 transmis le 31/03/2025"


def test_declaration_of_the_bilan_is_offered_only_without_a_cof(client, touraine, framework):
    from django.urls import reverse

    from tests.agreements.helpers import make_cof
    from tests.factories import seed_architecture

    w = touraine
    architecture = seed_architecture(w.ctg_own, w.own)
    url = reverse("funding:architecture", args=[architecture.pk])
    client.force_login(w.editor)
    assert 'name="declaration_bilan"' in client.get(url).content.decode()
    make_cof(w.admin, w.ctg_own, w.own, "COF-37-2022-001")
    page = client.get(url).content.decode()
    assert 'name="declaration_bilan"' not in page and 'name="declaration_attendus"' in page
    # Posting it anyway changes nothing: the condition is read from the bilans.
    client.post(
        reverse("funding:architecture_declarations", args=[architecture.pk]),
        {"declaration_bilan": "on", "declaration_attendus": "on"},
    )
    architecture.refresh_from_db()
    assert not architecture.declaration_bilan and architecture.declaration_attendus

"""The functions other parts of the application call: governance_status, highlights."""

import datetime as dt

from coopctg.ctg.models import Ctg
from coopctg.governance.models import Highlight, Meeting
from coopctg.governance.rules import MeetingKind, Status
from coopctg.governance.services import governance_status, governance_statuses, highlights


def test_governance_status_of_a_ctg(touraine):
    ctg = touraine.ctg_own  # 2022-2026
    Meeting.objects.create(ctg=ctg, kind="copil", date=dt.date(2022, 5, 1))
    Meeting.objects.create(ctg=ctg, kind="cotech", date=dt.date(2022, 5, 1))
    status = governance_status(ctg, today=dt.date(2023, 3, 1))
    assert status.ctg_id == ctg.pk and status.unavailable == ""
    assert [(p.key, p.status) for p in status.copil] == [
        ("2022", Status.CONFORME),
        ("2023", Status.EN_COURS),
        ("2024", Status.A_VENIR),
        ("2025", Status.A_VENIR),
        ("2026", Status.A_VENIR),
    ]
    assert [(p.key, p.status) for p in status.cotech[:3]] == [
        ("2022-S1", Status.CONFORME),
        ("2022-S2", Status.NON_CONFORME),
        ("2023-S1", Status.EN_COURS),
    ]
    assert status.compliant is False and status.non_compliant_count == 1
    assert [a.code.value for a in status.alerts] == [
        "COTECH_MANQUANT",
        "COPIL_A_ORGANISER",
        "COTECH_A_ORGANISER",
    ]
    assert status.compliance.period(MeetingKind.COTECH, "2022-S2").minimum.value == 1


def test_governance_status_without_parameters(touraine, only_touraine_parameters):
    status = governance_status(touraine.ctg_foreign, today=dt.date(2023, 3, 1))
    assert status.compliance is None and status.compliant is None
    assert status.periods == () and status.alerts == ()
    assert "Caf de Loir-et-Cher" in status.unavailable


def test_governance_statuses_in_one_query(touraine, django_assert_num_queries):
    Meeting.objects.create(ctg=touraine.ctg_other, kind="cotech", date=dt.date(2022, 2, 1))
    ctgs = list(Ctg.objects.select_related("caf").order_by("pk"))
    with django_assert_num_queries(1):
        statuses = governance_statuses(ctgs, today=dt.date(2022, 8, 1))
    assert set(statuses) == {c.pk for c in ctgs}
    other = statuses[touraine.ctg_other.pk]
    assert other.compliance.period(MeetingKind.COTECH, "2022-S1").status is Status.CONFORME
    own = statuses[touraine.ctg_own.pk]
    assert own.compliance.period(MeetingKind.COTECH, "2022-S1").status is Status.NON_CONFORME


def test_highlights_of_a_ctg_by_year(touraine):
    def add(ctg, day, title):
        return Highlight.objects.create(
            ctg=ctg, kind="service", date=day, theme="enfance", intitule=title, description="…"
        )

    b = add(touraine.ctg_own, dt.date(2024, 12, 31), "b")
    a = add(touraine.ctg_own, dt.date(2023, 1, 1), "a")
    c = add(touraine.ctg_own, dt.date(2025, 1, 1), "c")
    add(touraine.ctg_other, dt.date(2024, 6, 1), "autre Ctg")
    assert list(highlights(touraine.ctg_own)) == [a, b, c]
    assert list(highlights(touraine.ctg_own, year=2024)) == [b]
    assert list(highlights(touraine.ctg_own, year=2022)) == []

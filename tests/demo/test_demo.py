import pytest
from django.core.management import call_command

from coopctg.accounts.models import User
from coopctg.agreements.models import AgreementVersion
from coopctg.ctg.models import Ctg
from coopctg.funding.models import FundingArchitecture


@pytest.mark.django_db
def test_demo_loads_and_reloads_without_duplicates(capsys):
    call_command("demo", "charger")
    out = capsys.readouterr().out
    assert "DÉMONSTRATION UNIQUEMENT" in out and "admin.caf" in out
    counts = (
        Ctg.objects.count(),
        User.objects.count(),
        FundingArchitecture.objects.count(),
        AgreementVersion.objects.count(),
    )
    assert counts[0] == 11 and counts[3] == 2
    call_command("demo", "charger", "--sans-territoires")
    assert (
        Ctg.objects.count(),
        User.objects.count(),
        FundingArchitecture.objects.count(),
        AgreementVersion.objects.count(),
    ) == counts


@pytest.mark.django_db
def test_demo_follow_up_of_the_gatine_ctg(capsys):
    from django.utils import timezone

    from coopctg.actionplan.models import Action, Indicator, IndicatorValue
    from coopctg.actionplan.services import plan_summary
    from coopctg.governance.models import Decision, Highlight, Meeting
    from coopctg.governance.rules import Status as PeriodStatus
    from coopctg.governance.services import governance_status
    from coopctg.reports.models import AnnualReport, AttenduAssessment

    def counts():
        return tuple(
            model.objects.count()
            for model in (
                Action,
                Indicator,
                IndicatorValue,
                Meeting,
                Decision,
                Highlight,
                AnnualReport,
                AttenduAssessment,
            )
        )

    call_command("demo", "charger")
    first = counts()
    call_command("demo", "charger", "--sans-territoires")
    assert counts() == first
    assert "Suivi de démonstration" in capsys.readouterr().out

    ctg = Ctg.objects.get(cofs__numero="COF-37-2022-001")
    today = timezone.localdate()
    assert 6 <= Action.objects.filter(ctg=ctg).count() <= 8
    assert plan_summary(ctg, today)["overall"]["overdue"] >= 1
    assert Decision.objects.filter(meeting__ctg=ctg).exclude(action_ref="").exists()
    assert Meeting.objects.filter(ctg=ctg, date__gt=today).count() >= 2
    assert {h.kind for h in Highlight.objects.filter(ctg=ctg)} == {
        "service",
        "partenariat",
        "competence",
    }

    status = governance_status(ctg, today)
    missing = [p.key for p in status.cotech if p.status is PeriodStatus.NON_CONFORME]
    assert missing == ["2024-S2"]
    assert all(p.status is not PeriodStatus.NON_CONFORME for p in status.copil)
    assert status.compliant is False and status.alerts

    reports = {r.annee: r for r in AnnualReport.objects.filter(cof__ctg=ctg)}
    assert {year: r.statut for year, r in reports.items()} == {
        2022: "valide",
        2023: "valide",
        2024: "transmis",
        2025: "brouillon",
    }
    assert reports[2022].valide_le and reports[2022].valide_par.username == "admin.caf"
    assert reports[2024].premiere_transmission_le and reports[2024].valide_le is None
    assert reports[2025].transmis_le is None and reports[2025].faits == {}
    # Transmitted reports carry their facts, frozen on the day of transmission.
    frozen = reports[2024].faits
    assert frozen["annee"] == 2024
    assert frozen["etablis_le"] == reports[2024].transmis_le.date().isoformat()
    assert frozen["financement"]["montant_du"] == "52800.00" and frozen["instances"]
    for report in reports.values():
        assert report.evaluations.count() == 46
    realised = [
        reports[year].evaluations.filter(niveau="realise").count() for year in sorted(reports)
    ]
    assert realised == sorted(realised) and realised[0] < realised[-1]


def test_regular_instances_make_a_ctg_compliant_once(touraine):
    import datetime as dt

    from coopctg.demo.loader import _regular_instances
    from coopctg.governance.services import governance_status

    today = dt.date(2025, 11, 30)
    ctg = touraine.ctg_own
    assert governance_status(ctg, today).compliant is False
    first = _regular_instances([touraine.own], today)
    assert first > 0 and _regular_instances([touraine.own], today) == 0
    assert governance_status(ctg, today).compliant is True
    assert not ctg.instances.filter(date__gt=today).exists()

"""The bilan's workflow: who may do what in which status, stale pages, frozen facts, history."""

import datetime as dt

import pytest

from coopctg.core.models import AuditEntry
from coopctg.framework.models import ExpectedOutput
from coopctg.governance.models import Meeting
from coopctg.notifications.models import Notification
from coopctg.reports import workflow
from coopctg.reports.models import AnnualReport, ReportEvent
from coopctg.reports.services import cof_payment
from coopctg.reports.workflow import AssessmentInput, ReportError, StaleReportError


def audit(report):
    return AuditEntry.objects.filter(
        objet_type="reports.annualreport", objet_id=str(report.pk)
    ).order_by("id")


def test_create_one_assessment_per_attendu(touraine, report, framework):
    assert report.statut == "brouillon"
    assert (
        report.evaluations.count()
        == ExpectedOutput.objects.filter(objective__mission__version=framework).count()
        == 46
    )
    assert set(report.evaluations.values_list("niveau", flat=True)) == {"non_engage"}
    assert audit(report).get().action == AuditEntry.Action.CREATION


@pytest.mark.parametrize("role", ["admin", "advisor", "analyst", "elu", "other_editor"])
def test_only_editors_create(touraine, cof, role):
    with pytest.raises(ReportError):
        workflow.do_create_report(getattr(touraine, role), cof, 2024)
    assert not AnnualReport.objects.exists()


def test_create_refuses_duplicates_and_years_outside(touraine, cof, report):
    with pytest.raises(ReportError, match="existe déjà"):
        workflow.do_create_report(touraine.editor, cof, 2024)
    with pytest.raises(ReportError, match="ne couvre pas"):
        workflow.do_create_report(touraine.editor, cof, 2021)
    with pytest.raises(ReportError, match="pas encore"):
        workflow.do_create_report(touraine.editor, cof, 2026)


def levels(report, level="realise"):
    return AssessmentInput(
        levels={a.pk: level for a in report.evaluations.all()},
        comments={report.evaluations.first().pk: "Diagnostic partagé en 2024."},
        synthese="Une année de mise en place.",
    )


def test_save_writes_levels_and_history(touraine, report):
    saved = workflow.do_save(touraine.editor, report, levels(report), revision=report.revision)
    assert saved.revision == report.revision + 1
    assert set(saved.evaluations.values_list("niveau", flat=True)) == {"realise"}
    entry = audit(report).last()
    assert entry.avant["niveaux"]["M1.O1.A1"] == "non_engage"
    assert entry.apres["niveaux"]["M1.O1.A1"] == "realise"
    assert entry.apres["synthese"] == "Une année de mise en place."


def test_stale_revision_is_refused(touraine, report):
    workflow.do_save(touraine.editor, report, levels(report), revision=report.revision)
    with pytest.raises(StaleReportError, match="a changé"):
        workflow.do_save(touraine.editor, report, levels(report, "en_cours"), revision=0)
    with pytest.raises(StaleReportError):
        workflow.do_transmit(touraine.editor, report, revision=0)


@pytest.mark.parametrize("role", ["admin", "advisor", "analyst", "elu", "other_editor"])
def test_only_editors_save_and_transmit(touraine, report, role):
    user = getattr(touraine, role)
    with pytest.raises(ReportError):
        workflow.do_save(user, report, levels(report))
    with pytest.raises(ReportError):
        workflow.do_transmit(user, report)


@pytest.mark.parametrize("role", ["editor", "analyst", "elu", "other_editor", "outsider"])
def test_only_the_caf_sends_back_and_validates(touraine, report, role):
    report = workflow.do_transmit(touraine.editor, report)
    user = getattr(touraine, role)
    with pytest.raises(ReportError):
        workflow.do_send_back(user, report, "Complétez la mission 2.")
    with pytest.raises(ReportError):
        workflow.do_validate(user, report)
    report.refresh_from_db()
    assert report.statut == "transmis"


def test_transitions_refused_by_status(touraine, report):
    with pytest.raises(ReportError, match="brouillon"):
        workflow.do_validate(touraine.advisor, report)
    with pytest.raises(ReportError, match="brouillon"):
        workflow.do_send_back(touraine.advisor, report, "Non.")
    report = workflow.do_transmit(touraine.editor, report)
    with pytest.raises(ReportError, match="ne peut pas être transmis"):
        workflow.do_transmit(touraine.editor, report)
    with pytest.raises(ReportError, match="transmis à la Caf"):
        workflow.do_save(touraine.editor, report, levels(report))
    report = workflow.do_validate(touraine.admin, report)
    for action in (
        lambda: workflow.do_send_back(touraine.admin, report, "Trop tard."),
        lambda: workflow.do_validate(touraine.admin, report),
        lambda: workflow.do_transmit(touraine.editor, report),
    ):
        with pytest.raises(ReportError):
            action()


def test_send_back_needs_a_comment(touraine, report):
    report = workflow.do_transmit(touraine.editor, report)
    with pytest.raises(ReportError, match="compléter") as error:
        workflow.do_send_back(touraine.advisor, report, "  ")
    assert error.value.field == "commentaire"


def test_full_cycle_freezes_facts_and_releases_the_balance(touraine, cof, report):
    Meeting.objects.create(ctg=touraine.ctg_own, kind="copil", date=dt.date(2024, 6, 12))
    report = workflow.do_save(touraine.editor, report, levels(report))
    report = workflow.do_transmit(touraine.editor, report, "Bonne lecture.")
    assert report.statut == "transmis" and report.premiere_transmission_le is not None
    first = report.premiere_transmission_le
    assert report.faits["instances"]["par_type"][0]["dates"] == ["2024-06-12"]
    assert report.faits["financement"]["montant_du"] == "48000.00"
    # Facts are frozen: a later meeting does not change the transmitted report.
    Meeting.objects.create(ctg=touraine.ctg_own, kind="copil", date=dt.date(2024, 11, 2))
    from coopctg.reports.facts import facts_of

    assert facts_of(report)["instances"]["total"] == 1
    notified = set(Notification.objects.values_list("destinataire__username", flat=True))
    assert {"admin", "conseiller"} <= notified

    report = workflow.do_send_back(touraine.advisor, report, "Précisez la mission 2.")
    assert report.statut == "a_completer"
    assert Notification.objects.filter(
        destinataire=touraine.editor, titre__contains="à compléter"
    ).exists()
    assert facts_of(report)["instances"]["total"] == 2  # live again while editable
    report = workflow.do_save(touraine.editor, report, levels(report, "en_cours"))
    report = workflow.do_transmit(touraine.editor, report)
    assert report.premiere_transmission_le == first
    assert report.faits["instances"]["total"] == 2
    assert not cof_payment(cof, 2024, cof_amount(report), report).balance_released

    report = workflow.do_validate(touraine.advisor, report, "Merci.")
    assert report.statut == "valide" and report.valide_par == touraine.advisor
    payment = cof_payment(cof, 2024, cof_amount(report), report)
    assert payment.balance_released and payment.released == payment.amount_due
    kinds = list(report.evenements.values_list("kind", flat=True))
    assert kinds == ["transmission", "renvoi", "transmission", "validation"]
    assert ReportEvent.objects.get(kind="renvoi").commentaire == "Précisez la mission 2."
    statuses = [entry.apres["statut"] for entry in audit(report)]
    assert statuses == [
        "brouillon",
        "brouillon",
        "transmis",
        "a_completer",
        "a_completer",
        "transmis",
        "valide",
    ]
    assert Notification.objects.filter(
        destinataire=touraine.editor, titre__contains="validé"
    ).exists()


def cof_amount(report):
    from decimal import Decimal

    return Decimal(report.faits["financement"]["montant_du"])


def test_the_current_year_is_drafted_but_not_transmitted(touraine, cof, monkeypatch):
    """TODAY is 15/02/2025: the 2025 bilan is created and saved, not transmitted (the balance
    would be released before the year is over); from 01/01/2026 it may be."""
    report = workflow.do_create_report(touraine.editor, cof, 2025)
    report = workflow.do_save(touraine.editor, report, levels(report))
    with pytest.raises(ReportError, match="à partir du 01/01/2026"):
        workflow.do_transmit(touraine.editor, report)
    report.refresh_from_db()
    assert report.statut == "brouillon" and not report.evenements.exists()
    monkeypatch.setattr(workflow, "today", lambda: dt.date(2025, 12, 31))
    with pytest.raises(ReportError, match="à partir du 01/01/2026"):
        workflow.do_transmit(touraine.editor, report)
    monkeypatch.setattr(workflow, "today", lambda: dt.date(2026, 1, 1))
    assert workflow.do_transmit(touraine.editor, report).statut == "transmis"


def test_a_cof_ended_mid_year_transmits_its_last_year(touraine, framework, monkeypatch):
    from tests.agreements.helpers import make_cof

    cof = make_cof(
        touraine.admin,
        touraine.ctg_own,
        touraine.own,
        "COF-37-2022-777",
        fin=dt.date(2025, 1, 31),
    )
    report = workflow.do_create_report(touraine.editor, cof, 2025)
    monkeypatch.setattr(workflow, "today", lambda: dt.date(2025, 1, 31))
    with pytest.raises(ReportError, match="dès la fin de la Cof le 31/01/2025"):
        workflow.do_transmit(touraine.editor, report)
    monkeypatch.setattr(workflow, "today", lambda: dt.date(2025, 2, 1))
    assert workflow.do_transmit(touraine.editor, report).statut == "transmis"


def test_save_and_transmit_is_one_transaction(touraine, cof):
    report = workflow.do_create_report(touraine.editor, cof, 2025)  # not transmissible yet
    with pytest.raises(ReportError, match="à partir du"):
        workflow.do_save_and_transmit(touraine.editor, report, levels(report), revision=0)
    report.refresh_from_db()
    assert report.revision == 0 and report.synthese == ""  # the save was rolled back
    assert set(report.evaluations.values_list("niveau", flat=True)) == {"non_engage"}
    report_2024 = workflow.do_create_report(touraine.editor, cof, 2024)
    done = workflow.do_save_and_transmit(touraine.editor, report_2024, levels(report_2024))
    assert done.statut == "transmis" and done.synthese == "Une année de mise en place."
    assert set(done.evaluations.values_list("niveau", flat=True)) == {"realise"}

"""The ``do_*`` functions of ``coopctg.agreements.workflow``: rules, history, notifications,
e-mails after commit, and exactly one decision when two advisors decide at once."""

import datetime as dt
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, connections

from coopctg.accounts.roles import Role
from coopctg.agreements import workflow
from coopctg.agreements.models import AgreementVersion, FundingAgreement, ModificationRequest
from coopctg.agreements.services import sign_version, version_in_force
from coopctg.agreements.workflow import CofInput, StaleRequestError, WorkflowError
from coopctg.core.models import AuditEntry
from coopctg.notifications.models import Notification
from coopctg.organisations.models import FollowUp
from tests.agreements.helpers import (
    ALL_THEMES,
    MOVED,
    REDUCED,
    SWAPPED,
    build_agreements,
    make_cof,
    proposal,
    signatures,
    version_input,
)
from tests.factories import UserFactory, member, seed_architecture


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(workflow, "today", lambda: dt.date(2024, 11, 15))


@pytest.fixture(autouse=True)
def _themes(request):
    if "touraine" in request.fixturenames:
        touraine = request.getfixturevalue("touraine")
        touraine.ctg_own.themes = ALL_THEMES
        touraine.ctg_own.save()


@pytest.fixture
def cof(touraine):
    return make_cof(touraine.admin, touraine.ctg_own, touraine.own, "COF-37-2022-001")


def submitted_request(w, cof, persons=MOVED, **kw):
    demande = workflow.do_create_request(w.editor, cof, proposal(persons, **kw))
    return workflow.do_submit_request(w.editor, demande)


def audit(instance):
    return AuditEntry.objects.filter(
        objet_type=instance._meta.label_lower, objet_id=str(instance.pk)
    ).order_by("horodatage", "id")


# --- Create a Cof --------------------------------------------------------------------------


def test_create_cof_signs_the_initial_version(touraine, django_capture_on_commit_callbacks):
    architecture = seed_architecture(touraine.ctg_own, touraine.own)
    data = CofInput(
        date_debut=dt.date(2022, 1, 1),
        date_fin=dt.date(2026, 12, 31),
        date_signature=dt.date(2021, 12, 15),
        signataires="La présidente",
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        cof = workflow.do_create_cof(touraine.advisor, architecture, data)
    assert callbacks  # the PDF, after commit
    version = cof.versions.get()
    assert cof.statut == "signee" and version.numero == 0 and version.date_effet == cof.date_debut
    assert version.architecture.kind == "version" and version.architecture_id != architecture.pk
    assert version.total_montant == Decimal("48000.00") and version.document
    assert audit(cof).count() == 2 and audit(version).count() == 1


@pytest.mark.parametrize("role", ["editor", "analyst", "elu", "other_editor", "outsider"])
def test_create_cof_is_for_the_caf(touraine, role):
    architecture = seed_architecture(touraine.ctg_own, touraine.own)
    data = CofInput(dt.date(2022, 1, 1), dt.date(2026, 12, 31), dt.date(2021, 12, 15))
    with pytest.raises(WorkflowError, match="signent une Cof"):
        workflow.do_create_cof(getattr(touraine, role), architecture, data)
    assert not FundingAgreement.objects.exists()


def test_create_cof_refuses_a_non_fundable_architecture(touraine):
    touraine.ctg_own.themes = ["petite_enfance", "enfance", "jeunesse", "parentalite"]
    touraine.ctg_own.save()
    architecture = seed_architecture(touraine.ctg_own, touraine.own)
    data = CofInput(dt.date(2022, 1, 1), dt.date(2026, 12, 31), dt.date(2021, 12, 15))
    with pytest.raises(WorkflowError, match="n'est pas finançable"):
        workflow.do_create_cof(touraine.admin, architecture, data)
    assert not FundingAgreement.objects.exists()


def test_create_cof_refuses_an_overlapping_period(touraine, cof):
    architecture = seed_architecture(touraine.ctg_own, touraine.own)
    data = CofInput(dt.date(2024, 1, 1), dt.date(2026, 12, 31), dt.date(2023, 12, 15))
    with pytest.raises(WorkflowError, match="couvre déjà une partie") as error:
        workflow.do_create_cof(touraine.admin, architecture, data)
    assert error.value.field == "date_debut"


# --- A request, from draft to decision -----------------------------------------------------


def test_request_lifecycle_writes_history(touraine, cof):
    w = touraine
    demande = workflow.do_create_request(w.editor, cof, proposal())
    assert demande.statut == "brouillon" and demande.architecture.kind == "demande"
    assert demande.demandeur == w.editor
    demande = workflow.do_submit_request(w.editor, demande)
    demande = workflow.do_request_changes(w.advisor, demande, "Précisez les missions.")
    assert demande.statut == "a_modifier"
    demande = workflow.do_update_request(
        w.editor, demande, proposal(SWAPPED, motif="Remplacement de M. A par Mme Z")
    )
    assert demande.statut == "a_modifier" and demande.motif == "Remplacement de M. A par Mme Z"
    demande = workflow.do_submit_request(w.editor, demande)
    demande = workflow.do_decide(
        w.admin, demande, accept=True, signatures=signatures(), motif="D'accord."
    )
    assert demande.statut == "acceptee" and not demande.accord_prealable
    assert demande.avenant.label == "Avenant n°1" and demande.avenant.motif == demande.motif
    statuses = [entry.apres["statut"] for entry in audit(demande)]
    assert statuses == ["brouillon", "soumise", "a_modifier", "a_modifier", "soumise", "acceptee"]
    decision = audit(demande).last()
    assert decision.auteur == w.admin
    assert decision.avant["statut"] == "soumise" and decision.apres["decision_motif"] == "D'accord."
    assert demande.revision == 5
    # the proposed architecture's changes are in the history too, with their figures
    changes = audit(demande.architecture)
    assert changes.count() == 2
    assert changes.last().apres["total"] == {"etp": "2.00", "montant": "48000.00"}


def test_one_open_request_per_cof(touraine, cof):
    workflow.do_create_request(touraine.editor, cof, proposal())
    with pytest.raises(WorkflowError, match="déjà en cours"):
        workflow.do_create_request(touraine.editor, cof, proposal(SWAPPED))
    assert ModificationRequest.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"day": dt.date(2021, 12, 31)}, "date_effet", "dans la période de la Cof"),
        ({"day": dt.date(2027, 1, 1)}, "date_effet", "dans la période de la Cof"),
        ({"day": dt.date(2022, 1, 1)}, "date_effet", "doit suivre celle de la version"),
        ({"motif": "  "}, "motif", "Indiquez le motif"),
        ({"persons": []}, None, "au moins une personne"),
    ],
)
def test_proposal_rules(touraine, cof, changes, field, message):
    with pytest.raises(WorkflowError, match=message) as error:
        workflow.do_create_request(touraine.editor, cof, proposal(**changes))
    assert error.value.field == field
    assert not ModificationRequest.objects.exists()


@pytest.mark.parametrize("role", ["admin", "advisor", "analyst", "elu", "other_editor"])
def test_only_editors_propose(touraine, cof, role):
    with pytest.raises(WorkflowError):
        workflow.do_create_request(getattr(touraine, role), cof, proposal())


@pytest.mark.parametrize("role", ["editor", "analyst", "elu", "other_editor", "outsider"])
def test_only_the_caf_decides(touraine, cof, role):
    demande = submitted_request(touraine, cof, SWAPPED)
    with pytest.raises(WorkflowError, match="décident"):
        workflow.do_decide(
            getattr(touraine, role), demande, accept=True, signatures=signatures(), motif="ok"
        )
    with pytest.raises(WorkflowError, match="demandent des modifications"):
        workflow.do_request_changes(getattr(touraine, role), demande, "ok")
    demande.refresh_from_db()
    assert demande.statut == "soumise"


def test_decision_needs_a_reason(touraine, cof):
    demande = submitted_request(touraine, cof)
    with pytest.raises(WorkflowError, match="Motivez") as error:
        workflow.do_decide(touraine.advisor, demande, accept=False, motif=" ")
    assert error.value.field == "motif"


def test_a_draft_cannot_be_decided(touraine, cof):
    demande = workflow.do_create_request(touraine.editor, cof, proposal())
    with pytest.raises(StaleRequestError, match="n'est pas soumise"):
        workflow.do_decide(touraine.advisor, demande, accept=False, motif="non")


# --- Development: the Caf's prior agreement ------------------------------------------------


def test_development_cannot_be_accepted_without_prior_agreement(touraine, cof):
    demande = submitted_request(touraine, cof, MOVED)
    entries = AuditEntry.objects.count()
    with pytest.raises(WorkflowError, match="sans l'accord préalable de la Caf") as error:
        workflow.do_decide(
            touraine.advisor, demande, accept=True, signatures=signatures(), motif="Accord."
        )
    assert error.value.field == "accord_prealable"
    demande.refresh_from_db()
    assert demande.statut == "soumise" and demande.avenant is None
    assert cof.versions.count() == 1 and AuditEntry.objects.count() == entries
    decided = workflow.do_decide(
        touraine.advisor,
        demande,
        accept=True,
        signatures=signatures(),
        motif="Accord.",
        accord_prealable=True,
    )
    assert decided.accord_prealable and decided.accord_prealable_par == touraine.advisor
    assert decided.accord_prealable_le == decided.decidee_le
    assert decided.avenant.total_etp == Decimal("2.20")
    assert audit(decided).last().apres["accord_prealable_par"] == str(touraine.advisor)


def test_fewer_etp_need_no_prior_agreement(touraine, cof):
    demande = submitted_request(touraine, cof, REDUCED)
    decided = workflow.do_decide(
        touraine.admin, demande, accept=True, signatures=signatures(), motif="Accord."
    )
    assert decided.avenant.total_montant == Decimal("45600.00")
    assert not decided.accord_prealable and decided.accord_prealable_par is None


def test_a_refusal_needs_no_prior_agreement_and_signs_nothing(touraine, cof):
    demande = submitted_request(touraine, cof, MOVED)
    decided = workflow.do_decide(touraine.admin, demande, accept=False, motif="Non.")
    assert decided.statut == "refusee" and decided.avenant is None
    assert cof.versions.count() == 1


def test_the_avenant_is_in_force_from_the_requested_date(touraine, cof):
    demande = submitted_request(touraine, cof, SWAPPED, day=dt.date(2024, 7, 1))
    decided = workflow.do_decide(
        touraine.advisor, demande, accept=True, signatures=signatures(), motif="Accord."
    )
    initial = cof.versions.get(numero=0)
    assert version_in_force(cof, dt.date(2024, 6, 30)) == initial
    assert version_in_force(cof, dt.date(2024, 7, 1)) == decided.avenant
    # signed the day the last party signed, not the day of the decision
    assert decided.avenant.date_signature == dt.date(2024, 11, 14)
    assert [(s.partie, s.nom, s.fonction) for s in decided.avenant.signatures.all()] == [
        ("caf", "Mme Anne Martin", "Directrice de la Caf"),
        ("collectivite", "M. Paul Durand", "Président"),
    ]


def test_accept_fails_whole_when_the_avenant_cannot_be_signed(touraine, cof):
    demande = submitted_request(touraine, cof, SWAPPED, day=dt.date(2024, 7, 1))
    sign_version(  # meanwhile, another avenant takes effect later
        touraine.admin,
        cof,
        version_input(REDUCED, dt.date(2024, 9, 1)),
        date_signature=dt.date(2024, 8, 1),
        generate_document=False,
    )
    with pytest.raises(WorkflowError, match="après la version en vigueur"):
        workflow.do_decide(
            touraine.advisor,
            demande,
            accept=True,
            signatures=signatures(),
            motif="Accord.",
            accord_prealable=True,
        )
    demande.refresh_from_db()
    assert demande.statut == "soumise" and demande.decidee_le is None
    assert cof.versions.count() == 2


# --- Two decisions on the same request -----------------------------------------------------


def test_second_decision_from_a_stale_state_is_refused(touraine, cof):
    first = submitted_request(touraine, cof, SWAPPED)
    second = ModificationRequest.objects.get(pk=first.pk)  # the other advisor's page
    workflow.do_decide(
        touraine.advisor, first, accept=True, signatures=signatures(), motif="Accord du conseiller."
    )
    entries = AuditEntry.objects.count()
    with pytest.raises(StaleRequestError, match="déjà été acceptée par"):
        workflow.do_decide(touraine.admin, second, accept=False, motif="Refus de l'admin.")
    demande = ModificationRequest.objects.get(pk=first.pk)
    assert demande.statut == "acceptee" and demande.decision_motif == "Accord du conseiller."
    assert cof.versions.filter(numero=1).count() == 1 and AuditEntry.objects.count() == entries


def test_decision_prepared_before_a_new_revision_is_refused(touraine, cof):
    page = submitted_request(touraine, cof, SWAPPED)
    seen = page.revision
    demande = workflow.do_request_changes(touraine.admin, page, "Précisez.")
    demande = workflow.do_submit_request(touraine.editor, demande)
    with pytest.raises(StaleRequestError, match="a changé depuis que vous l'avez ouverte"):
        workflow.do_decide(
            touraine.advisor,
            demande,
            accept=True,
            signatures=signatures(),
            motif="ok",
            revision=seen,
        )
    assert ModificationRequest.objects.get().statut == "soumise"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrence réelle : PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_advisors_deciding_at_once_record_one_decision(touraine, cof, monkeypatch):
    """Two threads, two connections, the same request, both accepting. Both read it
    « soumise » inside their transaction (a barrier makes sure), then both UPDATE: the first
    holds the row while it signs the avenant (slowed down), the second's UPDATE waits for that
    commit, then matches no row."""
    w = touraine
    demande = submitted_request(w, cof, SWAPPED)
    real_fresh, real_sign = workflow._fresh, workflow.sign_version
    read_together = threading.Barrier(2)
    local = threading.local()

    def fresh_then_wait(pk):
        current = real_fresh(pk)
        if not getattr(local, "waited", False):  # the first read of each thread
            local.waited = True
            read_together.wait(timeout=10)
        return current

    def slow_sign(*args, **kwargs):
        time.sleep(0.5)  # the claimed row stays locked, uncommitted, meanwhile
        return real_sign(*args, **kwargs)

    monkeypatch.setattr(workflow, "_fresh", fresh_then_wait)
    monkeypatch.setattr(workflow, "sign_version", slow_sign)
    outcomes = {}

    def decide(user):
        try:
            page = ModificationRequest.objects.get(pk=demande.pk)
            workflow.do_decide(
                user, page, accept=True, signatures=signatures(), motif=f"Accord de {user.username}"
            )
            outcomes[user.username] = "ok"
        except StaleRequestError as error:
            outcomes[user.username] = error.message
        finally:
            connections.close_all()

    threads = [threading.Thread(target=decide, args=(user,)) for user in (w.advisor, w.admin)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["admin", "conseiller"]
    assert list(outcomes.values()).count("ok") == 1
    [refused] = [message for message in outcomes.values() if message != "ok"]
    assert "Cette demande a déjà été acceptée par" in refused
    assert "n'a pas été enregistrée" in refused
    final = ModificationRequest.objects.get(pk=demande.pk)
    [winner] = [name for name, outcome in outcomes.items() if outcome == "ok"]
    assert final.statut == "acceptee" and final.decision_motif == f"Accord de {winner}"
    assert AgreementVersion.objects.filter(cof=cof).count() == 2
    decisions = [e for e in audit(final) if e.apres["statut"] == "acceptee"]
    assert len(decisions) == 1


# --- Notifications -------------------------------------------------------------------------


@pytest.fixture
def mails(touraine):
    w = touraine
    w.follower = UserFactory(username="suiveuse", email="suiveuse@example.fr")
    w.staff.user = w.follower
    w.staff.save()
    assert FollowUp.objects.filter(member=w.staff, collectivite=w.own).exists()
    w.other_advisor = member(
        Role.CAF_ADVISOR, caf=w.caf, collectivite=w.other, username="conseiller2"
    )
    w.editor2 = member(Role.COLLECTIVITE_EDITOR, collectivite=w.own, username="editeur-bis")
    for user in (w.admin, w.advisor, w.editor, w.editor2, w.analyst, w.outsider, w.elu):
        user.email = f"{user.username}@example.fr"
        user.save()
    w.other_advisor.email = "conseiller2@example.fr"
    w.other_advisor.save()
    return w


def recipients(titre_start):
    return {
        n.destinataire.username
        for n in Notification.objects.filter(titre__startswith=titre_start).select_related(
            "destinataire"
        )
    }


def test_notifications_and_mails_follow_the_exchange(
    mails, cof, mailoutbox, django_capture_on_commit_callbacks
):
    w = mails
    demande = workflow.do_create_request(w.editor, cof, proposal())
    with django_capture_on_commit_callbacks(execute=True):
        demande = workflow.do_submit_request(w.editor, demande)
    # the Caf side: the advisor assigned, the team member following (with an account), the admin
    assert recipients("Demande de modification soumise") == {"conseiller", "suiveuse", "admin"}
    assert sorted(m.to[0] for m in mailoutbox) == [
        "admin@example.fr",
        "conseiller@example.fr",
        "suiveuse@example.fr",
    ]
    assert all("COF-37-2022-001" in m.body and "/cof/demandes/" in m.body for m in mailoutbox)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        workflow.do_comment(w.advisor, demande, "Sur quelles missions ?")
    assert recipients("Nouveau commentaire") == {"editeur", "editeur-bis"}
    with django_capture_on_commit_callbacks(execute=True):
        workflow.do_comment(w.editor2, demande, "La parentalité.")
    assert recipients("Nouveau commentaire") == {
        "editeur",
        "editeur-bis",
        "conseiller",
        "suiveuse",
        "admin",
    }
    assert len(mailoutbox) == 2 + 3
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        demande = workflow.do_request_changes(w.admin, demande, "Ramenez à 0,6 Etp.")
    assert recipients("Modifications demandées") == {"editeur", "editeur-bis"}
    with django_capture_on_commit_callbacks(execute=True):
        demande = workflow.do_submit_request(w.editor2, demande)
    assert recipients("Demande de modification soumise à nouveau") == {
        "conseiller",
        "suiveuse",
        "admin",
    }
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.do_decide(w.advisor, demande, accept=False, motif="Pas cette année.")
    # the collectivité's editors and the requester (here an editor too)
    assert recipients("Demande de modification refusée") == {"editeur", "editeur-bis"}
    assert sorted(m.to[0] for m in mailoutbox) == ["editeur-bis@example.fr", "editeur@example.fr"]
    assert all("Pas cette année." in m.body for m in mailoutbox)
    # never the analyst, the élu, another Caf or another collectivité's advisor
    assert not Notification.objects.filter(
        destinataire__in=[w.analyst, w.elu, w.outsider, w.other_advisor]
    ).exists()


def test_no_mail_before_commit(mails, cof, mailoutbox, django_capture_on_commit_callbacks):
    demande = workflow.do_create_request(mails.editor, cof, proposal())
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        workflow.do_submit_request(mails.editor, demande)
    assert Notification.objects.count() == 3 and mailoutbox == [] and callbacks


def test_permission_world_builds(touraine):
    w = build_agreements(touraine)
    assert w.request_own.statut == "a_modifier" and w.request_other.statut == "refusee"
    assert w.version_own_1.label == "Avenant n°1"

"""The eligibility conditions computed from the records, end to end: a Cof signed, network
meetings recorded through the instances page, a recruitment's job description, a bilan
transmitted — the architecture page (and the API) follow, and a declaration is offered only
where no record can exist."""

import datetime as dt
import html
from decimal import Decimal

import pytest
from django.urls import reverse

from coopctg.agreements.services import sign_version
from coopctg.core.models import AuditEntry
from coopctg.framework.loader import load_framework
from coopctg.framework.models import ExpectedOutput
from coopctg.funding.eligibility import architecture_of_cof, eligibility_of
from coopctg.funding.models import FundingArchitecture
from coopctg.governance.models import Meeting
from coopctg.recruitment import workflow as recruitment_workflow
from coopctg.reports import workflow as report_workflow
from tests.agreements.helpers import make_cof, version_input
from tests.factories import SEED_PERSONS, CtgFactory, seed_architecture
from tests.governance.test_views import text_of


class Clock:
    """Today, as the application sees it (``timezone.localdate()``), set by the test."""

    def __init__(self, day: dt.date) -> None:
        self.day = day


@pytest.fixture
def clock(monkeypatch):
    from django.utils import timezone

    clock = Clock(dt.date(2025, 2, 15))
    real = timezone.localdate

    def localdate(value=None, timezone=None):
        return clock.day if value is None else real(value, timezone)

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)
    monkeypatch.setattr(report_workflow, "today", lambda: clock.day)
    return clock


@pytest.fixture
def architecture(touraine, clock):
    """The working architecture of ``own`` for its Ctg (2022-2026), effective 01/01/2022."""
    touraine.ctg_own.themes = [
        "petite_enfance",
        "enfance",
        "jeunesse",
        "parentalite",
        "animation_vie_sociale",
        "logement",
        "acces_droits",
    ]
    touraine.ctg_own.save()
    return seed_architecture(touraine.ctg_own, touraine.own)


def page_of(client, architecture) -> str:
    response = client.get(reverse("funding:architecture", args=[architecture.pk]))
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def condition(client, architecture, code: str) -> str:
    return text_of(page_of(client, architecture), f"condition-{code}")


def state_of(row: str) -> str:
    for label in ("non satisfaite", "satisfaite", "à établir", "à déclarer", "non évaluée"):
        if f" {label} " in f" {row} ":
            return label
    raise AssertionError(row)


# --- Cof ------------------------------------------------------------------------------------


def test_the_cof_condition_reads_the_signed_cof(client, touraine, architecture):
    client.force_login(touraine.editor)
    row = condition(client, architecture, "cof")
    assert state_of(row) == "non satisfaite"
    assert "aucune Cof n'est enregistrée pour la collectivité dans cette Ctg" in row

    cof = make_cof(touraine.admin, touraine.ctg_own, touraine.own, "COF-37-2022-001", sign=False)
    row = condition(client, architecture, "cof")
    assert state_of(row) == "non satisfaite"
    assert "la Cof n° COF-37-2022-001 est un projet, pas encore signée" in row

    sign_version(
        touraine.admin,
        cof,
        version_input(SEED_PERSONS, dt.date(2022, 1, 1)),
        date_signature=dt.date(2021, 12, 15),
        generate_document=False,
    )
    page = page_of(client, architecture)
    row = text_of(page, "condition-cof")
    assert state_of(row) == "satisfaite"
    assert (
        "Cof n° COF-37-2022-001 signée le 15/12/2021, en vigueur du 01/01/2022 au 31/12/2026" in row
    )
    assert (
        f'<a href="{reverse("agreements:detail", args=[cof.pk])}">Cof n° COF-37-2022-001</a>'
        in (page)
    )
    # Nothing to type any more: the Cof is a record of CoopCTG.
    assert 'name="reference_cof"' not in page


def test_a_cof_ended_before_the_effective_date_says_so(client, touraine, architecture):
    make_cof(
        touraine.admin,
        touraine.ctg_own,
        touraine.own,
        "COF-37-2022-001",
        fin=dt.date(2023, 12, 31),
    )
    FundingArchitecture.objects.filter(pk=architecture.pk).update(date_effet=dt.date(2024, 3, 1))
    client.force_login(touraine.editor)
    row = condition(client, architecture, "cof")
    assert state_of(row) == "non satisfaite"
    assert (
        "aucune Cof signée en vigueur au 01/03/2024 : la Cof n° COF-37-2022-001 a pris fin le "
        "31/12/2023" in row
    )


# --- Réseaux (issue 13: « satisfaite » once the year's network meetings are recorded) --------


def meeting_data(kind: str, day: str) -> dict[str, str]:
    return {
        "kind": kind,
        "date": day,
        "heure": "09:30",
        "heure_fin": "12:00",
        "lieu": "Caf de Touraine, Tours",
        "objet": "Réseau départemental des chargés de coopération Ctg",
    }


def test_the_networks_condition_follows_the_network_meetings_recorded(
    client, touraine, architecture
):
    client.force_login(touraine.editor)
    row = condition(client, architecture, "reseaux")
    assert state_of(row) == "non satisfaite"
    assert (
        "du 01/01/2022 au 31/12/2022 (les 12 premiers mois de la Ctg) : aucune réunion de réseau "
        "tenue, pour un minimum de 1 (1 manquante)" in row
    )
    create = reverse("governance:instance_create", args=[touraine.ctg_own.pk])
    # A Copil is not a network meeting; nor is a network meeting of another Ctg.
    assert client.post(create, meeting_data("copil", "2022-06-16")).status_code == 302
    Meeting.objects.create(ctg=touraine.ctg_other, kind="reseau", date=dt.date(2022, 11, 17))
    assert state_of(condition(client, architecture, "reseaux")) == "non satisfaite"

    assert client.post(create, meeting_data("reseau", "2022-11-17")).status_code == 302
    page = page_of(client, architecture)
    row = text_of(page, "condition-reseaux")
    assert state_of(row) == "satisfaite"
    assert "1 réunion de réseau tenue, le 17/11/2022 (minimum : 1)" in row
    instances = reverse("governance:ctg", args=[touraine.ctg_own.pk])
    assert f'<a href="{instances}">instances de la Ctg</a>' in page
    assert 'name="declaration_reseaux"' not in page


def test_a_planned_network_meeting_counts_once_held(client, touraine, architecture, clock):
    FundingArchitecture.objects.filter(pk=architecture.pk).update(date_effet=dt.date(2025, 3, 1))
    Meeting.objects.create(ctg=touraine.ctg_own, kind="reseau", date=dt.date(2025, 2, 20))
    client.force_login(touraine.editor)
    row = condition(client, architecture, "reseaux")
    assert state_of(row) == "non satisfaite"
    assert "1 prévue, la prochaine le 20/02/2025 (compte une fois tenue)" in row
    clock.day = dt.date(2025, 2, 20)
    row = condition(client, architecture, "reseaux")
    assert state_of(row) == "satisfaite" and "le 20/02/2025" in row


# --- Attendus -------------------------------------------------------------------------------


def open_recruitment(touraine, title: str, codes: list[str]):
    version = load_framework()
    return recruitment_workflow.do_create_recruitment(
        touraine.editor,
        recruitment_workflow.PostInput(
            collectivite=touraine.own,
            ctg=touraine.ctg_own,
            intitule=title,
            type_poste="thematique",
            etp={"petite_enfance": Decimal("0.40")},
            attendus=list(ExpectedOutput.objects.filter(code__in=codes)),
            referentiel=version,
        ),
    )


def test_attendus_a_declaration_until_a_job_description_records_them(
    client, touraine, architecture
):
    client.force_login(touraine.editor)
    page = page_of(client, architecture)
    row = text_of(page, "condition-attendus")
    assert state_of(row) == "à établir"
    assert "la collectivité peut déclarer une fiche de poste établie hors de CoopCTG" in row
    assert 'name="declaration_attendus"' in page

    declare = reverse("funding:architecture_declarations", args=[architecture.pk])
    client.post(declare, {"declaration_attendus": "on"})
    row = condition(client, architecture, "attendus")
    assert state_of(row) == "satisfaite"
    assert row.count("déclaration") == 2  # the badge, and the proof says it is one
    assert "fiche de poste établie hors de CoopCTG" in row

    recruitment = open_recruitment(
        touraine, "Chargée de coopération Ctg", ["M1.O1.A1", "M1.O2.A1", "M2.O3.A1"]
    )
    page = page_of(client, architecture)
    row = text_of(page, "condition-attendus")
    assert state_of(row) == "satisfaite" and "déclaration" not in row
    assert "fiche de poste du recrutement « Chargée de coopération Ctg » (3 attendus)" in row
    assert reverse("recruitment:detail", args=[recruitment.pk]) in page
    # The declaration is no longer offered, nor saved if posted anyway.
    assert 'name="declaration_attendus"' not in page
    history = AuditEntry.objects.count()
    client.post(declare, {})
    architecture.refresh_from_db()
    assert architecture.declaration_attendus and AuditEntry.objects.count() == history


def test_attendus_from_the_latest_transmitted_bilan(client, touraine, architecture, clock):
    load_framework()
    cof = make_cof(touraine.admin, touraine.ctg_own, touraine.own, "COF-37-2022-001")
    report = report_workflow.do_create_report(touraine.editor, cof, 2024)
    client.force_login(touraine.editor)
    assert state_of(condition(client, architecture, "attendus")) == "à établir"  # a draft
    report_workflow.do_transmit(touraine.editor, report)
    page = page_of(client, architecture)
    row = text_of(page, "condition-attendus")
    assert state_of(row) == "satisfaite"
    assert "bilan 2024 transmis : 46 attendus auto-évalués" in row
    assert f'<a href="{reverse("reports:detail", args=[report.pk])}">bilan 2024</a>' in page
    assert 'name="declaration_attendus"' not in page


# --- Bounded queries, the API ---------------------------------------------------------------


def test_the_checklist_queries_do_not_grow_with_the_records(
    client, touraine, architecture, django_assert_max_num_queries
):
    make_cof(touraine.admin, touraine.ctg_own, touraine.own, "COF-37-2022-001")
    Meeting.objects.create(ctg=touraine.ctg_own, kind="reseau", date=dt.date(2022, 1, 3))
    open_recruitment(touraine, "Poste", ["M1.O1.A1"])
    client.force_login(touraine.admin)
    url = reverse("funding:architecture", args=[architecture.pk])
    with django_assert_max_num_queries(30) as captured:
        client.get(url)
    make_cof(
        touraine.admin,
        touraine.ctg_own,
        touraine.own,
        "COF-37-2022-002",
        debut=dt.date(2026, 1, 1),
        sign=False,
    )
    for month in range(2, 12):
        Meeting.objects.create(ctg=touraine.ctg_own, kind="reseau", date=dt.date(2022, month, 3))
    for rank in range(4):
        open_recruitment(touraine, f"Poste {rank}", ["M1.O1.A1", "M1.O2.A1"])
    with django_assert_max_num_queries(len(captured.captured_queries)):
        page = html.unescape(client.get(url).content.decode())
    assert "11 réunions de réseau tenues" in page


def test_the_api_gives_the_same_checklist_as_the_page(client, touraine, architecture):
    cof = make_cof(touraine.admin, touraine.ctg_own, touraine.own, "COF-37-2022-001")
    Meeting.objects.create(ctg=touraine.ctg_own, kind="reseau", date=dt.date(2022, 11, 17))
    client.force_login(touraine.elu)
    response = client.get(reverse("api:cof_eligibilite", args=[cof.pk]))
    assert response.status_code == 200
    data = response.json()
    version = cof.versions.get()
    assert data["cof"] == {"id": cof.pk, "numero": "COF-37-2022-001"}
    assert data["architecture"] == {
        "id": version.architecture_id,
        "nature": "version",
        "date_effet": "2022-01-01",
    }
    by_code = {c["code"]: c for c in data["conditions"]}
    assert list(by_code) == [
        "collectivite_signataire",
        "champs_ctg",
        "attendus",
        "cof",
        "reseaux",
        "bilan_annuel",
    ]
    assert by_code["cof"]["etat"] == "satisfaite"
    assert by_code["cof"]["liens"] == [
        {"libelle": "Cof n° COF-37-2022-001", "url": reverse("agreements:detail", args=[cof.pk])}
    ]
    assert by_code["reseaux"]["etat"] == "satisfaite"
    assert by_code["attendus"] | {"preuve": ""} == {
        "code": "attendus",
        "texte": by_code["attendus"]["texte"],
        "etat": "a_etablir",
        "etat_libelle": "à établir",
        "preuve": "",
        "liens": [],
        "declaree": False,
        "declarable": True,
    }
    # The page of the same architecture says the same.
    version_architecture = FundingArchitecture.objects.get(pk=version.architecture_id)
    for code, item in by_code.items():
        row = condition(client, version_architecture, code)
        assert item["preuve"] in row and item["etat_libelle"] in row


def test_a_cof_without_any_architecture_is_judged_from_its_start(touraine, clock):
    ctg = CtgFactory(caf=touraine.caf, signataires=[touraine.own], intitule="Ctg 2027")
    cof = make_cof(touraine.admin, ctg, touraine.own, "COF-37-2027-001", sign=False)
    architecture = architecture_of_cof(cof)
    assert architecture.pk is None and architecture.date_effet == cof.date_debut
    states = {c.code: c.state.value for c in eligibility_of(architecture)}
    assert states["champs_ctg"] == "non_satisfaite"  # no assignment recorded
    assert states["cof"] == "non_satisfaite"


def test_an_unsuccessful_recruitment_is_no_job_description(touraine, architecture, clock):
    from django.utils import timezone

    from coopctg.recruitment.models import Recruitment

    recruitment = open_recruitment(touraine, "Chargée de coopération Ctg", ["M1.O1.A1"])
    states = {c.code: c for c in eligibility_of(architecture)}
    assert states["attendus"].state.value == "satisfaite"
    Recruitment.objects.filter(pk=recruitment.pk).update(
        etape="decision",
        avis="favorable",
        avis_motif="Profil conforme.",
        avis_le=timezone.now(),
        decision="infructueux",
        decision_le=timezone.now(),
    )
    attendus = next(c for c in eligibility_of(architecture) if c.code == "attendus")
    assert attendus.state.value == "a_etablir" and attendus.declarable

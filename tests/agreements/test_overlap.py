"""One Cof in force per collectivité and date: the same money is never counted twice.

The database keeps the rule (exclusion constraint on PostgreSQL, triggers on SQLite) whatever
the caller; the services, the form and the importer explain it first. Two sessions signing at
once on PostgreSQL: the second fails cleanly and the year's funding is counted once."""

import datetime as dt
import io
import json
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, connections, transaction
from django.urls import reverse

from coopctg.agreements import services, workflow
from coopctg.agreements.annual import collectivite_year
from coopctg.agreements.models import FundingAgreement
from coopctg.agreements.services import OverlappingCofError, create_cof
from coopctg.agreements.workflow import CofInput, WorkflowError
from tests.agreements.helpers import ALL_THEMES, make_cof, signature_post, version_input
from tests.factories import SEED_PERSONS, seed_architecture

ROOT = Path(__file__).resolve().parents[2]
DEMO_FILE = ROOT / "coopctg" / "demo" / "data" / "cof-gatine.json"


@pytest.fixture
def world(touraine):
    touraine.ctg_own.themes = ALL_THEMES
    touraine.ctg_own.save()
    return touraine


def cof_input(numero, debut=dt.date(2022, 1, 1), fin=dt.date(2026, 12, 31)):
    return CofInput(
        numero=numero, date_debut=debut, date_fin=fin, date_signature=dt.date(2021, 12, 15)
    )


def signed_cofs(collectivite):
    return list(
        FundingAgreement.objects.filter(collectivite=collectivite)
        .exclude(statut="projet")
        .values_list("numero", flat=True)
    )


# --- The database ------------------------------------------------------------------------


def test_the_database_refuses_a_second_signed_cof_on_the_same_days(world):
    """Whatever the caller (here the ORM, past every service): the triggers on SQLite, the
    exclusion constraint on PostgreSQL. A migration that rebuilt the table without them on
    SQLite fails here."""
    w = world
    make_cof(w.admin, w.ctg_own, w.own, "COF-37-2022-001")  # 01/01/2022 – 31/12/2026, signée
    fields = {"ctg": w.ctg_own, "collectivite": w.own, "date_fin": dt.date(2026, 12, 31)}
    with pytest.raises(IntegrityError, match="cof_periods_do_not_overlap"), transaction.atomic():
        FundingAgreement.objects.create(
            numero="COF-37-2024-001", date_debut=dt.date(2024, 1, 1), statut="signee", **fields
        )
    draft = FundingAgreement.objects.create(  # a projet is not in force: allowed
        numero="COF-37-2024-002", date_debut=dt.date(2024, 1, 1), **fields
    )
    for statut in ("signee", "echue"):
        with pytest.raises(IntegrityError), transaction.atomic():
            FundingAgreement.objects.filter(pk=draft.pk).update(statut=statut)
    # The last day of one and the first day of the other may not be the same day either.
    FundingAgreement.objects.filter(numero="COF-37-2022-001").update(date_fin=dt.date(2023, 12, 31))
    with pytest.raises(IntegrityError), transaction.atomic():
        FundingAgreement.objects.filter(pk=draft.pk).update(
            statut="signee", date_debut=dt.date(2023, 12, 31)
        )
    FundingAgreement.objects.filter(pk=draft.pk).update(statut="signee")  # from 01/01/2024
    # Another collectivité, the same days: its own money.
    FundingAgreement.objects.create(
        ctg=w.ctg_other,
        collectivite=w.other,
        numero="COF-37-2022-002",
        date_debut=dt.date(2022, 1, 1),
        date_fin=dt.date(2026, 12, 31),
        statut="signee",
    )
    assert sorted(signed_cofs(w.own)) == ["COF-37-2022-001", "COF-37-2024-002"]


# --- The services, the form, the importer ------------------------------------------------------


def test_a_draft_may_overlap_but_signing_it_names_the_cof_in_force(world):
    w = world
    make_cof(w.admin, w.ctg_own, w.own, "COF-37-2022-001")
    draft = create_cof(
        w.admin,
        ctg=w.ctg_own,
        collectivite=w.own,
        debut=dt.date(2025, 1, 1),
        fin=dt.date(2026, 12, 31),
        numero="COF-37-2025-001",
    )
    with pytest.raises(OverlappingCofError) as error:
        services.sign_version(
            w.admin,
            draft,
            version_input(SEED_PERSONS, dt.date(2025, 1, 1)),
            date_signature=dt.date(2024, 12, 15),
            generate_document=False,
        )
    assert str(error.value) == (
        "la Cof n° COF-37-2022-001 de Communauté de communes de Gâtine-Racan couvre déjà une "
        "partie de cette période (01/01/2022 – 31/12/2026) : une seule Cof en vigueur par "
        "collectivité et par date"
    )
    assert signed_cofs(w.own) == ["COF-37-2022-001"]


def test_the_database_refusal_is_explained_like_the_check(world, monkeypatch):
    """The check found nothing (the other session had not committed yet): the database's
    refusal becomes the same message, and nothing of the second Cof is left."""
    w = world
    make_cof(w.admin, w.ctg_own, w.own, "COF-37-2022-001")
    architecture = seed_architecture(w.ctg_own, w.own)
    real = services.overlapping_cof
    calls = []

    def blind_checks(*args, **kwargs):  # sign_version's check sees nothing
        calls.append(kwargs)
        return None if len(calls) <= 1 else real(*args, **kwargs)

    monkeypatch.setattr(workflow, "overlapping_cof", lambda *args, **kwargs: None)
    monkeypatch.setattr(services, "overlapping_cof", blind_checks)
    with pytest.raises(WorkflowError) as error:
        workflow.do_create_cof(w.admin, architecture, cof_input("COF-37-2024-001"))
    assert error.value.field == "date_debut"
    assert error.value.message.startswith(
        "La Cof n° COF-37-2022-001 de Communauté de communes de Gâtine-Racan couvre"
    )
    assert len(calls) == 2  # the database refused, then the Cof in force was named
    assert FundingAgreement.objects.filter(collectivite=w.own).count() == 1


def test_the_form_shows_the_overlap_next_to_the_start(client, world):
    w = world
    make_cof(w.admin, w.ctg_own, w.own, "COF-37-2022-001")
    architecture = seed_architecture(w.ctg_own, w.own)
    client.force_login(w.admin)
    response = client.post(
        reverse("agreements:create", args=[architecture.pk]),
        {
            "numero": "COF-37-2024-001",
            "date_debut": "2024-01-01",
            "date_fin": "2026-12-31",
            **signature_post("2023-12-15"),
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_date_debut_error"' in page and "couvre déjà une partie" in page
    assert signed_cofs(w.own) == ["COF-37-2022-001"]


def test_importer_refuses_a_cof_overlapping_a_signed_one(world, tmp_path, capsys):
    """Re-importing the same Cof under another number: exit 2, one French line, and the year's
    funding (``coopctg financement annuel``) unchanged."""
    call_command("cof", "importer", str(DEMO_FILE), "--sans-documents", stdout=io.StringIO())

    def annuel():
        out = io.StringIO()
        call_command("financement", "annuel", "--annee", "2023", "--format", "json", stdout=out)
        return json.loads(out.getvalue())

    before = annuel()
    again = json.loads(DEMO_FILE.read_text(encoding="utf-8")) | {"numero": "COF-37-2022-099"}
    path = tmp_path / "cof.json"
    path.write_text(json.dumps(again), encoding="utf-8")
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        call_command("cof", "importer", str(path), "--sans-documents")
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("Erreur : ")
    assert f"{path} : debut : la Cof n° COF-37-2022-001 de Communauté de communes" in err
    assert "couvre déjà une partie de cette période (01/01/2022 – 31/12/2026)" in err
    assert annuel() == before
    assert signed_cofs(world.own) == ["COF-37-2022-001"]


# --- Two sessions at once (PostgreSQL) ----------------------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrence réelle : PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_sessions_signing_at_once_sign_one_cof(world, monkeypatch):
    """Two threads, two connections, the same working architecture, two numbers. Both pass
    every check of the services before either has signed (a barrier makes sure), then both
    sign: the database lets one through, the other gets the explained refusal."""
    w = world
    architecture = seed_architecture(w.ctg_own, w.own)
    real = services.overlapping_cof
    checked_together = threading.Barrier(2)
    local = threading.local()

    def check_then_wait(*args, **kwargs):
        found = real(*args, **kwargs)
        if kwargs.get("exclude_pk") is not None and not getattr(local, "waited", False):
            local.waited = True  # sign_version's check, the last before the signature
            checked_together.wait(timeout=10)
        return found

    monkeypatch.setattr(services, "overlapping_cof", check_then_wait)
    outcomes = {}

    def sign(numero, user):
        try:
            workflow.do_create_cof(user, architecture, cof_input(numero))
            outcomes[numero] = "ok"
        except WorkflowError as error:
            outcomes[numero] = error.message
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=sign, args=("COF-37-2022-101", w.admin)),
        threading.Thread(target=sign, args=("COF-37-2022-102", w.advisor)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["COF-37-2022-101", "COF-37-2022-102"]
    assert list(outcomes.values()).count("ok") == 1
    [refused] = [message for message in outcomes.values() if message != "ok"]
    [winner] = [numero for numero, outcome in outcomes.items() if outcome == "ok"]
    assert refused.startswith(
        f"La Cof n° {winner} de Communauté de communes de Gâtine-Racan couvre déjà une partie"
    )
    assert signed_cofs(w.own) == [winner]
    assert FundingAgreement.objects.count() == 1  # the loser's Cof was rolled back
    assert collectivite_year(w.own, 2023).total == Decimal("48000.00")  # counted once


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrence réelle : PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_sessions_numbering_at_once_get_two_numbers(world, monkeypatch):
    """Two Cofs for two collectivités, signed at once without a number: both computed
    « COF-37-2022-001 » (a barrier makes sure); the second takes the next one, no error."""
    w = world
    w.ctg_other.themes = ALL_THEMES
    w.ctg_other.save()
    architectures = [seed_architecture(w.ctg_own, w.own), seed_architecture(w.ctg_other, w.other)]
    real = services.cof_number_error
    numbered_together = threading.Barrier(2)
    local = threading.local()

    def numbered_then_wait(numero):  # create_cof's check of the number it computed
        if not getattr(local, "waited", False):
            local.waited = True
            numbered_together.wait(timeout=10)
        return real(numero)

    monkeypatch.setattr(services, "cof_number_error", numbered_then_wait)
    outcomes = []

    def sign(architecture):
        try:
            outcomes.append(workflow.do_create_cof(w.admin, architecture, cof_input(None)).numero)
        except Exception as error:  # reported by the assertion
            outcomes.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sign, args=(a,)) for a in architectures]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["COF-37-2022-001", "COF-37-2022-002"]

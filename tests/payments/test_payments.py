"""The payment schedule: amounts due per Cof and year, advance, balance, reports, scoping."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from coopctg.accounts.access import visible_collectivites
from coopctg.agreements.annual import collectivite_year
from coopctg.ctg.models import Ctg
from coopctg.framework.loader import load_framework
from coopctg.organisations.models import Caf, LocalAuthority
from coopctg.reports.models import AnnualReport
from coopctg.reports.payments import (
    cof_schedule,
    payment_schedule,
    schedule_csv,
    schedule_to_json,
    schedule_xlsx,
)
from coopctg.reports.rules import PaymentState, Status
from coopctg.reports.services import cof_amount_due
from tests.agreements.helpers import ALL_THEMES, make_cof
from tests.factories import CtgFactory, EpciFactory
from tests.hostile import FORMULAS, SOFT_BREAK, assert_inert, csv_rows, xlsx_texts

WHEN = timezone.make_aware(dt.datetime(2024, 3, 1, 10, 0))


def report(cof, year, statut=Status.VALIDE):
    return AnnualReport.objects.create(
        cof=cof,
        annee=year,
        referentiel=load_framework(),
        statut=statut.value,
        premiere_transmission_le=None if statut is Status.BROUILLON else WHEN,
        valide_le=WHEN if statut is Status.VALIDE else None,
    )


def schedule_of(w, user, year):
    return payment_schedule(w.caf, visible_collectivites(user), year)


def test_amount_due_with_a_mid_year_avenant_is_the_budget(world):
    schedule = schedule_of(world, world.admin, 2023)
    assert [(row.collectivite.nom, row.cof.numero) for row in schedule.rows] == [
        ("Communauté de communes de Gâtine-Racan", "COF-37-2022-901"),
        ("Commune de Saint-Pierre-des-Corps", "COF-37-2022-902"),
    ]
    own, other = schedule.rows
    # 48 000 € × 181/365 + 52 800 € × 184/365, per envelope rounded to the cent
    assert own.amount_due == Decimal("50419.73") == collectivite_year(world.own, 2023).total
    assert own.amount_due == cof_amount_due(world.cof_own, 2023)
    assert other.amount_due == Decimal("48000.00") == collectivite_year(world.other, 2023).total
    assert schedule.rate == Decimal("0.70")
    assert (own.advance, own.balance) == (Decimal("35293.81"), Decimal("15125.92"))
    assert (other.advance, other.balance) == (Decimal("33600.00"), Decimal("14400.00"))
    for row in schedule.rows:
        assert row.advance + row.balance == row.amount_due
        assert row.state is PaymentState.SOLDE_EN_ATTENTE and row.report is None
        assert row.report_status_label == "aucun bilan"
    totals = schedule.totals
    assert totals.amount_due == Decimal("98419.73")
    assert totals.advance == Decimal("68893.81")
    assert totals.balance == Decimal("29525.92")
    assert totals.balance_released == Decimal("0.00")
    assert totals.balance_pending == Decimal("29525.92")


def test_cofs_not_in_force_in_the_year_are_left_out(world):
    assert schedule_of(world, world.admin, 2021).rows == []
    assert schedule_of(world, world.admin, 2027).rows == []
    # a draft Cof (never signed) is not in force
    ctg = CtgFactory(caf=world.caf, signataires=[world.other], themes=ALL_THEMES)
    make_cof(world.admin, ctg, world.other, "COF-37-2024-PROJET", sign=False)
    assert len(schedule_of(world, world.admin, 2024).rows) == 2


def test_the_balance_is_released_when_the_year_report_is_validated(world):
    report(world.cof_own, 2023)
    report(world.cof_other, 2023, Status.TRANSMIS)
    report(world.cof_other, 2022)  # another year: no effect on 2023
    own, other = schedule_of(world, world.admin, 2023).rows
    assert own.state is PaymentState.SOLDE_LIBERE and own.balance_released
    assert own.state_label == "solde libéré" and own.report_status_label == "validé par la Caf"
    assert own.released == own.amount_due
    assert other.state is PaymentState.SOLDE_EN_ATTENTE
    assert other.report_status_label == "transmis à la Caf" and other.released == other.advance
    totals = schedule_of(world, world.admin, 2023).totals
    assert totals.balance_released == Decimal("15125.92")
    assert totals.balance_pending == Decimal("14400.00")


def test_filters(world):
    report(world.cof_own, 2023)
    schedule = schedule_of(world, world.admin, 2023)
    released = schedule.filtered(state="solde_libere")
    assert [row.cof for row in released.rows] == [world.cof_own]
    assert released.totals.amount_due == Decimal("50419.73")
    assert [row.cof for row in schedule.filtered(report="aucun").rows] == [world.cof_other]
    assert schedule.filtered(report="transmis").rows == []
    assert len(schedule.filtered().rows) == 2


def test_a_dated_rate_change_applies_from_its_year_only(world, parameters_dir):
    path = parameters_dir / "caf-37" / "taux_acompte.yaml"
    path.write_text(
        path.read_text(encoding="utf-8")
        + "  2024-01-01:\n    valeur: 0.60\n    reference: Décision de la Caf (test).\n",
        encoding="utf-8",
    )
    before, after = schedule_of(world, world.admin, 2023), schedule_of(world, world.admin, 2024)
    assert before.rate == Decimal("0.70") and after.rate == Decimal("0.60")
    other_2024 = after.rows[1]
    assert (other_2024.advance, other_2024.balance) == (Decimal("28800.00"), Decimal("19200.00"))
    assert [row.rate for row in cof_schedule(world.cof_other)] == [Decimal("0.70")] * 2 + [
        Decimal("0.60")
    ] * 3


def test_a_caf_without_an_advance_rate_gets_amounts_but_no_advance(client, world, parameters_dir):
    (parameters_dir / "caf-37" / "taux_acompte.yaml").unlink()
    (parameters_dir / "national" / "taux_acompte.yaml").unlink()  # no default either
    schedule = schedule_of(world, world.admin, 2023)
    assert schedule.rate is None and "taux_acompte" in schedule.parameter_error
    own, _other = schedule.rows
    assert own.amount_due == Decimal("50419.73") and own.payment is None
    assert own.advance is None and own.state_label == "taux non défini"
    assert schedule.totals.amount_due == Decimal("98419.73")
    assert schedule.totals.advance == Decimal("0.00")
    assert schedule.filtered(state="solde_en_attente").rows == []
    assert [row.payment for row in cof_schedule(world.cof_own)] == [None] * 5
    client.force_login(world.admin)
    html = client.get(reverse("payments:index"), {"annee": 2023}).content.decode()
    assert "Taux d'acompte non défini pour 2023" in html
    sheet = load_workbook(io.BytesIO(schedule_xlsx(schedule))).active
    assert "non défini" in sheet["A2"].value and sheet.cell(row=6, column=7).value is None


@pytest.mark.parametrize(
    ("role", "cofs"),
    [
        ("admin", ["COF-37-2022-901", "COF-37-2022-902"]),
        ("analyst", ["COF-37-2022-901", "COF-37-2022-902"]),
        ("advisor", ["COF-37-2022-901"]),
        ("editor", ["COF-37-2022-901"]),
        ("elu", ["COF-37-2022-901"]),
        ("other_editor", ["COF-37-2022-902"]),
        ("outsider", []),
        ("nobody", []),
    ],
)
def test_scoping(world, role, cofs):
    schedule = schedule_of(world, getattr(world, role), 2023)
    assert [row.cof.numero for row in schedule.rows] == cofs


def test_cof_schedule_every_year_in_bounded_queries(world, django_assert_num_queries):
    report(world.cof_own, 2022)
    report(world.cof_own, 2023, Status.A_COMPLETER)
    cof = type(world.cof_own).objects.select_related("ctg__caf").get(pk=world.cof_own.pk)
    with django_assert_num_queries(2):
        rows = cof_schedule(cof)
    assert [row.year for row in rows] == [2022, 2023, 2024, 2025, 2026]
    assert [row.amount_due for row in rows] == [
        Decimal("48000.00"),
        Decimal("50419.73"),
        Decimal("52800.00"),
        Decimal("52800.00"),
        Decimal("52800.00"),
    ]
    assert [row.amount_due for row in rows] == [cof_amount_due(cof, y) for y in range(2022, 2027)]
    assert [row.state for row in rows] == [PaymentState.SOLDE_LIBERE] + [
        PaymentState.SOLDE_EN_ATTENTE
    ] * 4
    assert rows[1].report_status_label == "à compléter"
    assert all(row.advance + row.balance == row.amount_due for row in rows)


def add_cofs(w, count):
    for index in range(count):
        epci = EpciFactory()
        la = LocalAuthority.objects.create(caf=w.caf, kind="epci", epci=epci, nom=epci.nom)
        ctg = CtgFactory(caf=w.caf, signataires=[la], themes=ALL_THEMES)
        cof = make_cof(w.admin, ctg, la, f"COF-37-2022-{index + 100}")
        report(cof, 2023)


def test_schedule_queries_do_not_grow_with_the_cofs(world):
    user = world.editor  # sees one Cof: cof_own
    with CaptureQueriesContext(connection) as one:
        assert len(schedule_of(world, user, 2023).rows) == 1
    add_cofs(world, 4)
    with CaptureQueriesContext(connection) as five:
        assert len(schedule_of(world, world.admin, 2023).rows) == 6
    assert len(one.captured_queries) == len(five.captured_queries) <= 4


# --- Outputs ---------------------------------------------------------------------------------


def test_csv_and_json(world):
    report(world.cof_own, 2023)
    schedule = schedule_of(world, world.admin, 2023)
    lines = schedule_csv(schedule).splitlines()
    assert lines[0] == "code;collectivite;cof;ctg;montant_du;taux_acompte;acompte;solde;bilan;etat"
    assert lines[1] == (
        "200073237;Communauté de communes de Gâtine-Racan;COF-37-2022-901;"
        "Ctg Gâtine-Racan 2022-2026;50419,73;70;35293,81;15125,92;validé par la Caf;solde libéré"
    )
    data = schedule_to_json(schedule)
    assert data["annee"] == 2023 and data["taux_acompte"] == "0.70"
    assert data["versements"][0]["montant_du"] == "50419.73"
    assert data["versements"][0]["etat"] == "solde_libere"
    assert data["versements"][1]["bilan"] == "aucun"
    assert data["totaux"] == {
        "montant_du": "98419.73",
        "acompte": "68893.81",
        "solde": "29525.92",
        "solde_libere": "15125.92",
        "solde_en_attente": "14400.00",
    }


def test_xlsx(world):
    report(world.cof_own, 2023)
    schedule = schedule_of(world, world.admin, 2023)
    content = schedule_xlsx(schedule, today=dt.date(2024, 5, 2))
    sheet = load_workbook(io.BytesIO(content))["Versements 2023"]
    assert "Caf de Touraine" in sheet["A1"].value and "70 %" in sheet["A2"].value
    assert sheet.freeze_panes == "A6"
    assert [sheet.cell(row=5, column=c).value for c in range(1, 12)] == [
        "Code",
        "Collectivité",
        "Cof",
        "Ctg",
        "Montant dû",
        "Taux d'acompte",
        "Acompte",
        "Solde",
        "Bilan 2023",
        "État du solde",
        "Solde libéré",
    ]
    assert [sheet.cell(row=6, column=c).value for c in range(1, 12)] == [
        "200073237",
        "Communauté de communes de Gâtine-Racan",
        "COF-37-2022-901",
        "Ctg Gâtine-Racan 2022-2026",
        50419.73,
        0.7,
        35293.81,
        15125.92,
        "validé par la Caf",
        "solde libéré",
        15125.92,
    ]
    total = [sheet.cell(row=8, column=c).value for c in range(1, 12)]
    assert total[:2] == ["TOTAL", "2 Cof"]
    assert [Decimal(str(total[c])) for c in (4, 6, 7, 10)] == [
        Decimal("98419.73"),
        Decimal("68893.81"),
        Decimal("29525.92"),
        Decimal("15125.92"),
    ]
    for column in (5, 7, 8, 11):
        assert "€" in sheet.cell(row=6, column=column).number_format
        assert "€" in sheet.cell(row=8, column=column).number_format
    assert sheet.cell(row=6, column=6).number_format == "0.00 %"


# --- Pages -----------------------------------------------------------------------------------


def test_schedule_page(client, world):
    report(world.cof_own, 2023)
    client.force_login(world.admin)
    response = client.get(reverse("payments:index"), {"annee": 2023})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Versements 2023 — Caf de Touraine" in html
    assert "<caption>2 Cof en vigueur en 2023 — montants en euros</caption>" in html
    assert "50\u202f419,73\u00a0€" in html and "98\u202f419,73\u00a0€" in html
    assert "35\u202f293,81\u00a0€" in html and "solde libéré" in html
    assert '<th scope="row"' in html and '<th scope="col"' in html
    assert "<style" not in html and "style=" not in html and "<script>" not in html
    assert "coopctg/css/payments.css" in html
    assert 'href="/versements/2023.xlsx"' in html
    assert "?annee=2022" in html and "?annee=2024" in html


def test_schedule_page_filter_and_scope(client, world):
    report(world.cof_own, 2023)
    client.force_login(world.admin)
    html = client.get(reverse("payments:index"), {"annee": 2023, "etat": "solde_en_attente"})
    html = html.content.decode()
    assert "COF-37-2022-902" in html and "COF-37-2022-901" not in html
    assert "(sur 2, filtrées)" in html and "?annee=2024&amp;etat=solde_en_attente" in html
    client.force_login(world.other_editor)
    html = client.get(reverse("payments:index"), {"annee": 2023}).content.decode()
    assert "COF-37-2022-902" in html and "COF-37-2022-901" not in html
    assert "les collectivités auxquelles vous avez accès" in html
    # an unknown filter value or year is ignored
    html = client.get(reverse("payments:index"), {"annee": "abc", "bilan": "x"}).content.decode()
    assert f"Versements {timezone.localdate().year}" in html


def test_another_caf_admin_sees_nothing_of_caf_37(client, world):
    client.force_login(world.outsider)
    html = client.get(reverse("payments:index"), {"annee": 2023}).content.decode()
    assert "Caf de Loir-et-Cher" in html and "COF-37" not in html
    assert "0 Cof en vigueur en 2023" in html  # its Cof is a draft
    assert client.get(reverse("payments:index"), {"caf": "37"}).status_code == 404
    assert client.get(reverse("payments:xlsx", args=[2023]), {"caf": "37"}).status_code == 404
    sheet = load_workbook(io.BytesIO(client.get(reverse("payments:xlsx", args=[2023])).content))
    assert sheet.active.cell(row=6, column=1).value == "TOTAL"


def test_exports(client, world):
    client.force_login(world.editor)
    response = client.get(reverse("payments:xlsx", args=[2023]))
    assert response["Content-Disposition"] == 'attachment; filename="versements-37-2023.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.cell(row=6, column=3).value == "COF-37-2022-901"
    assert sheet.cell(row=7, column=1).value == "TOTAL"
    response = client.get(reverse("payments:csv", args=[2023]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = response.content.decode("utf-8-sig")
    assert len(text.splitlines()) == 2 and "COF-37-2022-901" in text


def test_page_queries_do_not_grow(client, world, django_assert_max_num_queries):
    client.force_login(world.admin)
    url = reverse("payments:index") + "?annee=2023"
    with django_assert_max_num_queries(20) as small:
        assert client.get(url).status_code == 200
    add_cofs(world, 4)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200


def test_navigation_has_versements(client, world):
    client.force_login(world.editor)
    assert 'href="/versements/"' in client.get(reverse("home")).content.decode()


def hostile(world):
    """Texts a spreadsheet would run in every free text column, a Word line break in the title.
    (The Cof number cannot hold one: its format is checked down to the database.)"""
    for cof, (_numero, intitule, nom) in [
        (world.cof_own, FORMULAS[:3]),
        (world.cof_other, FORMULAS[3:]),
    ]:
        Ctg.objects.filter(pk=cof.ctg_id).update(intitule=intitule)
        LocalAuthority.objects.filter(pk=cof.collectivite_id).update(nom=nom)
    Caf.objects.filter(pk=world.caf.pk).update(nom=SOFT_BREAK)
    world.caf.refresh_from_db()


def test_hostile_texts_stay_inert_texts_in_the_xlsx(world):
    hostile(world)
    texts = xlsx_texts(schedule_xlsx(schedule_of(world, world.admin, 2023)))
    for text in FORMULAS[1:3] + FORMULAS[4:]:
        assert_inert(texts, text)
    assert any("Titre\ncollé" in text for text in texts)  # the title, still readable


def test_hostile_texts_stay_inert_texts_in_the_csv(world):
    hostile(world)
    rows = csv_rows(schedule_csv(schedule_of(world, world.admin, 2023)))
    assert sorted(row[1:4] for row in rows[1:]) == sorted(
        [
            ["'" + FORMULAS[2], world.cof_own.numero, "'" + FORMULAS[1]],
            ["'" + FORMULAS[5], world.cof_other.numero, "'" + FORMULAS[4]],
        ]
    )
    assert all(row[4].replace(",", "").isdigit() for row in rows[1:])  # amounts: numbers

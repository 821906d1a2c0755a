"""The funding due per calendar year from the signed Cof versions, and the budget pages."""

import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from coopctg.agreements.annual import (
    budget_csv,
    budget_to_json,
    budget_xlsx,
    caf_budget,
    collectivite_year,
)
from coopctg.agreements.importer import import_cof
from coopctg.agreements.services import VersionInput, create_cof, sign_version
from coopctg.funding.rules import Envelope
from coopctg.organisations.models import Caf, LocalAuthority
from tests.factories import SEED_PERSONS, CtgFactory, EpciFactory, seed_rows
from tests.hostile import FORMULAS, SOFT_BREAK, assert_inert, csv_rows, xlsx_texts

ROOT = Path(__file__).resolve().parents[2]
DEMO_FILE = ROOT / "coopctg" / "demo" / "data" / "cof-gatine.json"
ALL_THEMES = [
    "petite_enfance",
    "enfance",
    "jeunesse",
    "parentalite",
    "animation_vie_sociale",
    "logement",
    "acces_droits",
    "inclusion_handicap",
]
MOVED = [
    p if p[0] != "Mme Y" else (p[0], p[1], p[2], {"enfance_jeunesse": "0.70"}) for p in SEED_PERSONS
]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def world(touraine):
    touraine.ctg_own.themes = ALL_THEMES
    touraine.ctg_own.save()
    touraine.ctg_other.themes = ALL_THEMES
    touraine.ctg_other.save()
    return touraine


@pytest.fixture
def gatine(world):
    """The demo's Cof: the référentiel's example from 2022-01-01 to 2025-12-31, Mme Y from
    0,5 to 0,7 Etp from 2023-07-01."""
    import_cof(json.loads(DEMO_FILE.read_text(encoding="utf-8")), generate_documents=False)
    return world


def sign(user, cof, rows, day):
    return sign_version(
        user,
        cof,
        VersionInput(
            date_effet=day, rows=rows, base_montant=Decimal("48000"), base_etp=Decimal("2")
        ),
        date_signature=day,
        generate_document=False,
    )


def amounts(funding):
    return {envelope.value: amount for envelope, amount in funding.envelopes.items()}


@pytest.mark.parametrize(
    ("year", "total", "enfance_jeunesse"),
    [
        (2021, "0.00", "0.00"),
        (2022, "48000.00", "15600.00"),
        (2023, "50419.73", "18019.73"),
        (2024, "52800.00", "20400.00"),
        (2025, "52800.00", "20400.00"),
        (2026, "52800.00", "20400.00"),
        (2027, "0.00", "0.00"),
    ],
)
def test_golden_years(gatine, year, total, enfance_jeunesse):
    funding = collectivite_year(gatine.own, year)
    assert funding.total == Decimal(total)
    assert funding.envelopes[Envelope.ENFANCE_JEUNESSE] == Decimal(enfance_jeunesse)


def test_2023_periods_and_labels(gatine):
    funding = collectivite_year(gatine.own, 2023)
    assert [(p.first_day, p.last_day, p.days, p.label, p.amount) for p in funding.periods] == [
        (
            dt.date(2023, 1, 1),
            dt.date(2023, 6, 30),
            181,
            "Cof initiale — COF-37-2022-001",
            Decimal("23802.74"),
        ),
        (
            dt.date(2023, 7, 1),
            dt.date(2023, 12, 31),
            184,
            "Avenant n°1 — COF-37-2022-001",
            Decimal("26616.99"),
        ),
    ]


def test_cof_ending_mid_leap_year_and_a_second_cof(world):
    first = create_cof(
        world.admin,
        ctg=world.ctg_own,
        collectivite=world.own,
        debut=dt.date(2022, 1, 1),
        fin=dt.date(2024, 6, 30),
        numero="COF-A",
    )
    sign(world.admin, first, seed_rows(), dt.date(2022, 1, 1))
    funding = collectivite_year(world.own, 2024)  # 182 days of 366
    assert amounts(funding) == {
        "petite_enfance": Decimal("6563.93"),
        "enfance_jeunesse": Decimal("7757.38"),
        "parentalite": Decimal("3580.33"),
        "avs_logement_acces_droits": Decimal("5967.21"),
    }
    assert funding.total == Decimal("23868.85")
    second = create_cof(
        world.admin,
        ctg=world.ctg_own,
        collectivite=world.own,
        debut=dt.date(2024, 7, 1),
        fin=dt.date(2026, 12, 31),
        numero="COF-B",
    )
    sign(world.admin, second, seed_rows(MOVED), dt.date(2024, 7, 1))
    funding = collectivite_year(world.own, 2024)
    assert [p.label for p in funding.periods] == ["Cof initiale — COF-A", "Cof initiale — COF-B"]
    # 48 000 € × 182/366 + 52 800 € × 184/366
    assert funding.envelopes[Envelope.PETITE_ENFANCE] == Decimal("13200.00")
    assert funding.envelopes[Envelope.ENFANCE_JEUNESSE] == Decimal("18013.11")
    assert funding.total == Decimal("50413.11")


def test_a_cof_not_yet_signed_counts_nothing(world):
    create_cof(
        world.admin,
        ctg=world.ctg_own,
        collectivite=world.own,
        debut=dt.date(2022, 1, 1),
        fin=dt.date(2025, 12, 31),
    )
    assert collectivite_year(world.own, 2023).total == Decimal("0.00")


def test_caf_budget_every_collectivite_by_name_with_totals(gatine):
    budget = caf_budget(gatine.caf, 2023)
    assert [(row.nom, row.code, row.funding.total) for row in budget.rows] == [
        ("Communauté de communes de Gâtine-Racan", "200073237", Decimal("50419.73")),
        ("Commune de Saint-Pierre-des-Corps", "37233", Decimal("0.00")),
    ]
    assert budget.envelopes[Envelope.ENFANCE_JEUNESSE] == Decimal("18019.73")
    assert budget.total == Decimal("50419.73")
    assert caf_budget(gatine.caf_b, 2023).total == Decimal("0.00")


def test_outputs(gatine):
    budget = caf_budget(gatine.caf, 2024)
    data = budget_to_json(budget)
    assert data["annee"] == 2024 and data["total"] == "52800.00"
    assert data["collectivites"][1] == {
        "code": "37233",
        "nom": "Commune de Saint-Pierre-des-Corps",
        "enveloppes": [{"enveloppe": e.value, "montant": "0.00"} for e in Envelope],
        "total": "0.00",
        "periodes": [],
    }
    assert budget_csv(budget).splitlines()[1] == (
        "200073237;Communauté de communes de Gâtine-Racan;13200,00;20400,00;7200,00;12000,00;"
        "52800,00"
    )
    workbook = load_workbook(io.BytesIO(budget_xlsx(budget, gatine.caf, today=dt.date(2024, 5, 2))))
    sheet = workbook["Budget 2024"]
    assert "Caf de Touraine" in sheet["A1"].value and "366 jours" in sheet["A2"].value
    assert sheet.freeze_panes == "A6"
    assert [sheet.cell(row=6, column=c).value for c in range(1, 8)] == [
        "200073237",
        "Communauté de communes de Gâtine-Racan",
        13200,
        20400,
        7200,
        12000,
        52800,
    ]
    for column in range(3, 8):
        for row in (6, 7, 8):
            cell = sheet.cell(row=row, column=column)
            assert isinstance(cell.value, int | float) and cell.number_format == '#,##0.00 "€"'
    assert sheet["A8"].value == "TOTAL" and sheet["G8"].value == 52800
    periods = workbook["Périodes"]
    assert [c.value for c in periods[4]][5:] == ["Avenant n°1 — COF-37-2022-001", 52800]


def grow(w, count):
    """``count`` more collectivités of Caf 37, each with a signed Cof and an avenant."""
    for index in range(count):
        epci = EpciFactory()
        la = LocalAuthority.objects.create(caf=w.caf, kind="epci", epci=epci, nom=epci.nom)
        ctg = CtgFactory(caf=w.caf, signataires=[la], themes=ALL_THEMES)
        cof = create_cof(
            w.admin,
            ctg=ctg,
            collectivite=la,
            debut=dt.date(2022, 1, 1),
            fin=dt.date(2025, 12, 31),
            numero=f"COF-N{index}",
        )
        sign(w.admin, cof, seed_rows(), dt.date(2022, 1, 1))
        sign(w.admin, cof, seed_rows(MOVED), dt.date(2023, 7, 1))


def test_budget_year_reads_a_fixed_number_of_queries_whatever_the_size(
    gatine, django_assert_num_queries
):
    """Computed (the Caf in view, its version before and after, three reads of the Cofs):
    seven queries; kept until the Caf's data change: three."""
    from coopctg.agreements import annual

    annual._KEPT.clear()
    with django_assert_num_queries(7):
        small = caf_budget(gatine.caf, 2023)
    with django_assert_num_queries(3):
        assert caf_budget(gatine.caf, 2023) == small
    grow(gatine, 4)
    with django_assert_num_queries(7):
        large = caf_budget(gatine.caf, 2023)
    assert len(small.rows) == 2 and len(large.rows) == 6
    assert large.total == Decimal("50419.73") * 5


# --- The pages --------------------------------------------------------------------------------


def page(client, user, year=2023, query=""):
    client.force_login(user)
    return client.get(reverse("budget:annual", args=[year]) + query)


def names(response):
    return [row["collectivite"].nom for row in response.context["rows"]]


def test_each_role_sees_its_collectivites(client, gatine):
    w = gatine
    both = ["Communauté de communes de Gâtine-Racan", "Commune de Saint-Pierre-des-Corps"]
    assert names(page(client, w.admin)) == both
    assert names(page(client, w.analyst)) == both
    assert names(page(client, w.advisor)) == both[:1]
    assert names(page(client, w.editor)) == both[:1]
    assert names(page(client, w.elu)) == both[:1]
    assert names(page(client, w.other_editor)) == both[1:]
    assert names(page(client, w.outsider)) == ["Communauté d'agglomération de Blois"]
    assert page(client, w.nobody).status_code == 404
    assert page(client, w.admin, query="?caf=41").status_code == 404
    assert page(client, w.outsider, query="?caf=41").status_code == 200
    assert page(client, w.admin, year=1000).status_code == 404


def test_page_shows_french_amounts_totals_and_navigation(client, gatine):
    response = page(client, gatine.admin)
    html = response.content.decode()
    assert "<h1>Budget 2023 — Caf de Touraine</h1>" in html
    assert "18\u202f019,73\u00a0€" in html  # enfance-jeunesse, Gâtine-Racan
    assert html.count("50\u202f419,73\u00a0€") == 2  # its total, and the totals row
    assert "0,00\u00a0€" in html and "aucune Cof en vigueur" in html
    assert "Enfance-jeunesse" in html
    assert f'href="{reverse("budget:annual", args=[2022])}"' in html
    assert f'href="{reverse("budget:annual", args=[2024])}"' in html
    assert f'href="{reverse("budget:annual_xlsx", args=[2023])}"' in html
    assert "du 01/07/2023 au 31/12/2023 (184 j) — Avenant n°1 — COF-37-2022-001" in html
    assert "365 jours" in html


def test_index_redirects_to_the_current_year(client, touraine):
    client.force_login(touraine.admin)
    year = dt.date.today().year
    response = client.get(reverse("budget:index"))
    assert response.status_code == 302
    assert response["Location"] == reverse("budget:annual", args=[year])
    response = client.get(reverse("budget:index") + "?annee=2023&caf=37")
    assert response["Location"] == reverse("budget:annual", args=[2023]) + "?caf=37"


def test_xlsx_download_is_scoped(client, gatine):
    client.force_login(gatine.editor)
    response = client.get(reverse("budget:annual_xlsx", args=[2023]))
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    assert response["Content-Disposition"] == 'attachment; filename="budget-37-2023.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content))["Budget 2023"]
    assert sheet["B6"].value == "Communauté de communes de Gâtine-Racan"
    assert sheet["A7"].value == "TOTAL"  # the other collectivité is not the editor's


@pytest.mark.parametrize("name", ["budget:annual", "budget:annual_xlsx"])
def test_page_queries_do_not_grow(client, gatine, django_assert_max_num_queries, name):
    client.force_login(gatine.admin)
    url = reverse(name, args=[2023])
    with django_assert_max_num_queries(20) as small:
        assert client.get(url).status_code == 200
    grow(gatine, 5)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200
    if name == "budget:annual":
        assert len(response.context["rows"]) == 7


def test_hostile_names_stay_inert_texts(gatine):
    """Security probe (issue 10): a collectivité's name that a spreadsheet would run stays a
    text (a quote first) in the budget's XLSX and CSV; a Word line break breaks nothing."""
    LocalAuthority.objects.filter(pk=gatine.own.pk).update(nom=FORMULAS[0])
    LocalAuthority.objects.filter(pk=gatine.other.pk).update(nom="-2+3")
    Caf.objects.filter(pk=gatine.caf.pk).update(nom=SOFT_BREAK)
    gatine.caf.refresh_from_db()
    budget = caf_budget(gatine.caf, 2024)
    texts = xlsx_texts(budget_xlsx(budget, gatine.caf))
    assert texts.count("'" + FORMULAS[0]) == 2  # the budget and its periods
    assert_inert(texts, "-2+3")
    assert any(text.endswith("Titre\ncollé") for text in texts)
    rows = csv_rows(budget_csv(budget))
    assert sorted(row[1] for row in rows[1:]) == ["'-2+3", "'" + FORMULAS[0]]

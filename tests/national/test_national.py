"""The national view (Cnaf): every Caf consolidated in one process, the sums agree to the cent
with the per-Caf figures, the pages are the national analyst's only, and their queries do not
grow with the number of Caf."""

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from coopctg.accounts.access import navigation_for, scope_of
from coopctg.accounts.roles import Role
from coopctg.dashboards.national import national_figures
from coopctg.organisations.models import Caf, LocalAuthority
from coopctg.territories.tilegrid import GridError, load_grid, parse_grid
from tests.agreements.helpers import ALL_THEMES, make_cof
from tests.factories import (
    CafFactory,
    CtgFactory,
    DepartementFactory,
    EpciFactory,
    LocalAuthorityFactory,
    member,
)


def add_caf(code: str, nom: str, siren: str, numero: str, user=None):
    """A Caf with one collectivité, its Ctg and a signed Cof (2022-2026)."""
    caf = CafFactory(
        departement=DepartementFactory(code=code, nom=f"Département {code}"), code=code, nom=nom
    )
    epci = EpciFactory(siren=siren, nom=f"Communauté de communes {code}")
    collectivite = LocalAuthorityFactory(caf=caf, epci=epci, nom=epci.nom)
    ctg = CtgFactory(caf=caf, signataires=[collectivite], intitule=f"Ctg {code}")
    ctg.themes = ALL_THEMES
    ctg.save()
    admin = user or member(Role.CAF_ADMIN, caf=caf, username=f"admin{code}")
    make_cof(admin, ctg, collectivite, numero)
    return caf


@pytest.fixture
def world(touraine):
    w = touraine
    for ctg in (w.ctg_own, w.ctg_other, w.ctg_foreign):
        ctg.themes = ALL_THEMES
        ctg.save()
    make_cof(w.admin, w.ctg_own, w.own, "COF-37-2022-901")
    make_cof(w.admin, w.ctg_other, w.other, "COF-37-2022-902")
    # Caf 41 has no parameter folder: it is funded with the national defaults.
    make_cof(w.outsider, w.ctg_foreign, w.foreign, "COF-41-2022-001")
    return w


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


# --- One process agrees with the per-Caf runs ---------------------------------------------------


def test_every_caf_budget_agrees_to_the_cent_with_the_per_caf_runs(world):
    add_caf("18", "Caf du Cher", "200000018", "COF-18-2022-001")
    every = json.loads(run("financement", "annuel", "--annee", "2024", "--caf", "tout"))
    per_caf = {
        code: json.loads(run("financement", "annuel", "--annee", "2024", "--caf", code))
        for code in ("18", "37", "41")
    }
    assert every["caf"] == "tout"
    assert Decimal(every["total"]) == sum(Decimal(one["total"]) for one in per_caf.values())
    assert Decimal(every["total"]) > 0
    for envelope in every["enveloppes"]:
        assert Decimal(envelope["montant"]) == sum(
            Decimal(e["montant"])
            for one in per_caf.values()
            for e in one["enveloppes"]
            if e["enveloppe"] == envelope["enveloppe"]
        )
    subtotals = {item["caf"]: item for item in every["cafs"]}
    assert set(subtotals) == {"18", "37", "41"}
    for code, one in per_caf.items():
        assert subtotals[code]["total"] == one["total"]
        assert subtotals[code]["enveloppes"] == one["enveloppes"]
        rows = [row for row in every["collectivites"] if row["caf"] == code]
        assert [{k: v for k, v in row.items() if k != "caf"} for row in rows] == one[
            "collectivites"
        ]


def test_every_caf_in_csv_leads_each_line_with_the_caf(world):
    text = run("financement", "annuel", "--annee", "2024", "--caf", "tout", "--format", "csv")
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("caf;code;nom;")
    assert {line.split(";")[0] for line in lines[1:]} == {"37", "41"}


def test_every_caf_payments_and_bilans(world):
    every = json.loads(run("versements", "--annee", "2024", "--caf", "tout"))
    one = {
        code: json.loads(run("versements", "--annee", "2024", "--caf", code))
        for code in ("37", "41")
    }
    assert [part["caf"] for part in every["cafs"]] == ["37", "41"]
    assert every["cafs"] == [one["37"], one["41"]]
    assert Decimal(every["totaux"]["montant_du"]) == sum(
        Decimal(o["totaux"]["montant_du"]) for o in one.values()
    )
    csv = run("versements", "--annee", "2024", "--caf", "tout", "--format", "csv").lstrip("\ufeff")
    assert csv.startswith("caf;code;") and len(csv.splitlines()) == 1 + 3
    bilans = json.loads(run("bilans", "liste", "--caf", "tout", "--format", "json"))
    assert {line["caf"] for line in bilans["bilans"]} == {"37", "41"}
    text = run("bilans", "liste", "--caf", "tout")
    assert text.startswith("Caf 37") and "Caf 41" in text


def test_every_caf_refuses_xlsx(world, capsys):
    with pytest.raises(SystemExit) as exit:
        call_command(
            "versements",
            "--annee",
            "2024",
            "--caf",
            "tout",
            "--format",
            "xlsx",
            "--sortie",
            "x.xlsx",
        )
    assert exit.value.code == 2
    assert "--caf tout s'écrit en json ou csv" in capsys.readouterr().err


def test_national_figures_are_the_sum_of_each_caf(world):
    figures = national_figures(2024, dt.date(2024, 6, 1))
    assert [one.caf.code for one in figures.cafs] == ["37", "41"]
    assert figures.total.total_amount == sum(one.total_amount for one in figures.cafs)
    assert figures.total.total_amount > 0
    assert figures.total.collectivites == LocalAuthority.objects.count()
    budget = json.loads(run("financement", "annuel", "--annee", "2024", "--caf", "tout"))
    assert figures.total.total_amount == Decimal(budget["total"])
    assert figures.total.payments.amount_due == figures.total.total_amount
    assert figures.cafs[0].coverage == Decimal("100.0")


def test_national_figures_follow_each_caf_s_writes(world):
    """Kept per Caf until its data change: a write in one Caf recomputes that Caf only, and the
    figures are those of a fresh computation."""
    from coopctg.dashboards import national

    day = dt.date(2024, 6, 1)
    national._KEPT.clear()
    first = national_figures(2024, day)
    computed = national._KEPT.computed
    again = national_figures(2024, day)
    assert national._KEPT.computed == computed  # nothing changed: nothing computed
    assert again.total.total_amount == first.total.total_amount
    assert first.cafs[1].collectivites == 1
    LocalAuthorityFactory(caf=world.foreign.caf, epci=EpciFactory(), nom="Nouvelle CC")
    computed = national._KEPT.computed
    after = national_figures(2024, day)
    assert after.cafs[1].collectivites == 2
    assert after.total.collectivites == first.total.collectivites + 1
    # The territory (an EPCI: shared by every Caf) and the collectivité: both Caf again.
    assert national._KEPT.computed == computed + 2
    world.foreign.nom = "Renommée"
    world.foreign.save()
    computed = national._KEPT.computed
    national_figures(2024, day)
    assert national._KEPT.computed == computed + 1  # the Caf of Loir-et-Cher only
    national._KEPT.clear()
    fresh = national_figures(2024, day)
    assert fresh.total.total_amount == after.total.total_amount
    assert fresh.total.collectivites == after.total.collectivites


def test_national_figures_computed_afresh_keep_a_fixed_number_of_queries(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from coopctg.core.versions import forget_all

    day = dt.date(2024, 6, 1)
    national_figures(2024, day)  # warm the parameter caches
    forget_all()
    with CaptureQueriesContext(connection) as before:
        national_figures(2024, day)
    for code, siren in (("18", "200000018"), ("36", "200000036")):
        add_caf(code, f"Caf {code}", siren, f"COF-{code}-2022-001")
    forget_all()
    with CaptureQueriesContext(connection) as after:
        assert len(national_figures(2024, day).cafs) == 4
    assert len(after.captured_queries) == len(before.captured_queries)


# --- Pages ------------------------------------------------------------------------------------


def test_national_analyst_sees_every_caf_read_only(world):
    scope = scope_of(world.national)
    assert scope.national
    assert scope.caf_wide_ids == set(Caf.objects.values_list("id", flat=True))
    assert not (scope.caf_admin_ids or scope.advised_ids or scope.edited_ids)
    labels = [label for label, _url in navigation_for(world.national)]
    assert labels[0] == "Vue nationale"
    assert "Comptes" not in labels and "Simulateur" not in labels
    for user in (world.admin, world.analyst, world.outsider, world.editor):
        assert "Vue nationale" not in [label for label, _ in navigation_for(user)]


def test_map_and_table_show_the_same_figures(client, world):
    client.force_login(world.national)
    response = client.get(reverse("national:annual", args=[2024]), {"indicateur": "montant"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<rect ") == 101  # every département, a Caf of CoopCTG or not
    assert "Caf de Touraine" in html and "Caf de Loir-et-Cher" in html
    assert "aucune Caf dans CoopCTG" in html
    assert 'href="/tableau-de-bord/caf/41/?annee=2024"' in html
    assert "Financement de l&#x27;année (€)" in html
    response = client.get(reverse("national:annual", args=[2024]), {"indicateur": "inconnu"})
    assert response.status_code == 200  # falls back to the coverage
    budget = client.get(reverse("national:budget", args=[2024])).content.decode()
    assert "Versements 2024" in budget and "France" in budget


def test_xlsx_has_one_line_per_caf_and_the_total(client, world):
    client.force_login(world.national)
    response = client.get(reverse("national:annual_xlsx", args=[2024]))
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Caf", "Budget", "Versements"]
    sheet = workbook["Caf"]
    assert [sheet.cell(row=r, column=1).value for r in (4, 5, 6)] == ["37", "41", "TOTAL"]
    figures = national_figures(2024, dt.date.today())
    assert Decimal(str(sheet.cell(row=6, column=8).value)) == figures.total.total_amount


@pytest.mark.parametrize(
    "role", ["admin", "analyst", "advisor", "editor", "elu", "outsider", "nobody"]
)
def test_nothing_national_for_a_caf_or_collectivite_role(client, world, role):
    client.force_login(getattr(world, role))
    for url in (
        reverse("national:index"),
        reverse("national:annual", args=[2024]),
        reverse("national:budget", args=[2024]),
        reverse("national:annual_xlsx", args=[2024]),
    ):
        assert client.get(url).status_code == 404


def test_national_pages_queries_do_not_grow_with_the_caf(
    client, world, django_assert_max_num_queries
):
    client.force_login(world.national)
    url = reverse("national:annual", args=[2024])
    client.get(url)  # warm the parameter caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as before:
        assert client.get(url).status_code == 200
    for code, siren in (("18", "200000018"), ("36", "200000036"), ("45", "200000045")):
        add_caf(code, f"Caf {code}", siren, f"COF-{code}-2022-001")
    world.national._coopctg_scope = None
    client.get(url)
    with CaptureQueriesContext(connection) as after:
        html = client.get(url).content.decode()
    assert "Caf 45" in html
    assert len(after.captured_queries) == len(before.captured_queries)
    with django_assert_max_num_queries(len(before.captured_queries)):
        client.get(reverse("national:budget", args=[2024]))


# --- The grid ------------------------------------------------------------------------------


def test_the_grid_has_every_departement_once():
    from pathlib import Path

    codes = {
        line.split(",")[0]
        for line in Path("coopctg/territories/data/territoires/departements.csv")
        .read_text(encoding="utf-8")
        .splitlines()[1:]
    }
    cells = load_grid()
    assert {cell.code for cell in cells} == codes and len(cells) == 101


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("code,ligne\n", "ligne 1"),
        ("code,ligne,colonne\n37,1,x\n", "ligne 2"),
        ("code,ligne,colonne\n37,1,1\n37,1,2\n", "« 37 » en double"),
        ("code,ligne,colonne\n37,1,1\n41,1,1\n", "case (1, 1) en double"),
    ],
)
def test_a_bad_grid_names_the_line(text, message):
    with pytest.raises(GridError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_grid(text)


def test_national_role_from_the_command_line_with_history(world):
    from coopctg.core.models import AuditEntry

    out = io.StringIO()
    call_command("comptes", "national", "sansrole", stdout=out)
    assert "donné" in out.getvalue()
    assert scope_of(type(world.nobody).objects.get(pk=world.nobody.pk)).national
    entry = AuditEntry.objects.filter(objet_id=str(world.nobody.pk)).latest("horodatage")
    assert entry.avant["roles"] == [] and len(entry.apres["roles"]) == 1
    listing = json.loads(run("comptes", "liste", "--format", "json"))
    nobody = next(a for a in listing["comptes"] if a["identifiant"] == "sansrole")
    assert nobody["roles"] == [{"role": "analyste_national", "perimetre": "national"}]
    call_command("comptes", "national", "sansrole", "--retirer", stdout=io.StringIO())
    listing = json.loads(run("comptes", "liste", "--format", "json"))
    assert next(a for a in listing["comptes"] if a["identifiant"] == "sansrole")["roles"] == []


def test_the_national_analyst_lands_on_the_national_view(client, world):
    client.force_login(world.national)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == reverse("national:index")


def test_the_national_api_gives_the_figures_of_the_page(client, world):
    """The same figures as the page and the workbook, euros to the cent as text."""
    from coopctg.api.models import ApiToken

    _, token = ApiToken.create_for(world.national, "essai")
    response = client.get(
        reverse("api:national", args=[2024]), headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    data = response.json()
    figures = national_figures(2024, dt.date.today())
    assert [one["caf"] for one in data["caf"]] == ["37", "41"]
    assert data["total"]["caf"] is None
    assert Decimal(data["total"]["montant_total"]) == figures.total.total_amount
    assert sum(Decimal(one["montant_total"]) for one in data["caf"]) == Decimal(
        data["total"]["montant_total"]
    )
    assert data["total"]["collectivites"] == LocalAuthority.objects.count()
    refused = client.get(
        reverse("api:national", args=[1492]), headers={"Authorization": f"Bearer {token}"}
    )
    assert refused.status_code == 422 and "année" in refused.json()["detail"]

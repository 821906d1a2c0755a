"""Lists that hold the scale: every list page filtered on the server and cut in pages (the
query count does not grow with the rows), the navigation keeping the filters, the heavy JSON
columns never read; the API's keyset pagination (``?apres=``)."""

import datetime as dt
import re
from contextlib import contextmanager

import pytest
from django.db import connection
from django.db.models.signals import post_init
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from coopctg.accounts.models import Membership
from coopctg.accounts.roles import Role
from coopctg.agreements.models import FundingAgreement
from coopctg.governance.models import Meeting
from coopctg.organisations.models import LocalAuthority
from coopctg.www import pagination
from tests.factories import CtgFactory, LocalAuthorityFactory, UserFactory

PER = 5


@pytest.fixture(autouse=True)
def small_pages(monkeypatch):
    monkeypatch.setattr(pagination, "PER_PAGE", PER)


@pytest.fixture
def national(touraine):
    """An administrator of both Caf (37 and 41): a scope of several Caf."""
    user = UserFactory(username="admin.deux.caf")
    for caf in (touraine.caf, touraine.caf_b):
        Membership.objects.create(user=user, role=Role.CAF_ADMIN.value, caf=caf)
    return user


@pytest.fixture
def long_lists(monkeypatch):
    """Every list is long enough for its page to sort the keys first."""
    from coopctg.api import pagination as api_pagination

    monkeypatch.setattr(api_pagination, "LEAN_SORT_FROM", 0)


def grow(w, n, caf=None, start=0):
    """``n`` collectivités of ``caf`` (Caf 37 by default), each with its Ctg and a signed Cof
    of 2024-2025 (two bilans to write, tasks of the Échéances page)."""
    caf = caf or w.caf
    for i in range(start, start + n):
        la = LocalAuthorityFactory(caf=caf, nom=f"Territoire-{caf.code}-{i:03d}")
        ctg = CtgFactory(caf=caf, signataires=[la], intitule=f"Ctg-liste-{caf.code}-{i:03d}")
        FundingAgreement.objects.create(
            ctg=ctg,
            collectivite=la,
            numero=f"COF-LISTE-{caf.code}-{i:03d}",
            date_debut=dt.date(2024, 1, 1),
            date_fin=dt.date(2025, 12, 31),
            statut=FundingAgreement.Status.SIGNEE,
        )


#: Each list page: its URL name and the text that marks one of its rows.
LISTS = {
    "bilans": ("reports:list", r"COF-LISTE-\d+-\d+</a>"),
    "cof": ("agreements:list", r"COF-LISTE-\d+-\d+</a>"),
    "ctg": ("ctg:list", r'<td><a href="/ctg/\d+/">'),
    "collectivites": ("organisations:collectivites", r'<td><a href="/collectivites/\d+/">'),
    "echeances": ("deadlines:list", r'<tr class="db-deadline-'),
}


def rows(html: str, pattern: str) -> int:
    return len(re.findall(pattern, html))


def get(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("name", LISTS)
def test_a_page_holds_per_page_rows_and_queries_do_not_grow(
    client, touraine, national, name, computed_afresh
):
    url_name, pattern = LISTS[name]
    url = reverse(url_name)
    client.force_login(national)
    grow(touraine, 3)
    get(client, url)  # warm caches (parameters, scope)
    with CaptureQueriesContext(connection) as few:
        get(client, url)
    grow(touraine, 27, start=3)
    with CaptureQueriesContext(connection) as many:
        html = get(client, url)
    assert len(many.captured_queries) <= len(few.captured_queries), name
    assert rows(html, pattern) == PER
    assert 'aria-current="page"' in html and 'rel="next"' in html
    last = get(client, f"{url}?page=9999")  # beyond: the last page
    assert 1 <= rows(last, pattern) <= PER and 'rel="next"' not in last
    assert rows(get(client, f"{url}?page=abc"), pattern) == PER  # not a number: the first


@pytest.mark.parametrize("name", LISTS)
def test_caf_filter_and_pagination_keeps_it(client, touraine, national, name):
    url_name, pattern = LISTS[name]
    url = reverse(url_name)
    grow(touraine, 8)
    grow(touraine, 8, caf=touraine.caf_b)
    client.force_login(national)
    html = get(client, url)
    assert '<label for="id_caf">Caf (département)</label>' in html
    filtered = get(client, f"{url}?caf=41")
    assert "-41-" in filtered and not re.search(r"(COF-LISTE|Territoire|Ctg-liste)-37-", filtered)
    assert 'href="?caf=41&amp;page=2"' in filtered  # the navigation keeps the filter
    second = get(client, f"{url}?caf=41&page=2")
    assert rows(second, pattern) >= 1 and not re.search(r"-37-\d{3}", second)
    assert re.search(r'<option value="41" selected>', second)


def test_the_caf_filter_is_hidden_for_one_caf(client, touraine):
    client.force_login(touraine.admin)
    assert 'id="id_caf"' not in get(client, reverse("ctg:list"))


def test_filters_of_each_list(client, touraine, national):
    grow(touraine, 4)
    client.force_login(national)
    assert "COF-LISTE" not in get(client, reverse("agreements:list") + "?statut=projet")
    assert "Ctg-liste" not in get(client, reverse("ctg:list") + "?statut=projet")
    communes = get(client, reverse("organisations:collectivites") + "?type=commune")
    assert "Territoire-" not in communes and "Saint-Pierre-des-Corps" in communes
    assert "Territoire-37-002" in get(client, reverse("organisations:collectivites") + "?q=37-002")
    bilans = get(client, reverse("reports:list") + "?annee=2025&caf=37")
    assert rows(bilans, LISTS["bilans"][1]) == 4 and "<td>2024</td>" not in bilans
    deadlines = get(client, reverse("deadlines:list") + "?type=ctg_fin")
    assert 'db-deadline-bilan"' not in deadlines


def test_deadlines_of_one_kind_skip_the_other_queries(client, touraine, national):
    grow(touraine, 3)
    client.force_login(national)
    url = reverse("deadlines:list")
    get(client, url)
    with CaptureQueriesContext(connection) as every:
        get(client, url)
    with CaptureQueriesContext(connection) as one:
        get(client, url + "?type=demande")
    assert len(one.captured_queries) < len(every.captured_queries)


def test_recruitments_list_in_pages(client, touraine, national):
    from coopctg.framework.loader import load_framework
    from coopctg.recruitment.models import Recruitment

    version = load_framework()

    def add(n, start=0, caf=touraine.caf):
        for i in range(start, start + n):
            la = LocalAuthorityFactory(caf=caf, nom=f"Territoire-{caf.code}-{i:03d}")
            Recruitment.objects.create(
                collectivite=la,
                ctg=CtgFactory(caf=caf, signataires=[la]),
                referentiel=version,
                intitule=f"Poste-{caf.code}-{i:03d}",
                type_poste="thematique",
            )

    url = reverse("recruitment:list")
    client.force_login(national)
    add(3)
    get(client, url)
    with CaptureQueriesContext(connection) as few:
        get(client, url)
    add(27, start=3)
    add(2, caf=touraine.caf_b)
    with CaptureQueriesContext(connection) as many:
        html = get(client, url)
    assert len(many.captured_queries) <= len(few.captured_queries)
    assert rows(html, r">Poste-\d+-\d+</a>") == PER
    only_b = get(client, url + "?caf=41")
    assert rows(only_b, r">Poste-41-\d+</a>") == 2 and "Poste-37" not in only_b


# --- The rows of the page only -------------------------------------------------------------


@contextmanager
def instances(*models):
    """How many objects of each of ``models`` are built (``post_init``) inside the block."""
    built = {model: 0 for model in models}

    def count(sender, **kwargs):
        built[sender] += 1

    for model in models:
        post_init.connect(count, sender=model, weak=False)
    try:
        yield built
    finally:
        for model in models:
            post_init.disconnect(count, sender=model)


def test_bilans_list_builds_the_rows_of_its_page_only(client, touraine, national):
    """The (Cof, year) rows of the whole scope are light tuples: only the page's Cof and
    reports become objects, however many Cof the national user sees."""
    from coopctg.reports.models import AnnualReport

    grow(touraine, 20)
    grow(touraine, 10, caf=touraine.caf_b)
    client.force_login(national)
    url = reverse("reports:list")
    get(client, url)
    with instances(FundingAgreement, AnnualReport) as built:
        html = get(client, url)
    assert rows(html, LISTS["bilans"][1]) == PER
    assert built[FundingAgreement] <= PER and built[AnnualReport] <= PER
    late = get(client, url + "?etat=a_rediger&caf=41&annee=2025")  # filters still apply
    assert rows(late, r"COF-LISTE-41-\d+</a>") == PER and "COF-LISTE-37" not in late


def test_cof_list_counts_the_scope_alone_and_reads_the_shown_columns(client, touraine, national):
    """The count of the Cof list joins no request (the « demande en cours » badge is an EXISTS
    of the page's rows) and the page reads neither the Ctg's themes nor the versions' files;
    the rows link to their Cof and version."""
    from tests.agreements.helpers import make_cof

    cof = make_cof(touraine.admin, touraine.ctg_own, touraine.own, "COF-37-2022-001")
    grow(touraine, 6)
    client.force_login(national)
    url = reverse("agreements:list")
    with CaptureQueriesContext(connection) as captured:
        html = get(client, url)
    counts = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]
    cofs = [c for c in counts if "agreements_fundingagreement" in c]
    assert cofs and not any("agreements_modificationrequest" in c for c in cofs)
    assert not selects(captured, '"ctg_ctg"."themes"')
    assert not selects(captured, '"agreements_agreementversion"."document"')
    version = cof.versions.get(numero=0)
    assert f'href="{reverse("agreements:detail", args=[cof.pk])}"' in html
    assert f'href="{reverse("agreements:version", args=[version.pk])}">Cof initiale' in html


@pytest.mark.skipif(
    not connection.features.allow_sliced_subqueries_with_in, reason="LIMIT in IN (SELECT …)"
)
def test_list_page_sorts_the_keys_then_reads_its_rows(client, touraine, national, long_lists):
    """A list page of a queryset: the database sorts the scope's keys (a lean subquery with
    the page's LIMIT), then reads the columns of the page's rows only."""
    grow(touraine, 12)
    client.force_login(national)
    url = reverse("ctg:list")
    first = get(client, url)
    with CaptureQueriesContext(connection) as captured:
        second = get(client, url + "?page=2")
    (page,) = selects(captured, '"ctg_ctg"."intitule", "ctg_ctg"."date_debut"')
    outer, _, inner = page.partition("IN (SELECT")
    assert inner and "LIMIT" in inner and "LIMIT" not in outer
    pattern = r'<td><a href="/ctg/(\d+)/">'
    assert not set(re.findall(pattern, first)) & set(re.findall(pattern, second))
    assert rows(second, pattern) == PER


@pytest.mark.parametrize("name", ["ctg:list", "api:ctgs"])
def test_ctg_lists_build_no_queryset_per_row(client, touraine, national, monkeypatch, name):
    """The signatories of the page's Ctg are prefetched as lists: no related manager's
    queryset is built for each row (that was most of the page's time)."""
    from django.db.models.query import QuerySet

    clones = []
    original = QuerySet._clone
    monkeypatch.setattr(QuerySet, "_clone", lambda qs: clones.append(1) or original(qs))
    monkeypatch.setattr(pagination, "PER_PAGE", 50)  # every row on the page
    client.force_login(national)
    grow(touraine, 2)
    get(client, reverse(name))
    clones.clear()
    get(client, reverse(name))
    few = len(clones)
    grow(touraine, 4, start=2)
    clones.clear()
    html = get(client, reverse(name))
    assert len(clones) == few, name
    assert "Territoire-37-005" in html  # a signatory of the last Ctg added


# --- Heavy JSON never read ------------------------------------------------------------------


def selects(captured, column: str) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if column in q["sql"]]


def test_the_lists_do_not_read_the_heavy_json(client, touraine, national):
    from coopctg.agreements.models import AgreementVersion
    from coopctg.framework.loader import load_framework
    from coopctg.reports.models import AnnualReport
    from tests.agreements.helpers import make_cof

    framework = load_framework()
    cof = make_cof(touraine.admin, touraine.ctg_own, touraine.own, "COF-37-2022-001")
    assert AgreementVersion.objects.filter(cof=cof, ventilation__isnull=False).exists()
    AnnualReport.objects.create(cof=cof, annee=2023, referentiel=framework, faits={"a": 1})
    client.force_login(national)
    for url, column in [
        (reverse("reports:list"), '."faits"'),
        (reverse("agreements:list"), '."ventilation"'),
        (reverse("ctg:list"), '"ctg_ctg"."themes"'),
        (reverse("api:cofs"), '"ctg_ctg"."themes"'),
        (reverse("organisations:collectivites"), '."geometrie"'),
        (reverse("api:bilans"), '."faits"'),
        (reverse("api:financement_annuel") + "?annee=2024", '."geometrie"'),
        (reverse("payments:index"), '."geometrie"'),
    ]:
        with CaptureQueriesContext(connection) as captured:
            get(client, url)
        assert not selects(captured, column), url
    assert "Cof initiale" in get(client, reverse("agreements:list"))  # the version is shown


# --- API: keyset pagination -------------------------------------------------------------------


def walk(client, url: str, size: int) -> list[int]:
    """Every id of the list, page after page by cursor."""
    body = client.get(f"{url}?taille={size}").json()
    ids = [item["id"] for item in body["resultats"]]
    while body["suivant"]:
        response = client.get(url, {"taille": size, "apres": body["suivant"]})
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["total"] is None and body["page"] is None
        ids += [item["id"] for item in body["resultats"]]
    return ids


def test_api_cursor_walks_every_row_once(client, touraine, national):
    grow(touraine, 12)
    # Ties on the sort key (same collectivité name, same start): the primary key decides.
    LocalAuthority.objects.filter(nom__startswith="Territoire-37-00").update(nom="Même nom")
    client.force_login(national)
    for name in ("api:cofs", "api:ctgs", "api:collectivites"):
        url = reverse(name)
        everything = [item["id"] for item in client.get(f"{url}?taille=200").json()["resultats"]]
        walked = walk(client, url, 5)
        assert walked == everything and len(set(walked)) == len(walked), name


def test_api_cursor_reads_no_count_nor_offset(client, touraine, national):
    grow(touraine, 12)
    client.force_login(national)
    url = reverse("api:cofs")
    first = client.get(f"{url}?taille=5").json()
    assert first["total"] == FundingAgreement.objects.count() == 12
    with CaptureQueriesContext(connection) as captured:
        body = client.get(url, {"taille": 5, "apres": first["suivant"]}).json()
    sql = " ".join(q["sql"] for q in captured.captured_queries).upper()
    assert "COUNT(" not in sql and "OFFSET" not in sql
    assert len(body["resultats"]) == 5


@pytest.mark.skipif(
    not connection.features.allow_sliced_subqueries_with_in, reason="LIMIT in IN (SELECT …)"
)
@pytest.mark.parametrize("paged", ["?taille=5&page=2", "cursor"])
def test_api_page_sorts_the_keys_then_reads_its_rows(client, touraine, national, paged, long_lists):
    """The database sorts the scope's keys (a lean subquery with the page's LIMIT), then reads
    the joined columns of the page's rows only: never every column of every row sorted."""
    grow(touraine, 12)
    client.force_login(national)
    url = reverse("api:cofs")
    if paged == "cursor":
        paged = "?taille=5&apres=" + client.get(f"{url}?taille=5").json()["suivant"]
    everything = [item["id"] for item in client.get(f"{url}?taille=200").json()["resultats"]]
    with CaptureQueriesContext(connection) as captured:
        body = client.get(url + paged).json()
    assert [item["id"] for item in body["resultats"]] == everything[5:10]
    (page,) = selects(captured, '"agreements_fundingagreement"."date_fin"')
    outer, _, inner = page.partition("IN (SELECT")
    assert inner and "LIMIT" in inner and "LIMIT" not in outer
    assert '"organisations_localauthority"."nom"' in outer  # the joins of the page only


def test_a_short_list_page_reads_its_rows_in_one_sort(client, touraine, national):
    """Below LEAN_SORT_FROM rows, sorting every column of the few rows costs less than the
    keys' subquery: the page is a plain LIMIT."""
    grow(touraine, 7)
    client.force_login(national)
    with CaptureQueriesContext(connection) as captured:
        body = client.get(reverse("api:cofs") + "?taille=5&page=2").json()
    assert len(body["resultats"]) == 2
    (page,) = selects(captured, '"agreements_fundingagreement"."date_fin"')
    assert "IN (SELECT" not in page and "LIMIT" in page


def test_api_page_contract_is_kept(client, touraine, national):
    grow(touraine, 7)
    client.force_login(national)
    body = client.get(reverse("api:ctgs") + "?page=2&taille=5").json()
    assert body["page"] == 2 and body["taille"] == 5 and body["total"] >= 7
    assert set(body) == {"total", "page", "taille", "suivant", "resultats"}


def test_api_cursor_with_nulls_in_the_sort_key(client, touraine, national):
    """Instances sorted by date then time (often empty): no row lost nor repeated."""
    day = dt.date(2024, 3, 12)
    for i in range(7):
        Meeting.objects.create(
            ctg=touraine.ctg_own,
            kind="cotech",
            date=day + dt.timedelta(days=i % 2),
            heure=dt.time(9 + i, 0) if i % 3 else None,
        )
    client.force_login(national)
    url = reverse("api:instances", args=[touraine.ctg_own.pk])
    everything = [item["id"] for item in client.get(f"{url}?taille=200").json()["resultats"]]
    assert len(everything) == 7
    for size in (1, 2, 3):
        assert walk(client, url, size) == everything


def test_api_bad_or_stale_cursor_is_a_422(client, touraine, national):
    grow(touraine, 6)
    client.force_login(national)
    url = reverse("api:cofs")
    response = client.get(url, {"apres": "pas-un-curseur"})
    assert response.status_code == 422
    assert response.json()["erreurs"][0]["champ"] == "apres"
    cursor = client.get(f"{url}?taille=2").json()["suivant"]
    # The same cursor on a filter its row does not match: refused, not a wrong page.
    response = client.get(url, {"apres": cursor, "statut": "projet"})
    assert response.status_code == 422 and "première page" in response.json()["detail"]
    # A cursor of another list is refused, never read as a position in this one.
    response = client.get(reverse("api:ctgs"), {"apres": cursor})
    assert response.status_code == 422 and response.json()["erreurs"][0]["champ"] == "apres"


def test_api_echeances_cursor(client, touraine, national):
    grow(touraine, 6)
    client.force_login(national)
    url = reverse("api:echeances")
    everything = client.get(f"{url}?taille=200").json()["resultats"]
    keys = [(item["type"], item["date"], item["quoi"]) for item in everything]
    body = client.get(f"{url}?taille=4").json()
    walked = [(item["type"], item["date"], item["quoi"]) for item in body["resultats"]]
    while body["suivant"]:
        body = client.get(url, {"taille": 4, "apres": body["suivant"]}).json()
        walked += [(item["type"], item["date"], item["quoi"]) for item in body["resultats"]]
    assert walked == keys and len(keys) > 4
    only_b = client.get(f"{url}?caf=41&taille=200").json()["resultats"]
    assert all("37-" not in item["territoire"] for item in only_b)


# --- Home page --------------------------------------------------------------------------------


def test_home_lists_a_few_collectivites_without_ctg_and_counts_them(
    client, touraine, computed_afresh
):
    from coopctg.www.home_views.views import HOME_TASKS

    for i in range(HOME_TASKS + 5):
        LocalAuthorityFactory(caf=touraine.caf, nom=f"Sans-Ctg-{i:03d}")
    client.force_login(touraine.admin)
    url = reverse("home")
    get(client, url)
    with CaptureQueriesContext(connection) as few:
        html = get(client, url)
    assert html.count("n'a pas de Ctg en vigueur") == HOME_TASKS
    assert f"{HOME_TASKS + 5} collectivités sans Ctg en vigueur en tout" in html
    for i in range(20):
        LocalAuthorityFactory(caf=touraine.caf, nom=f"Sans-Ctg-plus-{i:03d}")
    with CaptureQueriesContext(connection) as many:
        get(client, url)
    assert len(many.captured_queries) <= len(few.captured_queries)


def test_cof_list_lists_collectivites_once_a_caf_is_chosen(client, touraine, national):
    grow(touraine, 3)
    grow(touraine, 2, caf=touraine.caf_b)
    client.force_login(national)
    url = reverse("agreements:list")
    assert 'id="id_collectivite"' not in get(client, url)  # several Caf: no select of all
    chosen = get(client, url + "?caf=41")
    assert 'id="id_collectivite"' in chosen and "Territoire-37-" not in chosen
    la = LocalAuthority.objects.get(nom="Territoire-41-001")
    one = get(client, f"{url}?caf=41&collectivite={la.pk}")
    assert rows(one, LISTS["cof"][1]) == 1

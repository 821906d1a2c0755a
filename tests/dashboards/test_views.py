"""The tableaux de bord and the échéances, end to end on the ``touraine`` world."""

import datetime as dt
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from coopctg.actionplan.models import Action
from coopctg.agreements import workflow
from coopctg.governance.models import Meeting
from coopctg.organisations.models import LocalAuthority
from tests.agreements.helpers import make_cof, proposal
from tests.factories import CommuneFactory, CtgFactory
from tests.governance.test_views import meeting_data, text_of

TODAY = dt.date(2026, 5, 20)  # 1st semester 2026 of the Ctg 2022-2026


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    real = timezone.localdate

    def localdate(value=None, timezone=None):
        return TODAY if value is None else real(value, timezone)

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)
    return TODAY


def get(client, name, *args, **params) -> str:
    response = client.get(reverse(name, args=args), params)
    assert response.status_code == 200
    text = html.unescape(response.content.decode())
    return text.replace("\u202f", " ").replace("\xa0", " ")


def fill_governance(ctg, *, skip=("2022-S1",)):
    """A Copil each year and a Cotech each semester up to today, except the ``skip`` ones."""
    for year in range(2022, 2026):
        Meeting.objects.create(ctg=ctg, kind="copil", date=dt.date(year, 10, 1))
    for year in range(2022, 2026):
        for half, month in ((1, 3), (2, 10)):
            if f"{year}-S{half}" not in skip:
                Meeting.objects.create(ctg=ctg, kind="cotech", date=dt.date(year, month, 2))


# --- The done criterion: a missing Cotech, then added --------------------------------------


def test_missing_cotech_non_compliant_on_both_dashboards_then_fixed(client, touraine):
    ctg = touraine.ctg_own
    fill_governance(ctg)
    client.force_login(touraine.editor)
    page = get(client, "dashboards:collectivite", touraine.own.pk)
    assert "non conforme" in text_of(page, f"cotech-{ctg.pk}-2022-S1")
    assert "non conforme" not in text_of(page, f"cotech-{ctg.pk}-2022-S2")
    assert "en cours" in text_of(page, f"cotech-{ctg.pk}-2026-S1")
    assert "Gouvernance : non conforme" in page

    client.force_login(touraine.admin)
    page = get(client, "dashboards:caf", "37")
    row = text_of(page, f"territoire-{touraine.own.pk}")
    assert "non conforme" in row and "gouvernance manquante" in row
    assert "Cotech manquant : 1er semestre 2022" in row

    client.force_login(touraine.editor)
    response = client.post(reverse("governance:instance_create", args=[ctg.pk]), meeting_data())
    assert response.status_code == 302

    page = get(client, "dashboards:collectivite", touraine.own.pk)
    row = text_of(page, f"cotech-{ctg.pk}-2022-S1")
    assert "conforme" in row and "non conforme" not in row
    assert "Gouvernance : conforme" in page

    client.force_login(touraine.admin)
    page = get(client, "dashboards:caf", "37")
    row = text_of(page, f"territoire-{touraine.own.pk}")
    assert "non conforme" not in row and "gouvernance manquante" not in row
    assert "conforme" in text_of(page, f"gouvernance-{touraine.own.pk}")


# --- Collectivité dashboard -------------------------------------------------------------------


def test_collectivite_dashboard_charts_from_real_data(client, touraine):
    ctg = touraine.ctg_own
    Action.objects.create(
        ctg=ctg,
        code="A01",
        titre="Relais petite enfance",
        themes=["petite_enfance"],
        statut="en_cours",
        avancement=40,
        date_fin=dt.date(2026, 1, 31),
    )
    Action.objects.create(
        ctg=ctg,
        code="A02",
        titre="LAEP",
        themes=["petite_enfance", "parentalite"],
        statut="en_cours",
        avancement=80,
        date_fin=dt.date(2026, 12, 31),
    )
    Meeting.objects.create(ctg=ctg, kind="copil", date=dt.date(2026, 6, 20), objet="Copil 2026")
    make_cof(touraine.admin, ctg, touraine.own, "COF-37-2022-950")
    client.force_login(touraine.elu)
    page = get(client, "dashboards:collectivite", touraine.own.pk)
    # action progress by theme: the chart and its table
    assert f'aria-labelledby="avancement-{ctg.pk}-titre avancement-{ctg.pk}-desc"' in page
    assert "Petite enfance : 60 % (2 actions, 1 en retard)" in page
    assert "Parentalité : 80 % (1 action)" in page
    # next meetings, with the link to the instance
    meeting = Meeting.objects.get(objet="Copil 2026")
    assert reverse("governance:instance", args=[meeting.pk]) in page
    # funding of the year: 2 Etp, 48 000 € (the référentiel's example)
    assert "48 000,00 €" in page and "2 Etp" in page
    assert 'id="financement-euros-titre"' in page
    # deadlines: report 2025 due 31/03/2026, late; Ctg end
    assert "Bilan annuel 2025 à rédiger et transmettre" in page
    assert "31/12/2026" in page


def test_collectivite_dashboard_scoping(client, touraine):
    client.force_login(touraine.other_editor)
    assert client.get(reverse("dashboards:collectivite", args=[touraine.own.pk])).status_code == 404
    client.force_login(touraine.outsider)
    assert client.get(reverse("dashboards:collectivite", args=[touraine.own.pk])).status_code == 404
    assert (
        client.get(reverse("dashboards:collectivite", args=[touraine.foreign.pk])).status_code
        == 200
    )


# --- Caf dashboard ----------------------------------------------------------------------------


def test_caf_dashboard_scoping(client, touraine):
    client.force_login(touraine.outsider)
    assert client.get(reverse("dashboards:caf", args=["37"])).status_code == 404
    page = get(client, "dashboards:caf", "41")
    assert "Blois" in page and "Gâtine" not in page and "Saint-Pierre" not in page
    client.force_login(touraine.editor)
    assert client.get(reverse("dashboards:caf", args=["37"])).status_code == 404
    client.force_login(touraine.advisor)  # the advisor sees the collectivités they follow
    page = get(client, "dashboards:caf", "37")
    assert "Gâtine-Racan" in page and "Saint-Pierre" not in page


def test_caf_dashboard_envelopes_and_filters(client, touraine):
    make_cof(touraine.admin, touraine.ctg_own, touraine.own, "COF-37-2022-951")
    client.force_login(touraine.admin)
    page = get(client, "dashboards:caf", "37", annee="2024")
    assert "Financement dû au titre de 2024" in page
    assert text_of(page, f"territoire-{touraine.own.pk}").count("48 000 €") == 1
    assert "2 territoires sur 2" in page
    page = get(client, "dashboards:caf", "37", q="saint-pierre")
    assert "1 territoire sur 2" in page and f'id="territoire-{touraine.other.pk}"' in page
    page = get(client, "dashboards:caf", "37", enveloppe="parentalite", annee="2024")
    assert f'id="territoire-{touraine.own.pk}"' in page
    assert f'id="territoire-{touraine.other.pk}"' not in page
    page = get(client, "dashboards:caf", "37", etat="a_jour")
    assert "0 territoire sur 2" in page
    # team-level figures only: no staff name, no per-person column
    assert "Sylvie" not in text_of(page, "territoires")


def _add_territories(touraine, count):
    for index in range(count):
        commune = CommuneFactory(
            code_insee=f"372{index:02d}", departement=touraine.dep, epci=touraine.epci_other
        )
        la = LocalAuthority.objects.create(
            caf=touraine.caf, kind="commune", commune=commune, nom=f"Commune {index}"
        )
        ctg = CtgFactory(caf=touraine.caf, signataires=[la], intitule=f"Ctg {index}")
        Meeting.objects.create(ctg=ctg, kind="cotech", date=dt.date(2023, 3, 1))
        Action.objects.create(
            ctg=ctg,
            code="A01",
            titre="Action",
            themes=["jeunesse"],
            statut="en_cours",
            avancement=10,
            date_fin=dt.date(2025, 1, 1),
        )
        make_cof(touraine.admin, ctg, la, f"COF-37-2022-9{index:02d}")


@pytest.mark.parametrize("name", ["caf", "collectivite", "deadlines"])
def test_query_counts_do_not_grow(client, touraine, name, computed_afresh):
    client.force_login(touraine.admin)

    def url():
        if name == "caf":
            return reverse("dashboards:caf", args=["37"])
        if name == "collectivite":
            return reverse("dashboards:collectivite", args=[touraine.own.pk])
        return reverse("deadlines:list")

    make_cof(touraine.admin, touraine.ctg_own, touraine.own, "COF-37-2022-800")
    client.get(url())  # warm the caches (parameters, sessions)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url()).status_code == 200
    _add_territories(touraine, 4)
    CtgFactory(caf=touraine.caf, signataires=[touraine.own], intitule="Ctg Gâtine bis")
    with CaptureQueriesContext(connection) as many:
        assert client.get(url()).status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


# --- Échéances ------------------------------------------------------------------------------


def test_deadlines_list_what_when_and_who(client, touraine):
    cof = make_cof(touraine.admin, touraine.ctg_own, touraine.own, "COF-37-2022-960")
    demande = workflow.do_create_request(touraine.editor, cof, proposal())
    workflow.do_submit_request(touraine.editor, demande)
    client.force_login(touraine.editor)
    page = get(client, "deadlines:list")
    table = text_of(page, "contenu")
    # the report of 2025, due 31/03/2026, not transmitted: late, the collectivité acts
    assert (
        "31/03/2026 en retard Bilan annuel Bilan annuel 2025 à rédiger et transmettre "
        "(Cof COF-37-2022-960) Communauté de communes de Gâtine-Racan à vous la collectivité"
        in table
    )
    # the Cotech of the current semester to hold, by 30/06/2026
    assert "30/06/2026 Cotech Cotech 1er semestre 2026 à tenir" in table
    assert (
        "la collectivité (chargé·e de coopération), avec la Caf (conseiller·ère) : Sylvie MICHEL"
        in table
    )
    # the submitted request: the Caf decides (named advisor)
    assert "(soumise) : à instruire et décider" in table
    assert reverse("agreements:request", args=[demande.pk]) in page
    # the end of the Ctg
    assert "31/12/2026 Fin de Ctg Fin de la Ctg Gâtine-Racan 2022-2026" in table
    # sorted by date
    dates = [text_of(page, "contenu").find(d) for d in ("31/03/2026", "30/06/2026", "31/12/2026")]
    assert dates == sorted(dates)
    # Caf B's admin sees none of it
    client.force_login(touraine.outsider)
    page = get(client, "deadlines:list")
    assert "Gâtine" not in page and "COF-37" not in page


def test_deadlines_filter_and_request_sent_back(client, touraine):
    cof = make_cof(touraine.admin, touraine.ctg_own, touraine.own, "COF-37-2022-961")
    demande = workflow.do_create_request(touraine.editor, cof, proposal())
    demande = workflow.do_submit_request(touraine.editor, demande)
    workflow.do_request_changes(touraine.advisor, demande, "Précisez.")
    client.force_login(touraine.advisor)
    page = get(client, "deadlines:list", type="demande")
    table = text_of(page, "contenu")
    assert "(à modifier) : à modifier et soumettre à nouveau" in table
    assert "Bilan annuel 2025" not in table
    row_who = table.split("à modifier et soumettre à nouveau")[1]
    assert row_who.strip().startswith(
        "— effet demandé au 01/01/2025 Communauté de communes de Gâtine-Racan la collectivité"
    )


def test_deadlines_recruitment_awaiting_the_cafs_opinion(client, touraine):
    from coopctg.framework.loader import load_framework
    from coopctg.recruitment.models import Stage
    from tests.recruitment.conftest import bring_to, make_recruitment

    version = load_framework()
    recruitment = bring_to(touraine, make_recruitment(touraine, version), Stage.AVIS_CAF)
    client.force_login(touraine.admin)
    page = get(client, "deadlines:list", type="recrutement")
    table = text_of(page, "contenu")
    assert "avis de la Caf attendu avant la décision" in table
    assert "la Caf (conseiller·ère) : Sylvie MICHEL" in table
    assert reverse("recruitment:detail", args=[recruitment.pk]) in page


def test_index_redirects_to_the_users_dashboard(client, touraine):
    client.force_login(touraine.admin)
    assert client.get(reverse("dashboards:index"))["Location"] == reverse(
        "dashboards:caf", args=["37"]
    )
    client.force_login(touraine.elu)
    assert client.get(reverse("dashboards:index"))["Location"] == reverse(
        "dashboards:collectivite", args=[touraine.own.pk]
    )
    client.force_login(touraine.nobody)
    assert client.get(reverse("dashboards:index")).status_code == 404


def test_navigation_links(client, touraine):
    client.force_login(touraine.editor)
    page = get(client, "home")
    assert reverse("dashboards:index") in page and reverse("deadlines:list") in page


def test_elected_officials_home_is_their_territorys_dashboard(client, touraine):
    client.force_login(touraine.elu)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboards:collectivite", args=[touraine.own.pk])


def test_bilan_deadlines_link_to_the_bilan():
    """A started bilan links to its page; one not started yet to the Cof's bilans of the year."""
    from coopctg.dashboards.services import ReportLine
    from coopctg.reports.rules import Timeliness
    from coopctg.reports.services import ReportState

    class Cof:
        pk = 7

    class Report:
        pk = 42

    due = dt.date(2025, 3, 31)
    started = ReportLine(Cof(), ReportState(7, 2024, Report(), due, Timeliness.A_VENIR))
    missing = ReportLine(Cof(), ReportState(7, 2024, None, due, Timeliness.EN_RETARD))
    assert started.url == reverse("reports:detail", args=[42])
    assert missing.url == reverse("reports:list") + "?annee=2024&cof=7"


def test_map_states_are_told_by_a_letter_as_well_as_a_colour():
    from coopctg.dashboards.services import Category
    from coopctg.www.dashboard_views.views import CATEGORY_FILLS, CATEGORY_MARKERS

    assert set(CATEGORY_MARKERS) == set(Category) == set(CATEGORY_FILLS)
    assert len(set(CATEGORY_MARKERS.values())) == len(Category)  # one letter per state


def test_a_collectivite_dashboard_is_kept_until_its_caf_s_data_change(client, touraine):
    """Computed once, then read from memory (a handful of queries: the session, the user, the
    collectivité, its Caf's version) until a write in its Caf; a write in another Caf does
    not recompute it."""
    from coopctg.www.dashboard_views import views

    client.force_login(touraine.editor)
    url = reverse("dashboards:collectivite", args=[touraine.own.pk])
    assert client.get(url).status_code == 200
    computed = views._COLLECTIVITE_BOARDS.computed
    with CaptureQueriesContext(connection) as warm:
        assert client.get(url).status_code == 200
    assert views._COLLECTIVITE_BOARDS.computed == computed
    assert len(warm) <= 12
    touraine.foreign.nom = "Communauté de communes renommée"
    touraine.foreign.save()  # Loir-et-Cher
    client.get(url)
    assert views._COLLECTIVITE_BOARDS.computed == computed
    Meeting.objects.create(
        ctg=touraine.ctg_own,
        kind="copil",
        date=timezone.localdate() + dt.timedelta(days=10),
        lieu="Neuvy-le-Roi",
        objet="Copil de mi-parcours tout neuf",
    )
    page = client.get(url).content.decode()
    assert views._COLLECTIVITE_BOARDS.computed == computed + 1
    assert "Copil de mi-parcours tout neuf" in page


def test_a_caf_dashboard_is_kept_for_the_whole_caf_only(client, touraine):
    """The page without filters of whoever sees the whole Caf is kept until the Caf's data
    change; an advisor (their collectivités only) and a filtered page are computed."""
    from coopctg.www.dashboard_views import views

    url = reverse("dashboards:caf", args=["37"])
    client.force_login(touraine.admin)

    def without_tokens(html):
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)

    first = client.get(url).content.decode()
    computed = views._CAF_PAGES.computed
    assert without_tokens(client.get(url).content.decode()) == without_tokens(first)
    assert views._CAF_PAGES.computed == computed
    client.get(url, {"q": "Gâtine"})
    assert views._CAF_PAGES.computed == computed  # filtered: not kept
    client.force_login(touraine.advisor)
    page = client.get(url).content.decode()
    assert "que vous suivez" in page and "que vous suivez" not in first
    assert views._CAF_PAGES.computed == computed
    client.force_login(touraine.admin)
    touraine.own.nom = "Communauté de communes renommée"
    touraine.own.save()
    page = client.get(url).content.decode()
    assert views._CAF_PAGES.computed == computed + 1
    assert "Communauté de communes renommée" in page

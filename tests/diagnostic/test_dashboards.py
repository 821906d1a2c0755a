"""An open alert of a commission d'admission on the dashboards (collectivité and Caf), in
« ce qui attend qui » (home, Échéances, API) — until its follow-up closes it; the diagnostic
panel; bounded queries of the list pages."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from coopctg.dashboards.tasks import for_reader, tasks_of
from coopctg.diagnostic import commissions
from coopctg.diagnostic.models import CommissionFollowUp, Need
from coopctg.organisations.models import LocalAuthority
from tests.diagnostic.helpers import add_commission

TODAY = dt.date(2025, 9, 15)


@pytest.fixture(autouse=True)
def today(monkeypatch):
    from django.utils import timezone

    real = timezone.localdate

    def localdate(value=None, timezone=None):
        return TODAY if value is None else real(value, timezone)

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)
    return TODAY


def follow_up(user, commission):
    commissions.save_follow_up(
        user,
        CommissionFollowUp(
            commission=commission,
            critere="qf_bas",
            etape="alerter",
            qui="La chargée de coopération",
            quoi="Alerte adressée au gestionnaire et à la Caf.",
            quand=dt.date(2025, 6, 1),
            resultat="Critères de priorité revus au Cotech de juin.",
        ),
    )


def test_the_alert_is_a_task_of_the_collectivite_until_its_follow_up(touraine):
    commission = add_commission(touraine.ctg_own)
    own = LocalAuthority.objects.filter(pk=touraine.own.pk)
    [task] = [t for t in tasks_of(own, TODAY) if t.kind == "commission"]
    assert task.side.value == "collectivite" and task.collectivite_id == touraine.own.pk
    assert "part « QF bas » sous le seuil" in task.what and "faire corriger" in task.what
    assert task.url.endswith(f"/diagnostic/commissions/{commission.pk}/#alerte-qf_bas")
    [mine] = for_reader(touraine.editor, [task])
    [theirs] = for_reader(touraine.advisor, [task])
    assert mine.mine and not theirs.mine
    follow_up(touraine.editor, commission)
    assert not [t for t in tasks_of(own, TODAY) if t.kind == "commission"]


def test_dashboards_show_the_alert_and_the_diagnostic_panel(client, touraine):
    commission = add_commission(touraine.ctg_own)
    Need.objects.create(
        ctg=touraine.ctg_own,
        date=dt.date(2025, 3, 1),
        theme="petite_enfance",
        tranche_age="0-3",
        nature="place",
        source="service",
        description="Une place en crèche.",
    )
    client.force_login(touraine.editor)
    page = client.get(reverse("dashboards:collectivite", args=[touraine.own.pk])).content.decode()
    assert "Diagnostic et besoins des familles" in page
    assert (
        "1 alerte à suivre" in page and "Besoins exprimés en 2025 : 1, dont 1 sans réponse" in page
    )
    assert "Commission d&#x27;admission" in page  # the task, in the échéances

    client.force_login(touraine.admin)
    page = client.get(reverse("dashboards:caf", args=["37"])).content.decode()
    assert "1 alerte de commission d&#x27;admission à suivre" in page  # the territory's reasons
    assert "Diagnostic, besoins et commissions d'admission" in page
    assert reverse("diagnostic:commission", args=[commission.pk]) in page

    follow_up(touraine.editor, commission)
    page = client.get(reverse("dashboards:caf", args=["37"])).content.decode()
    assert "alerte de commission d&#x27;admission à suivre" not in page


def test_the_api_lists_the_alert_among_the_echeances(client, touraine):
    from coopctg.api.models import ApiToken

    add_commission(touraine.ctg_own)
    _token, secret = ApiToken.create_for(touraine.editor, "essai")
    response = client.get(
        reverse("api:echeances") + "?type=commission&a_faire=true",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 200
    assert response.json()["total"] == 1


@pytest.mark.parametrize(
    "name", ["diagnostic:ctg", "diagnostic:needs", "diagnostic:commissions", "diagnostic:targets"]
)
def test_list_pages_keep_a_bounded_number_of_queries(client, touraine, name):
    ctg = touraine.ctg_own
    client.force_login(touraine.admin)
    url = reverse(name, args=[ctg.pk])

    def grow():
        for _ in range(3):
            commission = add_commission(ctg)
            follow_up(touraine.editor, commission)
            Need.objects.create(
                ctg=ctg,
                date=dt.date(2025, 3, 1),
                commune=touraine.commune_own,
                theme="jeunesse",
                tranche_age="12-17",
                nature="information",
                source="partenaire",
                description="Une information sur les séjours.",
            )

    grow()
    client.get(url)  # warm the caches (parameters, sessions)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    grow()
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]

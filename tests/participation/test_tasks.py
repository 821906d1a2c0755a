"""An alert of the journal de veille without follow-up is a task of the collectivité in « ce
qui attend qui » (home, Échéances, ``coopctg echeances``, API) until its follow-up is recorded;
its queries do not grow with the alerts."""

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from coopctg.dashboards.tasks import for_reader, tasks_of
from coopctg.organisations.models import LocalAuthority
from tests.participation.helpers import add_watch_note

TODAY = dt.date(2025, 9, 15)


def _veille(collectivites):
    return [t for t in tasks_of(collectivites, TODAY) if t.kind == "veille"]


def test_an_alert_without_follow_up_is_a_task_until_its_follow_up(touraine):
    alert = add_watch_note(touraine.ctg_own)
    add_watch_note(touraine.ctg_own, type="veille", objet="Une note, pas une alerte")
    own = LocalAuthority.objects.filter(pk=touraine.own.pk)
    [task] = _veille(own)
    assert task.side.value == "collectivite" and task.collectivite_id == touraine.own.pk
    assert "Fermeture annoncée d'une micro-crèche" in task.what and "suite donnée" in task.what
    assert task.url == reverse("participation:watch_edit", args=[alert.pk])
    assert task.kind_label == "Alerte de veille"
    [mine] = for_reader(touraine.editor, [task])
    [theirs] = for_reader(touraine.advisor, [task])
    assert mine.mine and not theirs.mine
    alert.suite = "Rencontre avec le gestionnaire, reprise par une association."
    alert.suite_le = dt.date(2025, 6, 1)
    alert.save()
    assert not _veille(own)


def test_the_alert_is_on_the_home_page_and_in_the_api(client, touraine):
    from coopctg.api.models import ApiToken

    add_watch_note(touraine.ctg_own)
    client.force_login(touraine.editor)
    page = client.get(reverse("home")).content.decode()
    assert "Fermeture annoncée d&#x27;une micro-crèche" in page
    client.logout()
    _token, secret = ApiToken.create_for(touraine.editor, "essai")
    response = client.get(
        reverse("api:echeances") + "?type=veille&a_faire=true",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 200
    assert response.json()["total"] == 1


def test_queries_do_not_grow_with_the_alerts(touraine):
    collectivites = LocalAuthority.objects.all()
    add_watch_note(touraine.ctg_own)
    with CaptureQueriesContext(connection) as few:
        assert len(_veille(collectivites)) == 1
    for i in range(5):
        add_watch_note(touraine.ctg_own, objet=f"Alerte {i}")
    with CaptureQueriesContext(connection) as many:
        assert len(_veille(collectivites)) == 6
    assert len(many) == len(few)

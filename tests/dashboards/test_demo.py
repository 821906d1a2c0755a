"""End to end on the demonstration data: a semester without its Cotech is « non conforme » on
the collectivité's and the Caf's dashboards; adding the Cotech from the instance page fixes it."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.urls import reverse

from coopctg.accounts.access import visible_collectivites
from coopctg.accounts.models import User
from coopctg.ctg.models import Ctg
from coopctg.governance.models import Meeting
from coopctg.governance.rules import MeetingKind, Status
from coopctg.governance.services import governance_status
from tests.dashboards.test_views import TODAY, frozen_today, get  # noqa: F401 - fixture
from tests.governance.test_views import meeting_data, text_of


@pytest.mark.django_db
def test_demo_missing_cotech_then_added(client):
    call_command("demo", "charger")
    editor = User.objects.get(username="editeur.gatine")
    admin = User.objects.get(username="admin.caf")
    collectivite = visible_collectivites(editor).get()
    ctg = Ctg.objects.filter(signataires=collectivite).order_by("-date_debut").first()
    status = governance_status(ctg, TODAY)
    missing = [p for p in status.cotech if p.status is Status.NON_CONFORME]
    if missing:
        period = missing[0]
    else:  # the demo holds every Cotech: take away those of one past semester
        period = next(p for p in status.cotech if p.status is Status.CONFORME)
        Meeting.objects.filter(
            ctg=ctg, kind="cotech", date__range=(period.start, period.end)
        ).delete()
    # every other past period holds its minimum: only that semester is missing
    for other in status.periods:
        if other.status is Status.NON_CONFORME and other is not period:
            Meeting.objects.create(ctg=ctg, kind=other.kind.value, date=other.start)
    assert period.kind is MeetingKind.COTECH

    client.force_login(editor)
    page = get(client, "dashboards:collectivite", collectivite.pk)
    assert "non conforme" in text_of(page, f"cotech-{ctg.pk}-{period.key}")
    client.force_login(admin)
    page = get(client, "dashboards:caf", ctg.caf.code)
    row = text_of(page, f"territoire-{collectivite.pk}")
    assert f"Cotech manquant : {period.label}" in row
    assert text_of(page, f"gouvernance-{collectivite.pk}") == "non conforme"

    client.force_login(editor)
    day = period.start + dt.timedelta(days=14)
    response = client.post(
        reverse("governance:instance_create", args=[ctg.pk]),
        meeting_data(date=day.isoformat(), objet="Cotech de rattrapage"),
    )
    assert response.status_code == 302

    page = get(client, "dashboards:collectivite", collectivite.pk)
    row = text_of(page, f"cotech-{ctg.pk}-{period.key}")
    assert "conforme" in row and "non conforme" not in row
    client.force_login(admin)
    page = get(client, "dashboards:caf", ctg.caf.code)
    assert "Cotech manquant" not in text_of(page, f"territoire-{collectivite.pk}")
    assert text_of(page, f"gouvernance-{collectivite.pk}") == "conforme"

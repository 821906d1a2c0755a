"""The networks condition end to end: « satisfaite » once the network meetings of the year
are recorded (a réseau instance linked to a network the chargé·e de coopération belongs to),
« non satisfaite » without them — on the architecture page, from the records."""

import datetime as dt

from django.urls import reverse

from coopctg.governance.models import Meeting
from coopctg.partners import services
from coopctg.partners.models import Network, NetworkMeeting, NetworkMembership
from tests.funding.test_eligibility_views import condition, meeting_data, state_of


def test_the_networks_condition_follows_memberships_and_meetings(client, touraine, architecture):
    client.force_login(touraine.editor)
    ctg = touraine.ctg_own
    departemental = Network.objects.create(
        caf=touraine.caf,
        nom="Réseau départemental des chargés de coopération",
        kind="departemental",
    )
    # a membership alone: no meeting of the year → non satisfaite
    add = reverse("partners:membership_create", args=[ctg.pk])
    assert (
        client.post(add, {"network": departemental.pk, "date_debut": "2022-01-01"}).status_code
        == 302
    )
    row = condition(client, architecture, "reseaux")
    assert state_of(row) == "non satisfaite"
    assert (
        "aucune réunion de réseau tenue, pour un minimum de 1 (1 manquante) ; 1 réseau : "
        "Réseau départemental des chargés de coopération (membre) (minimum : 1 réseau)" in row
    )
    # the network meeting of the year, recorded on the instances page, then linked to its network
    create = reverse("governance:instance_create", args=[ctg.pk])
    assert client.post(create, meeting_data("reseau", "2022-11-17")).status_code == 302
    meeting = Meeting.objects.get(ctg=ctg, kind="reseau")
    link = reverse("partners:meeting", args=[meeting.pk])
    assert client.post(link, {"reseau": departemental.pk}).status_code == 302
    assert NetworkMeeting.objects.get(meeting=meeting).network == departemental
    row = condition(client, architecture, "reseaux")
    assert state_of(row) == "satisfaite"
    assert (
        "1 réunion de réseau tenue, le 17/11/2022 (minimum : 1) ; 1 réseau : Réseau "
        "départemental des chargés de coopération (membre, 1 réunion) (minimum : 1 réseau)" in row
    )
    # the Ctg's partner page shows the same participation
    facts = services.network_participation(ctg.pk, dt.date(2022, 1, 1), dt.date(2022, 12, 31))
    assert [(f.name, f.member, f.meetings) for f in facts] == [
        ("Réseau départemental des chargés de coopération", True, (dt.date(2022, 11, 17),))
    ]


def test_without_the_meetings_of_the_year_the_condition_is_not_met(client, touraine, architecture):
    client.force_login(touraine.editor)
    network = Network.objects.create(caf=touraine.caf, nom="Réseau parentalité", kind="thematique")
    NetworkMembership.objects.create(
        network=network, ctg=touraine.ctg_own, date_debut=dt.date(2022, 1, 1)
    )
    # a meeting the year after the window does not count
    meeting = Meeting.objects.create(ctg=touraine.ctg_own, kind="reseau", date=dt.date(2023, 3, 2))
    NetworkMeeting.objects.create(meeting=meeting, network=network)
    assert state_of(condition(client, architecture, "reseaux")) == "non satisfaite"

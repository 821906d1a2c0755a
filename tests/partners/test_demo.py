"""The demonstration: a dozen Touraine partners on Gâtine-Racan's actions and instances, its
networks and their meetings; reloaded without duplicates."""

import datetime as dt

import pytest
from django.core.management import call_command

from coopctg.ctg.models import Ctg
from coopctg.partners import services
from coopctg.partners.models import (
    ActionPartner,
    DiagnosticPartner,
    MeetingPartner,
    NetworkMeeting,
    NetworkMembership,
    Partner,
)


def counts():
    models = (
        Partner,
        ActionPartner,
        MeetingPartner,
        DiagnosticPartner,
        NetworkMembership,
        NetworkMeeting,
    )
    return tuple(model.objects.count() for model in models)


@pytest.mark.django_db
def test_demo_partners_of_gatine(capsys):
    call_command("demo", "charger")
    first = counts()
    call_command("demo", "charger", "--sans-territoires")
    assert counts() == first
    assert "Partenaires de démonstration" in capsys.readouterr().out
    assert first[0] == 12
    ctg = Ctg.objects.get(cofs__numero="COF-37-2022-001")
    graph = services.ctg_network(ctg.pk)
    assert len(graph.nodes) >= 10 and graph.edges
    internal = Partner.objects.filter(collectivite__isnull=False)
    assert internal.count() == 2 and all(p.kind == "service_collectivite" for p in internal)
    facts = services.network_participation(ctg.pk, dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    departemental = next(f for f in facts if f.name.startswith("Réseau départemental"))
    assert departemental.member and departemental.meetings == (dt.date(2024, 11, 21),)

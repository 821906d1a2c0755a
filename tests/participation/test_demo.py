"""The demonstration's mission 4 on Gâtine-Racan: loaded once, reloaded without duplicates;
a closed questionnaire with its answers, an open one, supports, veille notes, public page."""

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from coopctg.ctg.models import Ctg
from coopctg.participation.models import (
    Consultation,
    Participation,
    PublicPage,
    Questionnaire,
    Submission,
    Support,
    WatchNote,
)


def counts():
    models = (Consultation, Participation, Questionnaire, Submission, Support, WatchNote)
    return tuple(model.objects.count() for model in models)


@pytest.mark.django_db
def test_demo_mission_4_of_gatine(capsys):
    call_command("demo", "charger")
    first = counts()
    call_command("demo", "charger", "--sans-territoires")
    assert counts() == first == (2, 8, 2, 14, 6, 3)
    assert "Relation avec la population" in capsys.readouterr().out

    ctg = Ctg.objects.get(cofs__numero="COF-37-2022-001")
    assert PublicPage.objects.get(ctg=ctg).active
    closed, open_ = Questionnaire.objects.order_by("cree_le", "id")
    assert (closed.statut, open_.statut) == ("clos", "publie")
    anonymous = Client()
    page = anonymous.get(reverse("public:ctg", args=[ctg.pk])).content.decode()
    assert "Créer un relais petite enfance intercommunal" in page and "Forum des familles" in page
    form = anonymous.get(reverse("public:answer", args=[open_.jeton]))
    assert form.status_code == 200 and "Envoyer mes réponses" in form.content.decode()

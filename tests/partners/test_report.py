"""The bilan annuel counts partners, new partnerships and network participation (frozen with
its facts), and shows the records of mission 3 next to the self-assessment."""

import datetime as dt
import html

from django.urls import reverse

from coopctg.actionplan.models import Action
from coopctg.framework.loader import load_framework
from coopctg.governance.models import Meeting
from coopctg.partners.models import (
    ActionPartner,
    MeetingPartner,
    Network,
    NetworkMeeting,
    NetworkMembership,
    Partner,
)
from coopctg.partners.services import partner_facts
from coopctg.reports import workflow
from tests.agreements.helpers import make_cof


def make(caf, name, **extra):
    values = {"kind": "association", "date_maj": dt.date(2025, 1, 1), **extra}
    return Partner.objects.create(caf=caf, identifiant=name, nom=name, **values)


def world(touraine):
    w = touraine
    old, new = make(w.caf, "Ancien (fictif)"), make(w.caf, "Nouveau (fictif)")
    internal = make(
        w.caf, "Service jeunesse (fictif)", kind="service_collectivite", collectivite=w.own
    )
    action = Action.objects.create(ctg=w.ctg_own, code="A01", titre="Guichet")
    ActionPartner.objects.create(action=action, partner=old, role="pilote")
    ActionPartner.objects.create(action=action, partner=internal, role="service_interne")
    for day, partners in ((dt.date(2023, 6, 1), [old]), (dt.date(2024, 6, 1), [old, new])):
        meeting = Meeting.objects.create(ctg=w.ctg_own, kind="copil", date=day)
        for p in partners:
            MeetingPartner.objects.create(meeting=meeting, partner=p, presence="present")
    network = Network.objects.create(caf=w.caf, nom="Réseau départemental", kind="departemental")
    NetworkMembership.objects.create(network=network, ctg=w.ctg_own, date_debut=dt.date(2022, 1, 1))
    meeting = Meeting.objects.create(ctg=w.ctg_own, kind="reseau", date=dt.date(2024, 11, 21))
    NetworkMeeting.objects.create(meeting=meeting, network=network)
    return w


def test_partner_facts_of_a_year(touraine):
    world(touraine)
    facts = partner_facts(touraine.ctg_own.pk, 2024)
    assert facts["partenaires_actions"] == 1
    assert facts["partenaires_presents"] == 2
    assert facts["nouveaux_partenaires_noms"] == ["Nouveau (fictif)"]
    assert facts["services_internes"] == 1
    assert facts["reseaux"] == [
        {
            "nom": "Réseau départemental",
            "nature": "Réseau départemental des chargé·es de coopération",
            "membre": True,
            "reunions": ["2024-11-21"],
        }
    ]
    assert (
        "1 service(s) interne(s) de la collectivité sur 1 fiche(s) action"
        in facts["mission3"]["M3.O3"]
    )
    assert partner_facts(touraine.ctg_own.pk, 2023)["nouveaux_partenaires_noms"] == [
        "Ancien (fictif)"
    ]


def test_the_report_page_shows_the_records_of_mission_3(client, touraine):
    world(touraine)
    cof = make_cof(touraine.admin, touraine.ctg_own, touraine.own, "COF-37-2022-001")
    load_framework()
    report = workflow.do_create_report(touraine.editor, cof, 2024)
    client.force_login(touraine.editor)
    text = html.unescape(client.get(reverse("reports:detail", args=[report.pk])).content.decode())
    assert (
        "Nouveaux partenariats de l'année (première instance suivie) : 1 — Nouveau (fictif)."
        in text
    )
    assert (
        "Ce qu'enregistre CoopCTG :</strong> réseaux de l'année : Réseau départemental "
        "(membre, 1 réunion)." in text
    )


def test_the_evaluation_compares_new_partners_with_the_target(client, touraine):
    from coopctg.diagnostic.models import DevelopmentTarget

    world(touraine)
    DevelopmentTarget.objects.create(
        ctg=touraine.ctg_own,
        collectivite=touraine.own,
        kind="partenariat",
        cible=3,
        date_effet=touraine.ctg_own.date_debut,
    )
    client.force_login(touraine.editor)
    response = client.get(reverse("evaluation:ctg", args=[touraine.ctg_own.pk]))
    text = html.unescape(response.content.decode())
    assert (
        "Partenaires enregistrés pour la Ctg (première instance suivie) : 2 pour un objectif "
        "de 3 — Ancien (fictif) (01/06/2023) ; Nouveau (fictif) (01/06/2024)" in text
    )


def test_the_dashboard_of_the_collectivite_has_a_partners_panel(client, touraine):
    world(touraine)
    client.force_login(touraine.elu)
    url = reverse("dashboards:collectivite", args=[touraine.own.pk]) + "?annee=2024"
    text = html.unescape(client.get(url).content.decode())
    panel = text[text.index(f'id="partenaires-{touraine.ctg_own.pk}"') :]
    assert (
        "1 partenaire sur les fiches actions ; en 2024, 2 présents aux instances, dont 1 nouveau"
        in panel
    )
    assert "Réseau départemental (membre), 1 réunion" in panel

"""Partner pages end to end: partners appear on actions and instances, a partner's page lists
what it takes part in, the Ctg's partner network (SVG and table), forms with errors next to
the field, and bounded query counts."""

import datetime as dt
import html

import pytest
from django.urls import reverse

from coopctg.actionplan.models import Action
from coopctg.diagnostic.models import Diagnostic
from coopctg.governance.models import Meeting
from coopctg.partners.models import (
    ActionPartner,
    DiagnosticPartner,
    MeetingPartner,
    Network,
    NetworkMeeting,
    NetworkMembership,
    Partner,
)


def make_partner(caf, name, **extra):
    values = {"kind": "association", "date_maj": dt.date(2025, 1, 1), **extra}
    return Partner.objects.create(caf=caf, identifiant=name, nom=name, **values)


@pytest.fixture
def linked(touraine):
    """Two partners on an action and an instance of the Gâtine Ctg, one consulted for its
    diagnostic and member of a network."""
    w = touraine
    w.rpe = make_partner(w.caf, "Relais petite enfance (fictif)", themes=["petite_enfance"])
    w.cs = make_partner(w.caf, "Centre social (fictif)", kind="centre_social")
    w.action = Action.objects.create(ctg=w.ctg_own, code="A01", titre="Guichet unique")
    w.meeting = Meeting.objects.create(ctg=w.ctg_own, kind="copil", date=dt.date(2024, 6, 3))
    ActionPartner.objects.create(action=w.action, partner=w.rpe, role="pilote")
    ActionPartner.objects.create(action=w.action, partner=w.cs, role="contributeur")
    MeetingPartner.objects.create(meeting=w.meeting, partner=w.rpe, presence="present")
    MeetingPartner.objects.create(meeting=w.meeting, partner=w.cs, presence="excuse")
    diagnostic = Diagnostic.objects.create(ctg=w.ctg_own, version=1, date=dt.date(2022, 5, 1))
    DiagnosticPartner.objects.create(diagnostic=diagnostic, partner=w.rpe)
    w.network = Network.objects.create(caf=w.caf, nom="Réseau petite enfance", kind="thematique")
    w.network.partenaires.add(w.rpe)
    return w


def page(client, name, *args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def test_partners_appear_on_the_action_and_the_instance(client, linked):
    client.force_login(linked.elu)
    action = page(client, "actionplan:action", linked.action.pk)
    assert "Relais petite enfance (fictif)</a> — pilote" in action
    assert "Centre social (fictif)</a> — contributeur" in action
    assert "Rattacher des partenaires" not in action  # an élu reads only
    meeting = page(client, "governance:instance", linked.meeting.pk)
    present = meeting.index("<dt>Présents</dt>")
    excused = meeting.index("<dt>Excusés</dt>")
    assert present < meeting.index("Relais petite enfance (fictif)") < excused
    assert meeting.index("Centre social (fictif)") > excused


def test_the_partner_page_lists_what_it_takes_part_in(client, linked):
    client.force_login(linked.editor)
    text = page(client, "partners:detail", linked.rpe.pk)
    assert "A01 — Guichet unique</a> (Ctg Gâtine-Racan 2022-2026) : pilote" in text
    assert "Copil du 03/06/2024</a> (Ctg Gâtine-Racan 2022-2026) : présent" in text
    assert "consulté pour la version 1 du diagnostic partagé" in text
    assert "Réseau petite enfance — Réseau thématique" in text


def test_the_partner_page_hides_the_ctg_the_reader_does_not_see(client, linked):
    other_action = Action.objects.create(ctg=linked.ctg_other, code="B01", titre="Autre")
    ActionPartner.objects.create(action=other_action, partner=linked.rpe, role="pilote")
    client.force_login(linked.editor)  # sees Gâtine only
    text = page(client, "partners:detail", linked.rpe.pk)
    assert "B01" not in text and "A01" in text


def test_the_ctg_page_draws_the_network_and_gives_the_same_data_in_a_table(client, linked):
    client.force_login(linked.analyst)
    text = page(client, "partners:ctg", linked.ctg_own.pk)
    assert 'role="img" aria-labelledby="graph-title graph-desc"' in text
    assert text.count("<circle") == 2 and text.count("<line") == 1
    assert (
        "<title>Centre social (fictif) et Relais petite enfance (fictif) : A01 Guichet unique"
        in text
    )
    assert "Qui travaille avec qui" in text
    assert "cdn" not in text.lower()


def test_the_editor_links_partners_to_an_action(client, linked):
    client.force_login(linked.editor)
    internal = make_partner(
        linked.caf,
        "Service enfance de la CC (fictif)",
        kind="service_collectivite",
        collectivite=linked.own,
    )
    url = reverse("partners:action", args=[linked.action.pk])
    response = client.post(
        url,
        {"pilotes": [linked.cs.pk], "contributeurs": [linked.cs.pk]},
    )
    assert response.status_code == 200  # the same partner twice: error next to the field
    assert "a déjà un autre rôle dans l'action" in html.unescape(response.content.decode())
    response = client.post(
        url,
        {
            "pilotes": [linked.cs.pk],
            "contributeurs": [linked.rpe.pk],
            "services_internes": [internal.pk],
        },
    )
    assert response.status_code == 302
    roles = dict(
        ActionPartner.objects.filter(action=linked.action).values_list("partner__nom", "role")
    )
    assert roles == {
        "Centre social (fictif)": "pilote",
        "Relais petite enfance (fictif)": "contributeur",
        "Service enfance de la CC (fictif)": "service_interne",
    }
    text = page(client, "partners:ctg", linked.ctg_own.pk)
    transversal = text[text.index('id="transversalite"') :]
    assert "Service enfance de la CC (fictif)" in transversal


def test_a_partner_of_another_caf_cannot_be_linked(client, linked):
    foreign = make_partner(linked.caf_b, "Structure du Loir-et-Cher (fictive)")
    client.force_login(linked.admin)
    response = client.post(
        reverse("partners:action", args=[linked.action.pk]), {"pilotes": [foreign.pk]}
    )
    assert response.status_code == 200
    assert not ActionPartner.objects.filter(partner=foreign).exists()


def test_the_editor_records_presence_and_the_network_of_a_network_meeting(client, linked):
    client.force_login(linked.editor)
    meeting = Meeting.objects.create(ctg=linked.ctg_own, kind="reseau", date=dt.date(2024, 9, 1))
    url = reverse("partners:meeting", args=[meeting.pk])
    both = client.post(url, {"presents": [linked.cs.pk], "excuses": [linked.cs.pk]})
    assert both.status_code == 200
    assert "Présent et excusé à la fois" in html.unescape(both.content.decode())
    response = client.post(
        url, {"presents": [linked.cs.pk], "excuses": [linked.rpe.pk], "reseau": linked.network.pk}
    )
    assert response.status_code == 302
    assert NetworkMeeting.objects.get(meeting=meeting).network == linked.network
    assert "Réunion du réseau <strong>Réseau petite enfance</strong>" in page(
        client, "governance:instance", meeting.pk
    )


def test_a_partner_form_reports_errors_next_to_the_field(client, touraine):
    client.force_login(touraine.editor)
    url = reverse("partners:create", args=[touraine.caf.code])
    response = client.post(
        url, {"nom": "Crèche (fictive)", "kind": "eaje", "siret": "123", "code_insee": "99999"}
    )
    text = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "Le SIRET a 14 chiffres." in text
    assert "« 99999 » n'est pas le code INSEE d'une commune." in text
    response = client.post(
        url,
        {
            "nom": "Crèche (fictive)",
            "kind": "eaje",
            "siret": "12345678900011",
            "code_insee": "37123",
            "themes": ["petite_enfance"],
            "contact_fonction": "Directrice",
        },
    )
    assert response.status_code == 302
    created = Partner.objects.get(nom="Crèche (fictive)")
    assert (created.caf, created.commune, created.source) == (
        touraine.caf,
        "Neuvy-le-Roi",
        "coopctg",
    )


def test_a_membership_is_recorded_from_the_ctg_page(client, linked):
    client.force_login(linked.editor)
    url = reverse("partners:membership_create", args=[linked.ctg_own.pk])
    bad = client.post(
        url, {"network": linked.network.pk, "date_debut": "2024-01-01", "date_fin": "2023-01-01"}
    )
    assert "La fin de l'adhésion doit suivre son début." in html.unescape(bad.content.decode())
    assert (
        client.post(url, {"network": linked.network.pk, "date_debut": "2024-01-01"}).status_code
        == 302
    )
    assert NetworkMembership.objects.get().ctg == linked.ctg_own


def test_a_membership_is_ended_and_a_network_corrected(client, linked):
    membership = NetworkMembership.objects.create(
        network=linked.network, ctg=linked.ctg_own, date_debut=dt.date(2023, 1, 1)
    )
    client.force_login(linked.editor)
    network_page = page(client, "partners:ctg", linked.ctg_own.pk)
    edit_url = reverse("partners:membership_edit", args=[membership.pk])
    assert edit_url in network_page
    bad = client.post(
        edit_url,
        {"network": linked.network.pk, "date_debut": "2023-01-01", "date_fin": "2022-12-31"},
    )
    assert bad.status_code == 400
    assert "La fin de l'adhésion doit suivre son début." in html.unescape(bad.content.decode())
    ended = client.post(
        edit_url,
        {"network": linked.network.pk, "date_debut": "2023-01-01", "date_fin": "2024-06-30"},
    )
    assert ended.status_code == 302  # the same start: not refused as a duplicate of itself
    membership.refresh_from_db()
    assert membership.date_fin == dt.date(2024, 6, 30)
    assert NetworkMembership.objects.count() == 1

    client.force_login(linked.admin)
    network_url = reverse("partners:network_edit", args=[linked.network.pk])
    assert network_url in page(client, "partners:directory", linked.caf.code)
    answer = client.post(
        network_url,
        {
            "nom": "Réseau petite enfance d'Indre-et-Loire",
            "kind": "thematique",
            "theme": "petite_enfance",
            "partenaires": [linked.rpe.pk, linked.cs.pk],
        },
    )
    assert answer.status_code == 302
    linked.network.refresh_from_db()
    assert linked.network.nom == "Réseau petite enfance d'Indre-et-Loire"
    assert set(linked.network.partenaires.all()) == {linked.rpe, linked.cs}


def test_a_new_network_keeps_its_member_partners(client, linked):
    client.force_login(linked.admin)
    url = reverse("partners:network_create", args=[linked.caf.code])
    answer = client.post(
        url, {"nom": "Réseau parentalité", "kind": "thematique", "partenaires": [linked.cs.pk]}
    )
    assert answer.status_code == 302
    assert list(Network.objects.get(nom="Réseau parentalité").partenaires.all()) == [linked.cs]


def test_exports_are_files(client, linked):
    client.force_login(linked.analyst)
    csv = client.get(reverse("partners:export", args=[linked.caf.code, "csv"]))
    assert csv["Content-Type"].startswith("text/csv")
    assert "Relais petite enfance (fictif)" in csv.content.decode("utf-8-sig")


def _more(w, count, start):
    for i in range(start, start + count):
        partner = make_partner(w.caf, f"Association {i:02d} (fictive)")
        action = Action.objects.create(ctg=w.ctg_own, code=f"Z{i:02d}", titre=f"Action {i}")
        ActionPartner.objects.create(action=action, partner=partner, role="pilote")
        ActionPartner.objects.create(action=action, partner=w.rpe, role="contributeur")
        meeting = Meeting.objects.create(ctg=w.ctg_own, kind="cotech", date=dt.date(2024, 1, 1 + i))
        MeetingPartner.objects.create(meeting=meeting, partner=partner, presence="present")
        MeetingPartner.objects.create(meeting=meeting, partner=w.rpe, presence="present")


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("partners:directory", lambda w: [w.caf.code]),
        ("partners:ctg", lambda w: [w.ctg_own.pk]),
        ("partners:detail", lambda w: [w.rpe.pk]),
    ],
)
def test_query_counts_do_not_grow_with_the_data(
    client, linked, django_assert_max_num_queries, name, args
):
    client.force_login(linked.editor)
    _more(linked, 2, 1)
    with django_assert_max_num_queries(20) as captured:
        page(client, name, *args(linked))
    _more(linked, 12, 10)
    with django_assert_max_num_queries(len(captured.captured_queries)):
        page(client, name, *args(linked))


def test_the_partners_consulted_for_a_draft_diagnostic(client, linked):
    draft = Diagnostic.objects.create(ctg=linked.ctg_other, version=1, date=dt.date(2024, 1, 1))
    client.force_login(linked.other_editor)
    url = reverse("partners:diagnostic", args=[draft.pk])
    assert client.post(url, {"partenaires": [linked.cs.pk, linked.rpe.pk]}).status_code == 302
    text = page(client, "diagnostic:version", draft.pk)
    assert "Dans l'annuaire : " in text and "Centre social (fictif)</a>, " in text
    assert "version 1 du diagnostic partagé (Ctg Saint-Pierre" in page(
        client, "partners:detail", linked.cs.pk
    )

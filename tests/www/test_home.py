import datetime as dt
import html

from django.urls import reverse

from coopctg.ctg.models import Ctg
from tests.factories import CtgFactory


def test_caf_admin_home_lists_what_to_follow(client, touraine):
    CtgFactory(
        caf=touraine.caf,
        signataires=[touraine.other],
        statut=Ctg.Status.PROJET,
        intitule="Ctg en préparation",
    )
    client.force_login(touraine.admin)
    page = html.unescape(client.get(reverse("home")).content.decode())
    assert "Les territoires de la Caf en bref" in page
    assert "Ctg en projet à finaliser et signer" in page and "Ctg en préparation" in page
    # Saint-Pierre has no referent in the fixture: a task for the Caf's administrator
    todo = page.split('id="a-faire"')[1].split('id="a-suivre"')[0]
    assert "Désigner le ou la référent·e Caf de Commune de Saint-Pierre-des-Corps" in todo
    assert "Ctg Blois" not in page


def test_ending_ctg_is_announced(client, touraine):
    today = dt.date.today()
    Ctg.objects.filter(pk=touraine.ctg_own.pk).update(
        date_debut=today.replace(year=today.year - 3), date_fin=today + dt.timedelta(days=30)
    )
    client.force_login(touraine.advisor)
    page = html.unescape(client.get(reverse("home")).content.decode())
    assert "Mes collectivités en bref" in page
    assert "préparer l'évaluation et le renouvellement" in page
    assert "Ctg Saint-Pierre" not in page  # not assigned to this advisor


def test_collectivite_home_shows_its_ctg_and_referents(client, touraine):
    client.force_login(touraine.editor)
    page = client.get(reverse("home")).content.decode()
    assert "Ma collectivité" in page
    assert "Ctg Gâtine-Racan 2022-2026" in page
    assert "Sylvie MICHEL" in page
    assert "Les territoires de la Caf" not in page
    # the elected official's home is the territory's dashboard
    client.force_login(touraine.elu)
    assert client.get(reverse("home"))["Location"] == reverse(
        "dashboards:collectivite", args=[touraine.own.pk]
    )


def test_user_without_role_is_told_what_to_do(client, touraine):
    client.force_login(touraine.nobody)
    page = client.get(reverse("home")).content.decode()
    assert "aucun rôle" in page


def test_home_query_count_does_not_grow_with_data(client, touraine, django_assert_max_num_queries):
    client.force_login(touraine.admin)
    with django_assert_max_num_queries(24) as small:
        client.get(reverse("home"))
    for _ in range(15):
        CtgFactory(caf=touraine.caf, signataires=[touraine.own, touraine.other])
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("home"))


def test_privacy_page_lists_what_is_kept_and_is_linked_from_every_page(client, touraine):
    client.force_login(touraine.editor)
    home_page = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("privacy")}"' in home_page
    page = client.get(reverse("privacy")).content.decode()
    for kept in (
        "Équipe territoriale de la Caf",
        "Personnes dont le poste est financé",
        "Recrutements",
        "Tentatives de connexion échouées",
        "Jetons d'API",
        "Notifications",
        "Sessions",
    ):
        assert kept in page
    assert "Ni date de naissance" in page

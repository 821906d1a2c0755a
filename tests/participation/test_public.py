"""The questionnaire from the visitor's side (no account) and the public page of a Ctg: a
questionnaire published, answered anonymously, closed, its results shown as charts and
exported; oversized or malformed answers refused without storing anything; the public page
shows the plan's progress and nothing else."""

import datetime as dt
import io

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from coopctg.actionplan.models import Action
from coopctg.participation.models import PublicPage, Questionnaire, Submission, ThrottleMark
from tests.participation.helpers import (
    add_consultation,
    add_questionnaire,
    add_support,
    question_ids,
)


@pytest.fixture
def anonymous():
    """A private window: no session, CSRF checks on."""
    return Client(enforce_csrf_checks=True)


def _csrf(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.cookies["csrftoken"].value


def test_built_published_answered_closed_and_exported(client, anonymous, touraine):
    ctg = touraine.ctg_own
    client.force_login(touraine.editor)
    response = client.post(
        reverse("participation:consultation_create", args=[ctg.pk]),
        {
            "intitule": "Consultation sur les mercredis",
            "objectif": "Savoir ce que les familles attendent le mercredi.",
            "theme": "enfance",
            "public_vise": "Parents d'enfants de 3 à 11 ans",
            "date_debut": "2025-02-01",
            "formats": ["questionnaire", "aller_vers"],
        },
    )
    assert response.status_code == 302
    consultation = ctg.consultations.get()
    assert consultation.formats == ["questionnaire", "aller_vers"]
    response = client.post(
        reverse("participation:questionnaire_create", args=[consultation.pk]),
        {"titre": "Les mercredis de vos enfants", "introduction": "Deux minutes."},
    )
    questionnaire = Questionnaire.objects.get(consultation=consultation)
    builder = reverse("participation:questionnaire", args=[questionnaire.pk])
    assert response["Location"] == builder
    for data in (
        {
            "libelle": "Votre enfant fréquente-t-il l'accueil de loisirs ?",
            "type": "choix_unique",
            "choix_texte": "Oui\nNon",
            "obligatoire": "on",
            "echelle_min": 1,
            "echelle_max": 5,
        },
        {
            "libelle": "Quels horaires ?",
            "type": "choix_multiples",
            "choix_texte": "Matin\nAprès-midi\nJournée",
            "echelle_min": 1,
            "echelle_max": 5,
        },
        {"libelle": "Satisfaction", "type": "echelle", "echelle_min": 1, "echelle_max": 5},
        {"libelle": "Une idée ?", "type": "texte", "echelle_min": 1, "echelle_max": 5},
    ):
        assert client.post(builder, data).status_code == 302
    # A choice question needs two choices: the error is next to the field.
    response = client.post(
        builder,
        {
            "libelle": "Seule",
            "type": "choix_unique",
            "choix_texte": "Oui",
            "echelle_min": 1,
            "echelle_max": 5,
        },
    )
    assert response.status_code == 400
    assert "Proposez au moins deux réponses" in response.content.decode()
    assert questionnaire.questions.count() == 4

    # Not yet published: the link is unknown.
    link = reverse("public:answer", args=[questionnaire.jeton])
    assert anonymous.get(link).status_code == 404
    client.post(reverse("participation:publish", args=[questionnaire.pk]))
    questionnaire.refresh_from_db()
    assert questionnaire.statut == "publie"
    # Published: the questions no longer change.
    client.post(
        builder, {"libelle": "Trop tard", "type": "texte", "echelle_min": 1, "echelle_max": 5}
    )
    assert questionnaire.questions.count() == 4

    q1, q2, q3, q4 = question_ids(questionnaire)
    page = anonymous.get(link)
    html = page.content.decode()
    assert "anonyme" in html and "Vos données" in html  # the RGPD notice
    assert "no-store" in page["Cache-Control"]
    token = page.cookies["csrftoken"].value
    for oui, horaires, note in (
        ("Oui", ["Matin"], "4"),
        ("Oui", ["Matin", "Journée"], "5"),
        ("Non", [], "2"),
    ):
        response = anonymous.post(
            link,
            {
                "csrfmiddlewaretoken": token,
                f"q{q1}": oui,
                f"q{q2}": horaires,
                f"q{q3}": note,
                f"q{q4}": "Plus de sorties",
            },
        )
        assert response.status_code == 303
        assert response["Location"] == reverse("public:thanks", args=[questionnaire.jeton])
    assert questionnaire.reponses.count() == 3
    stored = questionnaire.reponses.first().reponses
    assert stored == {str(q1): "Oui", str(q2): ["Matin"], str(q3): 4, str(q4): "Plus de sorties"}
    assert anonymous.get(reverse("public:thanks", args=[questionnaire.jeton])).status_code == 200

    response = client.post(reverse("participation:close", args=[questionnaire.pk]))
    assert response["Location"] == reverse("participation:results", args=[questionnaire.pk])
    closed = anonymous.post(link, {"csrfmiddlewaretoken": token, f"q{q1}": "Oui"})
    assert closed.status_code == 410 and questionnaire.reponses.count() == 3
    assert "clos" in anonymous.get(link).content.decode()

    results = client.get(reverse("participation:results", args=[questionnaire.pk]))
    html = results.content.decode()
    assert results.status_code == 200
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg"') == 6  # 3 charts × 2 variants
    assert "2 (66,7 %)" in html  # « Oui »: 2 of 3
    assert "moyenne : 3,7" in html
    assert "Plus de sorties" in html

    export = client.get(reverse("participation:results_xlsx", args=[questionnaire.pk]))
    assert export.status_code == 200
    workbook = load_workbook(io.BytesIO(export.content))
    assert workbook.sheetnames == ["Synthèse", "Réponses"]
    rows = list(workbook["Réponses"].iter_rows(values_only=True))
    assert rows[0][2:] == (
        "Votre enfant fréquente-t-il l'accueil de loisirs ?",
        "Quels horaires ?",
        "Satisfaction",
        "Une idée ?",
    )
    assert rows[2][2:] == ("Oui", "Matin ; Journée", 5, "Plus de sorties")
    synthesis = [r for r in workbook["Synthèse"].iter_rows(values_only=True) if r[0] == "Oui"]
    assert synthesis[0][1] == 2


@pytest.fixture
def published(touraine):
    return add_questionnaire(add_consultation(touraine.ctg_own))


def _post(client, questionnaire, data, **extra):
    link = reverse("public:answer", args=[questionnaire.jeton])
    token = _csrf(client, link)
    return client.post(link, {"csrfmiddlewaretoken": token, **data}, **extra)


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({1: "Hélicoptère"}, "Choisissez parmi les réponses proposées."),
        ({1: ["Crèche", "Aucun"]}, "Une seule réponse est attendue."),
        ({2: ["Lundi", "Lundi"], 1: "Crèche"}, "Une réponse est cochée deux fois."),
        ({3: "9", 1: "Crèche"}, "Choisissez une valeur entière de 1 à 5."),
        ({3: "3.5", 1: "Crèche"}, "Choisissez une valeur entière de 1 à 5."),
        ({4: "x" * 2001, 1: "Crèche"}, "Réponse trop longue : 2000 caractères au plus"),
        ({4: "Écrivez-moi : jeanne@exemple.fr", 1: "Crèche"}, "anonymes"),
        ({4: "Appelez le 06 12 34 56 78", 1: "Crèche"}, "anonymes"),
        ({4: "Une remarque"}, "Cette question demande une réponse."),
    ],
)
def test_malformed_answers_are_refused_and_nothing_is_stored(
    anonymous, published, answers, message
):
    ids = question_ids(published)
    data = {f"q{ids[n - 1]}": value for n, value in answers.items()}
    response = _post(anonymous, published, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Submission.objects.count() == 0 and ThrottleMark.objects.count() == 0


def test_nul_character_and_oversized_submissions_are_refused(anonymous, published, settings):
    first = f"q{question_ids(published)[0]}"
    assert _post(anonymous, published, {first: "Crèche\x00"}).status_code == 400
    big = {first: "Crèche", f"q{question_ids(published)[3]}": "x" * 70_000}
    response = _post(anonymous, published, big)
    assert response.status_code == 413
    assert "trop volumineux" in response.content.decode()
    assert Submission.objects.count() == 0


def test_csrf_is_required(published):
    client = Client(enforce_csrf_checks=True)
    link = reverse("public:answer", args=[published.jeton])
    first = f"q{question_ids(published)[0]}"
    assert client.post(link, {first: "Crèche"}).status_code == 403
    assert Submission.objects.count() == 0


def test_answers_per_hour_from_one_address_are_limited(anonymous, published):
    first = f"q{question_ids(published)[0]}"
    for _ in range(20):
        assert _post(anonymous, published, {first: "Crèche"}).status_code == 303
    response = _post(anonymous, published, {first: "Crèche"})
    assert response.status_code == 429
    assert Submission.objects.count() == 20
    # Another address is not held back; only a keyed hash is kept, never the address.
    other = _post(anonymous, published, {first: "Aucun"}, REMOTE_ADDR="10.1.2.3")
    assert other.status_code == 303
    assert not ThrottleMark.objects.filter(empreinte__contains="127.0.0.1").exists()
    assert all(len(m.empreinte) == 64 for m in ThrottleMark.objects.all())


def test_closing_date_passed_closes_the_form(anonymous, published):
    link = reverse("public:answer", args=[published.jeton])
    token = _csrf(anonymous, link)  # the form was open when the page was loaded
    published.date_cloture = dt.date(2020, 1, 1)
    published.save()
    first = f"q{question_ids(published)[0]}"
    response = anonymous.post(link, {"csrfmiddlewaretoken": token, first: "Crèche"})
    assert response.status_code == 410
    assert Submission.objects.count() == 0


def test_unknown_and_draft_links_are_404(anonymous, touraine):
    draft = add_questionnaire(add_consultation(touraine.ctg_own), statut="brouillon")
    assert anonymous.get(reverse("public:answer", args=[draft.jeton])).status_code == 404
    assert anonymous.get(reverse("public:answer", args=["inconnu"])).status_code == 404
    assert anonymous.get(reverse("public:answer", args=["x" * 300])).status_code == 404


def test_public_page_shows_the_plan_and_nothing_else(client, anonymous, touraine):
    ctg = touraine.ctg_own
    url = reverse("public:ctg", args=[ctg.pk])
    assert anonymous.get(url).status_code == 404  # not opened
    Action.objects.create(
        ctg=ctg,
        code="A01",
        position=1,
        titre="Ouvrir un relais petite enfance",
        themes=["petite_enfance"],
        date_debut=dt.date(2023, 1, 1),
        date_fin=dt.date(2030, 1, 1),
        statut="en_cours",
        avancement=40,
        pilote="Jeanne Martin",
        description="Note interne : budget 48 000 €",
    )
    add_support(
        ctg,
        type="evenement",
        titre="Réunion publique de restitution",
        date=dt.date(2099, 6, 1),
        lieu="Salle des fêtes",
        annonce_publique=True,
    )
    add_support(ctg, type="evenement", titre="Réunion interne des élus", date=dt.date(2099, 6, 2))

    client.force_login(touraine.editor)
    response = client.post(
        reverse("participation:public_settings", args=[ctg.pk]), {"active": "on"}
    )
    assert response.status_code == 302
    assert PublicPage.objects.get(ctg=ctg).active

    page = anonymous.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Ouvrir un relais petite enfance" in html and "40 %" in html
    assert "Réunion publique de restitution" in html
    for hidden in ("Jeanne Martin", "budget", "€", "Réunion interne", "editeur", "Se déconnecter"):
        assert hidden not in html, hidden
    assert "<svg" in html

    client.post(reverse("participation:public_settings", args=[ctg.pk]), {})
    assert anonymous.get(url).status_code == 404

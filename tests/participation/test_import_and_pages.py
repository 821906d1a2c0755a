"""Import of another tool's CSV export (every bad row reported with its line, nothing
written), the forms of the pages (errors next to the fields), and bounded queries."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from coopctg.participation.models import Consultation, Submission, Support, WatchNote
from tests.participation.helpers import (
    add_consultation,
    add_participation,
    add_questionnaire,
    add_support,
    add_watch_note,
    answer,
)

HEADER = (
    "Horodateur;Quel mode d'accueil souhaitez-vous ?;Quels jours ?;Votre satisfaction;Une remarque"
)


def _upload(client, questionnaire, text):
    return client.post(
        reverse("participation:answers_import", args=[questionnaire.pk]),
        {"fichier": SimpleUploadedFile("export.csv", text.encode("utf-8-sig"), "text/csv")},
    )


@pytest.fixture
def questionnaire(touraine):
    return add_questionnaire(add_consultation(touraine.ctg_own))


def test_import_of_another_tools_export(client, touraine, questionnaire):
    client.force_login(touraine.editor)
    good = "\n".join(
        [
            HEADER,
            "2025/03/01 10:00;Crèche;Lundi, Samedi;4;Plus de places",
            "2025/03/01 11:00;Aucun;;2;",
            ";;;;",
        ]
    )
    response = _upload(client, questionnaire, good)
    assert response.status_code == 302
    stored = list(questionnaire.reponses.order_by("id").values_list("source", "reponses"))
    assert [s for s, _ in stored] == ["import", "import"]
    ids = [str(q.pk) for q in questionnaire.questions.order_by("position")]
    assert stored[0][1] == {
        ids[0]: "Crèche",
        ids[1]: ["Lundi", "Samedi"],
        ids[2]: 4,
        ids[3]: "Plus de places",
    }


def test_every_bad_row_is_reported_and_nothing_written(client, touraine, questionnaire):
    client.force_login(touraine.editor)
    bad = "\n".join(
        [
            HEADER,
            "x;Crèche;Lundi;4;",
            "x;Hélicoptère;Lundi;4;",
            "x;Crèche;Dimanche;9;",
            "x;;Lundi;3;",
            "x;Aucun;;3;Appelez-moi au 06 12 34 56 78",
        ]
    )
    response = _upload(client, questionnaire, bad)
    html = response.content.decode()
    assert response.status_code == 400
    assert "ligne 3 : « Quel mode d&#x27;accueil souhaitez-vous ? » : Choisissez" in html
    assert "ligne 4 : « Quels jours ? »" in html and "ligne 4 : « Votre satisfaction »" in html
    assert "ligne 5 : « Quel mode d&#x27;accueil souhaitez-vous ? » : Cette question" in html
    assert "ligne 6 : « Une remarque » : Les réponses sont anonymes" in html
    assert "5 erreurs" in html
    assert Submission.objects.count() == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe\x00b", "n&#x27;est pas en UTF-8"),
        (b"Autre;Colonne\n1;2\n", "aucune colonne ne porte"),
        (f"{HEADER}\n".encode(), "aucune réponse"),
    ],
)
def test_unreadable_files_are_refused(client, touraine, questionnaire, content, message):
    client.force_login(touraine.editor)
    url = reverse("participation:answers_import", args=[questionnaire.pk])
    response = client.post(url, {"fichier": SimpleUploadedFile("e.csv", content, "text/csv")})
    assert response.status_code == 400 and message in response.content.decode()
    response = client.post(url, {"fichier": SimpleUploadedFile("e.xlsx", b"x")})
    assert "doit être un fichier .csv" in response.content.decode()
    assert Submission.objects.count() == 0


def test_forms_show_errors_next_to_the_fields(client, touraine):
    ctg = touraine.ctg_own
    client.force_login(touraine.editor)
    response = client.post(
        reverse("participation:consultation_create", args=[ctg.pk]),
        {
            "intitule": "Sans format",
            "objectif": "x",
            "theme": "enfance",
            "public_vise": "x",
            "date_debut": "2025-03-01",
            "date_fin": "2025-02-01",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "Cochez au moins un format." in html and "La fin précède le début." in html
    assert not Consultation.objects.exists()
    response = client.post(
        reverse("participation:support_create", args=[ctg.pk]),
        {
            "type": "flyer",
            "titre": "Flyer",
            "date": "2025-03-01",
            "theme": "enfance",
            "public_vise": "Parents",
            "annonce_publique": "on",
        },
    )
    assert "Seul un événement s&#x27;annonce sur la page publique." in response.content.decode()
    assert not Support.objects.exists()
    response = client.post(
        reverse("participation:watch_create", args=[ctg.pk]),
        {
            "type": "alerte",
            "date": "2025-03-01",
            "objet": "Fermeture",
            "contenu": "x",
            "suite_le": "2025-03-05",
        },
    )
    html = response.content.decode()
    assert "Dites à qui la note ou l&#x27;alerte est adressée." in html
    assert "Dites quelle suite a été donnée." in html
    assert not WatchNote.objects.exists()
    response = client.post(
        reverse("participation:watch_create", args=[ctg.pk]),
        {
            "type": "alerte",
            "date": "2025-03-01",
            "objet": "Fermeture d'une micro-crèche",
            "contenu": "Annoncée pour juin.",
            "destinataires": ["elus", "caf"],
        },
    )
    assert response.status_code == 302
    assert WatchNote.objects.get().destinataires == ["elus", "caf"]


def test_participants_are_counted_not_named(client, touraine):
    consultation = add_consultation(touraine.ctg_own)
    client.force_login(touraine.editor)
    url = reverse("participation:participants", args=[consultation.pk])
    assert client.post(url, {"public": "familles", "nombre": "12"}).status_code == 302
    assert client.post(url, {"public": "familles", "nombre": "15"}).status_code == 302
    assert client.post(url, {"public": "elus", "nombre": "3"}).status_code == 302
    assert sorted(consultation.participations.values_list("public", "nombre")) == [
        ("elus", 3),
        ("familles", 15),
    ]
    assert client.post(url, {"public": "elus", "nombre": "0"}).status_code == 302
    assert consultation.participations.count() == 1
    response = client.post(url, {"public": "familles", "nombre": "-2"})
    assert response.status_code == 400


def _records(ctg, n):
    for i in range(n):
        consultation = add_consultation(ctg, intitule=f"Consultation {i}")
        add_participation(consultation, nombre=i + 1)
        questionnaire = add_questionnaire(consultation)
        answer(questionnaire)
        add_support(ctg, titre=f"Support {i}")
        add_watch_note(ctg, objet=f"Note {i}")


@pytest.mark.parametrize(
    "name",
    ["participation:ctg", "participation:supports", "participation:watch", "public:ctg"],
)
def test_list_pages_have_bounded_queries(client, touraine, name):
    from coopctg.participation.models import PublicPage

    ctg = touraine.ctg_own
    PublicPage.objects.create(ctg=ctg, active=True)
    client.force_login(touraine.editor)
    url = reverse(name, args=[ctg.pk])
    counts = []
    for n in (1, 6):
        _records(ctg, n)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_results_page_has_bounded_queries(client, touraine, questionnaire):
    client.force_login(touraine.editor)
    url = reverse("participation:results", args=[questionnaire.pk])
    counts = []
    for n in (1, 30):
        for _ in range(n):
            answer(questionnaire)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_dashboard_panel_counts_the_records_with_bounded_queries(client, touraine):
    from django.utils import timezone

    ctg = touraine.ctg_own
    year = timezone.localdate().year
    client.force_login(touraine.editor)
    url = reverse("dashboards:collectivite", args=[touraine.own.pk])
    counts = []
    for n in (1, 4):
        for i in range(n):
            consultation = add_consultation(
                ctg, day=timezone.localdate(), intitule=f"Consultation {n}-{i}"
            )
            add_participation(consultation, nombre=5)
            add_questionnaire(consultation)
            add_support(ctg, date=timezone.localdate())
            add_watch_note(ctg, suite="")
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        counts.append(len(queries))
    html = response.content.decode()
    assert counts[0] == counts[1], counts
    assert f"Consultations des habitants en {year} : 5, 25 participants" in html
    assert "ouverts aux réponses : 5" in html and "Alertes sans suite : 5" in html

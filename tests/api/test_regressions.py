"""Server errors found by the API's fuzzing (tests/api/test_fuzz.py), each kept as a test."""

import json

from django.urls import reverse

from coopctg.agreements.models import ModificationRequest


def test_a_nul_character_is_refused_with_a_french_422(world, call):
    """PostgreSQL refuses NUL in any text: a filter (``?statut=%00``), an identifier of the path
    (``/epci/%00/``) or a string of the JSON body (``"\\u0000"``) was a 500 there (SQLite
    accepts it): the API refuses it first, whatever the database."""
    token = world.tokens["other_editor"]
    answers = [
        call("get", reverse("api:cofs") + "?statut=%00", token),
        call("get", reverse("api:collectivites") + "?caf=37%00", token),
        call("get", "/api/v1/epci/%00/", token),
        call(
            "post",
            reverse("api:demande_create", args=[world.cof_other.pk]),
            token,
            {"motif": "a\u0000b", "date_effet": "2025-03-01", "personnes": []},
        ),
    ]
    for response in answers:
        assert response.status_code == 422, response.content
        assert response.json()["detail"] == (
            "Requête invalide : le caractère nul (\\u0000) n'est pas accepté."
        )
    assert (
        not ModificationRequest.objects.filter(motif__contains="b")
        .exclude(pk__in=[world.request_own.pk, world.request_other.pk])
        .exists()
    )
    # Without NUL, the same filter still answers.
    assert call("get", reverse("api:cofs") + "?statut=signee", token).status_code == 200


def test_a_path_the_api_cannot_route_answers_json_not_the_html_page(world, call):
    """``/api/v1/ctg/abc/`` never reaches the API (the URL wants a number): the site's 404
    answers, in JSON under /api/ like the API's own errors."""
    token = world.tokens["other_editor"]
    for path in ("/api/v1/ctg/abc/", "/api/v1/inexistant/", "/api/v2/"):
        response = call("get", path, token)
        assert response.status_code == 404 and response["Content-Type"] == "application/json"
        assert response.json() == {"detail": "Introuvable."}


def test_a_server_error_under_the_api_answers_json(rf):
    from coopctg.www.home_views.views import server_error

    response = server_error(rf.get("/api/v1/cof/"))
    assert response.status_code == 500 and response["Content-Type"] == "application/json"
    assert "réessayez plus tard" in json.loads(response.content)["detail"]
    assert server_error(rf.get("/cof/"))["Content-Type"].startswith("text/html")

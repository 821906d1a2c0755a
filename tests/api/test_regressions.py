"""Server errors found by the API's fuzzing (tests/api/test_fuzz.py), each kept as a test."""

import json

from django.urls import reverse

from coopctg.agreements.models import ModificationRequest
from coopctg.governance.models import Meeting


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


def test_out_of_range_ids_lone_surrogates_and_booleans_are_422_not_500(world, call):
    """Found by review: an id beyond 64 bits in a filter or a body, a JSON string holding half
    a surrogate pair, and ``true`` as an indicator value (stored as 1)."""
    token = world.tokens["editor"]
    huge = "99999999999999999999"
    for url in (
        reverse("api:cofs") + f"?collectivite={huge}",
        reverse("api:demandes") + f"?cof={huge}",
        reverse("api:bilans") + f"?cof={huge}",
        reverse("api:cofs") + "?annee=99999",
    ):
        assert call("get", url, token).status_code == 422, url
    create = reverse("api:instance_create", args=[world.ctg_own.pk])
    body = {"type": "cotech", "date": "2024-05-02"}
    before = Meeting.objects.count()
    assert call("post", create, token, body | {"participants_caf": [int(huge)]}).status_code == 422
    response = call("post", create, token, body | {"lieu": "\ud800"})
    assert response.status_code == 422 and "demi-paire" in response.json()["detail"]
    assert Meeting.objects.count() == before
    values = reverse("api:indicator_values", args=[world.ctg_own.pk, 2024])
    answer = call(
        "put", values, token, {"valeurs": [{"indicateur": world.indicator_own.pk, "valeur": True}]}
    )
    assert answer.status_code == 422


def test_the_html_500_page_needs_no_database(db, rf, django_assert_num_queries):
    """When the error is the database itself, the error page must not query it."""
    from coopctg.www.home_views.views import server_error

    request = rf.get("/cof/")
    with django_assert_num_queries(0):
        response = server_error(request)
    assert response.status_code == 500 and "Une erreur est survenue" in response.content.decode()


def test_unreadable_bodies_are_a_french_400(world, client):
    """Security probe (issue 10): a malformed body, 100 000 nested « [ » or a number of 5 000
    digits answered in English (« Cannot parse request body »), or a 500 when the body also
    held « \\ud800 »; nothing is written."""
    url = reverse("api:demande_create", args=[world.cof_other.pk])
    headers = {"Authorization": f"Bearer {world.tokens['other_editor']}"}
    invalid = "Requête invalide : "
    refused = invalid + "corps de la requête refusé, "
    before = ModificationRequest.objects.count()
    for body, detail in [
        (
            b'{"motif": ',
            invalid + "le corps de la requête n'est pas du JSON valide (ligne 1, colonne 11).",
        ),
        (b"\xff{}", invalid + "le corps de la requête n'est pas du JSON valide (UTF-8 attendu)."),
        (b"[" * 100_000, refused + "imbrication trop profonde (64 niveaux au plus)."),
        (
            b'["\\ud800", ' + b"[" * 100_000,
            refused + "imbrication trop profonde (64 niveaux au plus).",
        ),
        (
            b'{"motif": "x", "n": ' + b"9" * 5_000 + b"}",
            refused + "nombre trop long (5000 caractères, 100 au plus).",
        ),
    ]:
        response = client.post(url, body, content_type="application/json", headers=headers)
        assert response.status_code == 400, body[:20]
        assert response.json() == {"detail": detail}
    assert ModificationRequest.objects.count() == before

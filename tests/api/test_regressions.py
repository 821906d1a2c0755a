"""Server errors found by the API's fuzzing (tests/api/test_fuzz.py), each kept as a test."""

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

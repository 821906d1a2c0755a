"""Personal API tokens: created on the page (secret shown once), stored hashed, used as
Bearer, revoked (then 401)."""

import hashlib

from django.urls import reverse

from coopctg.api.models import ApiToken


def test_token_lifecycle(client, call, touraine):
    client.force_login(touraine.editor)
    page = client.post(reverse("api_tokens:list"), {"nom": "tableur de suivi"})
    assert page.status_code == 200
    secret = page.context["secret"]
    assert secret.startswith("cctg_") and len(secret) > 40
    assert secret in page.content.decode()
    token = ApiToken.objects.get(user=touraine.editor)
    # hashed: the secret itself is stored nowhere
    assert token.empreinte == hashlib.sha256(secret.encode()).hexdigest()
    stored = [str(value) for value in ApiToken.objects.values_list().get()]
    assert secret not in stored
    assert token.prefixe == secret[: len(token.prefixe)]
    # shown once: the list does not show it again
    assert secret not in client.get(reverse("api_tokens:list")).content.decode()

    client.logout()
    response = call("get", "/api/v1/ctg/", secret)
    assert response.status_code == 200
    assert [c["id"] for c in response.json()["resultats"]] == [touraine.ctg_own.pk]
    token.refresh_from_db()
    assert token.utilise_le is not None

    client.force_login(touraine.editor)
    assert client.post(reverse("api_tokens:revoke", args=[token.pk])).status_code == 302
    token.refresh_from_db()
    assert token.revoque_le is not None
    client.logout()
    response = call("get", "/api/v1/ctg/", secret)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.json()["detail"].startswith("Authentification requise")


def test_another_users_token_cannot_be_revoked(client, touraine):
    token, _ = ApiToken.create_for(touraine.editor, "jeton-de-l-editeur")
    client.force_login(touraine.elu)
    assert client.post(reverse("api_tokens:revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoque_le is None
    assert "jeton-de-l-editeur" not in client.get(reverse("api_tokens:list")).content.decode()


def test_token_name_is_required(client, touraine):
    client.force_login(touraine.editor)
    page = client.post(reverse("api_tokens:list"), {"nom": ""})
    assert page.status_code == 400
    assert not ApiToken.objects.exists()


def test_wrong_or_inactive_tokens_are_refused(call, touraine):
    _, secret = ApiToken.create_for(touraine.editor, "tableur")
    assert call("get", "/api/v1/ctg/", secret + "x").status_code == 401
    assert call("get", "/api/v1/ctg/", "").status_code == 401
    touraine.editor.is_active = False
    touraine.editor.save()
    assert call("get", "/api/v1/ctg/", secret).status_code == 401


def test_session_works_for_reading(client, touraine):
    client.force_login(touraine.elu)
    response = client.get("/api/v1/ctg/")
    assert response.status_code == 200
    assert response.json()["total"] == 1


def test_the_page_showing_a_new_secret_is_never_cached(client, touraine):
    client.force_login(touraine.editor)
    response = client.post(reverse("api_tokens:list"), {"nom": "tableur"})
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]

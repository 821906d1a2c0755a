"""Done when: a Caf admin invites an editor, who accepts, signs in, works, is deactivated, and
is then refused on pages and API at once."""

import re

from django.core import mail
from django.test import Client
from django.urls import reverse

from coopctg.accounts.models import User
from coopctg.governance.models import Meeting

PASSWORD = "une-phrase-de-passe-solide"


def test_invite_accept_sign_in_work_deactivate_refused(
    touraine, django_capture_on_commit_callbacks
):
    w = touraine
    admin = Client()
    admin.force_login(w.admin)

    # 1. The Caf admin invites an editor of the collectivité « own ».
    with django_capture_on_commit_callbacks(execute=True):
        page = admin.post(
            reverse("accounts:invite"),
            {
                "courriel": "julie.martin@gatine.fr",
                "role": "collectivite_editeur",
                "collectivite": w.own.pk,
            },
        )
    assert page.status_code == 200
    [message] = mail.outbox
    link = re.search(r"https?://\S+/invitation/(\S+)/", message.body)
    assert link is not None and link.group(0) in page.content.decode()
    path = reverse("accounts:accept", args=[link.group(1)])

    # 2. She opens the link, sees who invites her to what, creates her account.
    editor = Client()
    page = editor.get(path)
    assert page.status_code == 200
    content = page.content.decode()
    assert str(w.admin) in content and w.own.nom in content
    with django_capture_on_commit_callbacks(execute=True):
        response = editor.post(
            path,
            {
                "username": "julie.martin",
                "first_name": "Julie",
                "last_name": "Martin",
                "password1": PASSWORD,
                "password2": PASSWORD,
            },
        )
    assert response.status_code == 302
    julie = User.objects.get(username="julie.martin")
    # the link served once
    assert Client().get(path).status_code == 404

    # 3. She signs in with the login page (a new browser), and works: a new Cotech.
    editor = Client()
    response = editor.post(reverse("login"), {"username": "julie.martin", "password": PASSWORD})
    assert response.status_code == 302
    response = editor.post(
        reverse("governance:instance_create", args=[w.ctg_own.pk]),
        {"kind": "cotech", "date": "2024-03-15", "objet": "Cotech de printemps"},
    )
    assert response.status_code == 302
    assert Meeting.objects.filter(ctg=w.ctg_own, objet="Cotech de printemps").exists()
    # …and creates an API token that works.
    page = editor.post(reverse("api_tokens:list"), {"nom": "tableur"})
    secret = page.context["secret"]
    api = Client()
    bearer = {"Authorization": f"Bearer {secret}"}
    assert api.get("/api/v1/ctg/", headers=bearer).status_code == 200
    # the inviter was told
    assert w.admin.notifications.filter(titre__contains="a accepté votre invitation").exists()

    # 4. The Caf admin deactivates her account from her page.
    person = admin.get(reverse("accounts:person", args=[julie.pk]))
    assert person.status_code == 200
    response = admin.post(reverse("accounts:deactivate", args=[julie.pk]))
    assert response.status_code == 302

    # 5. Refused at once: her next page sends her to the login page, her token gets 401,
    # and she cannot sign in again.
    response = editor.get(reverse("governance:ctg", args=[w.ctg_own.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert api.get("/api/v1/ctg/", headers=bearer).status_code == 401
    response = Client().post(reverse("login"), {"username": "julie.martin", "password": PASSWORD})
    assert response.status_code == 200  # the form again, with its error
    assert not response.wsgi_request.user.is_authenticated
    # her work and history stay
    assert Meeting.objects.filter(objet="Cotech de printemps").exists()
    julie.refresh_from_db()
    assert not julie.is_active and julie.memberships.exists()

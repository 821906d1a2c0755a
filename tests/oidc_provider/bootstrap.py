"""Prepare the test provider's database: ``python -m tests.oidc_provider.bootstrap``.

Migrates its own SQLite file, creates an RS256 key (``creatersakey``), the people it knows
(:data:`PEOPLE`, password :data:`PASSWORD`) and CoopCTG's client: confidential, RS256, the
code flow, no consent screen, redirect URIs those of the Django test client
(http://testserver).
"""

import io
import os

import django
from django.core.management import call_command

CLIENT_ID = "coopctg-test"
CLIENT_SECRET = "secret-du-client-de-test"
PASSWORD = "mot-de-passe-chez-le-fournisseur"
REDIRECT_URI = "http://testserver/oidc/callback/"
POST_LOGOUT_REDIRECT_URI = "http://testserver/oidc/deconnecte/"

#: user name (also the e-mail), first name, last name.
PEOPLE = [
    ("lie@caf37.fr", "Lina", "Liée"),
    ("invitee@gatine.fr", "Inès", "Invitée"),
    ("inconnue@exemple.fr", "Inès", "Inconnue"),
    ("expiree@gatine.fr", "Élise", "Expirée"),
]


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.oidc_provider.settings")
    django.setup()
    from django.contrib.auth.models import User
    from oidc_provider.models import Client, ResponseType

    call_command("migrate", verbosity=0, interactive=False)
    call_command("creatersakey", stdout=io.StringIO())
    for username, first_name, last_name in PEOPLE:
        User.objects.create_user(
            username, email=username, password=PASSWORD, first_name=first_name, last_name=last_name
        )
    client = Client.objects.create(
        name="CoopCTG (tests)",
        client_type="confidential",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        jwt_alg="RS256",
        require_consent=False,
        reuse_consent=True,
        _redirect_uris=REDIRECT_URI,
        _post_logout_redirect_uris=POST_LOGOUT_REDIRECT_URI,
    )
    client.response_types.add(ResponseType.objects.get(value="code"))


if __name__ == "__main__":
    main()

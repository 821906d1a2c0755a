"""``coopctg oidc decouvrir ISSUER``: the provider's endpoints, as environment variables.

Reads the provider's ``/.well-known/openid-configuration`` (ProConnect:
``https://PROCONNECT_DOMAIN/api/v2``) and prints the ``export`` lines of the
``COOPCTG_OIDC_*`` variables to set (README, « Connexion avec ProConnect »): the application
itself never calls the network at start-up.
"""

import shlex
from typing import Any

from django.core.management.base import CommandParser

from coopctg.core.commands import CliError, FrenchCommand


class Command(FrenchCommand):
    help = "Connexion OpenID Connect (ProConnect)."
    subcommands = {
        "decouvrir": "lit la configuration publiée par le fournisseur et affiche les variables "
        "d'environnement COOPCTG_OIDC_* à définir",
    }

    def add_decouvrir_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("issuer", help="l'issuer du fournisseur, sans /.well-known/…")

    def handle_decouvrir(self, **options: Any) -> None:
        from coopctg.accounts.oidc import DiscoveryError, discover

        try:
            values = discover(options["issuer"])
        except DiscoveryError as error:
            raise CliError(str(error)) from None
        for name, value in values.items():
            self.stdout.write(f"export {name}={shlex.quote(value)}")

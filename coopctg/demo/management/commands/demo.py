from typing import Any

from django.core.management import call_command
from django.core.management.base import CommandParser

from coopctg.core.commands import CliError, FrenchCommand


class Command(FrenchCommand):
    help = "Démonstration Touraine."
    subcommands = {
        "charger": "Importe les territoires, le référentiel, l'équipe de la Caf de Touraine, "
        "crée les 11 Ctg 2022-2026 et leurs Cof signées, les bilans annuels et les instances, "
        "la répartition de démonstration des CTT, le suivi complet de la Ctg de la Gâtine et "
        "un compte de démonstration par rôle (idempotent).",
    }

    def add_charger_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--sans-territoires",
            action="store_true",
            help="ne réimporte pas les territoires s'ils sont déjà chargés",
        )

    def handle_charger(self, **options: Any) -> None:
        from coopctg.agreements.services import AgreementError
        from coopctg.demo.loader import DemoDataError, load_demo
        from coopctg.territories.models import Commune

        streams = {"stdout": self.stdout, "stderr": self.stderr}
        if options["sans_territoires"] and Commune.objects.exists():
            self.stdout.write("Territoires déjà chargés.")
        else:
            call_command("territoires", "importer", **streams)
        call_command("referentiel", "charger", **streams)
        call_command("equipe", "importer", **streams)
        try:
            report = load_demo(log=self.stdout.write)
        except (DemoDataError, AgreementError) as error:  # a data file contradicts itself
            raise CliError(str(error)) from None
        self.stdout.write("")
        self.stdout.write(
            "Comptes de démonstration — DÉMONSTRATION UNIQUEMENT, mots de passe publics :"
        )
        for account in report.accounts:
            self.stdout.write(
                f"  {account.username:<18} {account.password:<20} "
                f"{account.role.label} — {account.scope}"
            )

from typing import Any

from django.core.management.base import CommandParser

from coopctg.core.commands import CliError, FrenchCommand


class Command(FrenchCommand):
    help = "Démonstration Touraine."
    subcommands = {
        "charger": "Importe les territoires, le référentiel, l'équipe de la Caf de Touraine, "
        "crée les Ctg 2022-2026 et un compte de démonstration par rôle (idempotent).",
    }

    def add_charger_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sans-territoires", action="store_true",
                            help="ne réimporte pas les territoires s'ils sont déjà chargés")

    def handle_charger(self, **options: Any) -> None:
        from coopctg.demo.loader import load_demo
        from coopctg.framework.loader import FrameworkFileError, load_framework
        from coopctg.organisations.team_import import TeamImportError, import_team
        from coopctg.territories.importer import (
            DEFAULT_DATA_DIR,
            TerritoryImportError,
            import_territories,
        )
        from coopctg.territories.models import Commune

        out = self.stdout.write
        try:
            if options["sans_territoires"] and Commune.objects.exists():
                out("Territoires déjà chargés.")
            else:
                out("Import des territoires (départements, EPCI, communes)…")
                import_territories(DEFAULT_DATA_DIR, progress=self._progress)
                self.stderr.write("")
            version = load_framework()
            out(f"Référentiel chargé : {version.titre} ({version.code}).")
            team = import_team()
            out(f"Équipe de la {team.caf.nom} : {team.membres} personnes, "
                f"{team.collectivites} collectivités suivies.")
            report = load_demo(log=out)
        except (TerritoryImportError, FrameworkFileError, TeamImportError) as error:
            raise CliError(str(error)) from error
        out("")
        out("Comptes de démonstration — DÉMONSTRATION UNIQUEMENT, mots de passe publics :")
        for account in report.accounts:
            out(f"  {account.username:<18} {account.password:<20} {account.role.label} — "
                f"{account.scope}")

    def _progress(self, *args: Any, **kwargs: Any) -> None:
        self.stderr.write(".", ending="")
        self.stderr.flush()

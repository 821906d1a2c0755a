from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from coopctg.core.commands import CliError, FrenchCommand
from coopctg.organisations.team_import import DEFAULT_TEAM_FILE, TeamImportError, import_team


class Command(FrenchCommand):
    help = "Équipe de développement territorial de la Caf et collectivités qu'elle suit."
    subcommands = {
        "importer": "Importe la Caf, ses collectivités et son équipe depuis un fichier YAML "
        "(par défaut : celui de la Caf de Touraine livré avec l'application).",
    }

    def add_importer_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "fichier",
            nargs="?",
            type=Path,
            default=DEFAULT_TEAM_FILE,
            metavar="FICHIER",
            help="fichier YAML de l'équipe",
        )

    def handle_importer(self, fichier: Path, **options: Any) -> None:
        try:
            report = import_team(fichier)
        except TeamImportError as error:
            more = f" ({len(error.errors)} erreurs au total)" if len(error.errors) > 1 else ""
            raise CliError(f"{fichier.name} : {error.errors[0]}{more}") from error
        if options["verbosity"] >= 2:
            for usual, code, official in report.rapprochements:
                self.stdout.write(f"  {usual} → {official} ({code})")
        self.stdout.write(
            f"Équipe importée pour la {report.caf.nom} : {report.membres} personnes, "
            f"{report.collectivites} collectivités, {report.suivis} suivis."
        )

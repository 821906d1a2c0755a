"""``coopctg documents``: the documents prepared by the task worker (README, « Documents
préparés en arrière-plan »): their states, and the purge of those nobody asked for lately."""

import datetime as dt
from typing import Any

from django.core.management.base import CommandParser

from coopctg.core.commands import CliError, FrenchCommand


class Command(FrenchCommand):
    help = "Documents préparés en arrière-plan."
    subcommands = {
        "etat": "nombre de documents en attente, en préparation, prêts et en échec",
        "purger": "supprime les documents (et leurs fichiers) demandés pour la dernière fois "
        "il y a plus de N jours ; ils seront produits de nouveau à la demande",
    }

    def add_purger_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--jours", default="30", help="ancienneté en jours (30 par défaut)")

    def handle_etat(self, **options: Any) -> None:
        from coopctg.background.models import GeneratedDocument
        from coopctg.background.services import status_counts

        labels = dict(GeneratedDocument.Status.choices)
        for status, count in status_counts().items():
            self.stdout.write(f"{labels[status]} : {count}")

    def handle_purger(self, jours: str, **options: Any) -> None:
        from coopctg.background.services import purge

        try:
            days = int(jours)
        except ValueError:
            days = -1
        if days < 0:
            raise CliError(f"--jours attend un nombre de jours entier positif, pas « {jours} »")
        deleted = purge(dt.timedelta(days=days))
        self.stdout.write(f"{deleted} document(s) supprimé(s).")

"""``coopctg cof …``: the Cof (conventions d'objectifs et de financement).

``coopctg cof importer FICHIER`` (``-``: the standard input) creates a signed Cof and its
avenants from a JSON document (format in :mod:`coopctg.agreements.importer`) and prints the
Cof's number. Any invalid input exits 2 with one French line on stderr; nothing is written.

Example: ``coopctg cof importer coopctg/demo/data/cof-gatine.json``.
"""

from typing import Any

from django.core.management.base import CommandParser

from coopctg.core.commands import CliError, FrenchCommand


class Command(FrenchCommand):
    help = "Conventions d'objectifs et de financement (Cof)."
    subcommands = {
        "importer": (
            "crée une Cof signée et ses avenants décrits en JSON (collectivité, période, "
            "versions avec leurs personnes et leurs affectations) et affiche son numéro"
        ),
    }

    def add_importer_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "fichier", metavar="FICHIER", help="fichier JSON de la Cof (« - » : stdin)"
        )
        parser.add_argument(
            "--sans-documents",
            action="store_true",
            help="ne produit pas le PDF de chaque version signée (il peut l'être plus tard)",
        )

    def handle_importer(self, fichier: str, sans_documents: bool, **options: Any) -> None:
        from coopctg.agreements.importer import CofImportError, import_cof
        from coopctg.funding.management.commands.financement import read_json

        source = "entrée standard" if fichier == "-" else fichier
        data = read_json(fichier)
        try:
            cof = import_cof(data, generate_documents=not sans_documents)
        except CofImportError as error:
            raise CliError(f"{source} : {error}") from None
        self.stdout.write(cof.numero)

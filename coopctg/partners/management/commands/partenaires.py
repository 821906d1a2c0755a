"""``coopctg partenaires importer FICHIER`` and ``coopctg partenaires exporter --caf CODE``.

``importer`` reads a data·inclusion export (``structures`` or ``services``, JSON or CSV) as
the publisher writes it, checks every record, then writes into the directory of the Caf,
created or updated by (``source``, ``id``). A bad record: one French line naming the file and
the line, exit status 2, nothing written.

``exporter`` writes the directory of a Caf: JSON on stdout (or ``--sortie``), CSV, or XLSX in a
file.
"""

from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from coopctg.core.commands import CliError, FrenchCommand
from coopctg.organisations.models import Caf
from coopctg.partners import services
from coopctg.partners.importer import PartnerImportError, import_file


def _caf(code: str | None) -> Caf:
    if code is None:
        cafs = list(Caf.objects.all()[:2])
        if len(cafs) != 1:
            raise CliError("plusieurs Caf ou aucune : précisez --caf CODE")
        return cafs[0]
    caf = Caf.objects.filter(code=code).first()
    if caf is None:
        raise CliError(f"Caf « {code} » inconnue")
    return caf


class Command(FrenchCommand):
    help = "Annuaire des partenaires d'une Caf : import data·inclusion, export."
    subcommands = {
        "importer": (
            "importe un export data·inclusion (structures ou services, JSON ou CSV) dans "
            "l'annuaire de la Caf ; rien n'est écrit si une ligne est invalide"
        ),
        "exporter": "écrit l'annuaire des partenaires d'une Caf (JSON, CSV ou XLSX)",
    }

    def add_importer_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "fichier", metavar="FICHIER", type=Path, help="export data·inclusion (JSON ou CSV)"
        )
        parser.add_argument(
            "--caf", metavar="CODE", help="code de la Caf (facultatif s'il n'y en a qu'une)"
        )

    def add_exporter_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--caf", metavar="CODE", required=True, help="code de la Caf")
        parser.add_argument(
            "--format", choices=["json", "csv", "xlsx"], default="json", help="json (défaut)"
        )
        parser.add_argument(
            "--sortie", metavar="FICHIER", help="fichier à écrire (défaut : la sortie standard)"
        )

    def handle_importer(self, fichier: Path, caf: str | None = None, **options: Any) -> None:
        target = _caf(caf)
        try:
            content = fichier.read_bytes()
        except OSError as error:
            raise CliError(f"lecture impossible de {fichier} ({error.strerror or error})") from None
        try:
            report = import_file(fichier.name, content, target)
        except PartnerImportError as error:
            raise CliError(str(error)) from error
        self.stdout.write(report.summary())

    def handle_exporter(self, caf: str, format: str, sortie: str | None, **options: Any) -> None:
        target = _caf(caf)
        content = services.export_text(services.directory(target.pk), format)
        if self.write_export(content, format, sortie):
            self.stdout.write(f"Annuaire des partenaires de la {target.nom} écrit dans {sortie}.")

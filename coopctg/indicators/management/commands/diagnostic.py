"""``coopctg diagnostic importer FICHIER`` and ``coopctg diagnostic exporter --collectivite CODE``.

``importer`` reads an open-data file exactly as its publisher distributes it (the CSV export or
the JSON of the explore API of data.caf.fr), recognises the dataset by its columns, checks
every row, then writes; progress on stderr, the summary on stdout. A bad row: one French line
naming the file and the line, exit status 2, nothing written.

``exporter`` writes the fiche diagnostic of a collectivité: JSON on stdout (or ``--sortie``),
XLSX or PDF in a file.
"""

import argparse
import json
from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from coopctg.core.commands import CliError, FrenchCommand
from coopctg.core.formats import format_number
from coopctg.indicators.importer import IndicatorImportError, import_file
from coopctg.indicators.services import build_fiche, collectivite_by_code, fiche_json


def _year(text: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) == 4):
        raise argparse.ArgumentTypeError(f"année invalide : « {text} » (AAAA attendu)")
    return int(text)


def _plain(text: str) -> str:
    """Progress is not an error: no red on a terminal."""
    return text


class Command(FrenchCommand):
    help = (
        "Diagnostic de territoire : import des données ouvertes (data.caf.fr), "
        "fiche diagnostic d'une collectivité."
    )
    subcommands = {
        "importer": (
            "importe un fichier de données ouvertes tel que l'éditeur le distribue (export CSV "
            "ou JSON de l'API explore de data.caf.fr) ; rien n'est écrit si une ligne est "
            "invalide"
        ),
        "exporter": "écrit la fiche diagnostic d'une collectivité (JSON, XLSX ou PDF)",
    }

    def add_importer_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "fichier", metavar="FICHIER", type=Path, help="fichier CSV ou JSON de l'éditeur"
        )
        parser.add_argument(
            "--demonstration",
            action="store_true",
            help=(
                "fichier d'exemple aux valeurs inventées : elles sont signalées comme "
                "« valeurs fictives de démonstration » partout où elles paraissent"
            ),
        )

    def add_exporter_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--collectivite",
            metavar="CODE",
            required=True,
            help="SIREN de l'EPCI ou code INSEE de la commune",
        )
        parser.add_argument(
            "--annee",
            type=_year,
            metavar="AAAA",
            help=(
                "année des valeurs (à défaut, la plus récente avant elle) ; "
                "par défaut : les plus récentes"
            ),
        )
        parser.add_argument(
            "--format", choices=["json", "xlsx", "pdf"], default="json", help="json (défaut)"
        )
        parser.add_argument(
            "--sortie", metavar="FICHIER", help="fichier à écrire (défaut : la sortie standard)"
        )

    def handle_importer(self, fichier: Path, demonstration: bool = False, **options: Any) -> None:
        try:
            content = fichier.read_bytes()
        except OSError as error:
            raise CliError(f"lecture impossible de {fichier} ({error.strerror or error})") from None
        verbose = options.get("verbosity", 1) >= 1

        def progress(step: str, done: int, total: int) -> None:
            if verbose:
                text = f"{step} : {format_number(done, 0)} / {format_number(total, 0)}"
                self.stderr.write(text, style_func=_plain)

        try:
            report = import_file(
                fichier.name, content, demonstration=demonstration, progress=progress
            )
        except IndicatorImportError as error:
            raise CliError(str(error)) from error
        self.stdout.write(report.summary())

    def handle_exporter(
        self,
        collectivite: str,
        annee: int | None,
        format: str,
        sortie: str | None,
        **options: Any,
    ) -> None:
        found = collectivite_by_code(collectivite)
        if found is None:
            raise CliError(
                f"collectivité « {collectivite} » inconnue (SIREN d'un EPCI ou code INSEE "
                "d'une commune partenaire d'une Caf)"
            )
        fiche = build_fiche(found, annee)
        if format == "json":
            content: bytes | str = (
                json.dumps(fiche_json(fiche), ensure_ascii=False, indent=2) + "\n"
            )
        else:
            from coopctg.indicators import documents

            content = (
                documents.fiche_xlsx(fiche) if format == "xlsx" else documents.fiche_pdf(fiche)
            )
        if self.write_export(content, format, sortie):
            self.stdout.write(f"Fiche diagnostic de {fiche.nom} écrite dans {sortie}.")

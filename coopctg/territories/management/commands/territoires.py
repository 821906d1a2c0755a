"""``coopctg territoires importer [DOSSIER]``: import départements, EPCI, communes and contours.

Progress goes to stderr: on a terminal, one line updated in place; otherwise one line per batch
written (the reading of the files, which may end in an error, is not shown). The final summary
goes to stdout. A missing file or any bad row: one French line on stderr naming the first error
and the number of errors, exit status 2, nothing written.
"""

from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from coopctg.core.commands import CliError, FrenchCommand
from coopctg.core.formats import format_number
from coopctg.territories.importer import (
    DEFAULT_DATA_DIR,
    READING,
    TerritoryImportError,
    import_territories,
)


class Command(FrenchCommand):
    help = "Référentiel des territoires : départements, EPCI, communes et leurs contours."
    subcommands = {
        "importer": (
            "importe (ou met à jour) départements, EPCI et communes depuis les fichiers CSV "
            "et GeoJSON d'un dossier ; rien n'est écrit si une ligne est invalide"
        ),
    }

    def add_importer_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "dossier",
            metavar="DOSSIER",
            nargs="?",
            type=Path,
            default=DEFAULT_DATA_DIR,
            help=(
                "dossier contenant departements.csv, epci.csv, communes.csv et, "
                "facultativement, epci-*.geojson et communes-*.geojson "
                "(par défaut : les données livrées avec l'application)"
            ),
        )

    def handle_importer(self, dossier: Path, **options: Any) -> None:
        in_place = self.stderr.isatty()
        verbose = options.get("verbosity", 1) >= 1
        last = {"width": 0}

        def progress(step: str, done: int, total: int) -> None:
            if not verbose or (step == READING and not in_place):
                return
            text = f"{step} : {format_number(done, 0)} / {format_number(total, 0)}"
            if in_place:
                padding = " " * max(0, last["width"] - len(text))
                self.stderr.write(f"\r{text}{padding}", style_func=_plain, ending="")
                last["width"] = len(text)
            else:
                self.stderr.write(text, style_func=_plain)

        try:
            report = import_territories(dossier, progress=progress)
        except TerritoryImportError as error:
            if last["width"]:  # erase the progress line: the error stands alone
                self.stderr.write(f"\r{' ' * last['width']}\r", style_func=_plain, ending="")
            raise CliError(str(error)) from error
        if last["width"]:
            self.stderr.write("", style_func=_plain)
        self.stdout.write(report.summary())


def _plain(text: str) -> str:
    """Progress is not an error: no red on a terminal."""
    return text

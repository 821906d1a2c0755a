"""``coopctg sauvegarder FICHIER``: back up the database and the documents into one ZIP file.

Consistent while the application runs (one read transaction; see :mod:`coopctg.core.backup`).
Progress goes to stderr (one line updated in place on a terminal, otherwise one line per step
and per table batch); the summary goes to stdout: « Sauvegarde écrite : FICHIER (1 234 lignes,
5 documents, 2,3 Mo) ». Documents referenced by the database but absent from the disk are
listed on stderr (the backup is still written). Any error: one French line, exit status 2,
nothing written.
"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from coopctg.core.commands import CliError, FrenchCommand
from coopctg.core.formats import format_number


class Command(FrenchCommand):
    help = (
        "Sauvegarde toute l'instance (base de données et documents : PDF des Cof et avenants, "
        "comptes rendus…) dans un fichier ZIP, sans arrêter l'application."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("fichier", metavar="FICHIER", type=Path, help="archive ZIP à écrire")
        parser.add_argument(
            "--ecraser", action="store_true", help="remplace FICHIER s'il existe déjà"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from coopctg.core.backup import BackupError, create_backup

        progress = ProgressLine(self, options.get("verbosity", 1))
        try:
            report = create_backup(
                options["fichier"], progress=progress, overwrite=options["ecraser"]
            )
        except BackupError as error:
            progress.erase()
            raise CliError(str(error)) from error
        except OSError as error:
            progress.erase()
            raise CliError(
                f"{options['fichier']} : écriture impossible ({error.strerror})"
            ) from error
        progress.end()
        for name in report.missing_documents:
            self.stderr.write(f"Attention : document absent du disque, non sauvegardé : {name}")
        self.stdout.write(report.summary())


class ProgressLine:
    """progress(step, done, total) on stderr: in place on a terminal, else one line per step."""

    def __init__(self, command: BaseCommand, verbosity: int) -> None:
        self.command = command
        self.verbose = verbosity >= 1
        self.in_place = command.stderr.isatty()
        self.width = 0
        self.last: tuple[str, int] | None = None

    def __call__(self, step: str, done: int, total: int) -> None:
        if not self.verbose:
            return
        if not self.in_place:  # a log: the start and the end of each step
            if (done != 0 and done != total) or self.last == (step, done):
                return
            self.last = (step, done)
        text = f"{step} : {format_number(done, 0)} / {format_number(total, 0)}"
        if self.in_place:
            padding = " " * max(0, self.width - len(text))
            self.command.stderr.write(f"\r{text}{padding}", style_func=_plain, ending="")
            self.width = len(text)
        else:
            self.command.stderr.write(text, style_func=_plain)

    def erase(self) -> None:
        """Before an error: the error line stands alone."""
        if self.width:
            self.command.stderr.write(f"\r{' ' * self.width}\r", style_func=_plain, ending="")
            self.width = 0

    def end(self) -> None:
        if self.width:
            self.command.stderr.write("", style_func=_plain)
            self.width = 0


def _plain(text: str) -> str:
    """Progress is not an error: no red on a terminal."""
    return text

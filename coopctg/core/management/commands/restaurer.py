"""``coopctg restaurer FICHIER``: restore a backup of ``coopctg sauvegarder`` into a new instance.

The database must be empty and at the same migrations as the backup (``coopctg migrate`` on a
new database); the documents are written into MEDIA_ROOT. The archive is checked first: its
signature (HMAC of the manifest with the backup key, see :mod:`coopctg.core.backup`), then the
SHA-256 of every member. An unsigned or wrongly signed archive (unless
``--forcer-sans-signature``, which then warns on stderr), a corrupted file, another migration
state, a non-empty database or a different document already in MEDIA_ROOT is refused with one
French line on stderr, exit status 2, and nothing is written. Summary on stdout: « Sauvegarde
restaurée : FICHIER (1 234 lignes, 5 documents, sauvegarde du 01/12/2025 à 10:49) ».
"""

from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from coopctg.core.commands import CliError, FrenchCommand
from coopctg.core.management.commands.sauvegarder import ProgressLine


class Command(FrenchCommand):
    help = (
        "Restaure une sauvegarde (base de données et documents) dans une base neuve, créée par "
        "« coopctg migrate »."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "fichier",
            metavar="FICHIER",
            type=Path,
            help="archive écrite par « coopctg sauvegarder »",
        )
        parser.add_argument(
            "--forcer-sans-signature",
            action="store_true",
            help=(
                "restaure même une archive non signée ou dont la signature ne correspond pas à "
                "la clé de sauvegarde (COOPCTG_BACKUP_KEY) : seulement pour une archive dont "
                "vous êtes sûr·e de l'origine"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from coopctg.core.backup import BackupError, restore_backup

        progress = ProgressLine(self, options.get("verbosity", 1))
        try:
            report = restore_backup(
                options["fichier"],
                progress=progress,
                require_signature=not options["forcer_sans_signature"],
            )
        except BackupError as error:
            progress.erase()
            raise CliError(str(error)) from error
        except OSError as error:
            progress.erase()
            raise CliError(
                f"{options['fichier']} : lecture impossible ({error.strerror})"
            ) from error
        progress.end()
        if report.unverified_signature:
            self.stderr.write(
                f"Attention : signature non vérifiée ({report.unverified_signature}) ; "
                "restauration forcée par --forcer-sans-signature"
            )
        for name in report.missing_documents:
            self.stderr.write(f"Attention : document déjà absent lors de la sauvegarde : {name}")
        self.stdout.write(report.summary())

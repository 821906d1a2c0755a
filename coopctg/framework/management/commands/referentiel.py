"""``coopctg referentiel charger [FICHIER]`` and ``coopctg referentiel exporter [--version CODE]``.

``charger`` loads (or reloads) a version from its YAML file and prints a one-line summary;
``exporter`` prints a version as JSON (UTF-8) on stdout. An invalid file, an unknown version or
an empty database: one French line on stderr, exit status 2.
"""

import json
from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from coopctg.core.commands import CliError, FrenchCommand
from coopctg.framework.loader import (
    DEFAULT_FRAMEWORK_FILE,
    FrameworkFileError,
    export_framework,
    load_framework_with_report,
    versions_newest_first,
)


class Command(FrenchCommand):
    help = "Référentiel du chargé de coopération Ctg : chargement d'une version, export en JSON."
    subcommands = {
        "charger": (
            "charge une version du référentiel depuis un fichier YAML, ou la met à jour si elle "
            "est déjà chargée ; rien n'est écrit si le fichier est invalide"
        ),
        "exporter": "écrit une version du référentiel en JSON sur la sortie standard",
    }

    def add_charger_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "fichier",
            metavar="FICHIER",
            nargs="?",
            type=Path,
            default=DEFAULT_FRAMEWORK_FILE,
            help=(
                "fichier YAML du référentiel (par défaut : celui de la Caf de Touraine, "
                "janvier 2022, livré avec l'application)"
            ),
        )

    def add_exporter_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--version",
            dest="version_code",
            metavar="CODE",
            default=None,
            help="code de la version (par défaut : la plus récente par date de publication)",
        )

    def handle_charger(self, fichier: Path, **options: Any) -> None:
        try:
            report = load_framework_with_report(fichier)
        except FrameworkFileError as error:
            raise CliError(str(error)) from error
        self.stdout.write(report.summary())

    def handle_exporter(self, version_code: str | None = None, **options: Any) -> None:
        versions = versions_newest_first()
        if version_code is None:
            version = versions.first()
            if version is None:
                raise CliError("aucun référentiel chargé : lancez « coopctg referentiel charger »")
        else:
            version = versions.filter(code=version_code).first()
            if version is None:
                known = ", ".join(versions.values_list("code", flat=True)) or "aucune"
                raise CliError(f"version « {version_code} » inconnue (versions chargées : {known})")
        text = json.dumps(export_framework(version), ensure_ascii=False, indent=2)
        encoding = (getattr(self.stdout, "encoding", None) or "utf-8").lower().replace("-", "")
        if encoding != "utf8" and hasattr(self.stdout, "reconfigure"):
            self.stdout.reconfigure(encoding="utf-8")
        self.stdout.write(text)

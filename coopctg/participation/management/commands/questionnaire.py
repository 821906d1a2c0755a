"""``coopctg questionnaire …``: the results of a questionnaire of a consultation, and the
import of answers collected with another tool.

- ``coopctg questionnaire resultats ID [--format json|xlsx] [--sortie FICHIER]``: the
  aggregated results (as the results page and the API give them); XLSX: the workbook of the
  page (« Synthèse » and « Réponses »).
- ``coopctg questionnaire importer ID FICHIER``: the answers of another tool's CSV export, as
  the page imports them (every bad row reported with its line, nothing written).

Any error exits 2 with one French line on stderr.
"""

import json
from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from coopctg.core.commands import CliError, FrenchCommand
from coopctg.reports.management.commands.bilans import database_error, identifier

MAX_BYTES = 2 * 1024 * 1024


class Command(FrenchCommand):
    help = "Questionnaires des consultations : résultats (JSON, XLSX), import de réponses (CSV)."
    subcommands = {
        "resultats": "écrit les résultats agrégés d'un questionnaire (JSON ou XLSX)",
        "importer": "importe les réponses d'un export CSV d'un autre outil",
    }

    def add_resultats_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("id", type=identifier, help="identifiant du questionnaire")
        parser.add_argument("--format", choices=["json", "xlsx"], default="json")
        parser.add_argument("--sortie", metavar="FICHIER", help="fichier à écrire")

    def add_importer_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("id", type=identifier, help="identifiant du questionnaire")
        parser.add_argument("fichier", help="export CSV (UTF-8, « ; » ou « , »)")

    def _questionnaire(self, pk: int) -> Any:
        from django.db import DatabaseError

        from coopctg.participation.models import Questionnaire

        try:
            found = Questionnaire.objects.select_related("consultation__ctg").filter(pk=pk).first()
        except DatabaseError as error:
            raise database_error(error) from None
        if found is None:
            raise CliError(f"questionnaire inconnu : « {pk} »")
        return found

    def handle_resultats(self, id: int, format: str, sortie: str | None, **options: Any) -> None:
        from coopctg.participation.questionnaires import results_json, results_xlsx

        questionnaire = self._questionnaire(id)
        if format == "xlsx":
            content: bytes | str = results_xlsx(questionnaire)
        else:
            data = results_json(questionnaire)
            data["date_cloture"] = (
                data["date_cloture"].isoformat() if data["date_cloture"] else None
            )
            content = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        if self.write_export(content, format, sortie):
            self.stdout.write(f"Résultats écrits dans {sortie}.")

    def handle_importer(self, id: int, fichier: str, **options: Any) -> None:
        from coopctg.participation import questionnaires

        questionnaire = self._questionnaire(id)
        path = Path(fichier)
        try:
            if path.stat().st_size > MAX_BYTES:
                raise CliError(f"{fichier} : le fichier dépasse la taille maximale de 2 Mo")
            content = path.read_bytes()
        except OSError as error:
            raise CliError(f"lecture impossible de {fichier} ({error.strerror or error})") from None
        try:
            count = questionnaires.import_csv(None, questionnaire, content)
        except questionnaires.ImportRefused as refused:
            first = refused.errors[0]
            more = len(refused.errors) - 1
            suffix = f" (et {more} autre{'s' if more > 1 else ''} erreur{'s' if more > 1 else ''})"
            raise CliError(
                f"{fichier}, {first} ; rien n'est importé" + (suffix if more else "")
            ) from None
        self.stdout.write(
            f"{count} réponse{'s' if count > 1 else ''} importée{'s' if count > 1 else ''}."
        )

"""``coopctg versements --annee AAAA [--caf CODE] [--format json|csv|xlsx] [--sortie FICHIER]``:
the Caf's payment schedule for a calendar year (:mod:`coopctg.reports.payments`).

One line per Cof in force in the year, every collectivité of the Caf (default 37): amount due
(signed versions prorated by day), advance at the Caf's dated rate, balance, the year's bilan
and whether the balance is released. JSON by default (euros as strings with two decimals), CSV
with French conventions (``;``, decimal comma), XLSX into a file. Any error exits 2 with one
French line on stderr. Reads the database.
"""

import argparse
import json
import re
from decimal import Decimal
from typing import Any

from django.core.management.base import CommandParser

from coopctg.agreements.annual import MAX_YEAR, MIN_YEAR
from coopctg.core.caf_params import ALL_CAFS
from coopctg.core.commands import CliError, FrenchCommand
from coopctg.funding.caf_parameters import DEFAULT_CAF


def _year(text: str) -> int:
    """``--annee``: four digits, a year the budget knows."""
    if not re.fullmatch(r"[0-9]{4}", text, re.ASCII) or not MIN_YEAR <= int(text) <= MAX_YEAR:
        raise argparse.ArgumentTypeError(
            f"année invalide : « {text} » (AAAA, de {MIN_YEAR} à {MAX_YEAR})"
        )
    return int(text)


class Command(FrenchCommand):
    help = (
        "Échéancier des versements d'une année civile : montant dû par Cof, acompte au taux de "
        "la Caf, solde libéré une fois le bilan annuel validé (JSON, CSV ou XLSX)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--annee", required=True, type=_year, metavar="AAAA", help="année civile"
        )
        parser.add_argument(
            "--caf",
            metavar="CODE",
            help=f"code de la Caf (défaut : {DEFAULT_CAF}) ; « {ALL_CAFS} » : toutes les Caf",
        )
        parser.add_argument(
            "--format",
            choices=["json", "csv", "xlsx"],
            default="json",
            help="json (défaut), csv (séparateur « ; », virgule décimale) ou xlsx",
        )
        parser.add_argument(
            "--sortie",
            metavar="FICHIER",
            help="fichier à écrire (obligatoire en xlsx ; défaut : la sortie standard)",
        )

    def handle(
        self,
        *args: Any,
        annee: int,
        caf: str | None,
        format: str,
        sortie: str | None,
        **options: Any,
    ) -> None:
        from django.db import DatabaseError

        from coopctg.organisations.models import Caf, LocalAuthority
        from coopctg.reports.payments import (
            payment_schedule,
            schedule_csv,
            schedule_to_json,
            schedule_xlsx,
        )

        if format == "xlsx" and not sortie:
            raise CliError("le format xlsx s'écrit dans un fichier : ajoutez --sortie FICHIER")
        code = caf or DEFAULT_CAF
        if code == ALL_CAFS:
            self._every_caf(annee, format, sortie)
            return
        try:
            the_caf = Caf.objects.filter(code=code).first()
            if the_caf is None:
                raise CliError(f"Caf inconnue : « {code} »")
            schedule = payment_schedule(the_caf, LocalAuthority.objects.filter(caf=the_caf), annee)
        except DatabaseError as error:
            detail = " ".join(str(error).split())  # one line
            raise CliError(f"base de données inaccessible ({detail})") from None
        if schedule.rate is None:
            raise CliError(f"taux d'acompte de la Caf {code} : {schedule.parameter_error}")
        if format == "xlsx":
            content: bytes | str = schedule_xlsx(schedule)
        elif format == "csv":
            content = schedule_csv(schedule)
        else:
            content = json.dumps(schedule_to_json(schedule), ensure_ascii=False, indent=2) + "\n"
        if self.write_export(content, format, sortie):
            count = len(schedule.rows)
            self.stdout.write(f"Versements {annee} de {count} Cof écrits dans {sortie}.")

    def _every_caf(self, annee: int, format: str, sortie: str | None) -> None:
        """``--caf tout``: every Caf's schedule, computed in one process (three queries)."""
        from django.db import DatabaseError

        from coopctg.core.exports import csv_text
        from coopctg.funding.rules import decimal_text
        from coopctg.organisations.models import Caf
        from coopctg.reports.payments import (
            CSV_HEADER,
            payment_schedules,
            schedule_rows,
            schedule_to_json,
        )

        if format == "xlsx":
            raise CliError(
                "--caf tout s'écrit en json ou csv (le classeur de toutes les Caf est celui de "
                "la vue nationale)"
            )
        try:
            schedules = payment_schedules(list(Caf.objects.order_by("code")), annee)
        except DatabaseError as error:
            detail = " ".join(str(error).split())  # one line
            raise CliError(f"base de données inaccessible ({detail})") from None
        for schedule in schedules:
            if schedule.rate is None:
                raise CliError(
                    f"taux d'acompte de la Caf {schedule.caf.code} : {schedule.parameter_error}"
                )
        if format == "csv":
            lines = []
            for schedule in schedules:
                lines.extend([schedule.caf.code, *row] for row in schedule_rows(schedule))
            content: str = csv_text(["caf", *CSV_HEADER], lines)
        else:
            keys = ("montant_du", "acompte", "solde", "solde_libere", "solde_en_attente")
            parts = [schedule_to_json(schedule) for schedule in schedules]
            totals = {
                key: decimal_text(
                    sum((Decimal(part["totaux"][key]) for part in parts), Decimal("0.00"))
                )
                for key in keys
            }
            data = {"caf": ALL_CAFS, "annee": annee, "cafs": parts, "totaux": totals}
            content = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        if self.write_export(content, format, sortie):
            count = sum(len(schedule.rows) for schedule in schedules)
            self.stdout.write(f"Versements {annee} de {count} Cof écrits dans {sortie}.")

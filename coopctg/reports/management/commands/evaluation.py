"""``coopctg evaluation pdf --ctg ID [--collectivite CODE] --sortie FICHIER``: writes the
évaluation de fin de Ctg of one signatory collectivité (:mod:`coopctg.reports.evaluation`), the
PDF of the « Évaluation » page.

The page counts the Cofs its reader may see; the command has no reader: it counts every Cof
of the collectivité in the Ctg. ``--collectivite`` (SIREN of an EPCI, INSEE code of a commune)
is required when the Ctg has several signatories. Any error exits 2 with one French line on
stderr. Reads the database.
"""

from typing import Any

from django.core.management.base import CommandParser

from coopctg.core.commands import CliError, FrenchCommand
from coopctg.reports.management.commands.bilans import database_error, identifier


class Command(FrenchCommand):
    help = "Évaluation de fin de Ctg (PDF), toutes les Cof de la Ctg comptées."
    subcommands = {
        "pdf": "écrit le PDF de l'évaluation de fin de Ctg d'une collectivité signataire",
    }

    def add_pdf_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--ctg", required=True, type=identifier, metavar="ID", help="identifiant de la Ctg"
        )
        parser.add_argument(
            "--collectivite",
            metavar="CODE",
            help="SIREN de l'EPCI ou code INSEE de la commune (obligatoire si la Ctg en a "
            "plusieurs)",
        )
        parser.add_argument(
            "--sortie", required=True, metavar="FICHIER", help="fichier PDF à écrire"
        )

    def handle_pdf(self, ctg: int, sortie: str, collectivite: str | None, **options: Any) -> None:
        from django.db import DatabaseError

        from coopctg.agreements.models import FundingAgreement
        from coopctg.ctg.models import Ctg
        from coopctg.reports.evaluation import ctg_evaluation, evaluation_pdf

        try:
            the_ctg = Ctg.objects.select_related("caf").filter(pk=ctg).first()
            if the_ctg is None:
                raise CliError(f"Ctg inconnue : « {ctg} »")
            signatories = list(the_ctg.signataires.select_related("epci", "commune"))
            if collectivite is None:
                if len(signatories) > 1:
                    codes = ", ".join(sorted(la.code for la in signatories))
                    raise CliError(
                        f"la Ctg « {the_ctg.intitule} » a plusieurs signataires : précisez "
                        f"--collectivite ({codes})"
                    )
                chosen = signatories[0] if signatories else None
            else:
                chosen = next((la for la in signatories if la.code == collectivite), None)
                if chosen is None:
                    raise CliError(
                        f"« {collectivite} » n'est pas une collectivité signataire de la Ctg "
                        f"« {the_ctg.intitule} »"
                    )
            # The page passes the Cofs its reader sees; without a reader, all those of the Ctg.
            evaluation = ctg_evaluation(
                the_ctg, FundingAgreement.objects.filter(ctg=the_ctg), collectivite=chosen
            )
            content = evaluation_pdf(evaluation)
        except DatabaseError as error:
            raise database_error(error) from None
        self.write_export(content, "pdf", sortie)
        self.stdout.write(f"Évaluation de « {the_ctg.intitule} » écrite dans {sortie}.")

"""``coopctg bilans …``: the bilans annuels d'activité.

- ``coopctg bilans liste [--annee AAAA] [--caf CODE] [--format texte|json|csv] [--sortie
  FICHIER]``: every Cof × year of a Caf (default 37; ``tout``: every Caf, each line led by its
  code), as the « Bilans annuels » page shows them to the Caf's administrator (years up to the
  current one): collectivité, Cof, year, status, deadline, timeliness (« en retard »…), first
  transmission and validation dates. The state of each report comes from
  :func:`coopctg.reports.services.report_states`. Texte by default, JSON (dates
  ``AAAA-MM-JJ``) or CSV (French conventions: ``;``, dates ``JJ/MM/AAAA``).
- ``coopctg bilans pdf ID --sortie FICHIER``: writes the PDF of a bilan, the one of its page
  (:func:`coopctg.reports.documents.report_pdf`).

Any error exits 2 with one French line on stderr. Reads the database.
"""

import argparse
import datetime as dt
import json
from typing import Any

from django.core.management.base import CommandParser

from coopctg.core.caf_params import ALL_CAFS
from coopctg.core.commands import CliError, FrenchCommand
from coopctg.funding.caf_parameters import DEFAULT_CAF
from coopctg.reports.management.commands.versements import _year

#: The status of a Cof × year without a report, as on the « Bilans annuels » page.
NOT_STARTED = "non commencé"

CSV_HEADER = [
    "collectivite",
    "cof",
    "annee",
    "bilan",
    "statut",
    "libelle_statut",
    "echeance",
    "ponctualite",
    "libelle_ponctualite",
    "en_retard",
    "premiere_transmission",
    "validation",
]


def identifier(text: str) -> int:
    """A database id: digits only (the French message replaces argparse's English one)."""
    if not text.isascii() or not text.isdigit() or int(text) == 0:
        raise argparse.ArgumentTypeError(f"identifiant invalide : « {text} » (un nombre entier)")
    return int(text)


def database_error(error: Exception) -> CliError:
    detail = " ".join(str(error).split())  # one line
    return CliError(f"base de données inaccessible ({detail})")


def _local_date(moment: dt.datetime | None) -> dt.date | None:
    from django.utils import timezone

    return timezone.localdate(moment) if moment else None


def _french(day: dt.date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


class Command(FrenchCommand):
    help = "Bilans annuels d'activité : liste par Cof et par année, PDF d'un bilan."
    subcommands = {
        "liste": (
            "liste les bilans de chaque Cof et année d'une Caf : statut, échéance, retard, "
            "dates de transmission et de validation"
        ),
        "pdf": "écrit le PDF d'un bilan annuel d'activité",
    }

    # --- liste ---------------------------------------------------------------------------------

    def add_liste_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--annee", type=_year, metavar="AAAA", help="une seule année (défaut : toutes)"
        )
        parser.add_argument(
            "--caf",
            metavar="CODE",
            help=f"code de la Caf (défaut : {DEFAULT_CAF}) ; « {ALL_CAFS} » : toutes les Caf",
        )
        parser.add_argument(
            "--format",
            choices=["texte", "json", "csv"],
            default="texte",
            help="texte (défaut), json ou csv (séparateur « ; »)",
        )
        parser.add_argument(
            "--sortie", metavar="FICHIER", help="fichier à écrire (défaut : la sortie standard)"
        )

    def handle_liste(
        self, annee: int | None, caf: str | None, format: str, sortie: str | None, **options: Any
    ) -> None:
        from django.db import DatabaseError

        from coopctg.agreements.models import FundingAgreement
        from coopctg.core.params import ParameterError
        from coopctg.organisations.models import Caf
        from coopctg.reports import workflow
        from coopctg.reports.services import cof_years, parameters_for_caf, report_states

        today = workflow.today()
        if annee is not None and annee > today.year:
            raise CliError(
                f"année à venir : « {annee} » (les bilans vont jusqu'à l'année {today.year})"
            )
        code = caf or DEFAULT_CAF
        try:
            if code == ALL_CAFS:  # every Caf, one process: by Caf code, then as the page
                cafs = list(Caf.objects.order_by("code"))
                queryset = FundingAgreement.objects.all()
                order = ["collectivite__caf__code", "collectivite__nom", "-date_debut", "numero"]
            else:
                the_caf = Caf.objects.filter(code=code).first()
                if the_caf is None:
                    raise CliError(f"Caf inconnue : « {code} »")
                cafs = [the_caf]
                queryset = FundingAgreement.objects.filter(collectivite__caf=the_caf)
                order = ["collectivite__nom", "-date_debut", "numero"]
            for one in cafs:
                try:
                    parameters_for_caf(one.code)
                except ParameterError as error:
                    raise CliError(
                        f"paramètres des bilans de la Caf {one.code} : {error}"
                    ) from None
            # The Cofs the Caf's administrator sees on the page, in its order.
            cofs = list(
                queryset.select_related("ctg", "ctg__caf", "collectivite__caf").order_by(*order)
            )
            years = sorted(
                {y for cof in cofs for y in cof_years(cof) if y <= today.year}, reverse=True
            )
            if annee is not None:
                years = [y for y in years if y == annee]
            states = {
                year: report_states([cof for cof in cofs if year in cof_years(cof)], year, today)
                for year in years
            }
        except DatabaseError as error:
            raise database_error(error) from None
        records = [
            _record(cof, states[year][cof.pk], with_caf=code == ALL_CAFS)
            for cof in cofs
            for year in reversed(cof_years(cof))
            if year in states
        ]
        if format == "json":
            data = {
                "caf": code,
                "au": today.isoformat(),
                "annee": annee,
                "bilans": [
                    {
                        key: value.isoformat() if isinstance(value, dt.date) else value
                        for key, value in record.items()
                    }
                    for record in records
                ],
            }
            content = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        elif format == "csv":
            from coopctg.core.exports import csv_text

            header = ["caf", *CSV_HEADER] if code == ALL_CAFS else CSV_HEADER
            content = csv_text(header, ([r[key] for key in header] for r in records))
        else:
            content = "".join(_text_line(r) for r in records) or "Aucun bilan.\n"
        if self.write_export(content, format, sortie):
            whose = "de toutes les Caf" if code == ALL_CAFS else f"de la Caf {code}"
            self.stdout.write(f"{len(records)} bilan(s) {whose} écrits dans {sortie}.")

    # --- pdf -----------------------------------------------------------------------------------

    def add_pdf_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("id", type=identifier, metavar="ID", help="identifiant du bilan")
        parser.add_argument(
            "--sortie", required=True, metavar="FICHIER", help="fichier PDF à écrire"
        )

    def handle_pdf(self, id: int, sortie: str, **options: Any) -> None:
        from django.db import DatabaseError

        from coopctg.reports import workflow
        from coopctg.reports.documents import report_pdf
        from coopctg.reports.models import AnnualReport

        try:
            report = (
                AnnualReport.objects.select_related(
                    "cof", "cof__ctg", "cof__ctg__caf", "cof__collectivite", "referentiel"
                )
                .filter(pk=id)
                .first()
            )
            if report is None:
                raise CliError(f"bilan inconnu : « {id} »")
            content = report_pdf(report, today=workflow.today())
        except DatabaseError as error:
            raise database_error(error) from None
        self.write_export(content, "pdf", sortie)
        self.stdout.write(
            f"Bilan {report.annee} de la Cof n° {report.cof.numero} écrit dans {sortie}."
        )


def _record(cof: Any, state: Any, *, with_caf: bool = False) -> dict[str, Any]:
    """One Cof × year: the fields of the page's row (French keys), led by the Caf's code for
    ``--caf tout``."""
    from coopctg.reports.rules import STATUS_LABELS

    report = state.report
    return {
        **({"caf": cof.collectivite.caf.code} if with_caf else {}),
        "collectivite": cof.collectivite.nom,
        "cof": cof.numero,
        "annee": state.year,
        "bilan": report.pk if report else None,
        "statut": report.statut if report else None,
        "libelle_statut": STATUS_LABELS[report.status] if report else NOT_STARTED,
        "echeance": state.due,
        "ponctualite": state.timeliness.value,
        "libelle_ponctualite": state.timeliness_label,
        "en_retard": state.late,
        "premiere_transmission": _local_date(report.premiere_transmission_le if report else None),
        "validation": _local_date(report.valide_le if report else None),
    }


def _text_line(r: dict[str, Any]) -> str:
    fields = [r["collectivite"], f"Cof n° {r['cof']}", str(r["annee"]), r["libelle_statut"]]
    if "caf" in r:
        fields.insert(0, f"Caf {r['caf']}")
    if r["echeance"]:
        fields.append(f"échéance {_french(r['echeance'])}")
    fields.append(r["libelle_ponctualite"])  # « échéance non paramétrée » without a deadline
    if r["premiere_transmission"]:
        fields.append(f"transmis le {_french(r['premiere_transmission'])}")
    if r["validation"]:
        fields.append(f"validé le {_french(r['validation'])}")
    if r["bilan"]:
        fields.append(f"bilan {r['bilan']}")
    return " ; ".join(fields) + "\n"

"""``coopctg financement …``: the funding of the chargé(e) de coopération function.

``coopctg financement simuler FICHIER [--caf CODE]`` reads an architecture (JSON, ``-`` for
the standard input; format in :mod:`coopctg.funding.rules.inputs`), computes its funding with
the Caf's parameters in force on its date, and writes the result as JSON on stdout (exit 0,
anomalies or not). Any invalid input exits 2 with one French line on stderr. No database.

Example: ``coopctg financement simuler coopctg/funding/examples/exemple-referentiel.json``.

``coopctg financement annuel --annee AAAA [--collectivite CODE] [--caf CODE] [--format
json|csv|xlsx] [--sortie FICHIER]`` writes the amounts due for a calendar year, per collectivité
and per envelope, prorated by days across the signed Cof versions in force
(:mod:`coopctg.agreements.annual`): one collectivité (SIREN or INSEE code), or every collectivité
of the Caf (default 37), sorted by name. ``--caf tout``: every collectivité of every Caf in one
process (JSON or CSV), each with its Caf's code, and in JSON the subtotal of each Caf: the
amounts of the per-Caf runs, to the cent. Reads the database.
"""

import argparse
import io
import json
import re
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from coopctg.core.caf_params import ALL_CAFS
from coopctg.core.commands import CliError, FrenchCommand
from coopctg.core.params import ParameterError
from coopctg.core.parsing import DocumentError, load_json
from coopctg.funding.caf_parameters import DEFAULT_CAF, ENV_VAR, load_caf_parameters
from coopctg.funding.rules import (
    InvalidInput,
    compute_funding,
    parse_simulation_input,
    result_to_json,
)


class Command(FrenchCommand):
    help = "Financement de la fonction de chargé(e) de coopération Ctg."
    subcommands = {
        "simuler": (
            "calcule le financement d'une architecture décrite en JSON (montant total, "
            "ventilation par personne et par enveloppe, anomalies)"
        ),
        "annuel": (
            "montants dus pour une année civile, par collectivité et par enveloppe, au prorata "
            "des jours de chaque version de Cof signée en vigueur (JSON, CSV ou XLSX)"
        ),
    }
    requires_system_checks: list[str] = []  # simuler: pure computation, no database

    def add_simuler_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "fichier", metavar="FICHIER", help="fichier JSON de l'architecture (« - » : stdin)"
        )
        parser.add_argument(
            "--caf",
            default=DEFAULT_CAF,
            metavar="CODE",
            help=(
                f"Caf dont les paramètres s'appliquent (défaut : {DEFAULT_CAF}) ; dossier "
                f"caf-CODE des paramètres, remplaçable par la variable {ENV_VAR}"
            ),
        )

    def handle_simuler(self, fichier: str, caf: str, **options: Any) -> None:
        source = "entrée standard" if fichier == "-" else fichier
        data = read_json(fichier)
        try:
            architecture = parse_simulation_input(data)
        except InvalidInput as error:
            raise CliError(f"{source} : {error}") from None
        try:
            parameters = load_caf_parameters(caf)
        except ParameterError as error:
            raise CliError(str(error)) from None
        try:
            result = compute_funding(architecture, parameters.at(architecture.date))
        except ParameterError as error:
            raise CliError(f"{source} : {error}") from None
        for stream in (sys.stdout, sys.stderr):
            if isinstance(stream, io.TextIOWrapper) and stream.encoding.lower() != "utf-8":
                stream.reconfigure(encoding="utf-8")
        self.stdout.write(json.dumps(result_to_json(result), ensure_ascii=False, indent=2))

    def add_annuel_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--annee", required=True, type=_year, metavar="AAAA", help="année civile"
        )
        parser.add_argument(
            "--collectivite",
            metavar="CODE",
            help=(
                "SIREN de l'EPCI ou code INSEE de la commune ; sans cette option : toutes les "
                "collectivités de la Caf, par nom"
            ),
        )
        parser.add_argument(
            "--caf",
            metavar="CODE",
            help=(
                f"code de la Caf (défaut : {DEFAULT_CAF}) ; « {ALL_CAFS} » : toutes les Caf, "
                "calculées dans un seul processus"
            ),
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

    def handle_annuel(
        self,
        annee: int,
        collectivite: str | None,
        caf: str | None,
        format: str,
        sortie: str | None,
        **options: Any,
    ) -> None:
        from django.db import DatabaseError
        from django.db.models import Q

        from coopctg.agreements.annual import budget_csv, budget_to_json, budget_xlsx, budget_year
        from coopctg.organisations.models import Caf, LocalAuthority

        if format == "xlsx" and not sortie:
            raise CliError("le format xlsx s'écrit dans un fichier : ajoutez --sortie FICHIER")
        every = caf == ALL_CAFS
        if every and format == "xlsx":
            raise CliError(
                "--caf tout s'écrit en json ou csv (le classeur de toutes les Caf est celui de "
                "la vue nationale)"
            )
        try:
            the_caf: Caf | None
            if every and collectivite is None:
                the_caf = None
                collectivites = LocalAuthority.objects.select_related("caf")
            elif collectivite is not None:
                found = (
                    LocalAuthority.objects.select_related("caf")
                    .filter(Q(epci__siren=collectivite) | Q(commune__code_insee=collectivite))
                    .first()
                )
                if found is None:
                    raise CliError(
                        f"collectivité inconnue : « {collectivite} » (SIREN d'un EPCI ou code "
                        "INSEE d'une commune)"
                    )
                if caf is not None and not every and found.caf.code != caf:
                    raise CliError(f"{found.nom} n'est pas une collectivité de la Caf {caf}")
                the_caf = found.caf
                collectivites = LocalAuthority.objects.filter(pk=found.pk)
            else:
                code = caf or DEFAULT_CAF
                the_caf = Caf.objects.filter(code=code).first()
                if the_caf is None:
                    raise CliError(f"Caf inconnue : « {code} »")
                collectivites = LocalAuthority.objects.filter(caf=the_caf)
            budget = budget_year(collectivites, annee)
        except DatabaseError as error:
            detail = " ".join(str(error).split())  # one line
            raise CliError(f"base de données inaccessible ({detail})") from None
        if format == "xlsx":
            assert the_caf is not None  # --caf tout is refused in xlsx above
            content: bytes | str = budget_xlsx(budget, the_caf)
        elif format == "csv":
            content = every_caf_csv(budget) if every else budget_csv(budget)
        else:
            data = every_caf_json(budget) if every else budget_to_json(budget)
            content = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        if self.write_export(content, format, sortie):
            count = len(budget.rows)
            self.stdout.write(
                f"Financement {annee} de {count} collectivité{'s' if count > 1 else ''} "
                f"écrit dans {sortie}."
            )


def every_caf_json(budget: Any) -> dict[str, Any]:
    """``--caf tout``: the budget JSON, each collectivité with its Caf's code, and the
    subtotals of each Caf (the sums its own run gives; the national total is their sum)."""
    from coopctg.agreements.annual import budget_to_json
    from coopctg.funding.rules import Envelope, decimal_text

    data = budget_to_json(budget)
    subtotals: dict[str, dict[Envelope, Decimal]] = {}
    for item, row in zip(data["collectivites"], budget.rows, strict=True):
        code = row.collectivite.caf.code
        item["caf"] = code
        amounts = subtotals.setdefault(code, dict.fromkeys(Envelope, Decimal("0.00")))
        for envelope in Envelope:
            amounts[envelope] += row.funding.envelopes[envelope]
    data["caf"] = ALL_CAFS
    data["cafs"] = [
        {
            "caf": code,
            "enveloppes": [
                {"enveloppe": envelope.value, "montant": decimal_text(amount)}
                for envelope, amount in amounts.items()
            ],
            "total": decimal_text(sum(amounts.values(), Decimal("0.00"))),
        }
        for code, amounts in sorted(subtotals.items())
    ]
    return data


def every_caf_csv(budget: Any) -> str:
    """``--caf tout`` in CSV: the budget's lines led by the Caf's code."""
    from coopctg.agreements.annual import CSV_HEADER
    from coopctg.core.exports import csv_text, rounded
    from coopctg.funding.rules import Envelope

    return csv_text(
        ["caf", *CSV_HEADER],
        (
            [
                row.collectivite.caf.code,
                row.code,
                row.nom,
                *(rounded(row.funding.envelopes[envelope]) for envelope in Envelope),
                rounded(row.funding.total),
            ]
            for row in budget.rows
        ),
    )


def _year(text: str) -> int:
    """``--annee``: four digits, a year the budget knows."""
    from coopctg.agreements.annual import MAX_YEAR, MIN_YEAR

    if not re.fullmatch(r"[0-9]{4}", text, re.ASCII) or not MIN_YEAR <= int(text) <= MAX_YEAR:
        raise argparse.ArgumentTypeError(
            f"année invalide : « {text} » (AAAA, de {MIN_YEAR} à {MAX_YEAR})"
        )
    return int(text)


def read_json(fichier: str) -> object:
    """The decoded JSON of ``fichier`` (``-``: stdin); numbers as Decimal, never float."""
    subject = "l'entrée standard" if fichier == "-" else f"le fichier {fichier}"
    try:
        if fichier == "-":
            raw = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read()
        else:
            raw = Path(fichier).read_bytes()
    except FileNotFoundError:
        raise CliError(f"fichier introuvable : {fichier}") from None
    except IsADirectoryError:
        raise CliError(f"{fichier} est un dossier, pas un fichier JSON") from None
    except PermissionError:
        raise CliError(f"lecture du fichier {fichier} refusée (droits insuffisants)") from None
    except OSError as error:
        raise CliError(f"lecture impossible de {subject} ({error.strerror or error})") from None
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as error:
        raise CliError(
            f"{subject} n'est pas en UTF-8 (octet invalide en position {error.start})"
        ) from None
    try:
        return load_json(
            text,
            parse_float=Decimal,
            parse_constant=Decimal,  # NaN, Infinity: refused later as non-finite numbers
            object_pairs_hook=_no_duplicate_keys,
        )
    except DocumentError as error:  # too deep, a number too long
        raise CliError(f"{subject} : {error}") from None
    except json.JSONDecodeError as error:
        raise CliError(
            f"{subject} n'est pas un JSON valide (ligne {error.lineno}, colonne {error.colno})"
        ) from None
    except _DuplicateKey as error:
        raise CliError(f"{subject} : champ « {error.key} » en double dans un même objet") from None


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result: dict[str, object] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result

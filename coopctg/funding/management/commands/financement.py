"""``coopctg financement …``: the funding of the chargé(e) de coopération function.

``coopctg financement simuler FICHIER [--caf CODE]`` reads an architecture (JSON, ``-`` for
the standard input; format in :mod:`coopctg.funding.rules.inputs`), computes its funding with
the Caf's parameters in force on its date, and writes the result as JSON on stdout (exit 0,
anomalies or not). Any invalid input exits 2 with one French line on stderr. No database.

Example: ``coopctg financement simuler coopctg/funding/examples/exemple-referentiel.json``.
"""

import io
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from coopctg.core.commands import CliError, FrenchCommand
from coopctg.core.params import ParameterError
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
    }
    requires_system_checks: list[str] = []  # pure computation: no database, no models

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
        return json.loads(
            text,
            parse_float=Decimal,
            parse_constant=Decimal,  # NaN, Infinity: refused later as non-finite numbers
            object_pairs_hook=_no_duplicate_keys,
        )
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

"""Base class for the project's management commands: French errors, exit status 2.

A command raises :class:`CliError` with one French sentence; the user sees that sentence alone
on stderr (no traceback) and the process exits with status 2. Sub-commands (``coopctg
referentiel exporter``) are declared with :meth:`FrenchCommand.add_subcommands`.
"""

import io
import re
import sys
import types
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class CliError(Exception):
    """A user error: bad input, unknown object… Its message is one French line."""


#: Every character that str.splitlines() breaks on: a file's content quoted in a message (a JSON
#: key holding a line break) must not split the message over several lines.
LINE_BREAKS = re.compile(r"\s*[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]+\s*")


def one_line(text: object) -> str:
    """The message on one line, line breaks replaced by a space."""
    return LINE_BREAKS.sub(" ", str(text)).strip()


class FrenchCommand(BaseCommand):
    #: {name: help} of the sub-commands; each is handled by ``handle_<name>``.
    subcommands: dict[str, str] = {}

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        _frenchify(parser)
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        if not self.subcommands:
            return
        sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
        for name, help_text in self.subcommands.items():
            sub_parser = sub.add_parser(name, help=help_text, description=help_text)
            _frenchify(sub_parser)
            getattr(self, f"add_{name}_arguments", lambda p: None)(sub_parser)

    def execute(self, *args: Any, **options: Any) -> Any:
        try:
            return super().execute(*args, **options)
        except CliError as error:
            sys.stderr.write(f"Erreur : {one_line(error)}\n")
            sys.exit(2)

    def handle(self, *args: Any, **options: Any) -> Any:
        if self.subcommands:
            return getattr(self, f"handle_{options['action']}")(**options)
        raise NotImplementedError

    def write_export(self, content: bytes | str, format: str, sortie: str | None) -> bool:
        """Write an export (JSON or CSV text, XLSX bytes) to ``sortie``, else to the standard
        output; returns True when a file was written (the caller then says so). A CSV file
        gets a BOM so that a spreadsheet opens it as UTF-8."""
        if sortie:
            if isinstance(content, bytes):
                data = content
            else:
                data = content.encode("utf-8-sig" if format == "csv" else "utf-8")
            try:
                Path(sortie).write_bytes(data)
            except OSError as error:
                raise CliError(
                    f"écriture impossible de {sortie} ({error.strerror or error})"
                ) from None
            return True
        if isinstance(content, bytes):
            raise CliError(f"le format {format} s'écrit dans un fichier : ajoutez --sortie FICHIER")
        for stream in (sys.stdout, sys.stderr):
            if isinstance(stream, io.TextIOWrapper) and stream.encoding.lower() != "utf-8":
                stream.reconfigure(encoding="utf-8")
        self.stdout.write(content, ending="")
        return False


ARGPARSE_MESSAGES = [
    ("the following arguments are required:", "arguments obligatoires manquants :"),
    ("unrecognized arguments:", "arguments inconnus :"),
    ("invalid choice:", "choix invalide :"),
    ("choose from", "choix possibles :"),
    ("expected one argument", "une valeur est attendue"),
    ("argument ", "argument "),
]


def _french_error(parser: Any, message: str) -> None:
    for english, french in ARGPARSE_MESSAGES:
        message = message.replace(english, french)
    text = one_line(f"{message} (voir « {parser.prog} --help »)")
    if getattr(parser, "called_from_command_line", True):
        sys.stderr.write(f"Erreur : {text}\n")
        sys.exit(2)
    raise CommandError(f"Erreur : {text}", returncode=2)


def _frenchify(parser: Any) -> None:
    parser.error = types.MethodType(_french_error, parser)
    for group in parser._action_groups:
        if group.title == "options":
            group.title = "options"
        elif group.title == "positional arguments":
            group.title = "arguments"
    for action in parser._actions:
        if action.dest == "help":
            action.help = "affiche cette aide et quitte"

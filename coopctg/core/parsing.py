"""JSON and YAML documents given by users, read with bounds (pure, no Django).

``json.loads`` and PyYAML trust their input: 100 000 nested ``[`` exhaust Python's stack
(``RecursionError``), a number of more than 4 300 digits exceeds the integer conversion limit
(``ValueError``), a YAML file of aliases expands into billions of references. Each would reach
the user as a traceback. :func:`load_json` and :func:`load_yaml` refuse these documents with
:class:`DocumentError`, one French phrase the caller puts after its subject (« le fichier
cof.json : imbrication trop profonde (64 niveaux au plus) »):

- nesting (lists and objects) deeper than :data:`MAX_DEPTH`;
- a JSON number longer than :data:`MAX_NUMBER_LENGTH` characters (no amount, Etp, year or
  identifier comes near it), checked before Python converts it;
- a YAML value that Python cannot build (an integer of more than 4 300 digits, a date such as
  2024-02-30), and more than :data:`MAX_NODES` values once aliases are followed.

A malformed document keeps the parser's own error (``json.JSONDecodeError``, ``yaml.YAMLError``)
so that each caller reports its line and column as before.
"""

import json
from collections.abc import Callable
from typing import Any

import yaml

from coopctg.core.formats import format_number

MAX_DEPTH = 64
MAX_NUMBER_LENGTH = 100
MAX_NODES = 1_000_000


class DocumentError(ValueError):
    """A document refused for its shape; the message is a French phrase without subject."""


def _too_deep() -> DocumentError:
    return DocumentError(f"imbrication trop profonde ({MAX_DEPTH} niveaux au plus)")


def _number(convert: Callable[[str], Any]) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        if len(text) > MAX_NUMBER_LENGTH:
            raise DocumentError(
                f"nombre trop long ({len(text)} caractères, {MAX_NUMBER_LENGTH} au plus)"
            )
        return convert(text)

    return parse


def load_json(
    text: str | bytes,
    *,
    parse_float: Callable[[str], Any] | None = None,
    parse_constant: Callable[[str], Any] | None = None,
    object_pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None = None,
) -> Any:
    """``json.loads(text, …)`` within the bounds of the module's documentation; raises
    :class:`DocumentError`, or ``json.JSONDecodeError`` for a malformed document."""
    try:
        data = json.loads(
            text,
            parse_int=_number(int),
            parse_float=_number(parse_float or float),
            parse_constant=parse_constant,
            object_pairs_hook=object_pairs_hook,
        )
    except RecursionError:
        raise _too_deep() from None
    check_shape(data)
    return data


def load_yaml(text: str, loader: type[yaml.SafeLoader] = yaml.SafeLoader) -> Any:
    """``yaml.load(text, Loader=loader)`` (a SafeLoader or a subclass) within the bounds of the
    module's documentation; raises :class:`DocumentError`, or ``yaml.YAMLError`` for a
    malformed document."""
    try:
        data = yaml.load(text, Loader=loader)  # noqa: S506 - a SafeLoader
    except RecursionError:
        raise _too_deep() from None
    except yaml.YAMLError:
        raise
    except ValueError as error:  # a value the constructors could not build
        if "integer string conversion" in str(error):
            raise DocumentError("nombre trop long (plus de 4 300 chiffres)") from None
        raise DocumentError("valeur illisible (nombre ou date invalide)") from None
    check_shape(data, max_nodes=MAX_NODES)
    return data


def check_shape(data: Any, *, max_depth: int = MAX_DEPTH, max_nodes: int | None = None) -> None:
    """Raise :class:`DocumentError` when ``data`` (decoded JSON or YAML) nests deeper than
    ``max_depth`` or, when given, holds more than ``max_nodes`` values (a shared value is
    counted each time it is reached). Iterative: no recursion, whatever the depth."""
    stack: list[tuple[Any, int]] = [(data, 0)]
    nodes = 0
    while stack:
        value, depth = stack.pop()
        nodes += 1
        if max_nodes is not None and nodes > max_nodes:
            raise DocumentError(
                f"document trop volumineux (plus de {format_number(max_nodes, 0)} valeurs)"
            )
        if isinstance(value, dict):
            children: Any = [*value.keys(), *value.values()]
        elif isinstance(value, list | tuple):
            children = value
        else:
            continue
        if depth >= max_depth:
            raise _too_deep()
        stack.extend((child, depth + 1) for child in children)

"""Dated parameters read from YAML files, OpenFisca-style (pure: no Django import).

One YAML file per parameter; its name is the file's path inside the folder, without the
extension, with dots between sub-folders (``gouvernance/copil.yaml`` → ``gouvernance.copil``)::

    description: Forfait annuel de la Caf par Etp financé
    unite: euro_par_etp
    valeurs:
      2022-01-01:
        valeur: 24000
        reference: "Référentiel …, « Conditions d'éligibilité au financement » : « … »"
      2027-01-01:
        valeur: null        # the parameter ends on this date

Rules:

- the value in force on a date is the latest one dated on or before that date
  (:meth:`Parameter.value_at`); a date before the first value, or on or after a ``null``
  value, is an error (:class:`ParameterNotInForce`);
- dates are ``AAAA-MM-JJ`` and real calendar dates; a malformed or duplicate date, an unknown
  key, a value without ``reference``, a file that is not UTF-8 or not YAML is rejected at load
  with one French message naming the file (:class:`ParameterFileError`);
- numbers are read as :class:`~decimal.Decimal` straight from the YAML text (never through a
  binary float); lists become tuples and mappings read-only mappings, so values are immutable.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import MappingProxyType

import yaml

from coopctg.core import parsing

type ParameterValue = (
    Decimal | bool | str | tuple[ParameterValue, ...] | Mapping[str, ParameterValue]
)

#: Keys allowed at the top of a parameter file, and in each dated entry.
FILE_KEYS = frozenset({"description", "unite", "valeurs", "documentation"})
ENTRY_KEYS = frozenset({"valeur", "reference"})

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_NAME = re.compile(r"[a-z][a-z0-9_]*", re.ASCII)


class ParameterError(ValueError):
    """A parameter problem; the message is one French sentence."""


class ParameterFileError(ParameterError):
    """A parameter file or folder cannot be loaded: missing, not YAML, malformed, duplicate date…"""


class ParameterNotInForce(ParameterError):
    """No value of the parameter is in force on the requested date."""


def format_date_fr(value: dt.date) -> str:
    """``date(2022, 1, 1)`` → ``"01/01/2022"`` (French UI convention)."""
    return value.strftime("%d/%m/%Y")


def parse_iso_date(text: str) -> dt.date:
    """Strict ``AAAA-MM-JJ`` → :class:`datetime.date`.

    Raises :class:`ValueError` with a French message: ``"mal formée"`` when the text is not
    ``AAAA-MM-JJ``, ``"n'existe pas"`` when it is an impossible date (``2023-02-30``).
    """
    if not _ISO_DATE.fullmatch(text):
        raise ValueError(f"la date « {text} » est mal formée (format attendu : AAAA-MM-JJ)")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"la date « {text} » n'existe pas dans le calendrier") from None


@dataclass(frozen=True)
class DatedValue:
    """One dated entry of a parameter: in force from ``start`` until the next entry."""

    start: dt.date
    value: ParameterValue | None  # None: the parameter ends on ``start``
    reference: str | None  # the source of the value (required unless the value is None)


@dataclass(frozen=True)
class Parameter:
    name: str
    description: str
    unit: str | None
    values: tuple[DatedValue, ...]  # strictly increasing dates, at least one
    source: str  # where it was read (file path), for messages

    def entry_at(self, when: dt.date) -> DatedValue:
        """The entry in force on ``when``: the latest one dated on or before it.

        Raises :class:`ParameterNotInForce` before the first date, or when the entry in force
        is a ``null`` (the parameter has ended).
        """
        current: DatedValue | None = None
        for entry in self.values:
            if entry.start > when:
                break
            current = entry
        if current is None:
            raise ParameterNotInForce(
                f"le paramètre « {self.name} » n'a pas de valeur en vigueur au "
                f"{format_date_fr(when)} : sa première valeur prend effet le "
                f"{format_date_fr(self.values[0].start)}"
            )
        if current.value is None:
            raise ParameterNotInForce(
                f"le paramètre « {self.name} » n'est plus en vigueur au {format_date_fr(when)} "
                f"(il a pris fin le {format_date_fr(current.start)})"
            )
        return current

    def value_at(self, when: dt.date) -> ParameterValue:
        """The value in force on ``when`` (never None; see :meth:`entry_at`)."""
        value = self.entry_at(when).value
        assert value is not None  # entry_at rejects null entries
        return value

    def decimal_at(self, when: dt.date) -> Decimal:
        """The value in force on ``when``, which must be a number."""
        value = self.value_at(when)
        if not isinstance(value, Decimal):
            raise ParameterError(
                f"le paramètre « {self.name} » ({self.source}) doit être un nombre au "
                f"{format_date_fr(when)}"
            )
        return value


@dataclass(frozen=True)
class ParameterSet:
    """The parameters of one folder, by name."""

    folder: Path
    parameters: Mapping[str, Parameter]

    def __getitem__(self, name: str) -> Parameter:
        try:
            return self.parameters[name]
        except KeyError:
            raise ParameterFileError(
                f"le paramètre « {name} » est absent du dossier {self.folder} "
                f"(fichier {name.replace('.', '/')}.yaml attendu)"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self.parameters

    def __iter__(self) -> Iterator[str]:
        return iter(self.parameters)

    def value_at(self, name: str, when: dt.date) -> ParameterValue:
        return self[name].value_at(when)


# --- YAML reading -------------------------------------------------------------------------


class _YamlProblem(Exception):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class _Loader(yaml.SafeLoader):
    """Safe YAML with Decimal numbers, dates kept as text, and duplicate keys rejected."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[object, object]:
        self.flatten_mapping(node)
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:  # unhashable key: let PyYAML report it
                continue
            if duplicate:
                raise _YamlProblem(f"clé « {key} » en double", key_node.start_mark.line + 1)
            seen.add(key)
        return dict(super().construct_mapping(node, deep=deep))


def _construct_decimal(loader: yaml.SafeLoader, node: yaml.Node) -> Decimal:
    text = str(loader.construct_scalar(node))  # type: ignore[arg-type]
    if node.tag.endswith(":int"):
        return Decimal(loader.construct_yaml_int(node))  # type: ignore[arg-type]
    try:  # .inf, .nan and sexagesimal numbers are not Decimal syntax: rejected
        return Decimal(text.replace("_", ""))
    except InvalidOperation:
        raise _YamlProblem(f"nombre « {text} » illisible", node.start_mark.line + 1) from None


def _construct_text(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    return str(loader.construct_scalar(node))  # type: ignore[arg-type]


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_decimal)
_Loader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_text)


def load_yaml(text: str, source: str = "<texte>") -> object:
    """Parse YAML text the way parameter files are read (Decimal numbers, dates as text,
    duplicate keys rejected). Raises :class:`ParameterFileError`."""
    try:
        return parsing.load_yaml(text, _Loader)
    except parsing.DocumentError as error:  # too deep, too many values
        raise ParameterFileError(f"{source} : {error}") from None
    except _YamlProblem as problem:
        raise ParameterFileError(f"{source}, ligne {problem.line} : {problem.message}") from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f", ligne {mark.line + 1}" if mark is not None else ""
        raise ParameterFileError(
            f"{source}{where} : YAML invalide ({error.problem or error.context})"
        ) from None
    except yaml.YAMLError as error:
        raise ParameterFileError(f"{source} : YAML invalide ({error})") from None


# --- Parameter files ------------------------------------------------------------------------


def _freeze(value: object, where: str) -> ParameterValue:
    if isinstance(value, bool | Decimal | str):
        return value
    if isinstance(value, list):
        return tuple(_freeze(item, where) for item in value)
    if isinstance(value, dict):
        frozen: dict[str, ParameterValue] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ParameterFileError(f"{where} : clé « {key} » non textuelle")
            frozen[key] = _freeze(item, where)
        return MappingProxyType(frozen)
    raise ParameterFileError(f"{where} : valeur « {value} » d'un type non pris en charge")


def parse_parameter(data: object, name: str, source: str) -> Parameter:
    """Build a :class:`Parameter` from the parsed content of its file (see module docstring)."""
    if not isinstance(data, dict):
        raise ParameterFileError(f"{source} : le fichier doit contenir un dictionnaire YAML")
    unknown = sorted(str(key) for key in data if key not in FILE_KEYS)
    if unknown:
        raise ParameterFileError(
            f"{source} : clé inconnue « {unknown[0]} » (clés permises : "
            f"{', '.join(sorted(FILE_KEYS))})"
        )
    description = data.get("description")
    if not isinstance(description, str) or not description.strip():
        raise ParameterFileError(f"{source} : « description » manquante ou vide")
    unit = data.get("unite")
    if unit is not None and not isinstance(unit, str):
        raise ParameterFileError(f"{source} : « unite » doit être un texte")
    raw_values = data.get("valeurs")
    if not isinstance(raw_values, dict) or not raw_values:
        raise ParameterFileError(
            f"{source} : « valeurs » doit être un dictionnaire non vide de dates (AAAA-MM-JJ)"
        )
    entries: list[DatedValue] = []
    for raw_date, raw_entry in raw_values.items():
        if not isinstance(raw_date, str):
            raise ParameterFileError(
                f"{source} : la date « {raw_date} » est mal formée (format attendu : AAAA-MM-JJ)"
            )
        try:
            start = parse_iso_date(raw_date)
        except ValueError as error:
            raise ParameterFileError(f"{source} : {error}") from None
        where = f"{source}, valeur du {raw_date}"
        if not isinstance(raw_entry, dict) or "valeur" not in raw_entry:
            raise ParameterFileError(
                f"{where} : un dictionnaire avec « valeur » (et « reference ») est attendu"
            )
        unknown = sorted(str(key) for key in raw_entry if key not in ENTRY_KEYS)
        if unknown:
            raise ParameterFileError(
                f"{where} : clé inconnue « {unknown[0]} » (clés permises : valeur, reference)"
            )
        raw_value = raw_entry["valeur"]
        reference = raw_entry.get("reference")
        if reference is not None and (not isinstance(reference, str) or not reference.strip()):
            raise ParameterFileError(f"{where} : « reference » doit être un texte non vide")
        if raw_value is not None and reference is None:
            raise ParameterFileError(f"{where} : « reference » manquante (source de la valeur)")
        value = None if raw_value is None else _freeze(raw_value, where)
        entries.append(DatedValue(start=start, value=value, reference=reference))
    entries.sort(key=lambda entry: entry.start)
    return Parameter(
        name=name,
        description=description.strip(),
        unit=unit,
        values=tuple(entries),
        source=source,
    )


def load_parameter_file(path: Path, name: str | None = None) -> Parameter:
    """Read one parameter file; its name defaults to the file name without extension."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise ParameterFileError(f"{path} : le fichier n'est pas encodé en UTF-8") from None
    except OSError as error:
        raise ParameterFileError(
            f"{path} : lecture impossible ({error.strerror or error})"
        ) from None
    return parse_parameter(load_yaml(text, str(path)), name or path.stem, str(path))


def load_parameters(folder: Path) -> ParameterSet:
    """Read every ``*.yaml`` / ``*.yml`` file under ``folder`` (sub-folders give dotted names)."""
    if not folder.is_dir():
        raise ParameterFileError(f"dossier de paramètres introuvable : {folder}")
    parameters: dict[str, Parameter] = {}
    paths = sorted(
        path
        for path in folder.rglob("*")
        if path.suffix in {".yaml", ".yml"}
        and path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )
    for path in paths:
        parts = path.relative_to(folder).with_suffix("").parts
        if not all(_NAME.fullmatch(part) for part in parts):
            raise ParameterFileError(
                f"{path} : nom de paramètre invalide (minuscules, chiffres et _ seulement)"
            )
        name = ".".join(parts)
        if name in parameters:
            raise ParameterFileError(
                f"{path} : le paramètre « {name} » est défini deux fois ({parameters[name].source})"
            )
        parameters[name] = load_parameter_file(path, name)
    return ParameterSet(folder=folder, parameters=MappingProxyType(parameters))

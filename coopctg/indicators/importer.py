"""Import of an open-data file exactly as its publisher distributes it (data.caf.fr).

:func:`import_file` reads

- the CSV export of a dataset: ``;`` or ``,`` separator (read from the header line), UTF-8 with
  or without BOM, decimal point or comma;
- the JSON of the explore API: ``{"results": [...]}`` (``/records``) or a list of records
  (``/exports/json``); numbers are read as their text, never through a float;

and recognises the dataset by its columns (the catalogue's ``jeux``: ``numepci`` + ``annee`` +
``txcouv_epci`` is ``txcouv_pe_epci``…). The columns of that dataset that the catalogue knows
are kept; the descriptive ones (names, parent territories) are not.

Every row is checked before anything is written: an unknown territory code, a year that is not
one, a value that is not a number, the same territory and year twice. The errors are collected,
each with the file and its line (line 1 is the header; « enregistrement n » in a JSON file), and
:class:`IndicatorImportError` is raised: nothing is written. An empty value is « not
published » (statistical secrecy) and is skipped. A row whose territory code is only « X »
(``XX``, ``XXX``: the publisher's line for the communes outside any EPCI) is skipped and
counted.

Otherwise the values are written in one transaction: a new (indicator, level, territory, year)
is created, a value whose published text changed is replaced and its former value moved to
:class:`~coopctg.indicators.models.TerritorialValueHistory`, an unchanged one is left alone.
Re-importing the same file changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction

from coopctg.core.formats import format_number
from coopctg.core.parsing import DocumentError, load_json
from coopctg.indicators.catalogue import FRANCE, Dataset, shipped_catalogue
from coopctg.indicators.models import ImportBatch, TerritorialValue, TerritorialValueHistory
from coopctg.territories.importer import ImportIssue
from coopctg.territories.models import Commune, Departement, Epci

#: Largest file accepted (the national commune file is well under 1 Mo).
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000
#: A value: optional minus sign, digits, optional decimal point or comma and digits.
NUMBER = re.compile(r"-?[0-9]+(?:[.,][0-9]+)?", re.ASCII)
MAX_INTEGER_DIGITS = 18
MAX_DECIMALS = 6
#: ``annee`` is a year in most datasets and a date in the national one.
YEAR = re.compile(r"([0-9]{4})(?:-[0-9]{2}-[0-9]{2}(?:T[0-9:.+Z-]*)?)?", re.ASCII)
PLACEHOLDER = re.compile(r"X+", re.IGNORECASE)
EMPTY_VALUES = ("",)
FIRST_YEAR = 1990

#: ``progress(step, done, total)``: once the file is read and checked, then per batch written.
Progress = Callable[[str, int, int], None]
BATCH_SIZE = 2000


class IndicatorImportError(Exception):
    """The file has errors; nothing was written. ``errors`` lists them all, in file order."""

    def __init__(self, errors: Sequence[ImportIssue]) -> None:
        self.errors = list(errors)
        super().__init__(str(self))

    def __str__(self) -> str:
        if not self.errors:
            return "import impossible"
        first = str(self.errors[0])
        count = len(self.errors)
        return first if count == 1 else f"{first} ({format_number(count, 0)} erreurs au total)"


@dataclass
class ImportReport:
    batch: ImportBatch
    dataset: Dataset
    rows: int = 0
    created: int = 0
    replaced: int = 0
    unchanged: int = 0
    not_published: int = 0  # empty cells
    placeholders: int = 0  # rows of the « XX » pseudo-territory
    years: list[int] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    def summary(self) -> str:
        def n(value: int) -> str:
            return format_number(value, 0)

        years = ", ".join(str(y) for y in self.years) or "aucune"
        text = (
            f"Import terminé : {self.dataset.code} ({self.dataset.titre}), {n(self.rows)} lignes, "
            f"années {years} : {n(self.created)} valeurs nouvelles, "
            f"{n(self.replaced)} remplacées (historique gardé), {n(self.unchanged)} inchangées"
        )
        if self.not_published:
            text += f", {n(self.not_published)} cases vides (valeur non publiée)"
        if self.placeholders:
            text += (
                f" ; {n(self.placeholders)} ligne(s) « XX » ignorée(s) "
                "(communes hors intercommunalité)"
            )
        if self.batch.demonstration:
            text += " ; valeurs fictives de démonstration"
        return text + "."


# --- Reading ---------------------------------------------------------------------------------


@dataclass
class _Table:
    """The records of a file: column names and (line, values by column)."""

    name: str
    unit: str  # "ligne" (CSV) or "enregistrement" (JSON)
    columns: list[str]
    rows: list[tuple[int, dict[str, str]]]


def _json_text(value: Any) -> str | None:
    """A JSON value as text (None for null); numbers arrive as their literal text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, _Literal):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


class _Literal(str):
    """A JSON number kept as the text the publisher wrote."""


def _read_json(name: str, text: str, errors: list[ImportIssue]) -> _Table | None:
    try:
        data = load_json(text, parse_float=_Literal, parse_constant=_refuse_constant)
    except DocumentError as error:
        errors.append(ImportIssue(name, None, str(error)))
        return None
    except ValueError as error:  # json.JSONDecodeError, or a NaN / Infinity
        line = getattr(error, "lineno", None)
        message = getattr(error, "msg", None) or str(error)
        errors.append(ImportIssue(name, line, f"JSON invalide : {message}"))
        return None
    records = data.get("results") if isinstance(data, dict) else data
    if not isinstance(records, list):
        errors.append(
            ImportIssue(
                name,
                None,
                'JSON de l\'API explore attendu : {"results": [...]} ou une liste '
                "d'enregistrements",
            )
        )
        return None
    if len(records) > MAX_ROWS:
        errors.append(ImportIssue(name, None, f"trop d'enregistrements ({MAX_ROWS} au plus)"))
        return None
    columns: dict[str, None] = {}
    rows: list[tuple[int, dict[str, str]]] = []
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            errors.append(ImportIssue(name, number, "un objet est attendu", "enregistrement"))
            continue
        values: dict[str, str] = {}
        for key, value in record.items():
            columns.setdefault(str(key), None)
            cell = _json_text(value)
            if cell is not None:
                values[str(key)] = cell
        rows.append((number, values))
    return _Table(name, "enregistrement", list(columns), rows)


def _refuse_constant(text: str) -> Any:
    raise ValueError(f"valeur « {text} » refusée")


def _read_csv(name: str, text: str, errors: list[ImportIssue]) -> _Table | None:
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [column.strip() for column in next(reader, [])]
        if not any(header):
            errors.append(ImportIssue(name, None, "le fichier est vide"))
            return None
        if len(set(header)) != len(header):
            errors.append(ImportIssue(name, 1, "en-tête : colonne en double"))
            return None
        rows: list[tuple[int, dict[str, str]]] = []
        line = reader.line_num
        for raw in reader:
            start, line = line + 1, reader.line_num
            if not raw or not any(cell.strip() for cell in raw):
                continue
            if len(rows) >= MAX_ROWS:
                errors.append(ImportIssue(name, start, f"trop de lignes ({MAX_ROWS} au plus)"))
                return None
            if len(raw) != len(header):
                errors.append(
                    ImportIssue(name, start, f"{len(raw)} colonne(s) au lieu de {len(header)}")
                )
                continue
            rows.append((start, {c: v.strip() for c, v in zip(header, raw, strict=True)}))
    except csv.Error as error:
        errors.append(ImportIssue(name, reader.line_num, f"CSV illisible : {error}"))
        return None
    return _Table(name, "ligne", header, rows)


def read_table(name: str, content: bytes, errors: list[ImportIssue]) -> _Table | None:
    """The records of a CSV or JSON file (JSON when it starts with ``{`` or ``[``)."""
    if len(content) > MAX_FILE_BYTES:
        size = format_number(MAX_FILE_BYTES // (1024 * 1024), 0)
        errors.append(ImportIssue(name, None, f"fichier trop volumineux ({size} Mo au plus)"))
        return None
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        errors.append(ImportIssue(name, None, "le fichier n'est pas encodé en UTF-8"))
        return None
    if "\x00" in text:
        errors.append(ImportIssue(name, None, "le fichier n'est pas un fichier texte"))
        return None
    if text.lstrip()[:1] in ("{", "["):
        return _read_json(name, text, errors)
    return _read_csv(name, text, errors)


def recognise(columns: Sequence[str]) -> Dataset | None:
    """The catalogue's dataset whose identifying columns are all in ``columns``."""
    present = set(columns)
    matches = [
        dataset
        for dataset in shipped_catalogue().datasets.values()
        if set(dataset.recognised_by) <= present
    ]
    # The most specific one (most identifying columns) if several match.
    matches.sort(key=lambda d: -len(d.recognised_by))
    return matches[0] if matches else None


def expected_signatures() -> str:
    return " ; ".join(
        f"{d.code} : {' + '.join(d.recognised_by)}" for d in shipped_catalogue().datasets.values()
    )


# --- Checking --------------------------------------------------------------------------------


def parse_number(text: str) -> tuple[str, Decimal] | str:
    """The canonical text (decimal point) and Decimal of a published number, or a French
    reason why it is not one."""
    if not NUMBER.fullmatch(text):
        return "n'est pas un nombre"
    canonical = text.replace(",", ".")
    integer, _, decimals = canonical.lstrip("-").partition(".")
    if len(integer.lstrip("0")) > MAX_INTEGER_DIGITS:
        return f"nombre trop grand ({MAX_INTEGER_DIGITS} chiffres avant la virgule au plus)"
    if len(decimals) > MAX_DECIMALS:
        return f"trop de décimales ({MAX_DECIMALS} au plus)"
    try:
        return canonical, Decimal(canonical)
    except InvalidOperation:  # pragma: no cover - the pattern already guarantees it
        return "n'est pas un nombre"


def parse_year(text: str, last_year: int) -> int | str:
    match = YEAR.fullmatch(text)
    if not match:
        return "une année est attendue (AAAA)"
    year = int(match.group(1))
    if not FIRST_YEAR <= year <= last_year:
        return f"année hors de {FIRST_YEAR}–{last_year}"
    return year


def _known_territories(dataset: Dataset) -> set[str] | None:
    if dataset.niveau == "commune":
        return set(Commune.objects.values_list("code_insee", flat=True))
    if dataset.niveau == "epci":
        return set(Epci.objects.values_list("siren", flat=True))
    if dataset.niveau == "departement":
        return set(Departement.objects.values_list("code", flat=True))
    return None  # France


@dataclass
class _Wanted:
    values: dict[tuple[str, str, int], tuple[str, Decimal]] = field(default_factory=dict)
    not_published: int = 0
    placeholders: int = 0
    years: set[int] = field(default_factory=set)


def _check(table: _Table, dataset: Dataset, errors: list[ImportIssue]) -> _Wanted:
    wanted = _Wanted()
    known = _known_territories(dataset)
    last_year = dt.date.today().year + 1
    kept = [column for column in dataset.colonnes if column in table.columns]
    seen: dict[tuple[str, int], int] = {}
    level_label = {"commune": "commune", "epci": "EPCI", "departement": "département"}

    def error(line: int, message: str) -> None:
        errors.append(ImportIssue(table.name, line, message, table.unit))

    for line, values in table.rows:
        ok = True
        territory = FRANCE
        if dataset.colonne_territoire:
            territory = values.get(dataset.colonne_territoire, "")
            if PLACEHOLDER.fullmatch(territory):
                wanted.placeholders += 1
                continue
            if not territory:
                error(line, f"{dataset.colonne_territoire} vide")
                ok = False
            elif known is not None and territory not in known:
                label = level_label[dataset.niveau]
                error(
                    line,
                    f"{dataset.colonne_territoire} « {territory} » : {label} inconnu(e) "
                    "des territoires de CoopCTG",
                )
                ok = False
        year_text = values.get(dataset.colonne_annee, "")
        year = parse_year(year_text, last_year)
        if isinstance(year, str):
            error(line, f"{dataset.colonne_annee} « {year_text} » : {year}")
            ok = False
        parsed: dict[str, tuple[str, Decimal]] = {}
        for column in kept:
            text = values.get(column, "")
            if text in EMPTY_VALUES:
                continue
            result = parse_number(text)
            if isinstance(result, str):
                error(line, f"{column} « {text} » : {result}")
                ok = False
            else:
                parsed[column] = result
        if not ok or isinstance(year, str):
            continue
        key = (territory, year)
        if key in seen:
            where = f"{table.unit} {seen[key]}"
            error(line, f"territoire « {territory} », année {year} en double (déjà {where})")
            continue
        seen[key] = line
        wanted.years.add(year)
        wanted.not_published += len(kept) - len(parsed)
        for column, value in parsed.items():
            wanted.values[(dataset.colonnes[column], territory, year)] = value
    return wanted


# --- Writing ---------------------------------------------------------------------------------


def _write(
    dataset: Dataset,
    wanted: _Wanted,
    batch: ImportBatch,
    report: ImportReport,
    progress: Progress | None,
) -> None:
    indicators = sorted({key[0] for key in wanted.values})
    existing = {
        (value.indicateur, value.territoire, value.annee): value
        for value in TerritorialValue.objects.select_related("lot")
        .select_for_update(of=("self",))
        .filter(niveau=dataset.niveau, indicateur__in=indicators, annee__in=sorted(wanted.years))
    }
    new: list[TerritorialValue] = []
    changed: list[TerritorialValue] = []
    history: list[TerritorialValueHistory] = []
    for (indicator, territory, year), (text, number) in wanted.values.items():
        current = existing.get((indicator, territory, year))
        if current is None:
            new.append(
                TerritorialValue(
                    indicateur=indicator,
                    niveau=dataset.niveau,
                    territoire=territory,
                    annee=year,
                    texte=text,
                    valeur=number,
                    lot=batch,
                )
            )
        elif current.texte == text and current.lot.demonstration == batch.demonstration:
            report.unchanged += 1
        else:
            history.append(
                TerritorialValueHistory(
                    indicateur=indicator,
                    niveau=dataset.niveau,
                    territoire=territory,
                    annee=year,
                    texte=current.texte,
                    valeur=current.valeur,
                    lot_id=current.lot_id,
                    remplacee_par=batch,
                )
            )
            current.texte, current.valeur, current.lot = text, number, batch
            changed.append(current)
    total = len(new) + len(changed)
    done = 0
    for start in range(0, len(new), BATCH_SIZE):
        chunk = new[start : start + BATCH_SIZE]
        TerritorialValue.objects.bulk_create(chunk)
        done += len(chunk)
        if progress:
            progress("écriture des valeurs", done, total)
    TerritorialValueHistory.objects.bulk_create(history, batch_size=BATCH_SIZE)
    for start in range(0, len(changed), BATCH_SIZE):
        chunk = changed[start : start + BATCH_SIZE]
        TerritorialValue.objects.bulk_update(chunk, ["texte", "valeur", "lot", "modifie_le"])
        done += len(chunk)
        if progress:
            progress("écriture des valeurs", done, total)
    report.created, report.replaced = len(new), len(changed)


def import_file(
    name: str,
    content: bytes,
    *,
    user: Any = None,
    demonstration: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Check then import a publisher's file; raise :class:`IndicatorImportError` (and write
    nothing) if any row is wrong. ``demonstration`` marks invented sample values."""
    errors: list[ImportIssue] = []
    table = read_table(name, content, errors)
    if table is None:
        raise IndicatorImportError(errors)
    dataset = recognise(table.columns)
    if dataset is None:
        raise IndicatorImportError(
            [
                ImportIssue(
                    name,
                    1 if table.unit == "ligne" else None,
                    "jeu de données non reconnu par ses colonnes (attendu : "
                    f"{expected_signatures()})",
                )
            ]
        )
    wanted = _check(table, dataset, errors)
    if errors:
        raise IndicatorImportError(sorted(errors, key=lambda issue: issue.line or 0))
    if progress:
        progress("lecture et vérification", len(table.rows), len(table.rows))
    try:
        with transaction.atomic():
            batch = ImportBatch.objects.create(
                genre=ImportBatch.Kind.FICHIER,
                jeu=dataset.code,
                fichier=name[:255],
                empreinte=hashlib.sha256(content).hexdigest(),
                version_catalogue=shipped_catalogue().version,
                demonstration=demonstration,
                importe_par=user if getattr(user, "is_authenticated", False) else None,
                lignes=len(table.rows),
            )
            report = ImportReport(
                batch=batch,
                dataset=dataset,
                rows=len(table.rows),
                not_published=wanted.not_published,
                placeholders=wanted.placeholders,
                years=sorted(wanted.years),
                ignored_columns=[
                    c
                    for c in table.columns
                    if c not in dataset.colonnes
                    and c not in (dataset.colonne_territoire, dataset.colonne_annee)
                ],
            )
            _write(dataset, wanted, batch, report, progress)
            batch.creees, batch.remplacees = report.created, report.replaced
            batch.inchangees = report.unchanged
            batch.save(update_fields=["creees", "remplacees", "inchangees"])
    except IntegrityError:
        raise IndicatorImportError(
            [
                ImportIssue(
                    name,
                    None,
                    "un autre import a écrit les mêmes valeurs au même moment : relancez l'import",
                )
            ]
        ) from None
    return report

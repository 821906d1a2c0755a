"""Import of the territories reference data (départements, EPCI, communes, contours).

The folder holds ``departements.csv``, ``epci.csv``, ``communes.csv`` and, optionally,
``epci-*.geojson`` and ``communes-*.geojson`` (see ``data/territoires/README.md``).

Every row of every file is checked before anything is written: all the errors are collected,
each with its file and line (line 1 is the header, the first data row is line 2), and the
import stops with :class:`TerritoryImportError`. Otherwise the rows are written in one
transaction, by batches of ``INSERT … ON CONFLICT DO UPDATE`` (SQLite and PostgreSQL): a new
import updates the rows in place (same primary keys), rows absent from the files are kept, and
unchanged rows are not rewritten. Contours absent from the files are kept too.
"""

import csv
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import models, transaction

from coopctg.core.formats import format_number
from coopctg.core.parsing import DocumentError, load_json
from coopctg.territories import svgmap
from coopctg.territories.models import Commune, Departement, Epci

DEFAULT_DATA_DIR = Path(__file__).resolve().parent / "data" / "territoires"
BATCH_SIZE = 2000

DEPARTEMENTS_FILE = "departements.csv"
EPCI_FILE = "epci.csv"
COMMUNES_FILE = "communes.csv"
EPCI_GEOJSON_GLOB = "epci-*.geojson"
COMMUNES_GEOJSON_GLOB = "communes-*.geojson"

DEPARTEMENT_COLUMNS = ("code", "nom")
EPCI_COLUMNS = ("siren", "nom", "nature")
COMMUNE_COLUMNS = ("code_insee", "nom", "population_municipale", "departement", "epci_siren")

DEPARTEMENT_CODE = re.compile(r"(?:0[1-9]|[1-9][0-9]|2[AB]|97[1-8])")
SIREN = re.compile(r"[0-9]{9}")
CODE_INSEE = re.compile(r"(?:[0-9]{5}|2[AB][0-9]{3})")
POSITIVE_INTEGER = re.compile(r"[0-9]+")
#: Values that mean "no population published" (``\N`` is the NULL of the source's SQL export).
UNKNOWN_POPULATION = ("", r"\N")
MAX_POPULATION = 2_147_483_647  # PositiveIntegerField

#: ``progress(step, done, total)``: called once per file read (step ``READING``), then, once
#: every row is valid, once per batch written (step "départements", "EPCI", "communes"…).
Progress = Callable[[str, int, int], None]
READING = "lecture des fichiers"


@dataclass(frozen=True)
class ImportIssue:
    """One bad row: ``file`` (its name), ``line`` (1 = the header) and a French message."""

    file: str
    line: int | None
    message: str
    unit: str = "ligne"  # "entité" for the features of a GeoJSON file

    def __str__(self) -> str:
        if not self.file:
            return self.message
        where = self.file if self.line is None else f"{self.file}, {self.unit} {self.line}"
        return f"{where} : {self.message}"


class TerritoryImportError(Exception):
    """The files have errors; nothing was written. ``errors`` lists them all, in file order."""

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
class KindReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass
class ImportReport:
    departements: KindReport = field(default_factory=KindReport)
    epci: KindReport = field(default_factory=KindReport)
    communes: KindReport = field(default_factory=KindReport)
    epci_contours: int = 0  # contours read from the files
    commune_contours: int = 0

    @property
    def created(self) -> int:
        return self.departements.created + self.epci.created + self.communes.created

    @property
    def updated(self) -> int:
        return self.departements.updated + self.epci.updated + self.communes.updated

    @property
    def unchanged(self) -> int:
        return self.departements.unchanged + self.epci.unchanged + self.communes.unchanged

    def summary(self) -> str:
        """« Import terminé : 101 départements, 1 253 EPCI, 34 875 communes (… créés, …). »"""

        def n(value: int) -> str:
            return format_number(value, 0)

        counts = f"{n(self.created)} créés, {n(self.updated)} mis à jour"
        if self.unchanged:
            counts += f", {n(self.unchanged)} inchangés"
        text = (
            f"Import terminé : {n(self.departements.total)} départements, "
            f"{n(self.epci.total)} EPCI, {n(self.communes.total)} communes ({counts})"
        )
        if self.epci_contours or self.commune_contours:
            text += (
                f" ; contours : {n(self.epci_contours)} EPCI, {n(self.commune_contours)} communes"
            )
        return text + "."


# --- Reading -------------------------------------------------------------------------------------


@dataclass
class _Row:
    line: int
    values: dict[str, str]


def _read_csv(
    folder: Path, name: str, columns: Sequence[str], errors: list[ImportIssue]
) -> list[_Row] | None:
    """The data rows of a CSV file, or None (with an error) when the file cannot be used."""
    path = folder / name
    if not path.is_file():
        errors.append(ImportIssue(name, None, f"fichier introuvable dans « {folder} »"))
        return None
    rows: list[_Row] = []
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = [column.strip() for column in next(reader, [])]
            missing = [column for column in columns if column not in header]
            if missing:
                errors.append(
                    ImportIssue(
                        name,
                        1,
                        f"colonne(s) manquante(s) : {', '.join(missing)} "
                        f"(en-tête attendu : {','.join(columns)})",
                    )
                )
                return None
            if len(set(header)) != len(header):
                errors.append(ImportIssue(name, 1, "en-tête : colonne en double"))
                return None
            index = {column: header.index(column) for column in columns}
            line = reader.line_num
            for raw in reader:
                start, line = line + 1, reader.line_num
                if not raw:
                    continue
                if len(raw) != len(header):
                    errors.append(
                        ImportIssue(
                            name,
                            start,
                            f"{len(raw)} colonne(s) au lieu de {len(header)}",
                        )
                    )
                    continue
                rows.append(_Row(start, {c: raw[i].strip() for c, i in index.items()}))
    except UnicodeDecodeError:
        errors.append(ImportIssue(name, None, "le fichier n'est pas encodé en UTF-8"))
        return None
    except csv.Error as error:
        errors.append(ImportIssue(name, reader.line_num, f"CSV illisible : {error}"))
        return None
    return rows


def _read_geojson(path: Path, errors: list[ImportIssue]) -> list[dict[str, Any]] | None:
    try:
        data = load_json(path.read_text(encoding="utf-8-sig"))
    except DocumentError as error:  # too deep, a number too long
        errors.append(ImportIssue(path.name, None, str(error)))
        return None
    except UnicodeDecodeError:
        errors.append(ImportIssue(path.name, None, "le fichier n'est pas encodé en UTF-8"))
        return None
    except json.JSONDecodeError as error:
        errors.append(ImportIssue(path.name, error.lineno, f"JSON invalide : {error.msg}"))
        return None
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        errors.append(ImportIssue(path.name, None, "une FeatureCollection GeoJSON est attendue"))
        return None
    if not isinstance(features, list):
        errors.append(ImportIssue(path.name, None, "la liste « features » est absente"))
        return None
    return features


def _name_error(name: str, max_length: int) -> str | None:
    if not name:
        return "nom vide"
    if len(name) > max_length:
        return f"nom trop long ({len(name)} caractères, {max_length} au plus)"
    return None


class _Checker:
    """Collects the errors of one file and its duplicate keys."""

    def __init__(self, name: str, errors: list[ImportIssue], key: str) -> None:
        self.name, self.errors, self.key = name, errors, key
        self.seen: dict[str, int] = {}

    def error(self, line: int, message: str, unit: str = "ligne") -> None:
        self.errors.append(ImportIssue(self.name, line, message, unit))

    def first_time(self, value: str, line: int, unit: str = "ligne") -> bool:
        if value in self.seen:
            self.error(
                line, f"{self.key} « {value} » en double (déjà {unit} {self.seen[value]})", unit
            )
            return False
        self.seen[value] = line
        return True


# --- The wanted state ----------------------------------------------------------------------------


@dataclass
class _Wanted:
    departements: dict[str, dict[str, Any]] = field(default_factory=dict)  # code → fields
    epci: dict[str, dict[str, Any]] = field(default_factory=dict)  # siren → fields
    communes: dict[str, dict[str, Any]] = field(default_factory=dict)  # code_insee → fields
    epci_contours: dict[str, dict[str, Any]] = field(default_factory=dict)
    commune_contours: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Well-formed keys of the files, rows with other errors included: references to them are
    # not reported again (one error per cause).
    declared: dict[str, set[str]] = field(
        default_factory=lambda: {"departements": set(), "epci": set(), "communes": set()}
    )


def _check_departements(rows: list[_Row], wanted: _Wanted, errors: list[ImportIssue]) -> None:
    check = _Checker(DEPARTEMENTS_FILE, errors, "code")
    for row in rows:
        code, nom = row.values["code"], row.values["nom"]
        ok = True
        if not DEPARTEMENT_CODE.fullmatch(code):
            check.error(
                row.line, f"code « {code} » invalide : 2 ou 3 caractères attendus (ex. 01, 2A, 971)"
            )
            ok = False
        else:
            wanted.declared["departements"].add(code)
        if message := _name_error(nom, 100):
            check.error(row.line, message)
            ok = False
        if check.first_time(code, row.line) and ok:
            wanted.departements[code] = {"nom": nom}


def _check_epci(rows: list[_Row], wanted: _Wanted, errors: list[ImportIssue]) -> None:
    check = _Checker(EPCI_FILE, errors, "siren")
    natures = Epci.Nature.values
    for row in rows:
        siren, nom, nature = row.values["siren"], row.values["nom"], row.values["nature"]
        ok = True
        if not SIREN.fullmatch(siren):
            check.error(row.line, f"siren « {siren} » invalide : 9 chiffres attendus")
            ok = False
        else:
            wanted.declared["epci"].add(siren)
        if message := _name_error(nom, 200):
            check.error(row.line, message)
            ok = False
        if nature not in natures:
            check.error(row.line, f"nature « {nature} » inconnue ({', '.join(natures)} attendu)")
            ok = False
        if check.first_time(siren, row.line) and ok:
            wanted.epci[siren] = {"nom": nom, "nature": nature}


def _check_communes(
    rows: list[_Row],
    wanted: _Wanted,
    errors: list[ImportIssue],
    known_departements: set[str] | None,
    known_epci: set[str] | None,
) -> None:
    """``known_*`` is None when that file could not be read: its references are not checked
    (one error on the file rather than thousands on the communes)."""
    check = _Checker(COMMUNES_FILE, errors, "code_insee")
    for row in rows:
        values = row.values
        code, nom = values["code_insee"], values["nom"]
        population, departement, siren = (
            values["population_municipale"],
            values["departement"],
            values["epci_siren"],
        )
        ok = True
        if not CODE_INSEE.fullmatch(code):
            check.error(
                row.line,
                f"code_insee « {code} » invalide : 5 caractères attendus (ex. 37261, 2A004)",
            )
            ok = False
        else:
            wanted.declared["communes"].add(code)
        if message := _name_error(nom, 200):
            check.error(row.line, message)
            ok = False
        population_value: int | None = None
        if population not in UNKNOWN_POPULATION:
            if not POSITIVE_INTEGER.fullmatch(population):
                check.error(
                    row.line, f"population_municipale « {population} » n'est pas un entier positif"
                )
                ok = False
            elif int(population) > MAX_POPULATION:
                check.error(row.line, f"population_municipale « {population} » trop grande")
                ok = False
            else:
                population_value = int(population)
        if known_departements is not None and departement not in known_departements:
            check.error(
                row.line,
                f"département « {departement} » inconnu (absent de "
                f"{DEPARTEMENTS_FILE} et de la base)",
            )
            ok = False
        elif ok and not code.startswith(departement):
            check.error(row.line, f"code_insee « {code} » hors du département « {departement} »")
            ok = False
        if siren and known_epci is not None and siren not in known_epci:
            check.error(row.line, f"EPCI « {siren} » inconnu (absent de {EPCI_FILE} et de la base)")
            ok = False
        if check.first_time(code, row.line) and ok:
            wanted.communes[code] = {
                "nom": nom,
                "population_municipale": population_value,
                "departement": departement,
                "epci": siren or None,
            }


def _check_contours(
    folder: Path,
    pattern: str,
    key: str,
    known: set[str] | None,
    target: dict[str, dict[str, Any]],
    errors: list[ImportIssue],
    read: Callable[[int], None],
) -> None:
    seen: dict[str, str] = {}  # key → "file, entité n"
    for path in sorted(folder.glob(pattern)):
        features = _read_geojson(path, errors)
        read(1)
        if features is None:
            continue
        check = _Checker(path.name, errors, key)
        for number, feature in enumerate(features, start=1):
            properties = feature.get("properties") if isinstance(feature, dict) else None
            value = properties.get(key) if isinstance(properties, dict) else None
            if not isinstance(value, str) or not value:
                check.error(number, f"propriété « {key} » absente", "entité")
                continue
            if known is not None and value not in known:
                check.error(number, f"{key} « {value} » inconnu", "entité")
                continue
            geometry = feature.get("geometry")
            message = svgmap.geometry_error(geometry)
            if message is not None or not isinstance(geometry, dict):
                check.error(number, f"{key} « {value} » : {message}", "entité")
                continue
            if value in seen:
                check.error(number, f"{key} « {value} » en double (déjà {seen[value]})", "entité")
                continue
            seen[value] = f"{path.name}, entité {number}"
            target[value] = {"type": geometry["type"], "coordinates": geometry["coordinates"]}


# --- Writing -------------------------------------------------------------------------------------


def _batches[T](items: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _upsert(
    model: type[models.Model],
    key: str,
    wanted: dict[str, dict[str, Any]],
    existing: dict[str, dict[str, Any]],
    fields: list[str],
    report: KindReport,
    step: str,
    progress: Progress | None,
) -> None:
    """Insert or update the rows of ``wanted`` whose fields differ from ``existing``."""
    items = list(wanted.items())
    total = len(items)
    for done, batch in enumerate(_batches(items, BATCH_SIZE), start=0):
        objects = []
        for value, row in batch:
            before = existing.get(value)
            if before is None:
                report.created += 1
            elif all(before[f] == row[f] for f in fields):
                report.unchanged += 1
                continue
            else:
                report.updated += 1
            objects.append(model(**{key: value, **row}))
        if objects:
            model._default_manager.bulk_create(
                objects,
                update_conflicts=True,
                unique_fields=[key],
                update_fields=[f.removesuffix("_id") for f in fields],
            )
        if progress:
            progress(step, min(done * BATCH_SIZE + len(batch), total), total)


def _error_order(issue: ImportIssue) -> tuple[int, str, int]:
    """Files in reading order (CSV files first, then contours), then lines."""
    ranks = {DEPARTEMENTS_FILE: 0, EPCI_FILE: 1, COMMUNES_FILE: 2}
    contour_rank = 3 if issue.file.startswith("epci-") else 4
    return ranks.get(issue.file, contour_rank), issue.file, issue.line or 0


def import_territories(folder: Path, progress: Progress | None = None) -> ImportReport:
    """Check then import the files of ``folder``; raise :class:`TerritoryImportError` (and
    write nothing) if any row is wrong."""
    folder = Path(folder)
    if not folder.is_dir():
        raise TerritoryImportError([ImportIssue("", None, f"dossier « {folder} » introuvable")])
    errors: list[ImportIssue] = []
    wanted = _Wanted()
    files_read = 0
    files_total = 3 + len(list(folder.glob(EPCI_GEOJSON_GLOB)))
    files_total += len(list(folder.glob(COMMUNES_GEOJSON_GLOB)))

    def read(count: int) -> None:
        nonlocal files_read
        files_read += count
        if progress:
            progress(READING, files_read, files_total)

    with transaction.atomic():
        db_departements = {
            code: {"id": pk, "nom": nom}
            for code, pk, nom in Departement.objects.values_list("code", "id", "nom")
        }
        db_epci = {
            siren: {"id": pk, "nom": nom, "nature": nature, "geometrie": geometrie}
            for siren, pk, nom, nature, geometrie in Epci.objects.values_list(
                "siren", "id", "nom", "nature", "geometrie"
            )
        }
        db_communes = {
            code: {
                "nom": nom,
                "population_municipale": population,
                "departement_id": departement_id,
                "epci_id": epci_id,
                "geometrie": geometrie,
            }
            for code, nom, population, departement_id, epci_id, geometrie in (
                Commune.objects.values_list(
                    "code_insee",
                    "nom",
                    "population_municipale",
                    "departement_id",
                    "epci_id",
                    "geometrie",
                )
            )
        }

        departement_rows = _read_csv(folder, DEPARTEMENTS_FILE, DEPARTEMENT_COLUMNS, errors)
        read(1)
        epci_rows = _read_csv(folder, EPCI_FILE, EPCI_COLUMNS, errors)
        read(1)
        commune_rows = _read_csv(folder, COMMUNES_FILE, COMMUNE_COLUMNS, errors)
        read(1)

        known_departements = known_epci = None
        if departement_rows is not None:
            _check_departements(departement_rows, wanted, errors)
            known_departements = wanted.declared["departements"] | set(db_departements)
        if epci_rows is not None:
            _check_epci(epci_rows, wanted, errors)
            known_epci = wanted.declared["epci"] | set(db_epci)
        if commune_rows is not None:
            _check_communes(commune_rows, wanted, errors, known_departements, known_epci)

        _check_contours(
            folder, EPCI_GEOJSON_GLOB, "siren", known_epci, wanted.epci_contours, errors, read
        )
        known_communes = (
            None if commune_rows is None else wanted.declared["communes"] | set(db_communes)
        )
        _check_contours(
            folder,
            COMMUNES_GEOJSON_GLOB,
            "code_insee",
            known_communes,
            wanted.commune_contours,
            errors,
            read,
        )
        if errors:
            raise TerritoryImportError(sorted(errors, key=_error_order))
        return _write(wanted, db_departements, db_epci, db_communes, progress)


def _write(
    wanted: _Wanted,
    db_departements: dict[str, dict[str, Any]],
    db_epci: dict[str, dict[str, Any]],
    db_communes: dict[str, dict[str, Any]],
    progress: Progress | None,
) -> ImportReport:
    report = ImportReport(
        epci_contours=len(wanted.epci_contours), commune_contours=len(wanted.commune_contours)
    )
    _upsert(
        Departement,
        "code",
        wanted.departements,
        db_departements,
        ["nom"],
        report.departements,
        "départements",
        progress,
    )

    # EPCI: the file's rows, with their contour (the stored one when the files have none);
    # an EPCI known only from the database may still receive a contour.
    epci_rows = {
        siren: {
            **row,
            "geometrie": wanted.epci_contours.get(
                siren, db_epci[siren]["geometrie"] if siren in db_epci else None
            ),
        }
        for siren, row in wanted.epci.items()
    }
    epci_fields = ["nom", "nature", "geometrie"]
    _upsert(Epci, "siren", epci_rows, db_epci, epci_fields, report.epci, "EPCI", progress)
    epci_contour_only = {
        siren: {
            "nom": db_epci[siren]["nom"],
            "nature": db_epci[siren]["nature"],
            "geometrie": geometry,
        }
        for siren, geometry in wanted.epci_contours.items()
        if siren not in epci_rows
    }
    if epci_contour_only:
        _upsert(
            Epci,
            "siren",
            epci_contour_only,
            db_epci,
            epci_fields,
            KindReport(),
            "contours des EPCI",
            progress,
        )

    departement_ids = dict(Departement.objects.values_list("code", "id"))
    epci_ids = dict(Epci.objects.values_list("siren", "id"))
    commune_rows: dict[str, dict[str, Any]] = {}
    for code, row in wanted.communes.items():
        before = db_communes.get(code)
        commune_rows[code] = {
            "nom": row["nom"],
            "population_municipale": row["population_municipale"],
            "departement_id": departement_ids[row["departement"]],
            "epci_id": epci_ids[row["epci"]] if row["epci"] else None,
            "geometrie": wanted.commune_contours.get(code, before["geometrie"] if before else None),
        }
    contour_only = {
        code: {**db_communes[code], "geometrie": geometry}
        for code, geometry in wanted.commune_contours.items()
        if code not in commune_rows
    }
    fields = ["nom", "population_municipale", "departement_id", "epci_id", "geometrie"]
    _upsert(
        Commune,
        "code_insee",
        commune_rows,
        db_communes,
        fields,
        report.communes,
        "communes",
        progress,
    )
    if contour_only:
        _upsert(
            Commune,
            "code_insee",
            contour_only,
            db_communes,
            fields,
            KindReport(),
            "contours des communes",
            progress,
        )
    return report

"""The plan d'actions as an Excel workbook (.xlsx): one format for export and import.

Sheet « Actions », one row per fiche action (row 1: the headers, in any order)::

    code | titre | description | thématiques | objectifs | pilote | partenaires | début | fin
         | statut | avancement (%)

- ``code``: the action's stable reference in the plan (« A01 », « 2.3 »): letters, digits,
  « . », « - », « _ », at most 20 characters, unique in the file. An import matches the
  actions by code: a known code updates that action, a new code creates one;
- ``thématiques``: labels (« Petite enfance ») or codes (``petite_enfance``) of the 8
  thématiques, separated by « ; »;
- ``objectifs``: codes of the référentiel's objectives (``M1.O2``), separated by « ; »;
  they are those of the newest référentiel loaded;
- ``début``, ``fin``: date cells, or text « 15/03/2024 » or « 2024-03-15 »; the end may not
  precede the start;
- ``statut``: « à lancer », « en cours », « réalisée » or « abandonnée » (empty: à lancer);
  « en retard » is computed from the end date, never typed;
- ``avancement (%)``: a whole percentage from 0 to 100 (« 40 », « 40 % », a percent cell).

Sheet « Indicateurs », one row per indicator::

    action | indicateur | unité | valeur de référence | cible | 2022 | 2023 | …

- ``action``: the code of an action of the « Actions » sheet; ``indicateur``: its label,
  unique within the action (an import matches the indicators by action and label);
- numbers: numeric cells or French text (« 12,5 », « 1 234,5 »), two decimals at most;
- one column per year (header: the year, 2000 to 2100); an empty cell means no value.

Other sheets (the « Aide » sheet of the export) are ignored. Line numbers are the sheet's row
numbers (the header is line 1). :func:`read_plan` checks every row before anything is written
and reports every error (« Actions, ligne 4 : date de fin avant la date de début »).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from coopctg.actionplan.models import CODE_MAX_LENGTH, Action
from coopctg.actionplan.rules import (
    FIRST_YEAR,
    LAST_YEAR,
    ActionStatus,
    normalize,
    parse_decimal,
    parse_progress,
    parse_status,
    parse_themes,
    split_list,
)
from coopctg.actionplan.services import (
    ACTIONS_SHEET,
    INDICATORS_SHEET,
    ActionRow,
    ImportIssue,
    ImportReport,
    IndicatorRow,
    PlanData,
    PlanImportError,
    current_framework,
    import_plan,
    objectives_by_code,
    plan_actions,
    plan_years,
)
from coopctg.core.exports import XLSX_CONTENT_TYPE, put, unescape, workbook_bytes
from coopctg.core.formats import format_date, format_number
from coopctg.core.spreadsheets import Limits, SpreadsheetRefused, check_xlsx
from coopctg.core.text import clean_line, clean_text
from coopctg.core.themes import THEME_LABELS, Theme
from coopctg.ctg.models import Ctg
from coopctg.framework.models import FrameworkVersion, Objective

HELP_SHEET = "Aide"
CONTENT_TYPE = XLSX_CONTENT_TYPE

#: key → header written by the export (headers are read without accents, case, or « (…) »).
ACTION_COLUMNS: dict[str, str] = {
    "code": "code",
    "titre": "titre",
    "description": "description",
    "themes": "thématiques",
    "objectifs": "objectifs",
    "pilote": "pilote",
    "partenaires": "partenaires",
    "date_debut": "début",
    "date_fin": "fin",
    "statut": "statut",
    "avancement": "avancement (%)",
}
INDICATOR_COLUMNS: dict[str, str] = {
    "action": "action",
    "libelle": "indicateur",
    "unite": "unité",
    "valeur_reference": "valeur de référence",
    "cible": "cible",
}
_ALIASES: dict[str, str] = {
    "date de debut": "date_debut",
    "date de fin": "date_fin",
    "thematique": "themes",
    "code action": "action",
    "libelle": "libelle",
    "unite de mesure": "unite",
    "reference": "valeur_reference",
}

MAX_ROWS = 2000  # data rows per sheet
MAX_COLUMNS = 200
MAX_TEXT = 10_000
#: What the file may hold at all, checked before openpyxl opens it (a « spreadsheet bomb »):
#: row numbers (empty rows included), columns, cells per sheet, shared strings.
FILE_LIMITS = Limits(rows=10_000, columns=MAX_COLUMNS, cells=500_000, shared_strings=100_000)
NOT_A_WORKBOOK = "Le fichier n'est pas un classeur Excel (.xlsx) lisible."
CODE_PATTERN = re.compile(r"[0-9A-Za-z][0-9A-Za-z._\-]*")
OBJECTIVE_PATTERN = re.compile(r"M\d+\.O\d+")
_TEXT_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d")
#: The columns whose text may span several lines (the others are cleaned to one line).
MULTILINE_KEYS = {"description", "partenaires"}


# --- Export ----------------------------------------------------------------------------------

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
_WRAP = Alignment(wrap_text=True, vertical="top")
_TOP = Alignment(vertical="top")


def _header(ws: Worksheet, labels: Sequence[str], widths: Sequence[int]) -> None:
    for column, (label, width) in enumerate(zip(labels, widths, strict=True), start=1):
        cell = put(ws, 1, column, label)
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
        ws.column_dimensions[get_column_letter(column)].width = width
    ws.freeze_panes = "A2"


def theme_cell(codes: Sequence[str]) -> str:
    return " ; ".join(theme.label for theme in Theme if theme.value in codes)


def export_plan(
    ctg: Ctg, actions: Sequence[Action], version: FrameworkVersion | None = None
) -> bytes:
    """The workbook of the plan (``actions`` as given by
    :func:`coopctg.actionplan.services.plan_actions`); ``version``: the référentiel whose
    objectives the « Aide » sheet lists."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = ACTIONS_SHEET
    _header(sheet, list(ACTION_COLUMNS.values()), [8, 40, 50, 30, 18, 25, 30, 12, 12, 12, 14])
    for row, action in enumerate(actions, start=2):
        values = [
            action.code,
            action.titre,
            action.description,
            theme_cell(action.themes),
            " ; ".join(o.code for o in action.objectifs.all()),
            action.pilote,
            action.partenaires,
            action.date_debut,
            action.date_fin,
            ActionStatus(action.statut).label,
            action.avancement,
        ]
        for column, value in enumerate(values, start=1):
            put(sheet, row, column, value).alignment = _WRAP if column in (2, 3, 7) else _TOP
    statuses = ",".join(s.label for s in ActionStatus)
    validation = DataValidation(type="list", formula1=f'"{statuses}"', allow_blank=True)
    validation.error = "Statut inconnu : à lancer, en cours, réalisée ou abandonnée."
    validation.errorTitle = "Statut"
    sheet.add_data_validation(validation)
    validation.add(f"J2:J{max(len(actions) + 200, 500)}")

    indicators = workbook.create_sheet(INDICATORS_SHEET)
    years = plan_years(ctg, actions)
    labels = [*INDICATOR_COLUMNS.values(), *(str(year) for year in years)]
    _header(indicators, labels, [8, 45, 14, 20, 12, *([10] * len(years))])
    row = 2
    for action in actions:
        for indicator in action.indicateurs.all():
            values_by_year = indicator.values_by_year()
            cells = [
                action.code,
                indicator.libelle,
                indicator.unite,
                indicator.valeur_reference,
                indicator.cible,
                *(values_by_year.get(year) for year in years),
            ]
            for column, value in enumerate(cells, start=1):
                put(indicators, row, column, value)
            row += 1

    _help_sheet(workbook.create_sheet(HELP_SHEET), ctg, version)
    return workbook_bytes(workbook)


def _help_sheet(ws: Worksheet, ctg: Ctg, version: FrameworkVersion | None) -> None:
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 90
    lines: list[tuple[str, str]] = [
        (
            "Plan d'actions",
            f"{ctg.intitule} (du {format_date(ctg.date_debut)} au {format_date(ctg.date_fin)})",
        ),
        ("", ""),
        (
            "Import",
            "L'import remplace le plan de la Ctg par celui du fichier. Les actions sont "
            "reconnues par leur code, les indicateurs par leur action et leur libellé.",
        ),
        (
            "",
            "Une action absente du fichier est supprimée, sauf si elle a des valeurs "
            "d'indicateurs saisies : l'import est alors refusé (passez-la au statut "
            "« abandonnée »).",
        ),
        (
            "",
            "Toutes les lignes sont vérifiées avant l'enregistrement : s'il y a une erreur, "
            "rien n'est enregistré et chaque erreur est signalée avec sa feuille et sa ligne.",
        ),
        ("Thématiques", "Libellés ou codes séparés par « ; »."),
        ("Objectifs", "Codes du référentiel (M1.O2) séparés par « ; »."),
        ("Dates", "Cellules date, ou texte JJ/MM/AAAA."),
        ("Avancement", "Pourcentage entier de 0 à 100."),
        ("Nombres", "Cellules numériques ou texte « 12,5 » ; deux décimales au plus."),
        ("Années", "Feuille Indicateurs : une colonne par année (en-tête : l'année)."),
        ("", ""),
        ("Statuts", ""),
        *((status.label, "") for status in ActionStatus),
        ("en retard", "calculé, non saisi : date de fin dépassée, ni réalisée ni abandonnée"),
        ("", ""),
        ("Thématiques", "code"),
        *((label, theme.value) for theme, label in THEME_LABELS.items()),
        ("", ""),
    ]
    if version is not None:
        lines.append((f"Objectifs ({version.code})", ""))
        objectives = Objective.objects.filter(mission__version=version).order_by(
            "mission__position", "position"
        )
        lines.extend((o.code, o.titre) for o in objectives)
    for row, (first, second) in enumerate(lines, start=1):
        first_cell = put(ws, row, 1, first)
        put(ws, row, 2, second).alignment = _WRAP
        if (first and not second) or row == 1:
            first_cell.font = _HEADER_FONT


# --- Reading ---------------------------------------------------------------------------------


def xlsx_problem(stream: IO[bytes]) -> str | None:
    """Why the file cannot be read (:data:`NOT_A_WORKBOOK`, or a limit of
    :data:`FILE_LIMITS` it crosses), None when openpyxl can open it."""
    try:
        with _open(stream):
            return None
    except PlanImportError as error:
        return error.errors[0].message
    finally:
        stream.seek(0)


def is_xlsx(stream: IO[bytes]) -> bool:
    """Whether openpyxl can open the file (a real .xlsx, whatever its name says)."""
    return xlsx_problem(stream) is None


@dataclass
class _Sheet:
    name: str
    columns: dict[str, int]  # key → 0-based index
    years: dict[int, int]  # year → 0-based index
    rows: list[tuple[int, list[Any]]]  # (line, cell values, percent flags folded in)


def _header_key(text: str) -> str:
    return normalize(re.sub(r"\(.*?\)", "", text))


#: How Excel writes a control character in a cell's XML (« _x000B_ » for a Word line break);
#: openpyxl gives the escape as it is.
_EXCEL_CONTROL = re.compile(r"_x00([01][0-9A-Fa-f])_")


def _control(match: re.Match[str]) -> str:
    return chr(int(match.group(1), 16))


def _cell_value(cell: Any) -> Any:
    value = cell.value
    if isinstance(value, str):
        # What the export escaped (« '=… », see coopctg.core.exports) comes back as it was;
        # control characters pasted from elsewhere are cleaned (multi-line: see _Row.text).
        value = clean_text(_EXCEL_CONTROL.sub(_control, unescape(value))).strip()
        return value or None
    percent = "%" in str(cell.number_format or "")
    if percent and isinstance(value, int | float) and not isinstance(value, bool):
        return _Percent(parse_decimal(value, places=6, digits=20) * 100)
    return value


@dataclass(frozen=True)
class _Percent:
    """A numeric cell shown as a percentage (0,4 shown 40 %): its value × 100."""

    value: Decimal


def _find_sheet(workbook: Any, wanted: str) -> Any:
    for name in workbook.sheetnames:
        if normalize(name) == normalize(wanted):
            return workbook[name]
    return None


def _read_sheet(
    workbook: Any,
    name: str,
    columns: dict[str, str],
    errors: list[ImportIssue],
    *,
    with_years: bool,
) -> _Sheet | None:
    ws = _find_sheet(workbook, name)
    if ws is None:
        errors.append(ImportIssue(name, None, f"feuille « {name} » absente du fichier"))
        return None
    # The dimensions a file declares may be wrong (or huge): read the cells that are there.
    ws.reset_dimensions()
    rows = ws.iter_rows()
    header = [_cell_value(cell) for cell in next(rows, ())[:MAX_COLUMNS]]
    found: dict[str, int] = {}
    years: dict[int, int] = {}
    keys = {_header_key(label): key for key, label in columns.items()} | {
        alias: key for alias, key in _ALIASES.items() if key in columns
    }
    ok = True
    for index, raw in enumerate(header):
        if raw is None:
            continue
        text = str(int(raw)) if isinstance(raw, float) and raw.is_integer() else str(raw)
        letter = get_column_letter(index + 1)
        if with_years and re.fullmatch(r"\d{4}", text):
            year = int(text)
            if not FIRST_YEAR <= year <= LAST_YEAR:
                errors.append(
                    ImportIssue(
                        name, 1, f"colonne {letter} : année {year} hors de {FIRST_YEAR}–{LAST_YEAR}"
                    )
                )
                ok = False
            elif year in years:
                errors.append(ImportIssue(name, 1, f"colonne {letter} : année {year} en double"))
                ok = False
            else:
                years[year] = index
            continue
        key = keys.get(_header_key(text))
        if key is None:
            expected = ", ".join(f"« {label} »" for label in columns.values())
            if with_years:
                expected += " puis une colonne par année"
            errors.append(
                ImportIssue(
                    name, 1, f"colonne {letter} « {text} » inconnue (colonnes : {expected})"
                )
            )
            ok = False
        elif key in found:
            errors.append(ImportIssue(name, 1, f"colonne {letter} « {text} » en double"))
            ok = False
        else:
            found[key] = index
    missing = [label for key, label in columns.items() if key not in found]
    if missing:
        plural = "s" if len(missing) > 1 else ""
        listed = ", ".join(f"« {m} »" for m in missing)
        errors.append(ImportIssue(name, 1, f"colonne{plural} manquante{plural} : {listed}"))
        ok = False
    if not ok:
        return None
    width = len(header)
    data: list[tuple[int, list[Any]]] = []
    for line, cells in enumerate(rows, start=2):
        values = [_cell_value(cell) for cell in cells[:MAX_COLUMNS]]
        if all(v is None for v in values):
            continue
        if len(data) == MAX_ROWS:
            errors.append(
                ImportIssue(name, line, f"trop de lignes : {format_number(MAX_ROWS, 0)} au plus")
            )
            break
        extra = [i for i, v in enumerate(values) if v is not None and i >= width]
        if extra:
            letter = get_column_letter(extra[0] + 1)
            errors.append(ImportIssue(name, line, f"valeur en colonne {letter}, sans en-tête"))
        values += [None] * (width - len(values))
        data.append((line, values))
    return _Sheet(name=name, columns=found, years=years, rows=data)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, _Percent):
        return f"{value.value.normalize():f}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return format_date(value)
    return str(value).strip()


def _date(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.time() != dt.time(0):
            raise ValueError(f"« {value:%d/%m/%Y %H:%M} » : une date sans heure est attendue")
        value = value.date()
    elif isinstance(value, str):
        for pattern in _TEXT_DATE_FORMATS:
            try:
                value = dt.datetime.strptime(value, pattern).date()
                break
            except ValueError:
                continue
        else:
            raise ValueError(f"« {value} » n'est pas une date (JJ/MM/AAAA attendu)")
    elif not isinstance(value, dt.date):
        raise ValueError(f"« {_text(value)} » n'est pas une date (JJ/MM/AAAA attendu)")
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"« {format_date(value)} » : date hors de {FIRST_YEAR}–{LAST_YEAR}")
    return value


def _decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, _Percent):
        raise ValueError(f"« {_text(value)} % » : un nombre sans « % » est attendu")
    if isinstance(value, dt.date):
        raise ValueError(f"« {format_date(value)} » n'est pas un nombre")
    return parse_decimal(value)


class _Row:
    """Checks of one row: collects its errors with the sheet and line."""

    def __init__(self, sheet: _Sheet, line: int, values: list[Any], errors: list[ImportIssue]):
        self.sheet, self.line, self.values, self.errors = sheet, line, values, errors
        self.ok = True

    def error(self, message: str) -> None:
        self.errors.append(ImportIssue(self.sheet.name, self.line, message))
        self.ok = False

    def raw(self, key: str) -> Any:
        return self.values[self.sheet.columns[key]]

    def text(self, key: str, label: str, max_length: int, *, required: bool = False) -> str:
        value = _text(self.raw(key))
        if key not in MULTILINE_KEYS:
            value = clean_line(value)
        if required and not value:
            self.error(f"{label} vide")
        elif len(value) > max_length:
            self.error(f"{label} trop long ({len(value)} caractères, {max_length} au plus)")
        return value

    def convert(self, key: str, label: str | None, convert: Any) -> Any:
        """``convert(raw value)``; its ValueError becomes an error of the row, after
        ``label`` if given."""
        try:
            return convert(self.raw(key))
        except ValueError as error:
            self.error(f"{label} : {error}" if label else str(error))
            return None


def _objective_codes(text: str, known: set[str], row: _Row) -> list[str]:
    codes: list[str] = []
    unknown: list[str] = []
    for item in split_list(text):
        code = re.sub(r"\s+", "", item).upper()
        if code in known:
            if code not in codes:
                codes.append(code)
        else:
            unknown.append(f"« {item} »")
    if unknown:
        plural = "s" if len(unknown) > 1 else ""
        where = "dans le référentiel" if known else "(aucun référentiel n'est chargé)"
        row.error(f"objectif{plural} inconnu{plural} {where} : {', '.join(unknown)}")
    return codes


def _check_actions(
    sheet: _Sheet, objective_codes: set[str], errors: list[ImportIssue]
) -> tuple[list[ActionRow], set[str]]:
    """The valid rows, and every well-formed code (of valid rows or not)."""
    rows: list[ActionRow] = []
    declared: dict[str, int] = {}
    for line, values in sheet.rows:
        row = _Row(sheet, line, values, errors)
        code = row.text("code", "code", CODE_MAX_LENGTH, required=True)
        if code and not CODE_PATTERN.fullmatch(code):
            row.error(
                f"code « {code} » invalide : lettres, chiffres, « . », « - » ou « _ » (par ex. A01)"
            )
        elif code and code in declared:
            row.error(f"code « {code} » en double (déjà ligne {declared[code]})")
        elif code and len(code) <= CODE_MAX_LENGTH:
            declared[code] = line
        titre = row.text("titre", "titre", 200, required=True)
        description = row.text("description", "description", MAX_TEXT)
        themes = row.convert("themes", None, lambda v: parse_themes(_text(v)))
        objectifs = _objective_codes(_text(row.raw("objectifs")), objective_codes, row)
        pilote = row.text("pilote", "pilote", 200)
        partenaires = row.text("partenaires", "partenaires", MAX_TEXT)
        debut = row.convert("date_debut", "début", _date)
        fin = row.convert("date_fin", "fin", _date)
        if debut and fin and fin < debut:
            row.error(
                f"date de fin avant la date de début ({format_date(fin)} < {format_date(debut)})"
            )
        statut = (
            row.convert("statut", None, lambda v: parse_status(_text(v)).value)
            if row.raw("statut") is not None
            else ActionStatus.A_LANCER.value
        )
        raw_progress = row.raw("avancement")
        progress = (
            row.convert(
                "avancement",
                None,
                lambda v: parse_progress(v.value if isinstance(v, _Percent) else v),
            )
            if raw_progress is not None
            else 0
        )
        if row.ok:
            rows.append(
                ActionRow(
                    line=line,
                    code=code,
                    titre=titre,
                    description=description,
                    themes=[t.value for t in themes],
                    objectifs=objectifs,
                    pilote=pilote,
                    partenaires=partenaires,
                    date_debut=debut,
                    date_fin=fin,
                    statut=statut,
                    avancement=progress,
                )
            )
    return rows, set(declared)


def _check_indicators(
    sheet: _Sheet, declared: set[str] | None, errors: list[ImportIssue]
) -> list[IndicatorRow]:
    """``declared`` is None when the « Actions » sheet could not be read: the action codes are
    not checked then (one error on that sheet rather than one per indicator)."""
    rows: list[IndicatorRow] = []
    seen: dict[tuple[str, str], int] = {}
    for line, values in sheet.rows:
        row = _Row(sheet, line, values, errors)
        action = row.text("action", "action", CODE_MAX_LENGTH, required=True)
        if action and declared is not None and action not in declared:
            row.error(f"action « {action} » inconnue (absente de la feuille {ACTIONS_SHEET})")
        libelle = row.text("libelle", "indicateur", 200, required=True)
        if action and libelle:
            if (action, libelle) in seen:
                row.error(
                    f"indicateur « {libelle} » de l'action {action} en double "
                    f"(déjà ligne {seen[(action, libelle)]})"
                )
            else:
                seen[(action, libelle)] = line
        unite = row.text("unite", "unité", 50)
        reference = row.convert("valeur_reference", "valeur de référence", _decimal)
        cible = row.convert("cible", "cible", _decimal)
        by_year: dict[int, Decimal] = {}
        for year, index in sorted(sheet.years.items()):
            try:
                value = _decimal(values[index])
            except ValueError as error:
                row.error(f"{year} : {error}")
                continue
            if value is not None:
                by_year[year] = value
        if row.ok:
            rows.append(
                IndicatorRow(
                    line=line,
                    action=action,
                    libelle=libelle,
                    unite=unite,
                    valeur_reference=reference,
                    cible=cible,
                    valeurs=by_year,
                )
            )
    return rows


@contextlib.contextmanager
def _open(stream: IO[bytes]) -> Iterator[Any]:
    """The workbook, read-only, once its size is known to be bounded (:data:`FILE_LIMITS`)."""
    try:
        check_xlsx(stream, FILE_LIMITS)
    except SpreadsheetRefused as refusal:
        raise PlanImportError([ImportIssue("", None, str(refusal))]) from None
    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of errors on broken files
        raise PlanImportError([ImportIssue("", None, NOT_A_WORKBOOK)]) from None
    try:
        yield workbook
    finally:
        workbook.close()


def read_plan(stream: IO[bytes], objective_codes: set[str]) -> PlanData:
    """Read and check a whole workbook; raises :class:`PlanImportError` with every error
    (sheet order, then line order). ``objective_codes``: the codes the file may cite."""
    errors: list[ImportIssue] = []
    with _open(stream) as workbook:
        actions_sheet = _read_sheet(
            workbook, ACTIONS_SHEET, ACTION_COLUMNS, errors, with_years=False
        )
        indicators_sheet = _read_sheet(
            workbook, INDICATORS_SHEET, INDICATOR_COLUMNS, errors, with_years=True
        )
    actions: list[ActionRow] = []
    declared: set[str] | None = None
    if actions_sheet is not None:
        actions, declared = _check_actions(actions_sheet, objective_codes, errors)
    indicators = _check_indicators(indicators_sheet, declared, errors) if indicators_sheet else []
    if errors:
        order = {ACTIONS_SHEET: 0, INDICATORS_SHEET: 1}
        errors.sort(key=lambda e: (order.get(e.sheet, -1), e.line or 0))
        raise PlanImportError(errors)
    return PlanData(actions=actions, indicators=indicators)


# --- Both ways --------------------------------------------------------------------------------


def export_workbook(ctg: Ctg) -> bytes:
    """The workbook of the current plan d'actions of ``ctg``."""
    return export_plan(ctg, plan_actions(ctg), current_framework())


def import_workbook(user: Any, ctg: Ctg, stream: IO[bytes]) -> ImportReport:
    """Read, check and import a workbook into the plan of ``ctg`` (see
    :func:`coopctg.actionplan.services.import_plan`); raises :class:`PlanImportError` with
    every error, nothing written."""
    data = read_plan(stream, set(objectives_by_code(current_framework())))
    return import_plan(user, ctg, data)

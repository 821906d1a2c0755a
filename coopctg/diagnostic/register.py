"""The register of besoins as an Excel workbook (.xlsx): one format for export and import.

Sheet « Besoins », one row per need (row 1: the headers, in any order)::

    identifiant | date | commune | thématique | âge concerné | nature du besoin | entendu par
                | demande | réponse apportée | réponse

- ``identifiant``: the line's number in CoopCTG, written by the export. A re-import updates
  that line; an empty cell creates a new one (so the file makes the round trip);
- ``date``: a date cell, or text « 15/03/2025 » or « 2025-03-15 »;
- ``commune``: the INSEE code (« 37123 ») or the name of a commune of the Ctg's territory;
  empty: the whole territory;
- ``thématique``, ``âge concerné``, ``nature du besoin``, ``entendu par``: a label or a code
  of the lists of the « Aide » sheet;
- ``demande`` (required) and ``réponse``: 500 characters at most, without e-mail address or
  telephone number (the register is anonymous);
- ``réponse apportée``: « oui » or « non » (empty: non); « oui » needs a ``réponse``.

The workbook is read within bounds (:mod:`coopctg.core.spreadsheets`) with the plan
d'actions' reader (:mod:`coopctg.actionplan.workbook`); every row is checked before anything
is written, and every error is reported with its line (« Besoins, ligne 4 : … »).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any

from django.db import transaction
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from coopctg.actionplan import workbook as plan_workbook
from coopctg.actionplan.rules import normalize
from coopctg.actionplan.services import ImportIssue, PlanImportError
from coopctg.core.exports import XLSX_CONTENT_TYPE, put, workbook_bytes
from coopctg.core.formats import format_number
from coopctg.ctg.models import Ctg
from coopctg.diagnostic.models import Need
from coopctg.diagnostic.needs import ENUMS, LABELS, check_anonymous, ctg_needs, save_need
from coopctg.diagnostic.services import ctg_communes

SHEET = "Besoins"
HELP_SHEET = "Aide"
CONTENT_TYPE = XLSX_CONTENT_TYPE
MAX_TEXT = 500

#: key → header written by the export (headers are read without accents, case, or « (…) »).
COLUMNS: dict[str, str] = {
    "identifiant": "identifiant",
    "date": "date",
    "commune": "commune",
    "theme": "thématique",
    "tranche_age": "âge concerné",
    "nature": "nature du besoin",
    "source": "entendu par",
    "description": "demande",
    "repondu": "réponse apportée",
    "reponse": "réponse",
}
REQUIRED = {"date", "theme", "tranche_age", "nature", "source", "description"}
_YES = {"oui", "o", "vrai", "1", "x"}
_NO = {"non", "n", "faux", "0", ""}

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
_WRAP = Alignment(wrap_text=True, vertical="top")


class RegisterImportError(Exception):
    """The workbook has errors; nothing was written. ``errors`` lists them all."""

    def __init__(self, errors: Sequence[ImportIssue]) -> None:
        self.errors = list(errors)
        super().__init__(str(self.errors[0]) if self.errors else "import impossible")


# --- Export ------------------------------------------------------------------------------------


def _header(ws: Worksheet, labels: Sequence[str], widths: Sequence[int]) -> None:
    for column, (label, width) in enumerate(zip(labels, widths, strict=True), start=1):
        cell = put(ws, 1, column, label)
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
        ws.column_dimensions[get_column_letter(column)].width = width
    ws.freeze_panes = "A2"


def export_register(ctg: Ctg, needs: Sequence[Need] | None = None) -> bytes:
    """The workbook of the register of ``ctg`` (or of the ``needs`` given, loaded with their
    commune)."""
    rows = list(needs) if needs is not None else list(ctg_needs(ctg))
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = SHEET
    _header(sheet, list(COLUMNS.values()), [12, 12, 24, 22, 16, 18, 22, 50, 12, 40])
    for row, need in enumerate(rows, start=2):
        values = [
            need.pk,
            need.date,
            need.commune.code_insee if need.commune_id else "",  # type: ignore[union-attr]
            LABELS["theme"][ENUMS["theme"](need.theme)],
            LABELS["tranche_age"][ENUMS["tranche_age"](need.tranche_age)],
            LABELS["nature"][ENUMS["nature"](need.nature)],
            LABELS["source"][ENUMS["source"](need.source)],
            need.description,
            need.repondu,
            need.reponse,
        ]
        for column, value in enumerate(values, start=1):
            put(sheet, row, column, value).alignment = _WRAP
    _help_sheet(workbook.create_sheet(HELP_SHEET), ctg)
    return workbook_bytes(workbook)


def _help_sheet(ws: Worksheet, ctg: Ctg) -> None:
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 90
    lines: list[tuple[str, str]] = [
        ("Registre des besoins", f"{ctg.intitule}"),
        (
            "Anonyme",
            "Aucun nom, aucune coordonnée, aucune situation personnelle : la demande en une "
            "ou deux phrases. Une adresse électronique ou un numéro de téléphone est refusé.",
        ),
        ("", ""),
        (
            "Import",
            "Une ligne avec un identifiant met à jour ce besoin ; une ligne sans identifiant "
            "en crée un. Les besoins absents du fichier sont gardés.",
        ),
        (
            "",
            "Toutes les lignes sont vérifiées avant l'enregistrement : s'il y a une erreur, "
            "rien n'est enregistré et chaque erreur est signalée avec sa ligne.",
        ),
        ("Dates", "Cellules date, ou texte JJ/MM/AAAA."),
        ("Commune", "Code INSEE ou nom d'une commune du territoire ; vide : tout le territoire."),
        ("Réponse apportée", "oui ou non ; « oui » demande de dire laquelle (colonne réponse)."),
        ("", ""),
    ]
    for key, title in (
        ("theme", "Thématiques"),
        ("tranche_age", "Âges concernés"),
        ("nature", "Natures du besoin"),
        ("source", "Entendu par"),
    ):
        lines.append((title, "code"))
        lines.extend((label, str(code.value)) for code, label in LABELS[key].items())
        lines.append(("", ""))
    communes = ctg_communes(ctg).only("code_insee", "nom")
    lines.append(("Communes du territoire", "code INSEE"))
    lines.extend((c.nom, c.code_insee) for c in communes)
    for row, (first, second) in enumerate(lines, start=1):
        cell = put(ws, row, 1, first)
        put(ws, row, 2, second).alignment = _WRAP
        if first and (not second or row == 1 or second in ("code", "code INSEE")):
            cell.font = _HEADER_FONT


# --- Import ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NeedRow:
    line: int
    pk: int | None
    values: dict[str, Any]


@dataclass(frozen=True)
class RegisterReport:
    created: int
    updated: int
    unchanged: int

    def summary(self) -> str:
        def n(count: int, word: str) -> str:
            return f"{format_number(count, 0)} {word}{'s' if count > 1 else ''}"

        return (
            f"Registre importé : {n(self.created, 'besoin')} ajouté"
            f"{'s' if self.created > 1 else ''}, {n(self.updated, 'besoin')} mis à jour, "
            f"{n(self.unchanged, 'ligne')} inchangée{'s' if self.unchanged > 1 else ''}."
        )


def _choice(key: str, text: str) -> str:
    """The code of a label or code of the list of ``key``; ValueError otherwise."""
    wanted = normalize(text)
    for code, label in LABELS[key].items():
        if wanted in (normalize(label), normalize(str(code.value))):
            return str(code.value)
    known = ", ".join(f"« {label} »" for label in LABELS[key].values())
    raise ValueError(f"« {text} » inconnu (valeurs : {known})")


def _yes_no(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = normalize(plan_workbook._text(value))
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise ValueError(f"« {plan_workbook._text(value)} » : oui ou non attendu")


def _check_rows(
    sheet: Any, ctg: Ctg, errors: list[ImportIssue], existing: dict[int, Need]
) -> list[NeedRow]:
    communes = list(ctg_communes(ctg).only("id", "code_insee", "nom"))
    by_code = {c.code_insee: c for c in communes}
    by_name: dict[str, list[Any]] = {}
    for commune in communes:
        by_name.setdefault(normalize(commune.nom), []).append(commune)
    rows: list[NeedRow] = []
    seen: dict[int, int] = {}
    for line, values in sheet.rows:
        row = plan_workbook._Row(sheet, line, values, errors)
        pk: int | None = None
        raw_id = plan_workbook._text(row.raw("identifiant"))
        if raw_id:
            if not raw_id.isdigit() or int(raw_id) not in existing:
                row.error(f"identifiant « {raw_id} » inconnu dans le registre de cette Ctg")
            elif int(raw_id) in seen:
                row.error(f"identifiant {raw_id} en double (déjà ligne {seen[int(raw_id)]})")
            else:
                pk = int(raw_id)
                seen[pk] = line
        data: dict[str, Any] = {}
        date = row.convert("date", "date", plan_workbook._date)
        if date is None and row.raw("date") is None:
            row.error("date vide")
        data["date"] = date
        commune_text = plan_workbook._text(row.raw("commune"))
        commune = None
        if commune_text:
            commune = by_code.get(commune_text)
            if commune is None:
                named = by_name.get(normalize(commune_text), [])
                if len(named) == 1:
                    commune = named[0]
                elif len(named) > 1:
                    row.error(f"commune « {commune_text} » ambiguë : donnez son code INSEE")
                else:
                    row.error(f"commune « {commune_text} » hors du territoire de la Ctg")
        data["commune"] = commune
        for key, label in (
            ("theme", "thématique"),
            ("tranche_age", "âge concerné"),
            ("nature", "nature du besoin"),
            ("source", "entendu par"),
        ):
            text = plan_workbook._text(row.raw(key))
            if not text:
                row.error(f"{label} vide")
                continue
            data[key] = row.convert(key, label, lambda _v, k=key, t=text: _choice(k, t))
        description = row.text("description", "demande", MAX_TEXT, required=True)
        reponse = row.text("reponse", "réponse", MAX_TEXT)
        for text in (description, reponse):
            problem = check_anonymous(text)
            if problem:
                row.error(problem[0].lower() + problem[1:].rstrip("."))
                break
        repondu = row.convert("repondu", "réponse apportée", _yes_no) or False
        if repondu and not reponse:
            row.error("« réponse apportée : oui » sans la réponse (colonne « réponse »)")
        data.update(description=description, reponse=reponse, repondu=repondu)
        if row.ok:
            rows.append(NeedRow(line=line, pk=pk, values=data))
    return rows


def read_register(stream: IO[bytes], ctg: Ctg) -> list[NeedRow]:
    """Read and check the whole workbook; raises :class:`RegisterImportError` with every
    error (line order)."""
    errors: list[ImportIssue] = []
    try:
        with plan_workbook._open(stream) as workbook:
            sheet = plan_workbook._read_sheet(workbook, SHEET, COLUMNS, errors, with_years=False)
    except PlanImportError as error:
        raise RegisterImportError(error.errors) from None
    rows: list[NeedRow] = []
    if sheet is not None:
        existing = {n.pk: n for n in Need.objects.filter(ctg=ctg)}
        rows = _check_rows(sheet, ctg, errors, existing)
    if errors:
        errors.sort(key=lambda e: e.line or 0)
        raise RegisterImportError(errors)
    return rows


@transaction.atomic
def import_register(user: Any, ctg: Ctg, stream: IO[bytes]) -> RegisterReport:
    """Read, check, then write every row (one transaction); raises
    :class:`RegisterImportError`, nothing written."""
    rows = read_register(stream, ctg)
    existing = {n.pk: n for n in Need.objects.filter(ctg=ctg, pk__in=[r.pk for r in rows if r.pk])}
    created = updated = unchanged = 0
    for row in rows:
        need = existing[row.pk] if row.pk is not None else Need(ctg=ctg)
        before = None if row.pk is None else _comparable(need)
        for key, value in row.values.items():
            setattr(need, key, value)
        if before is not None and before == _comparable(need):
            unchanged += 1
            continue
        need.ctg = ctg
        save_need(user, need)
        if row.pk is None:
            created += 1
        else:
            updated += 1
    return RegisterReport(created=created, updated=updated, unchanged=unchanged)


def _comparable(need: Need) -> tuple[Any, ...]:
    return (
        need.date,
        need.commune_id,
        need.theme,
        need.tranche_age,
        need.nature,
        need.source,
        need.description,
        need.repondu,
        need.reponse,
    )


def xlsx_problem(stream: IO[bytes]) -> str | None:
    """Why the file cannot be read, None when it can (the plan d'actions' check)."""
    return plan_workbook.xlsx_problem(stream)

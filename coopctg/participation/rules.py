"""Rules of mission 4 of the référentiel (pure module: no Django, no ORM).

Référentiel, mission 4 « Organiser et animer la relation avec la population » : « concevoir
des outils de recueil de paroles/avis diversifiés et adaptés aux différents publics »,
« adapter la communication au public visé », « adopter une démarche de veille ».

- :func:`parse_answer` / :func:`parse_submission`: what one person sent to a questionnaire,
  checked question by question (a choice among those offered, a scale value in its bounds, a
  text under the dated size limit); an error is one French sentence per question, and a
  submission with any error is refused whole (nothing is stored).
- :func:`aggregate`: the results of a questionnaire, question by question (counts per choice,
  per scale value with the mean, texts), the one computation read by the results page, its
  charts, the XLSX export and the API.
- :func:`parse_csv_rows`: answers exported by another tool (one column per question, matched
  by its wording), every bad row reported with its line number.
- :data:`M4_EVIDENCE`: which records support which attendu of mission 4 in the annual report.

The limits (size of a text answer, of a submission, answers per hour from one address) are
dated parameters (``parametres/questionnaire/``), read by :func:`limits_at`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from pathlib import Path

from coopctg.core.params import ParameterSet, load_parameters

PARAMETERS = Path(__file__).resolve().parent / "parametres" / "questionnaire"


class QuestionKind(StrEnum):
    SINGLE = "choix_unique"
    MULTIPLE = "choix_multiples"
    SCALE = "echelle"
    TEXT = "texte"


QUESTION_KIND_LABELS: dict[QuestionKind, str] = {
    QuestionKind.SINGLE: "Choix unique",
    QuestionKind.MULTIPLE: "Choix multiples",
    QuestionKind.SCALE: "Échelle",
    QuestionKind.TEXT: "Texte libre",
}


class Format(StrEnum):
    """The formats of a consultation (issue 13: « réunion publique, questionnaire, atelier,
    permanence, porte-à-porte, aller vers »)."""

    REUNION = "reunion_publique"
    QUESTIONNAIRE = "questionnaire"
    ATELIER = "atelier"
    PERMANENCE = "permanence"
    PORTE_A_PORTE = "porte_a_porte"
    ALLER_VERS = "aller_vers"


FORMAT_LABELS: dict[Format, str] = {
    Format.REUNION: "Réunion publique",
    Format.QUESTIONNAIRE: "Questionnaire",
    Format.ATELIER: "Atelier",
    Format.PERMANENCE: "Permanence",
    Format.PORTE_A_PORTE: "Porte-à-porte",
    Format.ALLER_VERS: "« Aller vers » (hors les murs)",
}


class Public(StrEnum):
    HABITANTS = "habitants"
    FAMILLES = "familles"
    ENFANTS = "enfants"
    JEUNES = "jeunes"
    SENIORS = "seniors"
    PROFESSIONNELS = "professionnels"
    ELUS = "elus"
    AUTRE = "autre"


PUBLIC_LABELS: dict[Public, str] = {
    Public.HABITANTS: "Habitants",
    Public.FAMILLES: "Familles, parents",
    Public.ENFANTS: "Enfants",
    Public.JEUNES: "Jeunes",
    Public.SENIORS: "Seniors",
    Public.PROFESSIONNELS: "Professionnels, associations",
    Public.ELUS: "Élus",
    Public.AUTRE: "Autre public",
}


class SupportKind(StrEnum):
    GUIDE = "guide"
    FLYER = "flyer"
    WEB = "page_web"
    SOCIAL = "reseaux_sociaux"
    EVENT = "evenement"
    PRESS = "presse"
    OTHER = "autre"


SUPPORT_KIND_LABELS: dict[SupportKind, str] = {
    SupportKind.GUIDE: "Guide",
    SupportKind.FLYER: "Flyer, affiche",
    SupportKind.WEB: "Page web",
    SupportKind.SOCIAL: "Publication sur les réseaux sociaux",
    SupportKind.EVENT: "Événement",
    SupportKind.PRESS: "Article de presse, bulletin",
    SupportKind.OTHER: "Autre support",
}


class WatchKind(StrEnum):
    VEILLE = "veille"
    ALERTE = "alerte"


WATCH_KIND_LABELS: dict[WatchKind, str] = {
    WatchKind.VEILLE: "Note de veille",
    WatchKind.ALERTE: "Alerte",
}


class Recipient(StrEnum):
    ELUS = "elus"
    CAF = "caf"
    INSTITUTIONS = "institutions"
    PARTENAIRES = "partenaires"
    SERVICES = "services"
    POPULATION = "population"


RECIPIENT_LABELS: dict[Recipient, str] = {
    Recipient.ELUS: "Élus",
    Recipient.CAF: "Caf",
    Recipient.INSTITUTIONS: "Institutions (Département, État, MSA…)",
    Recipient.PARTENAIRES: "Partenaires et associations",
    Recipient.SERVICES: "Services de la collectivité",
    Recipient.POPULATION: "Population",
}


# --- Limits ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """The dated limits of a public questionnaire."""

    text_length: int  # characters of one text answer
    submission_bytes: int  # bytes of one submitted form
    per_hour: int  # answers to one questionnaire from one address in an hour


def limits_from(parameters: ParameterSet, when: dt.date) -> Limits:
    return Limits(
        text_length=int(parameters["taille_reponse_texte"].decimal_at(when)),
        submission_bytes=int(parameters["taille_envoi"].decimal_at(when)),
        per_hour=int(parameters["reponses_par_heure"].decimal_at(when)),
    )


def limits_at(when: dt.date, folder: Path = PARAMETERS) -> Limits:
    """The limits in force on ``when``; raises :class:`~coopctg.core.params.ParameterError`."""
    return limits_from(load_parameters(folder), when)


# --- Questions and answers -------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionSpec:
    """One question as the rules see it: ``key`` names its answer (the question's id)."""

    key: str
    label: str
    kind: QuestionKind
    choices: tuple[str, ...] = ()
    scale_min: int = 1
    scale_max: int = 5
    required: bool = False


type Answer = str | int | list[str] | None


class AnswerError(ValueError):
    """An answer refused; the message is one French sentence."""


def parse_answer(spec: QuestionSpec, raw: Sequence[str], limits: Limits) -> Answer:
    """The answer to ``spec`` from the values sent for it (a form sends a list: several for
    a multiple choice); None when it is left blank. Raises :class:`AnswerError`."""
    values = [v.strip() for v in raw if v is not None and v.strip() != ""]
    if not values:
        if spec.required:
            raise AnswerError("Cette question demande une réponse.")
        return None
    if spec.kind is QuestionKind.MULTIPLE:
        unknown = [v for v in values if v not in spec.choices]
        if unknown:
            raise AnswerError("Choisissez parmi les réponses proposées.")
        if len(set(values)) != len(values):
            raise AnswerError("Une réponse est cochée deux fois.")
        return [c for c in spec.choices if c in values]  # in the order offered
    if len(values) > 1:
        raise AnswerError("Une seule réponse est attendue.")
    value = values[0]
    if spec.kind is QuestionKind.SINGLE:
        if value not in spec.choices:
            raise AnswerError("Choisissez parmi les réponses proposées.")
        return value
    if spec.kind is QuestionKind.SCALE:
        if not value.isascii() or not value.lstrip("-").isdigit() or len(value) > 4:
            raise AnswerError(
                f"Choisissez une valeur entière de {spec.scale_min} à {spec.scale_max}."
            )
        number = int(value)
        if not spec.scale_min <= number <= spec.scale_max:
            raise AnswerError(
                f"Choisissez une valeur entière de {spec.scale_min} à {spec.scale_max}."
            )
        return number
    if len(value) > limits.text_length:
        raise AnswerError(
            f"Réponse trop longue : {limits.text_length} caractères au plus ({len(value)} saisis)."
        )
    return value


def parse_submission(
    specs: Sequence[QuestionSpec], data: Mapping[str, Sequence[str]], limits: Limits
) -> tuple[dict[str, Answer], dict[str, str]]:
    """The answers of one submission (``data``: the values sent per question key; other keys
    are ignored) and the errors per question key. Answered nothing at all is an error on the
    first question: an empty submission is not an answer."""
    answers: dict[str, Answer] = {}
    errors: dict[str, str] = {}
    for spec in specs:
        try:
            answers[spec.key] = parse_answer(spec, data.get(spec.key, ()), limits)
        except AnswerError as error:
            errors[spec.key] = str(error)
    if specs and not errors and all(value is None for value in answers.values()):
        errors[specs[0].key] = "Répondez à au moins une question."
    return answers, errors


# --- Results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Count:
    label: str
    count: int
    share: Decimal | None  # percent of the question's answers, one decimal


@dataclass
class QuestionResult:
    spec: QuestionSpec
    answered: int  # submissions that answered this question
    counts: list[Count] = field(default_factory=list)  # choices or scale values
    mean: Decimal | None = None  # scale only, one decimal
    texts: list[str] = field(default_factory=list)  # free text only


def _share(part: int, whole: int) -> Decimal | None:
    if whole <= 0:
        return None
    return (Decimal(100) * part / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def aggregate(
    specs: Sequence[QuestionSpec], submissions: Iterable[Mapping[str, Answer]]
) -> tuple[int, list[QuestionResult]]:
    """The number of submissions and the result of each question. A share is computed on the
    submissions that answered the question (a multiple choice: shares may add up to more
    than 100 %). Answers to questions no longer in ``specs`` are ignored."""
    rows = list(submissions)
    results = []
    for spec in specs:
        answers = [row.get(spec.key) for row in rows]
        given = [a for a in answers if a is not None and a != [] and a != ""]
        result = QuestionResult(spec=spec, answered=len(given))
        if spec.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            tally = dict.fromkeys(spec.choices, 0)
            for answer in given:
                for choice in answer if isinstance(answer, list) else [answer]:
                    if choice in tally:
                        tally[str(choice)] += 1
            result.counts = [Count(c, n, _share(n, len(given))) for c, n in tally.items()]
        elif spec.kind is QuestionKind.SCALE:
            numbers = [a for a in given if isinstance(a, int)]
            tally_n = dict.fromkeys(range(spec.scale_min, spec.scale_max + 1), 0)
            for number in numbers:
                if number in tally_n:
                    tally_n[number] += 1
            result.counts = [Count(str(v), n, _share(n, len(numbers))) for v, n in tally_n.items()]
            if numbers:
                result.mean = (Decimal(sum(numbers)) / len(numbers)).quantize(
                    Decimal("0.1"), rounding=ROUND_HALF_UP
                )
        else:
            result.texts = [str(a) for a in given]
        results.append(result)
    return len(rows), results


# --- Import of another tool's export ---------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"ligne {self.line} : {self.message}"


def _normalize(text: str) -> str:
    return " ".join(text.split()).casefold().rstrip(" ?:")


def split_choices(cell: str, choices: Sequence[str]) -> list[str]:
    """The choices written in one cell by another tool: separated by « ; », or by « , »
    when no choice offered holds a comma."""
    if ";" in cell:
        return [part.strip() for part in cell.split(";")]
    if any("," in choice for choice in choices):
        return [cell.strip()]
    return [part.strip() for part in cell.split(",")]


def match_columns(
    specs: Sequence[QuestionSpec], header: Sequence[str]
) -> tuple[dict[str, int], list[str]]:
    """{question key: column index} by wording (case, spaces and a final « ? » ignored), and
    the errors: a question without column, or whose wording is in two columns. Other columns
    (a time stamp…) are ignored."""
    positions: dict[str, int] = {}
    errors = []
    normalized = [_normalize(h) for h in header]
    for spec in specs:
        found = [i for i, h in enumerate(normalized) if h == _normalize(spec.label)]
        if len(found) > 1:
            errors.append(f"la question « {spec.label} » est dans plusieurs colonnes")
        elif found:
            positions[spec.key] = found[0]
    if not positions and not errors and specs:
        errors.append("aucune colonne ne porte l'intitulé d'une question du questionnaire")
    return positions, errors


def parse_csv_rows(
    specs: Sequence[QuestionSpec],
    header: Sequence[str],
    rows: Iterable[tuple[int, Sequence[str]]],
    limits: Limits,
    extra_check: Callable[[QuestionSpec, Answer], str | None] | None = None,
) -> tuple[list[dict[str, Answer]], list[RowError]]:
    """The submissions of an export (``rows``: line number and cells, after the header on
    line 1), and every error with its line. A question without column is left unanswered.
    ``extra_check`` refuses an answer with a message (the anonymity of free texts)."""
    positions, header_errors = match_columns(specs, header)
    errors = [RowError(1, message) for message in header_errors]
    submissions: list[dict[str, Answer]] = []
    if errors:
        return [], errors
    for line, cells in rows:
        if not any(c.strip() for c in cells):
            continue  # a blank line
        data: dict[str, list[str]] = {}
        for spec in specs:
            if spec.key not in positions:
                continue
            index = positions[spec.key]
            cell = cells[index] if index < len(cells) else ""
            if spec.kind is QuestionKind.MULTIPLE and cell.strip():
                data[spec.key] = split_choices(cell, spec.choices)
            else:
                data[spec.key] = [cell]
        row_errors = []
        answers: dict[str, Answer] = {}
        for spec in specs:
            try:
                answers[spec.key] = parse_answer(spec, data.get(spec.key, ()), limits)
            except AnswerError as error:
                row_errors.append(f"« {spec.label} » : {error}")
                continue
            problem = extra_check(spec, answers[spec.key]) if extra_check else None
            if problem:
                row_errors.append(f"« {spec.label} » : {problem}")
        if row_errors:
            errors.extend(RowError(line, message) for message in row_errors)
        elif any(value is not None for value in answers.values()):
            submissions.append(answers)
    if not submissions and not errors:
        errors.append(RowError(2, "le fichier ne contient aucune réponse"))
    return submissions, errors


# --- Mission 4 in the annual report ----------------------------------------------------------

#: The records that support each attendu of mission 4 (key of the report's facts
#: ``participation``): consultations (M4.O1), supports (M4.O2), watch notes and alerts
#: (M4.O3). « M4.O3.A3 associer et impliquer les élus »: the alerts sent to élus and the
#: consultations whose public includes élus.
M4_EVIDENCE: dict[str, tuple[str, ...]] = {
    "M4.O1.A1": ("consultations",),
    "M4.O1.A2": ("aller_vers",),
    "M4.O1.A3": ("questionnaires", "formats"),
    "M4.O2.A1": ("supports_adaptes",),
    "M4.O2.A2": ("supports",),
    "M4.O2.A3": ("consultations_suivies",),
    "M4.O3.A1": ("veille",),
    "M4.O3.A2": ("veille",),
    "M4.O3.A3": ("alertes_elus",),
}

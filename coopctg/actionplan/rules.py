"""Rules of the plan d'actions (pure module, no Django import).

- the statuses of a fiche action; « en retard » is derived, never stored (:func:`is_overdue`);
- the French inputs of the plan's forms and workbook: decimal numbers (« 12,5 »), statuses and
  thématiques by label or code (:func:`parse_decimal`, :func:`parse_status`, :func:`parse_themes`);
- the summary of a plan for the dashboards (:func:`summarize`).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from coopctg.core.themes import THEME_LABELS, Theme

#: Decimal places of indicator values (baseline, target, yearly values).
VALUE_PLACES = 2
#: Digits of indicator values, decimals included (``DecimalField(max_digits=…)``).
VALUE_DIGITS = 14
#: Years an indicator value may be recorded for.
FIRST_YEAR, LAST_YEAR = 2000, 2100


class ActionStatus(StrEnum):
    A_LANCER = "a_lancer"
    EN_COURS = "en_cours"
    REALISEE = "realisee"
    ABANDONNEE = "abandonnee"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS: dict[ActionStatus, str] = {
    ActionStatus.A_LANCER: "à lancer",
    ActionStatus.EN_COURS: "en cours",
    ActionStatus.REALISEE: "réalisée",
    ActionStatus.ABANDONNEE: "abandonnée",
}
STATUS_CHOICES: list[tuple[str, str]] = [(s.value, s.label) for s in ActionStatus]

#: An action in one of these statuses is never late.
CLOSED_STATUSES: frozenset[ActionStatus] = frozenset(
    {ActionStatus.REALISEE, ActionStatus.ABANDONNEE}
)
OVERDUE_LABEL = "en retard"


def is_overdue(status: str, end_date: dt.date | None, today: dt.date) -> bool:
    """Late: its end date is past (the day after it at the earliest) and it is neither
    réalisée nor abandonnée. Without an end date an action is never late."""
    if end_date is None or ActionStatus(status) in CLOSED_STATUSES:
        return False
    return end_date < today


def display_status(status: str, end_date: dt.date | None, today: dt.date) -> str:
    """The status shown to people: « en retard » replaces à lancer / en cours when late."""
    return OVERDUE_LABEL if is_overdue(status, end_date, today) else ActionStatus(status).label


# --- French inputs ---------------------------------------------------------------------------


def normalize(text: str) -> str:
    """For comparing labels: no accents, no case, single spaces, « _ » and « - » as spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.split(r"[\s_\-’']+", bare.casefold().strip())).strip()


_STATUSES_BY_NAME: dict[str, ActionStatus] = {
    **{normalize(s.label): s for s in ActionStatus},
    **{normalize(s.value): s for s in ActionStatus},
}
_THEMES_BY_NAME: dict[str, Theme] = {
    **{normalize(label): theme for theme, label in THEME_LABELS.items()},
    **{normalize(theme.value): theme for theme in Theme},
}
_SEPARATORS = re.compile(r"[;,\n]")
_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)")


def parse_status(text: str) -> ActionStatus:
    """« réalisée », « Realisee », « realisee » → ``REALISEE``. Raises ValueError (French)."""
    key = normalize(text)
    if key in _STATUSES_BY_NAME:
        return _STATUSES_BY_NAME[key]
    if key == normalize(OVERDUE_LABEL):
        raise ValueError(
            "statut « en retard » : ce statut est calculé (date de fin dépassée), "
            "indiquez « à lancer » ou « en cours »"
        )
    expected = ", ".join(f"« {s.label} »" for s in ActionStatus)
    raise ValueError(f"statut « {text.strip()} » inconnu ({expected} attendu)")


def split_list(text: str) -> list[str]:
    """« a ; b, c » → ["a", "b", "c"]: items separated by « ; », « , » or line breaks."""
    return [item.strip() for item in _SEPARATORS.split(text) if item.strip()]


def parse_themes(text: str) -> list[Theme]:
    """Thématiques by label or code, in the order of the 8 themes, without duplicates.
    Raises ValueError naming every unknown one."""
    found: set[Theme] = set()
    unknown: list[str] = []
    for item in split_list(text):
        theme = _THEMES_BY_NAME.get(normalize(item))
        if theme is None:
            unknown.append(f"« {item} »")
        else:
            found.add(theme)
    if unknown:
        plural = "s" if len(unknown) > 1 else ""
        raise ValueError(f"thématique{plural} inconnue{plural} : {', '.join(unknown)}")
    return [theme for theme in Theme if theme in found]


def parse_decimal(value: Any, places: int = VALUE_PLACES, digits: int = VALUE_DIGITS) -> Decimal:
    """A number from a form or a spreadsheet cell: ``12.5`` (numeric cell), « 12,5 »,
    « 1 234,5 » (spaces, no-break or narrow no-break spaces group thousands), « 12.5 ».

    At most ``places`` decimals and ``digits`` digits in all. Raises ValueError (French).
    """
    if isinstance(value, bool):
        raise ValueError(f"« {value} » n'est pas un nombre")
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"« {value} » n'est pas un nombre")
        number = Decimal(repr(value))
    elif isinstance(value, Decimal):
        number = value
    else:
        text = _SPACES.sub("", str(value))
        if not _NUMBER.fullmatch(text):
            raise ValueError(f"« {str(value).strip()} » n'est pas un nombre (ex. 12 ou 12,5)")
        try:
            number = Decimal(text.replace(",", "."))
        except InvalidOperation:  # pragma: no cover - the pattern excludes it
            raise ValueError(f"« {value} » n'est pas un nombre") from None
    if not number.is_finite():
        raise ValueError(f"« {value} » n'est pas un nombre")
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise ValueError(f"« {format_decimal(number)} » : {places} décimales au plus")
    if number and number.adjusted() + 1 > digits - places:
        raise ValueError(f"« {format_decimal(number)} » : nombre trop grand")
    return number.quantize(Decimal(1).scaleb(-places))


def format_decimal(value: Decimal | None) -> str:
    """For editing: ``Decimal("12.50")`` → « 12,5 », ``Decimal("1E+3")`` → « 1000 »."""
    if value is None:
        return ""
    text = f"{value.normalize():f}"
    return text.replace(".", ",")


def parse_progress(value: Any) -> int:
    """Avancement in percent, a whole number from 0 to 100 (« 40 », « 40 % », 40.0)."""
    if isinstance(value, str):
        value = value.strip().removesuffix("%").strip()
    try:
        number = parse_decimal(value, places=0, digits=3)
    except ValueError:
        raise ValueError(
            f"avancement « {str(value).strip()} » : un pourcentage entier de 0 à 100 est attendu"
        ) from None
    if not 0 <= number <= 100:
        raise ValueError(f"avancement « {number} » : un pourcentage de 0 à 100 est attendu")
    return int(number)


# --- Summary ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionFacts:
    """What the summary needs of one action."""

    themes: tuple[str, ...]
    status: str
    progress: int
    end_date: dt.date | None


def mean_progress(values: list[int]) -> Decimal | None:
    """Mean percentage, rounded half up to one decimal; None without values."""
    if not values:
        return None
    mean = Decimal(sum(values)) / Decimal(len(values))
    return mean.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _group(actions: list[ActionFacts], today: dt.date) -> dict[str, Any]:
    counted = [a.progress for a in actions if a.status != ActionStatus.ABANDONNEE]
    return {
        "actions": len(actions),
        "mean_progress": mean_progress(counted),
        "overdue": sum(1 for a in actions if is_overdue(a.status, a.end_date, today)),
        "by_status": {s.value: sum(1 for a in actions if a.status == s) for s in ActionStatus},
    }


def summarize(actions: Iterable[ActionFacts], today: dt.date) -> dict[str, Any]:
    """Per theme and overall: number of actions, mean progress, number late, count by status.

    An action with several thématiques counts in each of them, once in ``overall``; those
    without any are in ``without_theme``. The mean progress leaves the abandoned actions out
    (None when no action counts).
    """
    rows = list(actions)
    return {
        "today": today,
        "overall": _group(rows, today),
        "by_theme": {
            theme.value: {"label": theme.label}
            | _group([a for a in rows if theme.value in a.themes], today)
            for theme in Theme
        },
        "without_theme": _group([a for a in rows if not a.themes], today),
    }

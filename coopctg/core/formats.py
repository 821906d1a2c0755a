"""French display formats for numbers, money, Etp and dates (pure, no Django import).

« 48 000 € », « 0,4 Etp », « 15/03/2024 »: a narrow no-break space (U+202F) groups thousands,
a comma separates decimals.
"""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

NNBSP = "\u202f"  # espace fine insécable, thousands separator
NBSP = "\u00a0"  # espace insécable, before the unit


def format_number(value: Decimal | int, places: int = 2, trim: bool = False) -> str:
    """``Decimal("48000")`` → ``"48 000,00"``; with ``trim``, zero decimals are dropped."""
    quantum = Decimal(1).scaleb(-places)
    number = Decimal(value).quantize(quantum, rounding=ROUND_HALF_UP)
    sign = "-" if number < 0 else ""
    integer, _, decimals = f"{abs(number):f}".partition(".")
    groups: list[str] = []
    while len(integer) > 3:
        groups.insert(0, integer[-3:])
        integer = integer[:-3]
    groups.insert(0, integer)
    text = sign + NNBSP.join(groups)
    if trim:
        decimals = decimals.rstrip("0")
    return f"{text},{decimals}" if decimals else text


def format_euros(value: Decimal | int, cents: bool | None = None) -> str:
    """``48000`` → ``"48 000 €"``; cents shown when present (or when ``cents`` is True)."""
    amount = Decimal(value)
    show_cents = cents if cents is not None else amount != amount.to_integral_value()
    return f"{format_number(amount, 2 if show_cents else 0)}{NBSP}€"


def format_etp(value: Decimal | int) -> str:
    """``Decimal("0.40")`` → ``"0,4 Etp"``; ``2`` → ``"2 Etp"``."""
    return f"{format_number(value, 2, trim=True)}{NBSP}Etp"


def format_date(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def format_population(value: int | None) -> str:
    return "" if value is None else format_number(value, 0)

"""Template filters for French formats: ``{{ montant|euros }}``, ``{{ etp|etp }}``…"""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django import template

from coopctg.core import formats

register = template.Library()


def _decimal(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


@register.filter
def euros(value: object) -> str:
    number = _decimal(value)
    return "" if number is None else formats.format_euros(number)


@register.filter
def euros_centimes(value: object) -> str:
    number = _decimal(value)
    return "" if number is None else formats.format_euros(number, cents=True)


@register.filter
def etp(value: object) -> str:
    number = _decimal(value)
    return "" if number is None else formats.format_etp(number)


@register.filter
def nombre(value: object, places: int = 0) -> str:
    number = _decimal(value)
    return "" if number is None else formats.format_number(number, int(places))


@register.filter
def date_fr(value: object) -> str:
    return formats.format_date(value)  # type: ignore[arg-type]


@register.filter
def valeur_historique(value: object) -> str:
    """A history value for people: ISO dates in French, theme codes as labels, lists joined."""
    from coopctg.core.themes import THEME_CHOICES
    from coopctg.ctg.models import Ctg

    if value is None or value == "":
        return "—"
    if isinstance(value, list):
        return ", ".join(valeur_historique(v) for v in value) or "—"
    if isinstance(value, str):
        labels = dict(THEME_CHOICES) | dict(Ctg.Status.choices)
        if value in labels:
            return str(labels[value])
        try:
            return formats.format_date(dt.date.fromisoformat(value))
        except ValueError:
            return value
    return str(value)


@register.filter
def anomalie(code: object) -> str:
    """An anomaly's label for people (« Nouveau développement »), from its code."""
    from coopctg.funding.rules.model import AnomalyCode

    try:
        return AnomalyCode(str(code)).label
    except ValueError:
        return str(code)

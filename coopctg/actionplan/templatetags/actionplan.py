"""Template filters of the plan d'actions: indicator values, percentages, bar widths."""

from decimal import Decimal, InvalidOperation

from django import template

from coopctg.core.formats import format_number

register = template.Library()


def _decimal(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


@register.filter
def valeur(value: object) -> str:
    """An indicator value: grouped thousands, decimals only when there are (« 12,5 »)."""
    number = _decimal(value)
    return "" if number is None else format_number(number, 2, trim=True)


@register.filter
def pourcent(value: object) -> str:
    """A percentage: « 47,5 % », « 40 % »; « — » without value."""
    number = _decimal(value)
    return "—" if number is None else f"{format_number(number, 1, trim=True)}\u00a0%"


@register.filter
def largeur(value: object) -> str:
    """A width from 0 to 100 for an SVG attribute (dot decimal, never localised)."""
    number = _decimal(value)
    if number is None:
        return "0"
    return f"{min(max(number, Decimal(0)), Decimal(100)).normalize():f}"

"""Template filters of the bilans: the frozen facts keep dates as ISO text."""

import datetime as dt

from django import template

from coopctg.core.formats import format_date

register = template.Library()


@register.filter
def date_iso_fr(value: object) -> str:
    """``"2024-03-12"`` → ``"12/03/2024"`` (empty when absent or unreadable)."""
    if isinstance(value, dt.date):
        return format_date(value)
    try:
        return format_date(dt.date.fromisoformat(str(value)))
    except ValueError:
        return ""


@register.filter
def percent(value: object) -> str:
    """``"0.70"`` → ``"70 %"``."""
    from decimal import Decimal, InvalidOperation

    from coopctg.core.formats import NBSP, format_number

    try:
        number = Decimal(str(value)) * 100
    except InvalidOperation:
        return ""
    return f"{format_number(number, 2, trim=True)}{NBSP}%"

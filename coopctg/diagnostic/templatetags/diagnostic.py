"""Template filters of the diagnostic pages: ``{{ part|pourcent }}`` → « 12,5 % »."""

from decimal import Decimal, InvalidOperation

from django import template

from coopctg.diagnostic.rules import percent_text

register = template.Library()


@register.filter
def pourcent(value: object) -> str:
    """A share in percent (a Decimal or its text): « 12,5 % », « 20 % »; « — » when absent."""
    if value is None or value == "":
        return "—"
    try:
        return percent_text(Decimal(str(value)))
    except InvalidOperation:
        return str(value)

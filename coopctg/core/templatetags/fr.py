"""Template filters for French formats: ``{{ montant|euros }}``, ``{{ etp|etp }}``…"""

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

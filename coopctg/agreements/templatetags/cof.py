"""Filters of the Cof pages and documents."""

from typing import Any

from django import template

register = template.Library()


@register.filter
def mission(code: str, titles: dict[str, str] | None) -> str:
    """« M1.O2 » → « M1.O2 — Piloter… » with the titles the view gives (the code alone when
    the référentiel no longer has it)."""
    return (titles or {}).get(code, code)


@register.filter
def missions(codes: Any, titles: dict[str, str] | None) -> list[str]:
    return [(titles or {}).get(code, code) for code in codes or ()]

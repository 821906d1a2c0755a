"""Pagination of the API's lists: by page number (``?page=``, ``?taille=``, with the total)
or by keyset (``?apres=<curseur>``, without counting the scope).

Every list is sorted by its own order ending with the primary key (a unique key: no
duplicate, no gap from one page to the next), NULLs last in both directions whatever the
database. Each answer gives ``suivant``, the opaque cursor of the next page (None on the
last one): with ``?apres=``, the next rows are read after the cursor's row by an indexed
comparison on the sort key, ``LIMIT taille + 1``: neither ``COUNT`` nor ``OFFSET`` over the
whole scope (``total`` and ``page`` are then null).

The cursor names the last row of the page (signed, so that a typo is a clear 422); the row
is looked up in the same scoped queryset, so a cursor never reveals what the caller may not
see. A cursor whose row is gone (deleted, left the scope, or no longer matching the filters)
is refused: start again from the first page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.db import connection
from django.db.models import F, Q, QuerySet
from django.db.models.expressions import OrderBy

SALT = "coopctg.api.apres"


class CursorError(ValueError):
    """A cursor that is not one of ours, or whose row is gone (French message)."""


@dataclass(frozen=True)
class Key:
    field: str
    descending: bool


def sort_keys(queryset: QuerySet[Any]) -> list[Key]:
    """The queryset's explicit order as keys, completed by the primary key."""
    keys = []
    for term in queryset.query.order_by or ():
        if not isinstance(term, str):
            raise TypeError(f"Tri non paginable par curseur : {term!r}")
        descending = term.startswith("-")
        name = term.lstrip("-")
        keys.append(Key("pk" if name in {"pk", "id"} else name, descending))
    if not keys or keys[-1].field != "pk":
        keys.append(Key("pk", keys[-1].descending if keys else False))
    return keys


def ordered(queryset: QuerySet[Any], keys: list[Key]) -> QuerySet[Any]:
    """The queryset sorted by ``keys``, NULLs last (the same on PostgreSQL and SQLite)."""
    terms: list[OrderBy] = [
        F(key.field).desc(nulls_last=True) if key.descending else F(key.field).asc(nulls_last=True)
        for key in keys
    ]
    return queryset.order_by(*terms)


def encode(pk: Any, kind: str) -> str:
    """The cursor of a row of a list of ``kind`` (a model's label): a cursor of another list
    is refused, never read as a position in this one."""
    return signing.dumps(pk, salt=f"{SALT}:{kind}", compress=True)


def decode(cursor: str, kind: str) -> Any:
    try:
        return signing.loads(cursor, salt=f"{SALT}:{kind}")
    except signing.BadSignature:
        raise CursorError(
            "Curseur « apres » invalide : reprenez la valeur « suivant » d'une réponse."
        ) from None


def _after(keys: list[Key], anchor: tuple[Any, ...]) -> Q:
    """Rows strictly after ``anchor`` in the order of ``keys`` (NULLs last)."""
    result = Q(pk__in=[])
    equal = Q()
    for key, value in zip(keys, anchor, strict=True):
        if value is None:  # only NULLs follow a NULL, and they are equal on this key
            beyond = Q(pk__in=[])
            same = Q(**{f"{key.field}__isnull": True})
        else:
            lookup = "lt" if key.descending else "gt"
            beyond = Q(**{f"{key.field}__{lookup}": value}) | Q(**{f"{key.field}__isnull": True})
            same = Q(**{key.field: value})
        result |= equal & beyond
        equal &= same
    return result


def after_cursor(queryset: QuerySet[Any], keys: list[Key], cursor: str) -> QuerySet[Any]:
    """The rows of ``queryset`` after the cursor's row (one query to read its sort key)."""
    pk = decode(cursor, queryset.model._meta.label)
    anchor = queryset.filter(pk=pk).values_list(*[key.field for key in keys]).first()
    if anchor is None:
        raise CursorError(
            "Le curseur « apres » ne désigne plus aucun élément de cette liste : "
            "reprenez depuis la première page."
        )
    return queryset.filter(_after(keys, anchor))


#: From how many rows in the list :func:`rows_between` sorts the keys first: below, sorting
#: every column of a few rows costs less than a second statement in the first.
LEAN_SORT_FROM = 500


def rows_between(
    queryset: QuerySet[Any], start: int, stop: int, total: int | None = None
) -> list[Any]:
    """The rows ``start:stop`` of the sorted ``queryset``, in one statement. Over a long list
    (``total`` rows, None when unknown: a cursor), the page's keys are chosen by a lean
    subquery, then only those rows are read: the database sorts the scope's keys, not every
    column of every joined row (that wide sort grew with the scope)."""
    short = total is not None and total < LEAN_SORT_FROM
    if short or not connection.features.allow_sliced_subqueries_with_in:
        return list(queryset[start:stop])
    return list(queryset.filter(pk__in=queryset.values("pk")[start:stop]))


def paginate(queryset: QuerySet[Any], page: int, size: int, cursor: str | None) -> dict[str, Any]:
    """``{"total", "page", "taille", "suivant", "items"}``: by cursor when given (total and
    page None), else by page number."""
    keys = sort_keys(queryset)
    queryset = ordered(queryset, keys)
    kind = queryset.model._meta.label
    if cursor is not None:
        rows = rows_between(after_cursor(queryset, keys, cursor), 0, size + 1)
        more = len(rows) > size
        rows = rows[:size]
        return {
            "total": None,
            "page": None,
            "taille": size,
            "suivant": encode(rows[-1].pk, kind) if more else None,
            "items": rows,
        }
    total = queryset.count()
    start = (page - 1) * size
    rows = rows_between(queryset, start, start + size, total) if start < total else []
    more = start + size < total
    return {
        "total": total,
        "page": page,
        "taille": size,
        "suivant": encode(rows[-1].pk, kind) if more and rows else None,
        "items": rows,
    }


def paginate_list(
    items: list[Any], page: int, size: int, cursor: str | None, identity: Any, kind: str
) -> dict[str, Any]:
    """The same contract for a list computed in Python (échéances, catalogue): the cursor names
    the identity (``identity(item)``, a JSON value) of the page's last item."""
    if cursor is not None:
        wanted = decode(cursor, kind)
        position = next((i for i, item in enumerate(items) if identity(item) == wanted), None)
        if position is None:
            raise CursorError(
                "Le curseur « apres » ne désigne plus aucun élément de cette liste : "
                "reprenez depuis la première page."
            )
        rows = items[position + 1 : position + 1 + size]
        more = position + 1 + size < len(items)
        total, number = None, None
    else:
        start = (page - 1) * size
        rows = items[start : start + size]
        more = start + size < len(items)
        total, number = len(items), page
    return {
        "total": total,
        "page": number,
        "taille": size,
        "suivant": encode(identity(rows[-1]), kind) if more and rows else None,
        "items": rows,
    }

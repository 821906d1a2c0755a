"""Pagination and filters of the list pages, one pattern for all of them.

A list page filters on the server (GET form: ``?caf=``, ``?statut=``, ``?annee=``…), then
:func:`paginate` cuts one page (``?page=``, :data:`PER_PAGE` rows): a queryset costs two
queries (count and page), whatever the scope; the page's rows are chosen by their keys alone
(a lean subquery), then read. The navigation
(``components/pagination.html``) keeps every filter of the query string in its links and marks
the current page with ``aria-current="page"``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse

from coopctg.api.pagination import rows_between

#: Rows per page of a list page.
PER_PAGE = 50


@dataclass(frozen=True)
class PageLink:
    label: str
    url: str = ""
    current: bool = False

    @property
    def gap(self) -> bool:
        return not self.url


@dataclass(frozen=True)
class Pagination:
    """One page of a list and its navigation (``{% include "components/pagination.html" %}``)."""

    page: Page
    links: list[PageLink]
    previous_url: str
    next_url: str
    label: str

    @property
    def rows(self) -> list[Any]:
        return list(self.page.object_list)

    @property
    def count(self) -> int:
        return self.page.paginator.count


def query_without_page(request: HttpRequest) -> str:
    """The query string of the request without ``page`` (the filters), ready for ``?…&page=``."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def paginate(
    request: HttpRequest,
    items: QuerySet[Any] | Sequence[Any],
    per_page: int | None = None,
    label: str = "Pages",
) -> Pagination:
    """The page asked by ``?page=`` (the first when not a number, the last when beyond), of
    ``per_page`` rows (default :data:`PER_PAGE`)."""
    paginator = Paginator(items, per_page or PER_PAGE, allow_empty_first_page=True)
    page = paginator.get_page(request.GET.get("page"))
    if isinstance(items, QuerySet) and items.ordered and paginator.count:
        # The page's keys sorted by a lean subquery, then its rows read (not every column of
        # every row of the scope sorted): see coopctg.api.pagination.rows_between.
        start, stop = page.start_index() - 1, page.end_index()
        page.object_list = rows_between(items, start, stop, paginator.count)
    filters = query_without_page(request)
    prefix = f"?{filters}&page=" if filters else "?page="

    def url(number: int) -> str:
        return f"{prefix}{number}"

    links = [
        PageLink(str(number))
        if number == Paginator.ELLIPSIS
        else PageLink(str(number), url(int(number)), current=number == page.number)
        for number in paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    ]
    return Pagination(
        page=page,
        links=links,
        previous_url=url(page.previous_page_number()) if page.has_previous() else "",
        next_url=url(page.next_page_number()) if page.has_next() else "",
        label=label,
    )


#: A number no primary key takes in a page: where :func:`row_url` puts the row's key.
_MARKER = 987654321987


def row_url(name: str) -> Callable[[Any], str]:
    """``reverse(name, args=[pk])`` for every row of a page at the cost of one ``reverse``
    (a ``{% url %}`` per row is most of a page's rendering): for a URL whose one parameter is
    an integer key."""
    head, tail = reverse(name, args=[_MARKER]).split(str(_MARKER), 1)
    return lambda pk: f"{head}{int(pk)}{tail}"


@dataclass(frozen=True)
class CafChoice:
    """The « Caf (département) » filter: the Caf the user sees, and the one chosen (or None).

    The select is shown only when the user sees more than one Caf."""

    cafs: list[Any]
    chosen: Any | None

    @property
    def shown(self) -> bool:
        return len(self.cafs) > 1

    @property
    def code(self) -> str:
        return self.chosen.code if self.chosen is not None else ""


def caf_choice(request: HttpRequest) -> CafChoice:
    """``?caf=<code>`` among the Caf the user sees (one query); anything else: no filter."""
    from coopctg.accounts.access import visible_cafs

    cafs = list(visible_cafs(request.user).select_related("departement").order_by("code"))
    code = request.GET.get("caf", "")
    chosen = next((caf for caf in cafs if caf.code == code), None)
    return CafChoice(cafs, chosen)

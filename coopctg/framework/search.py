"""Search in one version of the référentiel, ignoring accents and case; highlight the matches.

A version holds about 80 elements: they are fetched once (:func:`framework_contents`) and
searched in Python. An element matches when every word of the query appears in one of its
texts (title, subtitle, text, precision); every occurrence is wrapped in ``<mark>``, the rest
of the text is HTML-escaped.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from coopctg.framework.loader import FrameworkContents

#: Longest query read, and most words searched: beyond that, the rest is ignored.
MAX_QUERY_LENGTH = 200
MAX_TERMS = 10

_SPECIAL = {
    "œ": "oe",
    "Œ": "oe",
    "æ": "ae",
    "Æ": "ae",
    "’": "'",
    "‘": "'",
    "ʼ": "'",
    "\u00a0": " ",
    "\u202f": " ",
}


def _fold_char(char: str) -> str:
    if char in _SPECIAL:
        return _SPECIAL[char]
    decomposed = unicodedata.normalize("NFKD", char)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def fold(text: str) -> tuple[str, list[int]]:
    """``"Élus"`` → ``("elus", [0, 1, 2, 3])``: the folded text and, for each of its
    characters, the index of the original character it comes from."""
    folded: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        for piece in _fold_char(char):
            folded.append(piece)
            origin.append(index)
    return "".join(folded), origin


def search_terms(query: str) -> list[str]:
    """The folded, distinct words of a query, in order (at most :data:`MAX_TERMS`)."""
    terms: list[str] = []
    for word in fold(query[:MAX_QUERY_LENGTH])[0].split():
        if word not in terms:
            terms.append(word)
    return terms[:MAX_TERMS]


def match_spans(text: str, terms: list[str]) -> tuple[list[tuple[int, int]], set[str]]:
    """Spans ``(start, end)`` of ``text`` matched by the terms (merged, sorted), and the terms
    found."""
    folded, origin = fold(text)
    spans: list[tuple[int, int]] = []
    found: set[str] = set()
    for term in terms:
        start = folded.find(term)
        while start != -1:
            found.add(term)
            spans.append((origin[start], origin[start + len(term) - 1] + 1))
            start = folded.find(term, start + 1)
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged, found


def highlight(text: str, spans: list[tuple[int, int]]) -> SafeString:
    """``text`` HTML-escaped, with each span wrapped in ``<mark>``."""
    pieces: list[str] = []
    position = 0
    for start, end in spans:
        pieces.append(escape(text[position:start]))
        pieces.append(f"<mark>{escape(text[start:end])}</mark>")
        position = end
    pieces.append(escape(text[position:]))
    # Safe: every piece of text above went through escape().
    return mark_safe("".join(pieces))


@dataclass(frozen=True)
class SearchHit:
    kind: str  # "Mission", "Objectif", "Attendu"…
    code: str  # also the element's anchor on the version's page
    texts: list[SafeString]  # the element's non-empty texts, highlighted
    context: str  # the elements that contain it ("M1 › M1.O2"), or ""


def _candidates(contents: FrameworkContents) -> Iterator[tuple[str, str, list[str], str]]:
    for f in contents.fonctions:
        yield "Fonction", f.code, [f.titre, f.description], ""
    for s in contents.spheres:
        yield "Sphère de compétences", s.code, [s.titre, s.description], ""
    for g in contents.attendus_generaux:
        yield "Attendu général", g.code, [g.texte], ""
    for m in contents.missions:
        yield "Mission", m.code, [m.titre], ""
        for o in m.objectifs.all():
            yield "Objectif", o.code, [o.titre, o.sous_titre], m.code
            for a in o.attendus.all():
                yield "Attendu", a.code, [a.texte, a.precision], f"{m.code} › {o.code}"


def search(contents: FrameworkContents, query: str) -> list[SearchHit]:
    """Elements of the version that contain every word of ``query``, in the document's order."""
    terms = search_terms(query)
    if not terms:
        return []
    hits = []
    for kind, code, texts, context in _candidates(contents):
        texts = [text for text in texts if text]
        found: set[str] = set()
        highlighted = []
        for text in texts:
            spans, text_found = match_spans(text, terms)
            found |= text_found
            highlighted.append(highlight(text, spans))
        if found == set(terms):
            hits.append(SearchHit(kind, code, highlighted, context))
    return hits

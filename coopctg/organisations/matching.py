"""Match a collectivité's usual name to the official EPCI or commune (pure module).

The Caf writes « CC Gâtine et Choisilles-Pays de Racan » or « Commune de St Pierre des Corps »;
INSEE knows « Communauté de communes de Gâtine-Racan » (SIREN 200073237) and
« Saint-Pierre-des-Corps » (37233). Names are reduced to sets of significant words (no accents,
case, punctuation, articles, nor the words naming the kind of EPCI); a candidate matches when
its words equal the name's, or when one set contains the other. Exactly one candidate must
match: none or several is an error for the caller to report.
"""

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

ABBREVIATIONS = {"st": "saint", "ste": "sainte", "cc": "", "ca": "", "cu": "", "cdc": ""}
STOPWORDS = frozenset(
    {"de", "du", "des", "d", "la", "le", "les", "l", "et", "en", "sur", "a", "aux", "au"}
)
KIND_WORDS = frozenset(
    {"communaute", "communautes", "communes", "commune", "agglomeration", "urbaine", "metropole"}
)
KIND_PREFIXES = {
    "cc ": "epci",
    "ca ": "epci",
    "cu ": "epci",
    "communaute ": "epci",
    "metropole ": "epci",
    "commune ": "commune",
    "ville ": "commune",
}


def normalize_words(name: str) -> frozenset[str]:
    text = unicodedata.normalize("NFKD", name.lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    words = re.split(r"[^a-z0-9]+", text)
    result = set()
    for word in words:
        word = ABBREVIATIONS.get(word, word)
        if word and word not in STOPWORDS and word not in KIND_WORDS:
            result.add(word)
    return frozenset(result)


def kind_of(name: str) -> str | None:
    """``"epci"`` for « CC … », ``"commune"`` for « Commune de … », else None."""
    lowered = name.strip().lower()
    for prefix, kind in KIND_PREFIXES.items():
        if lowered.startswith(prefix):
            return kind
    return None


@dataclass(frozen=True)
class Candidate:
    kind: str  # "epci" or "commune"
    code: str  # SIREN or INSEE code
    nom: str


class MatchError(ValueError):
    """No candidate, or several, for a name."""


def match_name(name: str, candidates: Iterable[Candidate]) -> Candidate:
    wanted_kind = kind_of(name)
    words = normalize_words(name)
    if not words:
        raise MatchError(f"« {name} » ne contient aucun mot significatif")
    pool = [c for c in candidates if wanted_kind is None or c.kind == wanted_kind]
    exact = [c for c in pool if normalize_words(c.nom) == words]
    if len(exact) == 1:
        return exact[0]
    if len(exact) > 1:
        raise MatchError(_ambiguous(name, exact))
    close = [c for c in pool if _contains(words, normalize_words(c.nom))]
    if len(close) == 1:
        return close[0]
    if len(close) > 1:
        raise MatchError(_ambiguous(name, close))
    raise MatchError(f"« {name} » ne correspond à aucun EPCI ni aucune commune du département")


def _contains(a: frozenset[str], b: frozenset[str]) -> bool:
    return bool(a and b) and (a <= b or b <= a) and len(a & b) >= min(2, len(a), len(b))


def _ambiguous(name: str, found: list[Candidate]) -> str:
    names = ", ".join(f"{c.nom} ({c.code})" for c in found[:4])
    return f"« {name} » est ambigu : {names}"

"""The indicators an enjeu may cite, by code only (no foreign key into their models): those of
the catalogue (:mod:`coopctg.indicators.catalogue`) and the local indicators of the Ctg's
signatories (``local-<id>``)."""

from __future__ import annotations

from collections.abc import Iterable

from coopctg.indicators.catalogue import catalogue, indicator_labels, known_codes


def indicator_choices(collectivite_ids: Iterable[int]) -> list[tuple[str, str]]:
    """(code, « libellé (thème) ») of the catalogue's indicators in its order, then the local
    indicators of ``collectivite_ids`` (one query)."""
    shipped = catalogue()
    choices = [(code, f"{item.libelle} — {item.theme_label}") for code, item in shipped.items()]
    local = sorted(known_codes(collectivite_ids) - set(shipped))
    labels = indicator_labels(local)
    return choices + [(code, labels[code]) for code in local]


def labels_of(codes: Iterable[str]) -> dict[str, str]:
    """The label of each code (« indicateur inconnu (code) » for a code no longer known: a
    validated version keeps the codes it cited); one query at most."""
    return indicator_labels(list(codes))

"""The facts of mission 2 for the bilan annuel d'activité (JSON-ready, French keys), frozen
with the other facts at transmission (:mod:`coopctg.reports.facts`):

- ``diagnostic``: the version of the diagnostic partagé validated in Copil by the end of the
  year (or None), its enjeux, those without action and the actions without enjeu;
- ``besoins``: the synthesis of the year's register (per theme, commune and kind of need);
- ``commissions``: the year's commissions d'admission, their shares (counts under the
  statistical-secrecy minimum written « moins de N »), alerts and follow-ups.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from coopctg.ctg.models import Ctg
from coopctg.diagnostic import commissions, needs, services


def diagnostic_facts(ctg: Ctg, year: int) -> dict[str, Any] | None:
    version = services.validated_version(ctg, dt.date(year, 12, 31))
    if version is None:
        return None
    content = services.diagnostic_content(version)
    return {
        "version": version.version,
        "date": version.date.isoformat(),
        "titre": version.titre,
        "valide_le": version.valide_le.isoformat() if version.valide_le else None,
        "enjeux": content.enjeu_count,
        "enjeux_sans_action": [e.intitule for e in content.enjeux_without_action],
        "actions_sans_enjeu": [f"{a.code} — {a.titre}" for a in content.actions_without_enjeu],
        "par_thematique": [
            {
                "thematique": block.theme,
                "libelle": block.label,
                "enjeux": [line.enjeu.intitule for line in block.lines],
            }
            for block in content.themes
        ],
    }


def mission2_facts(ctg: Ctg, year: int) -> dict[str, Any]:
    """The three sections above for ``ctg`` and ``year``."""
    return {
        "diagnostic": diagnostic_facts(ctg, year),
        "besoins": needs.year_synthesis(ctg, year).as_facts(),
        "commissions": commissions.year_facts(ctg, year),
    }

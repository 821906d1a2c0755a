"""Collect the rule tables of the commissions d'admission ``tests/diagnostic/cases/*.yaml``.

Each file is a list of cases, one per boundary, readable without Python (OpenFisca style)::

    - name: Part des familles sous le seuil de QF égale au seuil — conforme
      parametres: caf-test          # facultatif : dossier sous tests/diagnostic/parametres/
      date: 2025-05-01              # date de la commission : les seuils en vigueur ce jour-là
      commission: {places: 20, demandes: 30, admissions: 20, qf_bas: 4, monoparentales: 3,
                   handicap: 1, qpv: 0, insertion: 1}
      output:                       # only the keys given are checked
        parts:                      # per criterion: statut, or a detail
          qf_bas: {part: "20.0", seuil: "20", statut: conforme}
          qpv: sans_seuil
        alertes: [qf_bas]           # every alert, in order (criteria); [] for none
        messages: ["sous le seuil de 20 %"]   # extracts of the alerts' messages, in order
        evaluable: true
        publie: {handicap: "moins de 5"}      # counts as published documents write them
        erreur: "dépasse"           # instead: the counts are refused

Statuses: conforme, sous_le_seuil, sans_seuil, non_evaluable. Without ``parametres``, the Caf
de Touraine's real thresholds (``coopctg/diagnostic/parametres/caf-37``) apply.
"""

from __future__ import annotations

import functools
from decimal import Decimal
from pathlib import Path

from coopctg.core.params import parse_iso_date
from coopctg.diagnostic.commissions import PARAMETERS_ROOT
from coopctg.diagnostic.rules import (
    CommissionCounts,
    CommissionParameters,
    Criterion,
    InvalidCounts,
    assess_commission,
    load_commission_parameters,
    published_count,
)
from tests.rule_tables import check, table_collector

HERE = Path(__file__).parent
CASES = HERE / "cases"
TEST_PARAMETERS = HERE / "parametres"
CASE_KEYS = {"name", "parametres", "date", "commission", "output"}
OUTPUT_KEYS = {"parts", "alertes", "messages", "evaluable", "publie", "erreur"}
DETAIL_KEYS = {"part", "seuil", "statut", "effectif"}
COUNT_KEYS = {"places", "demandes", "admissions", *(c.value for c in Criterion)}


@functools.cache
def parameters(folder: Path) -> CommissionParameters:
    return load_commission_parameters(folder)


def run_case(case: dict) -> None:
    check(set(case) <= CASE_KEYS, f"clés inconnues : {sorted(set(case) - CASE_KEYS)}")
    expected = case["output"]
    check(set(expected) <= OUTPUT_KEYS, f"clés inconnues : {sorted(set(expected) - OUTPUT_KEYS)}")
    given = case["commission"]
    check(set(given) <= COUNT_KEYS, f"clés inconnues : {sorted(set(given) - COUNT_KEYS)}")
    folder = (
        TEST_PARAMETERS / case["parametres"] if "parametres" in case else PARAMETERS_ROOT / "caf-37"
    )
    counts = CommissionCounts(
        places=int(given.get("places", 0)),
        demandes=int(given["demandes"]),
        admissions=int(given["admissions"]),
        counts={c: int(given.get(c.value, 0)) for c in Criterion},
    )
    try:
        result = assess_commission(counts, parse_iso_date(str(case["date"])), parameters(folder))
    except InvalidCounts as error:
        check("erreur" in expected, f"refusé : {error}")
        check(
            expected["erreur"] in str(error),
            f"message « {error} » sans « {expected['erreur']} »",
        )
        return
    check("erreur" not in expected, f"accepté, alors qu'on attendait : {expected.get('erreur')}")
    for code, wanted in (expected.get("parts") or {}).items():
        share = result.share_of(Criterion(code))
        detail = wanted if isinstance(wanted, dict) else {"statut": wanted}
        unknown = sorted(set(detail) - DETAIL_KEYS)
        check(not unknown, f"{code} : clés inconnues {unknown}")
        if "statut" in detail:
            check(share.status.value == detail["statut"], f"{code} : statut {share.status.value}")
        if "part" in detail:
            found = None if share.share is None else f"{share.share:f}"
            wanted_share = None if detail["part"] is None else str(detail["part"])
            check(found == wanted_share, f"{code} : part {found} au lieu de {wanted_share}")
        if "seuil" in detail:
            found = None if share.threshold is None else f"{share.threshold.value.normalize():f}"
            raw = detail["seuil"]
            wanted_threshold = None if raw is None else f"{Decimal(str(raw)).normalize():f}"
            check(found == wanted_threshold, f"{code} : seuil {found}, attendu {wanted_threshold}")
        if "effectif" in detail:
            check(share.count == int(detail["effectif"]), f"{code} : effectif {share.count}")
    if "alertes" in expected:
        found = [a.criterion.value for a in result.alerts]
        check(found == list(expected["alertes"] or []), f"alertes : {found}")
    for index, extract in enumerate(expected.get("messages") or []):
        check(index < len(result.alerts), f"alerte n° {index + 1} absente")
        message = result.alerts[index].message
        check(extract in message, f"message « {message} » sans « {extract} »")
    if "evaluable" in expected:
        check(result.evaluable == expected["evaluable"], f"évaluable : {result.evaluable}")
    for code, text in (expected.get("publie") or {}).items():
        found = published_count(result.share_of(Criterion(code)).count, result.minimum)
        check(found == str(text), f"{code} publié « {found} » au lieu de « {text} »")


pytest_collect_file = table_collector(CASES, run_case)

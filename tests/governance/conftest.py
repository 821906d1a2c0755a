"""Collect the governance rule tables ``tests/governance/cases/*.yaml`` as test items.

Each file is a list of cases, one per boundary, readable without Python (OpenFisca style)::

    - name: Cotech le 30 juin — compte pour le 1er semestre
      parametres: caf-test          # facultatif : dossier sous tests/governance/parametres/
      ctg: {debut: 2024-01-01, fin: 2024-12-31}
      aujourd_hui: 2025-01-15
      instances: [copil 2024-03-12, cotech 2024-06-30]     # « type date », types : copil,
                                                           # cotech, groupe_travail, reseau
      output:                       # only the keys given are checked
        cotech:                     # EVERY period of the Ctg: statut, or a detail
          2024-S1: conforme
          2024-S2: {statut: non_conforme, du: 2024-07-01, au: 2024-12-31, minimum: 1,
                    tenues: 0, prevues: 0}
        copil: {2024: conforme}
        alertes: [COTECH_MANQUANT 2024-S2]       # every alert, in order: « CODE période »,
                                                 # or {code, periode, message: extrait}
        conforme: false             # no past period short of its minimum
        erreur: "précède son début" # instead: the input is refused

Statuses: conforme, non_conforme, en_cours, a_venir, sans_objet. Without ``parametres``, the
Caf de Touraine's real parameters (``coopctg/governance/parametres/caf-37``) apply.
"""

from __future__ import annotations

import datetime as dt
import functools
import shutil
from pathlib import Path

import pytest

from coopctg.core.params import parse_iso_date
from coopctg.governance.rules import (
    GovernanceParameters,
    InvalidInput,
    MeetingKind,
    compute_compliance,
    load_governance_parameters,
    parse_meeting,
)
from coopctg.governance.services import PARAMETERS_ROOT
from tests.rule_tables import check, table_collector

HERE = Path(__file__).parent
CASES = HERE / "cases"
TEST_PARAMETERS = HERE / "parametres"
CASE_KEYS = {"name", "parametres", "ctg", "aujourd_hui", "instances", "output"}
OUTPUT_KEYS = {"copil", "cotech", "alertes", "conforme", "erreur"}
DETAIL_KEYS = {"statut", "du", "au", "minimum", "tenues", "prevues"}


@functools.cache
def parameters(folder: Path) -> GovernanceParameters:
    return load_governance_parameters(folder)


def date(value: object) -> dt.date:
    return parse_iso_date(str(value))


def meeting(item: object):
    if isinstance(item, dict):
        return parse_meeting(str(item["type"]), date(item["date"]))
    kind, _, day = str(item).partition(" ")
    return parse_meeting(kind, date(day.strip()))


def run_case(case: dict) -> None:
    check(set(case) <= CASE_KEYS, f"clés inconnues : {sorted(set(case) - CASE_KEYS)}")
    expected = case["output"]
    check(set(expected) <= OUTPUT_KEYS, f"clés inconnues : {sorted(set(expected) - OUTPUT_KEYS)}")
    folder = (
        TEST_PARAMETERS / case["parametres"] if "parametres" in case else PARAMETERS_ROOT / "caf-37"
    )
    try:
        result = compute_compliance(
            date(case["ctg"]["debut"]),
            date(case["ctg"]["fin"]),
            [meeting(item) for item in case.get("instances") or []],
            date(case["aujourd_hui"]),
            parameters(folder),
        )
    except InvalidInput as error:
        check("erreur" in expected, f"erreur inattendue : {error}")
        check(expected["erreur"] in str(error), f"erreur : {error}\nattendu : {expected['erreur']}")
        return
    check("erreur" not in expected, f"l'erreur « {expected.get('erreur')} » était attendue")
    for kind in (MeetingKind.COPIL, MeetingKind.COTECH):
        if kind.value not in expected:
            continue
        periods = {p.key: p for p in result.of_kind(kind)}
        wanted = {str(key): value for key, value in expected[kind.value].items()}
        check(
            set(wanted) == set(periods),
            f"{kind.value} : périodes {list(periods)}\nattendu : {list(wanted)}",
        )
        for key, want in wanted.items():
            actual = periods[key]
            detail = want if isinstance(want, dict) else {"statut": want}
            check(
                set(detail) <= DETAIL_KEYS, f"clés inconnues : {sorted(set(detail) - DETAIL_KEYS)}"
            )
            got = {
                "statut": actual.status.value,
                "du": actual.start,
                "au": actual.end,
                "minimum": None if actual.minimum is None else actual.minimum.value,
                "tenues": len(actual.held),
                "prevues": len(actual.planned),
            }
            for name, value in detail.items():
                if name in {"du", "au"}:
                    value = date(value)
                elif name in {"minimum", "tenues", "prevues"} and value is not None:
                    value = int(value)
                check(
                    got[name] == value,
                    f"{kind.value} {key} : {name} = {got[name]}, attendu : {value}",
                )
    if "alertes" in expected:
        got = [f"{a.code.value} {a.period}" for a in result.alerts]
        wanted = [
            item if isinstance(item, str) else f"{item['code']} {item['periode']}"
            for item in expected["alertes"] or []
        ]
        check(got == wanted, f"alertes : {got}\nattendu : {wanted}")
        for alert, item in zip(result.alerts, expected["alertes"] or [], strict=True):
            if isinstance(item, dict) and "message" in item:
                check(
                    item["message"] in alert.message,
                    f"message : {alert.message}\nattendu (extrait) : {item['message']}",
                )
    if "conforme" in expected:
        check(result.compliant is expected["conforme"], f"conforme : {result.compliant}")


pytest_collect_file = table_collector(CASES, run_case)


@pytest.fixture
def only_touraine_parameters(tmp_path, monkeypatch):
    """A root with Touraine's folder and no national defaults: any other Caf has no minimum."""
    from coopctg.governance import services

    root = tmp_path / "parametres"
    shutil.copytree(services.PARAMETERS_ROOT / "caf-37", root / "caf-37")
    monkeypatch.setattr(services, "PARAMETERS_ROOT", root)
    return root

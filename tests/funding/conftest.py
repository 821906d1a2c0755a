"""Collect the funding rule tables ``tests/funding/cases/*.yaml`` as test items.

Each file is a list of cases, one per boundary, readable without Python (OpenFisca style)::

    - name: affectation thématique à 0,19 Etp
      date: 2022-06-01
      parametres: caf-test        # facultatif : dossier sous tests/funding/parametres/
      input:                      # the ``coopctg financement simuler`` input, without date
        personnes: [...]
      output:                     # only the keys given are checked
        total: {etp: 0.69, montant: 16560.00}
        lignes:                   # every line, in input order
          - {personne: x, enveloppe: parentalite, montant: 4560.00}
        enveloppes: {parentalite: 4560.00}     # all four; an absent one must be 0
        personnes: {x: 16560.00}
        anomalies: [SEUIL_AFFECTATION]         # codes, or {code, personne, enveloppe}, in order
        eligible: false
        forfait_etp: 24000
        erreur: "n'a pas de valeur en vigueur"  # instead: the input is refused

Without ``parametres``, the Caf de Touraine's real parameters (``caf-37``) apply.
"""

from __future__ import annotations

import functools
from decimal import Decimal
from pathlib import Path

from coopctg.core.params import ParameterNotInForce
from coopctg.funding.caf_parameters import DEFAULT_ROOT
from coopctg.funding.rules import (
    Envelope,
    FundingParameterSet,
    InvalidInput,
    compute_funding,
    load_funding_parameters,
    parse_simulation_input,
    result_to_json,
)
from tests.rule_tables import check, table_collector

HERE = Path(__file__).parent
CASES = HERE / "cases"
TEST_PARAMETERS = HERE / "parametres"
CASE_KEYS = {"name", "date", "parametres", "input", "output"}
OUTPUT_KEYS = {
    "total",
    "lignes",
    "enveloppes",
    "personnes",
    "anomalies",
    "eligible",
    "forfait_etp",
    "erreur",
}


@functools.cache
def parameters(folder: Path) -> FundingParameterSet:
    return load_funding_parameters(folder)


def run_case(case: dict) -> None:
    check(set(case) <= CASE_KEYS, f"clés inconnues : {sorted(set(case) - CASE_KEYS)}")
    expected = case["output"]
    check(set(expected) <= OUTPUT_KEYS, f"clés inconnues : {sorted(set(expected) - OUTPUT_KEYS)}")
    folder = (
        TEST_PARAMETERS / case["parametres"] if "parametres" in case else DEFAULT_ROOT / "caf-37"
    )
    data = {"date": case["date"], **case["input"]}
    try:
        architecture = parse_simulation_input(data)
        result = compute_funding(architecture, parameters(folder))
    except (InvalidInput, ParameterNotInForce) as error:
        check("erreur" in expected, f"erreur inattendue : {error}")
        check(
            expected["erreur"] in str(error), f"erreur : {error!s}\nattendu : {expected['erreur']}"
        )
        return
    check("erreur" not in expected, f"l'erreur « {expected.get('erreur')} » était attendue")
    actual = result_to_json(result)
    if "forfait_etp" in expected:
        same(actual["parametres"]["forfait_etp"], expected["forfait_etp"], "forfait_etp")
    if "total" in expected:
        for key in ("etp", "montant"):
            if key in expected["total"]:
                same(actual["total"][key], expected["total"][key], f"total.{key}")
    if "lignes" in expected:
        lines = [(line["personne"], line["enveloppe"]) for line in actual["lignes"]]
        wanted = [(str(line["personne"]), line["enveloppe"]) for line in expected["lignes"]]
        check(lines == wanted, f"lignes : {lines}\nattendu : {wanted}")
        for line, want in zip(actual["lignes"], expected["lignes"], strict=True):
            for key in ("etp", "montant"):
                if key in want:
                    same(line[key], want[key], f"ligne {line['personne']} × {line['enveloppe']}")
    if "enveloppes" in expected:
        codes = [total["enveloppe"] for total in actual["enveloppes"]]
        check(codes == [envelope.value for envelope in Envelope], f"enveloppes : {codes}")
        check(set(expected["enveloppes"]) <= set(codes), f"enveloppe inconnue : {expected}")
        for total in actual["enveloppes"]:
            want = expected["enveloppes"].get(total["enveloppe"], Decimal(0))
            same(total["montant"], want, f"enveloppe {total['enveloppe']}")
    if "personnes" in expected:
        amounts = {total["id"]: total["montant"] for total in actual["personnes"]}
        for person, want in expected["personnes"].items():
            same(amounts[str(person)], want, f"personne {person}")
    if "anomalies" in expected:
        got = [anomaly["code"] for anomaly in actual["anomalies"]]
        wanted = [item if isinstance(item, str) else item["code"] for item in expected["anomalies"]]
        check(got == wanted, f"anomalies : {got}\nattendu : {wanted}")
        for anomaly, want in zip(actual["anomalies"], expected["anomalies"], strict=True):
            if isinstance(want, dict):
                for key, value in want.items():
                    check(anomaly[key] == value, f"anomalie {anomaly}\nattendu {key} = {value}")
    if "eligible" in expected:
        check(actual["eligible"] is expected["eligible"], f"eligible : {actual['eligible']}")


def same(actual: str, expected: object, what: str) -> None:
    """Exact comparison of a JSON amount (``"9600.00"``) with the table's number."""
    check(
        isinstance(expected, Decimal) and Decimal(actual) == expected,
        f"{what} : {actual}, attendu : {expected}",
    )


pytest_collect_file = table_collector(CASES, run_case)

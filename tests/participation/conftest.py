"""Collect the rule tables of the questionnaire answers ``tests/participation/cases/*.yaml``.

Each file is a list of cases, one per boundary, readable without Python (OpenFisca style)::

    - name: Texte de 2000 caractères — accepté le 1er janvier 2025
      date: 2025-01-01                # the dated limits in force that day
      question: {type: texte}         # choix (list), echelle: [min, max], obligatoire
      envoye: ["x" * 2000]            # or repete: {texte: "x", fois: 2000}
      output:
        reponse: ...                  # the answer kept (a list for a multiple choice)
        longueur: 2000                # or: the length of the text kept
        erreur: "trop longue"         # instead: an extract of the refusal
"""

from __future__ import annotations

from pathlib import Path

from coopctg.core.params import ParameterError, parse_iso_date
from coopctg.participation.rules import (
    AnswerError,
    QuestionKind,
    QuestionSpec,
    limits_at,
    parse_answer,
)
from tests.rule_tables import check, table_collector

CASE_KEYS = {"name", "date", "question", "envoye", "repete", "output"}


def run_case(case: dict) -> None:
    check(set(case) <= CASE_KEYS, f"clés inconnues : {sorted(set(case) - CASE_KEYS)}")
    question = case["question"]
    low, high = question.get("echelle", [1, 5])
    spec = QuestionSpec(
        key="q",
        label="Question",
        kind=QuestionKind(question["type"]),
        choices=tuple(question.get("choix", ())),
        scale_min=int(low),
        scale_max=int(high),
        required=bool(question.get("obligatoire", False)),
    )
    if "repete" in case:
        sent = [str(case["repete"]["texte"]) * int(case["repete"]["fois"])]
    else:
        sent = [str(v) for v in case.get("envoye") or []]
    expected = case["output"]
    try:
        limits = limits_at(parse_iso_date(str(case["date"])))
    except ParameterError as error:
        check("erreur" in expected, f"limites : {error}")
        check(
            expected["erreur"] in str(error), f"message « {error} » sans « {expected['erreur']} »"
        )
        return
    try:
        found = parse_answer(spec, sent, limits)
    except AnswerError as error:
        check("erreur" in expected, f"refusé : {error}")
        check(
            expected["erreur"] in str(error), f"message « {error} » sans « {expected['erreur']} »"
        )
        return
    check("erreur" not in expected, f"accepté ({found!r}), on attendait : {expected.get('erreur')}")
    if "longueur" in expected:
        check(len(str(found)) == int(expected["longueur"]), f"longueur {len(str(found))}")
        return
    wanted = expected.get("reponse")
    if isinstance(wanted, list):
        wanted = [str(v) for v in wanted]
    elif wanted is not None and spec.kind is not QuestionKind.SCALE:
        wanted = str(wanted)
    check(found == wanted, f"réponse {found!r} au lieu de {wanted!r}")


pytest_collect_file = table_collector(Path(__file__).parent / "cases", run_case)

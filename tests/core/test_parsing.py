"""JSON and YAML read with bounds (coopctg.core.parsing): nesting, length of numbers, aliases
are refused with a French phrase, never a Python traceback."""

import json
from decimal import Decimal

import pytest
import yaml

from coopctg.core.params import ParameterFileError
from coopctg.core.params import load_yaml as load_parameters_yaml
from coopctg.core.parsing import (
    MAX_DEPTH,
    DocumentError,
    check_shape,
    load_json,
    load_yaml,
)


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_json_within_bounds_reads_as_json_loads():
    text = '{"a": [1, 2.5, -3, "x"], "b": {"c": null}}'
    assert load_json(text) == json.loads(text)
    assert load_json(b'{"etp": 0.5}', parse_float=Decimal) == {"etp": Decimal("0.5")}
    assert load_json(nested(MAX_DEPTH)) == json.loads(nested(MAX_DEPTH))


def test_json_too_deep_or_with_a_huge_number_is_refused():
    for text in ["[" * 100_000, nested(MAX_DEPTH + 1), '{"a": ' * 200 + "1" + "}" * 200]:
        with pytest.raises(
            DocumentError, match=r"^imbrication trop profonde \(64 niveaux au plus\)$"
        ):
            load_json(text)
    for number in ["9" * 5_000, "-" + "9" * 200, "0." + "1" * 200, "1" * 101]:
        with pytest.raises(
            DocumentError, match=r"^nombre trop long \(\d+ caractères, 100 au plus\)$"
        ):
            load_json(f"[{number}]")
    assert load_json("1" * 100) == int("1" * 100)


def test_malformed_json_keeps_its_own_error():
    with pytest.raises(json.JSONDecodeError) as error:
        load_json('{"a": ')
    assert (error.value.lineno, error.value.colno) == (1, 7)


def test_yaml_too_deep_huge_number_bad_date_or_aliases_is_refused():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"n{i}: &n{i} [{', '.join([f'*n{i - 1}' if i > 1 else '*a'] * 10)}]\n" for i in range(1, 8)
    )
    for text, message in [
        ("[" * 1_000, "imbrication trop profonde (64 niveaux au plus)"),
        ("a: " + "9" * 5_000, "nombre trop long (plus de 4 300 chiffres)"),
        ("a: 2024-02-30", "valeur illisible (nombre ou date invalide)"),
        (bomb, "document trop volumineux (plus de 1\u202f000\u202f000 valeurs)"),
    ]:
        with pytest.raises(DocumentError) as error:
            load_yaml(text)
        assert str(error.value) == message
    assert load_yaml("a: [1, 2]\nb: x\n") == {"a": [1, 2], "b": "x"}
    with pytest.raises(yaml.YAMLError):
        load_yaml("a: [1,\nb: 2")


def test_shape_is_checked_without_recursion():
    deep: list = []
    for _ in range(10_000):
        deep = [deep]
    with pytest.raises(DocumentError, match="imbrication trop profonde"):
        check_shape(deep)
    shared = ["x"] * 10
    with pytest.raises(DocumentError, match="trop volumineux"):
        check_shape([shared] * 10, max_nodes=100)
    check_shape([shared] * 9, max_nodes=100)


def test_parameter_files_are_read_within_bounds():
    with pytest.raises(ParameterFileError) as error:
        load_parameters_yaml("[" * 1_000, "seuil.yaml")
    assert str(error.value) == "seuil.yaml : imbrication trop profonde (64 niveaux au plus)"

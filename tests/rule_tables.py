"""YAML rule tables as test items (OpenFisca style): one file is a list of cases, each case a
test named by its ``name``; a failing case says which value differs, in French.

A domain's ``conftest.py`` declares its table folder and how to run one case::

    pytest_collect_file = table_collector(Path(__file__).parent / "cases", run_case)

where ``run_case(case: dict)`` raises :class:`CaseError` (through :func:`check`) on a
difference.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from coopctg.core.params import load_yaml

type CaseRunner = Callable[[dict], None]


class CaseError(AssertionError):
    """A case that fails: the message says which value differs."""


def check(condition: bool, message: str) -> None:
    if not condition:
        raise CaseError(message)


class CaseFile(pytest.File):
    run_case: CaseRunner

    def collect(self):
        cases = load_yaml(self.path.read_text(encoding="utf-8"), str(self.path))
        if not isinstance(cases, list):
            raise CaseError(f"{self.path} : une liste de cas est attendue")
        for case in cases:
            yield CaseItem.from_parent(self, name=str(case["name"]), case=case)


class CaseItem(pytest.Item):
    def __init__(self, *, case: dict, **kwargs) -> None:
        super().__init__(**kwargs)
        self.case = case

    def runtest(self) -> None:
        self.parent.run_case(self.case)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, CaseError):
            return f"cas « {self.name} » ({self.path.name}) :\n{excinfo.value}"
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, None, f"cas : {self.name}"


def table_collector(cases: Path, run_case: CaseRunner):
    """A ``pytest_collect_file`` hook collecting ``cases/*.yaml`` with ``run_case``."""

    class TableFile(CaseFile):
        pass

    TableFile.run_case = staticmethod(run_case)

    def pytest_collect_file(parent: pytest.Collector, file_path: Path):
        if file_path.suffix == ".yaml" and file_path.parent == cases:
            return TableFile.from_parent(parent, path=file_path)
        return None

    return pytest_collect_file

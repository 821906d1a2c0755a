"""One mechanism for the parameters of every Caf (coopctg/core/caf_params.py): a Caf's file
wins, the national default otherwise (with its source), cached until a file changes, a bad file
is one clear French error."""

import os
from decimal import Decimal
from pathlib import Path

import pytest

from coopctg.core import caf_params
from coopctg.core.caf_params import ORIGIN_CAF, ORIGIN_NATIONAL, ParameterFamily, origin, resolve
from coopctg.core.params import ParameterFileError, ParameterSet
from coopctg.diagnostic import commissions
from coopctg.funding import caf_parameters
from coopctg.governance import services as governance
from coopctg.reports import services as reports

PARAM = """\
description: {description}
valeurs:
  2022-01-01:
    valeur: {value}
    reference: "{reference}"
"""


def write(folder: Path, name: str, value: str, reference: str = "Source") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(
        PARAM.format(description=f"Paramètre {name}", value=value, reference=reference),
        encoding="utf-8",
    )
    return path


@pytest.fixture
def root(tmp_path):
    write(tmp_path / "national", "taux", "0.7", "Circulaire Cnaf")
    write(tmp_path / "national", "seuil", "5", "Circulaire Cnaf")
    write(tmp_path / "caf-41", "taux", "0.8", "Délibération de la Caf 41")
    return tmp_path


def test_a_caf_override_wins_and_the_national_default_fills_the_rest(root):
    parameters = resolve(root, "41")
    assert parameters["taux"].values[0].value == Decimal("0.8")
    assert parameters["taux"].values[0].reference == "Délibération de la Caf 41"
    assert origin(parameters["taux"]) == ORIGIN_CAF
    assert parameters["seuil"].values[0].value == Decimal(5)
    assert parameters["seuil"].values[0].reference == "Circulaire Cnaf"
    assert origin(parameters["seuil"]) == ORIGIN_NATIONAL


def test_a_caf_without_folder_gets_every_national_default(root):
    parameters = resolve(root, "18")
    assert parameters["taux"].values[0].value == Decimal("0.7")
    assert {origin(parameters[name]) for name in parameters} == {ORIGIN_NATIONAL}


def test_nothing_to_read_is_one_french_error(tmp_path):
    with pytest.raises(ParameterFileError, match="aucun paramètres pour la Caf « 18 »"):
        resolve(tmp_path, "18")


def test_bad_caf_code_is_refused(root):
    with pytest.raises(ParameterFileError, match="code de Caf invalide"):
        resolve(root, "../41")


def test_a_bad_file_names_the_file(root):
    (root / "caf-41" / "taux.yaml").write_text("description: [", encoding="utf-8")
    with pytest.raises(ParameterFileError, match=r"caf-41/taux\.yaml.*YAML invalide"):
        resolve(root, "41")


def _counting_family() -> tuple[ParameterFamily[ParameterSet], list[str]]:
    builds: list[str] = []

    def build(parameters: ParameterSet, caf: str) -> ParameterSet:
        builds.append(caf)
        return parameters

    return ParameterFamily("paramètre d'essai", build), builds


def test_cached_per_caf_until_a_file_changes(root):
    family, builds = _counting_family()
    first = family(root, "41")
    assert family(root, "41") is first
    assert family(root, "18")["taux"].values[0].value == Decimal("0.7")
    assert builds == ["41", "18"]
    path = write(root / "caf-41", "taux", "0.9", "Nouvelle délibération")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert family(root, "41")["taux"].values[0].value == Decimal("0.9")
    assert builds == ["41", "18", "41"]


def test_one_reading_looks_at_the_files_of_a_caf_once(root, monkeypatch):
    """A request (the middleware) looks at the folders of each Caf once, however many lines
    read its parameters; a change made meanwhile is seen by the next request."""
    family, builds = _counting_family()
    walked = []
    signature = caf_params.signature
    monkeypatch.setattr(
        caf_params, "signature", lambda r, caf: walked.append(caf) or signature(r, caf)
    )
    with caf_params.one_reading():
        for _ in range(50):
            family(root, "41")
            family(root, "18")
        path = write(root / "caf-41", "taux", "0.9", "Nouvelle délibération")
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        assert family(root, "41")["taux"].values[0].value == Decimal("0.8")
    assert walked == ["41", "18"]
    assert family(root, "41")["taux"].values[0].value == Decimal("0.9")  # the next request
    assert builds == ["41", "18", "41"]
    family(root, "41")  # outside a request: looked at each call
    assert walked == ["41", "18", "41", "41"]


def test_a_new_caf_file_or_a_removed_one_is_seen(root):
    family, _ = _counting_family()
    assert origin(family(root, "18")["seuil"]) == ORIGIN_NATIONAL
    write(root / "caf-18", "seuil", "3", "Caf du Cher")
    assert family(root, "18")["seuil"].values[0].value == Decimal(3)
    (root / "caf-18" / "seuil.yaml").unlink()
    assert origin(family(root, "18")["seuil"]) == ORIGIN_NATIONAL


def test_a_bad_file_is_an_error_at_each_call_not_a_stale_value(root):
    family, _ = _counting_family()
    family(root, "41")
    path = root / "caf-41" / "taux.yaml"
    path.write_text("description: x\nvaleurs: {}\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(ParameterFileError, match=r"taux\.yaml : « valeurs »"):
            family(root, "41")


@pytest.mark.parametrize(
    "load",
    [
        caf_parameters.load_caf_parameters,
        caf_parameters.load_caf_eligibility_parameters,
        governance.parameters_for_caf,
        reports.parameters_for_caf,
        commissions.parameters_for_caf,
    ],
    ids=["financement", "eligibilite", "gouvernance", "bilans", "commissions"],
)
def test_every_family_resolves_a_new_caf_through_the_national_defaults(load):
    """Every family of bundled parameters has national defaults: a Caf without a folder (41)
    is served, and Touraine (37) keeps its own."""
    assert load("41") is not None
    assert load("37") is not None
    assert load("41") is load("41")  # cached


def test_bundled_national_defaults_are_those_of_touraine_with_their_source():
    funding = caf_parameters.load_caf_parameters("41")
    parameter = funding.parameters["forfait_etp"]
    assert origin(parameter) == ORIGIN_NATIONAL
    assert "Caf de Touraine" in (parameter.values[0].reference or "")
    assert origin(caf_parameters.load_caf_parameters("37").parameters["forfait_etp"]) == ORIGIN_CAF


def test_national_folder_name_is_not_a_caf_code():
    assert caf_params.NATIONAL == "national"
    assert caf_params.caf_folder(Path("/r"), "2A") == Path("/r/caf-2A")

"""The eligibility conditions computed from the records: the YAML table next to this file (one
row per boundary, readable without Python), and the parameter file's checks.

A case::

    - name: réunion de réseau le premier jour des 12 mois — comptée
      parametres: caf-test          # facultatif : dossier sous tests/funding/parametres/
      ctg: {debut: 2022-01-01, fin: 2026-12-31}          # facultatif (ces dates par défaut)
      date_effet: 2024-06-30
      aujourd_hui: 2026-12-04
      cofs: [{numero: COF-1, statut: signee, debut: 2022-01-01, fin: 2026-12-31,
              signee_le: 2021-12-15}]                    # statut : projet, signee, echue
      reseaux: [2023-07-01, {date: 2024-01-10, reseau: Petite enfance}]
                                    # dates des réunions de réseau, ou date et réseau
      adhesions: [{reseau: Petite enfance, debut: 2022-01-01, fin: 2023-12-31}]
                                    # adhésions aux réseaux (fin facultative)
      fiches_de_poste: [{intitule: Chargée de coopération, attendus: 12}]
      bilan: {annee: 2024, attendus: 46}                 # le dernier bilan transmis
      declarations: {attendus: true}
      output:                       # only the conditions given are checked
        reseaux: satisfaite         # the state, or a detail:
        cof: {etat: satisfaite, preuve: "…", liens: [Cof n° COF-1], declaree: false,
              declarable: false}

Without ``parametres``, the Caf de Touraine's real ``reseaux_minimum`` (``caf-37``) applies.
"""

import datetime as dt
import functools
from pathlib import Path

import pytest

from coopctg.core.params import ParameterFileError, load_yaml, parse_iso_date
from coopctg.funding.caf_parameters import DEFAULT_ROOT
from coopctg.funding.rules.eligibility import (
    AssessedReport,
    AttendusFacts,
    CofFact,
    EligibilityFacts,
    EligibilityParameters,
    JobDescription,
    MembershipFact,
    NetworksFacts,
    eligibility_checklist,
    load_eligibility_parameters,
    networks_window,
)

HERE = Path(__file__).parent
TABLE = Path(__file__).with_suffix(".yaml")
CASES = load_yaml(TABLE.read_text(encoding="utf-8"), str(TABLE))
CASE_KEYS = {
    "name",
    "parametres",
    "ctg",
    "date_effet",
    "aujourd_hui",
    "cofs",
    "reseaux",
    "adhesions",
    "fiches_de_poste",
    "bilan",
    "declarations",
    "output",
}
CONDITION_CODES = {
    "collectivite_signataire",
    "champs_ctg",
    "attendus",
    "cof",
    "reseaux",
    "bilan_annuel",
}
DETAIL_KEYS = {"etat", "preuve", "liens", "declaree", "declarable"}


@functools.cache
def parameters(folder: Path) -> EligibilityParameters:
    return load_eligibility_parameters(folder)


def date(value: object) -> dt.date:
    return parse_iso_date(str(value))


def cof(raw: dict) -> CofFact:
    assert raw["statut"] in {"projet", "signee", "echue"}, raw
    return CofFact(
        number=str(raw["numero"]),
        signed=raw["statut"] != "projet",
        start=date(raw["debut"]),
        end=date(raw["fin"]),
        signed_on=date(raw["signee_le"]) if raw.get("signee_le") else None,
        url=f"/cof/{raw['numero']}/",
    )


def _day(meeting: object) -> object:
    return meeting["date"] if isinstance(meeting, dict) else meeting


def facts(case: dict) -> EligibilityFacts:
    folder = (
        HERE / "parametres" / case["parametres"]
        if "parametres" in case
        else DEFAULT_ROOT / "caf-37"
    )
    ctg = case.get("ctg") or {"debut": "2022-01-01", "fin": "2026-12-31"}
    effective = date(case["date_effet"])
    declarations = case.get("declarations") or {}
    report = case.get("bilan")
    return EligibilityFacts(
        ctg_title="Ctg d'essai",
        ctg_signed=True,
        ctg_start=date(ctg["debut"]),
        ctg_end=date(ctg["fin"]),
        effective_date=effective,
        today=date(case["aujourd_hui"]),
        collectivite_is_signatory=True,
        total_etp_positive=True,
        lines_outside_ctg=0,
        cofs=tuple(cof(raw) for raw in case.get("cofs") or []),
        networks=NetworksFacts(
            minimum=parameters(folder).networks_minimum_at(effective),
            meetings=tuple(sorted(date(_day(m)) for m in case.get("reseaux") or [])),
            url="/instances/ctg/1/",
            networks_minimum=parameters(folder).networks_count_minimum_at(effective),
            named=tuple(
                (date(m["date"]), str(m["reseau"]))
                for m in case.get("reseaux") or []
                if isinstance(m, dict)
            ),
            memberships=tuple(
                MembershipFact(
                    str(a["reseau"]), date(a["debut"]), date(a["fin"]) if a.get("fin") else None
                )
                for a in case.get("adhesions") or []
            ),
        ),
        attendus=AttendusFacts(
            job_descriptions=tuple(
                JobDescription(str(job["intitule"]), int(job["attendus"]), f"/recrutements/{i}/")
                for i, job in enumerate(case.get("fiches_de_poste") or [], start=1)
            ),
            report=None
            if report is None
            else AssessedReport(int(report["annee"]), int(report["attendus"]), "/bilans/1/"),
            declared=bool(declarations.get("attendus", False)),
        ),
        declared_annual_report=bool(declarations.get("bilan", False)),
    )


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_eligibility_table(case):
    assert set(case) <= CASE_KEYS, f"clés inconnues : {sorted(set(case) - CASE_KEYS)}"
    expected = case["output"]
    assert set(expected) <= CONDITION_CODES, sorted(set(expected) - CONDITION_CODES)
    conditions = {c.code: c for c in eligibility_checklist(facts(case))}
    for code, want in expected.items():
        detail = want if isinstance(want, dict) else {"etat": want}
        assert set(detail) <= DETAIL_KEYS, sorted(set(detail) - DETAIL_KEYS)
        actual = conditions[code]
        got = {
            "etat": actual.state.value,
            "preuve": actual.proof,
            "liens": [link.label for link in actual.links],
            "declaree": actual.declared,
            "declarable": actual.declarable,
        }
        for key, value in detail.items():
            assert got[key] == value, f"{code} : {key} = {got[key]!r}\nattendu : {value!r}"


def test_the_checklist_follows_the_referentiel_order():
    case = {"date_effet": "2024-01-01", "aujourd_hui": "2024-01-01"}
    codes = [c.code for c in eligibility_checklist(facts(case))]
    assert codes == [
        "collectivite_signataire",
        "champs_ctg",
        "attendus",
        "cof",
        "reseaux",
        "bilan_annuel",
    ]


@pytest.mark.parametrize(
    ("effective", "ctg_start", "window"),
    [
        ("2024-06-30", "2022-01-01", ("2023-07-01", "2024-06-30", False)),
        ("2023-01-01", "2022-01-01", ("2022-01-02", "2023-01-01", False)),
        ("2022-12-31", "2022-01-01", ("2022-01-01", "2022-12-31", False)),
        ("2022-12-30", "2022-01-01", ("2022-01-01", "2022-12-31", True)),
        ("2022-01-01", "2022-01-01", ("2022-01-01", "2022-12-31", True)),
        ("2021-06-01", "2022-01-01", ("2022-01-01", "2022-12-31", True)),
        ("2024-02-29", "2022-01-01", ("2023-03-01", "2024-02-29", False)),
        ("2024-02-29", "2024-02-29", ("2024-02-29", "2025-02-28", True)),
        ("2025-02-28", "2022-01-01", ("2024-02-29", "2025-02-28", False)),
    ],
)
def test_networks_window(effective, ctg_start, window):
    start, end, first_year = window
    assert networks_window(date(effective), date(ctg_start)) == (
        date(start),
        date(end),
        first_year,
    )


def test_the_touraine_threshold_cites_its_source():
    threshold = parameters(DEFAULT_ROOT / "caf-37").networks_minimum_at(dt.date(2022, 1, 1))
    assert threshold is not None and threshold.value == 1
    assert "participer aux" in threshold.reference
    assert "à confirmer par la Caf" in threshold.reference


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("valeurs: {2022-01-01: {valeur: 1}}", "« description » manquante"),
        (
            "description: x\nvaleurs: {2022-01-01: {valeur: 1.5, reference: r}}",
            "un nombre entier positif ou nul est attendu",
        ),
        (
            "description: x\nvaleurs: {2022-01-01: {valeur: -1, reference: r}}",
            "un nombre entier positif ou nul est attendu",
        ),
        ("description: x\nvaleurs: {2022-01-01: {valeur: 1}}", "« reference » manquante"),
    ],
)
def test_a_malformed_threshold_is_refused_at_load(tmp_path, content, message):
    (tmp_path / "reseaux_minimum.yaml").write_text(content, encoding="utf-8")
    with pytest.raises(ParameterFileError, match=message):
        load_eligibility_parameters(tmp_path)


def test_a_missing_threshold_file_is_a_french_error(tmp_path):
    with pytest.raises(ParameterFileError, match=r"reseaux_minimum\.yaml : lecture impossible"):
        load_eligibility_parameters(tmp_path)


def test_the_touraine_networks_count_cites_its_source():
    loaded = parameters(DEFAULT_ROOT / "caf-37")
    threshold = loaded.networks_count_minimum_at(dt.date(2022, 1, 1))
    assert threshold is not None and threshold.value == 1
    assert "différents réseaux" in threshold.reference
    assert "à confirmer par la Caf" in threshold.reference
    assert loaded.networks_count_minimum_at(dt.date(2021, 12, 31)) is None


def test_without_the_networks_count_file_no_minimum_of_networks():
    loaded = parameters(HERE / "parametres" / "caf-test")
    assert loaded.networks_count_minimum is None
    assert loaded.networks_count_minimum_at(dt.date(2024, 1, 1)) is None

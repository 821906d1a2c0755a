"""Fuzzing the parsers that read users' files and commands (hypothesis).

Whatever the input, each parser either accepts it or refuses it with its own French error:
never another exception (a traceback for the user), never a half-written import.
"""

import io
import json

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from coopctg.actionplan.models import Action
from coopctg.actionplan.services import ACTIONS_SHEET, INDICATORS_SHEET, PlanImportError
from coopctg.actionplan.workbook import ACTION_COLUMNS, INDICATOR_COLUMNS, read_plan
from coopctg.agreements.importer import CofImportError, import_cof
from coopctg.agreements.models import AgreementVersion, FundingAgreement
from coopctg.funding.rules import InvalidInput, parse_simulation_input

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["2024-01-01", "2024-02-30", "0.2", "-1", "petite_enfance", "", "24000"]),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.one_of(
                st.text(max_size=12),
                st.sampled_from(
                    [
                        "date",
                        "personnes",
                        "affectations",
                        "etp",
                        "enveloppe",
                        "collectivite",
                        "numero",
                        "debut",
                        "fin",
                        "versions",
                        "date_effet",
                        "nom",
                        "type_poste",
                    ]
                ),
            ),
            children,
            max_size=5,
        ),
    ),
    max_leaves=20,
)


@FUZZ
@given(data=json_values)
def test_simulation_input_refuses_with_a_french_message(data):
    try:
        parse_simulation_input(data)
    except InvalidInput as error:
        assert str(error).strip()


@pytest.mark.django_db
@FUZZ
@given(data=json_values)
def test_cof_import_refuses_and_writes_nothing(touraine, data):
    try:
        import_cof(data, generate_documents=False)
    except CofImportError as error:
        assert str(error).strip()
    assert FundingAgreement.objects.count() == 0 and AgreementVersion.objects.count() == 0


@pytest.mark.django_db
@FUZZ
@given(content=st.one_of(st.binary(max_size=200), json_values.map(lambda v: json.dumps(v))))
def test_cli_simulation_exits_2_with_one_french_line(tmp_path_factory, capsys, content):
    path = tmp_path_factory.mktemp("entree") / "entree.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    try:
        call_command("financement", "simuler", str(path))
    except SystemExit as exit_info:
        assert exit_info.code == 2
        err = capsys.readouterr().err
        assert err.startswith("Erreur : ") and err.count("\n") == 1 and "Traceback" not in err
    else:
        capsys.readouterr()


cells = st.one_of(
    st.none(),
    st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=20),  # writable in XLSX
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(["A1", "M1.O1", "petite_enfance", "en_cours", "2024-13-01", "150", ""]),
)


def workbook_bytes(action_rows, indicator_rows) -> bytes:
    workbook = Workbook()
    actions = workbook.active
    actions.title = ACTIONS_SHEET
    actions.append(list(ACTION_COLUMNS.values()))
    for row in action_rows:
        actions.append(row)
    indicators = workbook.create_sheet(INDICATORS_SHEET)
    indicators.append([*INDICATOR_COLUMNS.values(), "2024"])
    for row in indicator_rows:
        indicators.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.django_db
@FUZZ
@given(
    actions=st.lists(st.lists(cells, min_size=11, max_size=11), max_size=4),
    indicators=st.lists(st.lists(cells, min_size=6, max_size=6), max_size=3),
)
def test_action_plan_workbook_reports_every_bad_row_by_line(actions, indicators):
    stream = io.BytesIO(workbook_bytes(actions, indicators))
    try:
        read_plan(stream, {"M1.O1", "M2.O3"})
    except PlanImportError as error:
        assert error.errors
        for issue in error.errors:
            assert str(issue).strip()
            assert issue.line is None or issue.line >= 2  # line 1 holds the headers
    assert Action.objects.count() == 0


@FUZZ
@given(content=st.binary(max_size=300))
def test_action_plan_reader_refuses_any_non_workbook(content):
    with pytest.raises(PlanImportError, match="classeur Excel"):
        read_plan(io.BytesIO(content), set())

"""Properties of the funding computation, on random architectures (hypothesis)."""

import datetime as dt
import json
import re
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from coopctg.funding.caf_parameters import DEFAULT_ROOT
from coopctg.funding.rules import (
    Architecture,
    Assignment,
    CejBase,
    Envelope,
    Person,
    PostType,
    Severity,
    compute_funding,
    load_funding_parameters,
    parse_simulation_input,
    result_to_json,
)

TEST_PARAMETERS = Path(__file__).parent / "parametres"

PARAMETER_SETS = [
    load_funding_parameters(DEFAULT_ROOT / "caf-37"),
    load_funding_parameters(TEST_PARAMETERS / "caf-test"),
]
CENT = Decimal("0.01")
PROPERTIES = settings(max_examples=100, deadline=None)


def hundredths(low: int, high: int) -> st.SearchStrategy[Decimal]:
    return st.integers(low, high).map(lambda count: Decimal(count).scaleb(-2))


assignments = st.lists(
    st.builds(Assignment, envelope=st.sampled_from(Envelope), etp=hundredths(1, 100)),
    min_size=1,
    max_size=4,
    unique_by=lambda assignment: assignment.envelope,
)


@st.composite
def architectures(draw: st.DrawFn) -> Architecture:
    persons = tuple(
        Person(id=f"p{index}", post_type=draw(st.sampled_from(PostType)), assignments=tuple(lines))
        for index, lines in enumerate(draw(st.lists(assignments, min_size=1, max_size=6)))
    )
    base = draw(
        st.none() | st.builds(CejBase, amount=hundredths(0, 20_000_000), etp=hundredths(1, 800))
    )
    ctg = draw(st.none() | st.lists(st.sampled_from(Envelope), unique=True).map(tuple))
    return Architecture(
        date=draw(st.dates(dt.date(2022, 1, 1), dt.date(2030, 12, 31))),
        persons=persons,
        cej_base=base,
        ctg_envelopes=ctg,
    )


def compute(architecture, parameter_set=0):
    return compute_funding(architecture, PARAMETER_SETS[parameter_set])


@PROPERTIES
@given(architectures(), st.sampled_from([0, 1]))
def test_lines_add_up_to_envelopes_persons_and_total(architecture, parameter_set):
    result = compute(architecture, parameter_set)
    assert sum(line.amount for line in result.lines) == result.total_amount
    assert sum(line.etp for line in result.lines) == result.total_etp == architecture.etp
    assert [total.envelope for total in result.envelopes] == list(Envelope)
    for total in result.envelopes:
        lines = [line for line in result.lines if line.envelope is total.envelope]
        assert total.amount == sum((line.amount for line in lines), Decimal(0))
        assert total.etp == sum((line.etp for line in lines), Decimal(0))
    assert sum(total.amount for total in result.envelopes) == result.total_amount
    assert [total.person_id for total in result.persons] == [p.id for p in architecture.persons]
    for total in result.persons:
        lines = [line for line in result.lines if line.person_id == total.person_id]
        assert total.amount == sum(line.amount for line in lines)
    assert sum(total.amount for total in result.persons) == result.total_amount


@PROPERTIES
@given(architectures(), st.sampled_from([0, 1]))
def test_each_line_is_its_exact_share_within_a_cent_and_never_negative(architecture, which):
    result = compute(architecture, which)
    total, etp = Fraction(result.total_amount), Fraction(result.total_etp)
    for line in result.lines:
        assert line.amount >= 0
        assert line.amount == line.amount.quantize(CENT)
        exact = total * Fraction(line.etp) / etp
        floor = Fraction(int(exact * 100), 100)
        assert Fraction(line.amount) in (floor, floor + Fraction(1, 100))


@PROPERTIES
@given(architectures(), st.sampled_from([0, 1]))
def test_total_equals_the_formula(architecture, which):
    result = compute(architecture, which)
    rate = result.parameters.flat_rate.value
    total, base = architecture.etp, architecture.cej_base
    with localcontext() as context:
        context.prec = 60
        if base is None:
            expected = rate * total
        elif total <= base.etp:
            expected = base.amount * total / base.etp
        else:
            expected = base.amount + rate * (total - base.etp)
        expected = expected.quantize(CENT, rounding=ROUND_HALF_UP)
    assert result.total_amount == expected
    new_development = [a for a in result.anomalies if a.code == "NOUVEAU_DEVELOPPEMENT"]
    assert bool(new_development) == (base is None or total > base.etp)


@PROPERTIES
@given(architectures(), st.randoms(use_true_random=False))
def test_person_order_changes_no_amount_by_more_than_a_cent(architecture, random):
    persons = list(architecture.persons)
    random.shuffle(persons)
    shuffled = Architecture(
        date=architecture.date,
        persons=tuple(persons),
        cej_base=architecture.cej_base,
        ctg_envelopes=architecture.ctg_envelopes,
    )
    before, after = compute(architecture), compute(shuffled)
    assert after.total_amount == before.total_amount
    amounts = {(line.person_id, line.envelope): line.amount for line in before.lines}
    total, etp = Fraction(before.total_amount), Fraction(before.total_etp)
    moved: defaultdict[Fraction, Decimal] = defaultdict(Decimal)
    for line in after.lines:
        difference = line.amount - amounts[line.person_id, line.envelope]
        assert abs(difference) <= CENT
        cents = total * Fraction(line.etp) / etp * 100
        moved[cents - int(cents)] += difference  # lines grouped by remainder
    # A cent only moves between lines of equal remainder (a tie broken by input order).
    assert all(difference == 0 for difference in moved.values())
    assert sorted(a.code for a in after.anomalies) == sorted(a.code for a in before.anomalies)


@PROPERTIES
@given(architectures())
def test_eligible_means_no_blocking_anomaly(architecture):
    result = compute(architecture)
    blocking = [a for a in result.anomalies if a.severity is Severity.BLOCKING]
    assert result.eligible is (not blocking)
    for anomaly in result.anomalies:
        assert "référentiel" in anomaly.message


@PROPERTIES
@given(architectures(), st.sampled_from(["number", "text"]))
def test_json_round_trip_through_the_parser(architecture, style):
    """JSON numbers (binary floats once decoded) and strings both give the exact Decimal."""

    def number(value: Decimal):
        return float(value) if style == "number" else str(value)

    data = {
        "date": architecture.date.isoformat(),
        "personnes": [
            {
                "id": person.id,
                "type_poste": person.post_type.value,
                "affectations": [
                    {"enveloppe": a.envelope.value, "etp": number(a.etp)}
                    for a in person.assignments
                ],
            }
            for person in architecture.persons
        ],
    }
    if architecture.cej_base is not None:
        base = architecture.cej_base
        data["base_cej"] = {"montant": number(base.amount), "etp": number(base.etp)}
    if architecture.ctg_envelopes is not None:
        data["thematiques_ctg"] = [envelope.value for envelope in architecture.ctg_envelopes]
    parsed = parse_simulation_input(json.loads(json.dumps(data)))
    assert parsed == architecture
    output = result_to_json(compute(parsed))
    amounts = [output["total"]["etp"], output["total"]["montant"]]
    for key in ("lignes", "enveloppes", "personnes"):
        amounts += [item[field] for item in output[key] for field in ("etp", "montant")]
    assert all(re.fullmatch(r"[0-9]+\.[0-9]{2}", amount) for amount in amounts)

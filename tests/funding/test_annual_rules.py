"""The annual funding rule (prorata by days): the YAML table next to this file, and properties."""

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coopctg.core.params import load_yaml
from coopctg.funding.rules import Envelope
from coopctg.funding.rules.annual import (
    AnnualPeriod,
    InvalidPeriod,
    annual_funding,
    annual_to_json,
    days_in_year,
    round_half_up,
)

TABLE = Path(__file__).with_suffix(".yaml")
CASES = load_yaml(TABLE.read_text(encoding="utf-8"), str(TABLE))
CASE_KEYS = {"name", "annee", "periodes", "output"}
OUTPUT_KEYS = {"jours", "enveloppes", "total", "periodes", "erreur"}
PROPERTIES = settings(max_examples=200, deadline=None)


def period(raw: dict) -> AnnualPeriod:
    return AnnualPeriod(
        first_day=dt.date.fromisoformat(raw["du"]),
        last_day=dt.date.fromisoformat(raw["au"]),
        amounts={Envelope(code): amount for code, amount in raw["montants"].items()},
        label=raw["version"],
    )


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_annual_table(case):
    assert set(case) <= CASE_KEYS and set(case["output"]) <= OUTPUT_KEYS
    expected = case["output"]
    if "erreur" in expected:
        with pytest.raises(InvalidPeriod) as error:
            annual_funding(int(case["annee"]), [period(raw) for raw in case["periodes"]])
        assert expected["erreur"] in str(error.value)
        return
    result = annual_funding(int(case["annee"]), [period(raw) for raw in case["periodes"]])
    if "jours" in expected:
        assert result.days_in_year == expected["jours"]
    if "enveloppes" in expected:
        assert set(expected["enveloppes"]) <= {e.value for e in Envelope}
        assert list(result.envelopes) == list(Envelope)
        assert {e.value: a for e, a in result.envelopes.items()} == {
            e.value: expected["enveloppes"].get(e.value, Decimal(0)) for e in Envelope
        }
    assert result.total == expected["total"]
    assert result.total == sum(result.envelopes.values())
    if "periodes" in expected:
        got = [
            (p.first_day.isoformat(), p.last_day.isoformat(), p.label, p.amount)
            for p in result.periods
        ]
        want = [(p["du"], p["au"], p["version"], p["montant"]) for p in expected["periodes"]]
        assert got == want


def test_json_format():
    result = annual_funding(
        2023,
        [
            AnnualPeriod(
                dt.date(2022, 1, 1), dt.date(2023, 6, 30), {Envelope.PARENTALITE: Decimal(100)}, "A"
            )
        ],
    )
    assert annual_to_json(result) == {
        "enveloppes": [
            {"enveloppe": "petite_enfance", "montant": "0.00"},
            {"enveloppe": "enfance_jeunesse", "montant": "0.00"},
            {"enveloppe": "parentalite", "montant": "49.59"},
            {"enveloppe": "avs_logement_acces_droits", "montant": "0.00"},
        ],
        "total": "49.59",
        "periodes": [{"du": "2023-01-01", "au": "2023-06-30", "version": "A", "montant": "49.59"}],
    }


def test_days_in_year_and_rounding():
    assert [days_in_year(y) for y in (2022, 2023, 2024, 2100, 2000)] == [365, 365, 366, 365, 366]
    assert round_half_up(Fraction(5, 1000)) == Decimal("0.01")
    assert round_half_up(Fraction(4999, 1000000)) == Decimal("0.00")
    assert round_half_up(Fraction(25, 1000)) == Decimal("0.03")  # not banker's rounding
    assert round_half_up(Fraction(-5, 1000)) == Decimal("-0.01")


# --- Properties -------------------------------------------------------------------------------

years = st.integers(1901, 2199)
cents = st.integers(0, 10**9).map(lambda n: Decimal(n).scaleb(-2))
amounts = st.dictionaries(st.sampled_from(Envelope), cents, min_size=1, max_size=4)


@PROPERTIES
@given(
    year=years,
    amounts=amounts,
    before=st.integers(0, 800),
    after=st.integers(0, 800),
)
def test_a_version_in_force_all_year_gives_its_annual_amount(year, amounts, before, after):
    version = AnnualPeriod(
        dt.date(year, 1, 1) - dt.timedelta(days=before),
        dt.date(year, 12, 31) + dt.timedelta(days=after),
        amounts,
        "Cof initiale",
    )
    result = annual_funding(year, [version])
    assert result.envelopes == {e: amounts.get(e, Decimal(0)) for e in Envelope}
    assert result.total == sum(amounts.values())
    assert [p.amount for p in result.periods] == [result.total]


@PROPERTIES
@given(year=years, amounts=amounts, cut=st.integers(1, 365))
def test_splitting_a_period_changes_nothing(year, amounts, cut):
    """Two versions with the same amounts, one after the other, are one version: the exact
    sums are added before rounding."""
    january_first = dt.date(year, 1, 1)
    split = january_first + dt.timedelta(days=cut)
    whole = annual_funding(year, [AnnualPeriod(january_first, dt.date(year, 12, 31), amounts, "")])
    parts = annual_funding(
        year,
        [
            AnnualPeriod(january_first, split - dt.timedelta(days=1), amounts, "a"),
            AnnualPeriod(split, dt.date(year + 1, 6, 30), amounts, "b"),
        ],
    )
    assert parts.envelopes == whole.envelopes and parts.total == whole.total


@PROPERTIES
@given(
    year=years,
    periods=st.lists(
        st.tuples(st.integers(-400, 800), st.integers(0, 500), amounts), min_size=0, max_size=5
    ),
)
def test_each_envelope_is_the_exact_prorata_rounded(year, periods):
    start = dt.date(year, 1, 1)
    built = [
        AnnualPeriod(
            start + dt.timedelta(days=offset),
            start + dt.timedelta(days=offset + length),
            values,
            str(i),
        )
        for i, (offset, length, values) in enumerate(periods)
    ]
    result = annual_funding(year, built)
    year_days = days_in_year(year)
    for envelope in Envelope:
        exact = Fraction(0)
        for p in built:
            first = max(p.first_day, start)
            last = min(p.last_day, dt.date(year, 12, 31))
            days = max((last - first).days + 1, 0)
            exact += Fraction(p.amounts.get(envelope, Decimal(0))) * days / year_days
        assert abs(Fraction(result.envelopes[envelope]) - exact) <= Fraction(1, 200)
    assert result.total == sum(result.envelopes.values())
    assert all(p.days > 0 and p.first_day.year == p.last_day.year == year for p in result.periods)

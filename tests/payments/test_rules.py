"""Properties of the pure payment rule: advance at the rate rounded half up, balance the rest."""

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coopctg.reports.rules import PaymentState, payment

amounts = st.decimals(min_value=0, max_value=10_000_000, places=2, allow_nan=False)
rates = st.decimals(min_value=0, max_value=1, places=4, allow_nan=False)


@given(amount=amounts, rate=rates, validated=st.booleans(), year=st.integers(1900, 2999))
def test_advance_plus_balance_is_the_amount(amount, rate, validated, year):
    result = payment(year, amount, rate, validated)
    assert result.advance + result.balance == result.amount_due == amount
    assert result.advance == (amount * rate).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert Decimal(0) <= result.advance <= amount and result.balance >= 0
    assert result.advance.as_tuple().exponent == -2 and result.balance.as_tuple().exponent == -2
    assert result.balance_released is validated
    assert result.released == (amount if validated else result.advance)


@pytest.mark.parametrize(
    ("amount", "advance", "balance"),
    [
        ("48000.00", "33600.00", "14400.00"),
        ("50419.73", "35293.81", "15125.92"),  # 35 293,811 → ,81
        ("0.05", "0.04", "0.01"),  # 0,035 → 0,04 (half up)
        ("0.00", "0.00", "0.00"),
    ],
)
def test_seventy_percent_rounded_half_up(amount, advance, balance):
    result = payment(2024, Decimal(amount), Decimal("0.70"), False)
    assert (result.advance, result.balance) == (Decimal(advance), Decimal(balance))
    assert result.state is PaymentState.SOLDE_EN_ATTENTE


def test_a_negative_amount_is_refused():
    with pytest.raises(ValueError, match="négatif"):
        payment(2024, Decimal("-1.00"), Decimal("0.70"), False)

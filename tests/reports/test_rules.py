"""The pure rules of the bilan: transitions, deadline and timeliness, payment rounding."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coopctg.reports import rules
from coopctg.reports.rules import Status, Timeliness, Transition, TransitionRefused
from coopctg.reports.services import parameters_for_caf

ALLOWED = {
    (Status.BROUILLON, Transition.TRANSMETTRE): Status.TRANSMIS,
    (Status.A_COMPLETER, Transition.TRANSMETTRE): Status.TRANSMIS,
    (Status.TRANSMIS, Transition.RENVOYER): Status.A_COMPLETER,
    (Status.TRANSMIS, Transition.VALIDER): Status.VALIDE,
}


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("transition", list(Transition))
def test_transition_table(status, transition):
    expected = ALLOWED.get((status, transition))
    if expected is None:
        with pytest.raises(TransitionRefused, match="ne peut pas être"):
            rules.next_status(status, transition)
    else:
        assert rules.next_status(status, transition) is expected


def test_editable_and_transmitted():
    assert [s for s in Status if rules.editable(s)] == [Status.BROUILLON, Status.A_COMPLETER]
    assert not rules.counts_as_transmitted(None)
    assert not rules.counts_as_transmitted(Status.BROUILLON)
    assert rules.counts_as_transmitted(Status.A_COMPLETER)


def test_due_date_is_the_31st_of_march_of_next_year():
    assert parameters_for_caf("37").due_date(2024) == dt.date(2025, 3, 31)


DUE = dt.date(2025, 3, 31)


@pytest.mark.parametrize(
    ("status", "today", "first", "expected"),
    [
        (None, DUE, None, Timeliness.A_VENIR),
        (None, DUE + dt.timedelta(days=1), None, Timeliness.EN_RETARD),
        (Status.BROUILLON, DUE + dt.timedelta(days=1), None, Timeliness.EN_RETARD),
        (Status.TRANSMIS, DUE + dt.timedelta(days=9), DUE, Timeliness.A_TEMPS),
        (Status.A_COMPLETER, DUE + dt.timedelta(days=9), DUE, Timeliness.A_TEMPS),
        (
            Status.VALIDE,
            DUE + dt.timedelta(days=9),
            DUE + dt.timedelta(days=1),
            Timeliness.TRANSMIS_EN_RETARD,
        ),
    ],
)
def test_timeliness_around_the_due_date(status, today, first, expected):
    assert rules.timeliness(status, DUE, today, first) is expected


@given(
    amount=st.decimals(min_value=0, max_value=10_000_000, places=2, allow_nan=False),
    rate=st.decimals(min_value=0, max_value=1, places=4, allow_nan=False),
)
def test_advance_plus_balance_is_the_amount(amount, rate):
    payment = rules.payment(2024, amount, rate, report_validated=False)
    assert payment.advance + payment.balance == payment.amount_due == amount
    assert payment.advance == payment.advance.quantize(Decimal("0.01"))
    assert payment.released == payment.advance


def test_balance_released_once_validated():
    payment = rules.payment(2024, Decimal("48000.00"), Decimal("0.70"), report_validated=True)
    assert (payment.advance, payment.balance) == (Decimal("33600.00"), Decimal("14400.00"))
    assert payment.balance_released and payment.released == Decimal("48000.00")


# --- Transmission opens once the year is over ------------------------------------------------


@pytest.mark.parametrize(
    ("cof_end", "today", "allowed"),
    [
        (dt.date(2026, 12, 31), dt.date(2024, 12, 31), False),  # last day of the year
        (dt.date(2026, 12, 31), dt.date(2025, 1, 1), True),  # first day of N+1
        (dt.date(2024, 6, 30), dt.date(2024, 6, 30), False),  # the Cof's last day
        (dt.date(2024, 6, 30), dt.date(2024, 7, 1), True),  # the Cof has ended
        (dt.date(2024, 12, 31), dt.date(2024, 12, 31), False),
    ],
)
def test_transmission_opens_after_the_year_or_the_cof(cof_end, today, allowed):
    refusal = rules.transmission_refusal(2024, cof_end, today)
    assert (refusal is None) is allowed
    if not allowed:
        assert "à partir du 01/01/2025" in refusal
        assert ("30/06/2024" in refusal) is (cof_end == dt.date(2024, 6, 30))


def test_no_deadline_in_force_is_never_late():
    """A year before the parameter's first date (01/01/2022): no deadline, no crash."""
    parameters = parameters_for_caf("37")
    with pytest.raises(rules.ParameterError):
        parameters.due_date(2021)  # 31/12/2021 is before the first value
    from coopctg.reports.services import due_or_none

    assert due_or_none(parameters, 2021) is None
    state = rules.timeliness(None, None, dt.date(2030, 1, 1), None)
    assert state is Timeliness.SANS_ECHEANCE
    assert rules.TIMELINESS_LABELS[state] == "échéance non paramétrée"

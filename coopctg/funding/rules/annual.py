"""The funding due for one calendar year, prorated by days (pure: no Django, exact arithmetic).

A Cof's versions fix *annual* amounts per envelope; each is in force for a period (its first
and last day). The amount due for a year is, per envelope::

    Σ over the periods (annual amount × days of the period within the year / days in the year)

with 365 or 366 days in the year (2024: 366). The sum is exact (:class:`~fractions.Fraction`);
each envelope is rounded half-up to the cent only at the end, and the total is the sum of the
four rounded envelopes. Each period's own amount (all envelopes, for its days) is also rounded
half-up to the cent, for the breakdown only: the total is **not** the sum of the rounded periods,
and may differ from it by a few cents.

Periods are clipped to the year; a period outside the year is left out of the breakdown. Periods
may overlap (two Cofs in force on the same days): their amounts add up.

    annual_funding(2023, [AnnualPeriod(date(2022, 1, 1), date(2023, 6, 30), amounts, "v0"), …])
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from coopctg.funding.rules.model import CENT, Envelope, has_places
from coopctg.funding.rules.serialize import decimal_text


class InvalidPeriod(ValueError):
    """A period cannot be prorated; the message is one French sentence."""


@dataclass(frozen=True)
class AnnualPeriod:
    """A version in force from ``first_day`` to ``last_day`` (both included), with its annual
    amounts per envelope (an absent envelope counts 0)."""

    first_day: dt.date
    last_day: dt.date
    amounts: Mapping[Envelope, Decimal]
    label: str

    def __post_init__(self) -> None:
        if self.last_day < self.first_day:
            raise InvalidPeriod(
                f"{self.label} : la période se termine ({self.last_day:%d/%m/%Y}) avant de "
                f"commencer ({self.first_day:%d/%m/%Y})"
            )
        for envelope, amount in self.amounts.items():
            if not (has_places(amount) and amount >= 0):
                raise InvalidPeriod(
                    f"{self.label} : montant « {amount} » invalide pour l'enveloppe "
                    f"« {envelope} » (positif, au centime)"
                )


@dataclass(frozen=True)
class PeriodShare:
    """The part of one period within the year, and its amount (rounded half-up to the cent)."""

    first_day: dt.date
    last_day: dt.date
    label: str
    days: int
    amount: Decimal


@dataclass(frozen=True)
class AnnualFunding:
    year: int
    days_in_year: int
    #: All four envelopes, in :class:`Envelope` order, each rounded half-up to the cent.
    envelopes: Mapping[Envelope, Decimal]
    #: The sum of the rounded envelopes.
    total: Decimal
    #: The periods within the year, in input order.
    periods: tuple[PeriodShare, ...]


def days_in_year(year: int) -> int:
    """365, or 366 in a leap year."""
    return 366 if calendar.isleap(year) else 365


def round_half_up(value: Fraction) -> Decimal:
    """An exact amount in euros rounded half-up to the cent (``0.005`` → ``0.01``)."""
    cents = value * 100
    sign = -1 if cents < 0 else 1
    rounded = sign * int(abs(cents) + Fraction(1, 2))  # int() floors a positive Fraction
    return (Decimal(rounded) / 100).quantize(CENT)


def days_within(first_day: dt.date, last_day: dt.date, year: int) -> int:
    """Days of ``[first_day, last_day]`` within ``year`` (0 when they do not meet)."""
    start = max(first_day, dt.date(year, 1, 1))
    end = min(last_day, dt.date(year, 12, 31))
    return max((end - start).days + 1, 0)


def annual_funding(year: int, periods: Sequence[AnnualPeriod]) -> AnnualFunding:
    """The amount due for ``year``: per envelope, in total, and per period (see module doc)."""
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        raise InvalidPeriod(f"année invalide : {year}")
    year_days = days_in_year(year)
    exact: dict[Envelope, Fraction] = {envelope: Fraction(0) for envelope in Envelope}
    shares: list[PeriodShare] = []
    for period in periods:
        days = days_within(period.first_day, period.last_day, year)
        if days == 0:
            continue
        period_exact = Fraction(0)
        for envelope, amount in period.amounts.items():
            share = Fraction(amount) * days / year_days
            exact[envelope] += share
            period_exact += share
        shares.append(
            PeriodShare(
                first_day=max(period.first_day, dt.date(year, 1, 1)),
                last_day=min(period.last_day, dt.date(year, 12, 31)),
                label=period.label,
                days=days,
                amount=round_half_up(period_exact),
            )
        )
    envelopes = {envelope: round_half_up(exact[envelope]) for envelope in Envelope}
    return AnnualFunding(
        year=year,
        days_in_year=year_days,
        envelopes=envelopes,
        total=sum(envelopes.values(), Decimal("0.00")),
        periods=tuple(shares),
    )


def annual_to_json(funding: AnnualFunding) -> dict[str, object]:
    """``{"enveloppes": [{"enveloppe", "montant"}], "total", "periodes": [{"du", "au",
    "version", "montant"}]}``, euros as strings with two decimals, dates ISO."""
    return {
        "enveloppes": [
            {"enveloppe": envelope.value, "montant": decimal_text(amount)}
            for envelope, amount in funding.envelopes.items()
        ],
        "total": decimal_text(funding.total),
        "periodes": [
            {
                "du": share.first_day.isoformat(),
                "au": share.last_day.isoformat(),
                "version": share.label,
                "montant": decimal_text(share.amount),
            }
            for share in funding.periods
        ],
    }

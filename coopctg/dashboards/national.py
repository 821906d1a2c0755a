"""The national figures (Cnaf): every Caf consolidated, in one process and a fixed number of
queries whatever the number of Caf.

The territories of every Caf go through the same service as each Caf's dashboard
(:func:`coopctg.dashboards.services.territory_rows`), the payments through the same rules as
each Caf's schedule (:func:`coopctg.reports.payments.payment_schedules`); each Caf's parameters
are its own (:mod:`coopctg.core.caf_params`). So a Caf's line here is the figure its own
dashboard, budget and payment pages show, and the national total is their sum.

Figures per Caf and per territory only: nothing here counts or ranks what one person did.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from coopctg.core.versions import PerCafMemo
from coopctg.dashboards.services import Category, TerritoryRow, territory_rows
from coopctg.funding.rules import Envelope
from coopctg.organisations.models import Caf, LocalAuthority
from coopctg.reports.payments import ScheduleTotals, payment_schedules
from coopctg.territories.models import Departement
from coopctg.territories.tilegrid import Tile, TileMap, load_grid, tile_map

ZERO = Decimal("0.00")


@dataclass
class CafFigures:
    """One Caf (``caf`` None: the national total)."""

    caf: Caf | None
    collectivites: int = 0
    with_ctg: int = 0  # collectivités with a Ctg running today
    etp: dict[Envelope, Decimal] = field(default_factory=lambda: dict.fromkeys(Envelope, ZERO))
    amounts: dict[Envelope, Decimal] = field(default_factory=lambda: dict.fromkeys(Envelope, ZERO))
    late_bilans: int = 0  # bilans past their deadline, not transmitted
    territories_late: int = 0  # collectivités with at least one such bilan
    governance_missing: int = 0  # collectivités with a Copil or Cotech missing
    categories: dict[Category, int] = field(default_factory=lambda: dict.fromkeys(Category, 0))
    payments: ScheduleTotals = field(default_factory=ScheduleTotals)
    rate: Decimal | None = None
    rate_error: str = ""

    @property
    def total_etp(self) -> Decimal:
        return sum(self.etp.values(), ZERO)

    @property
    def total_amount(self) -> Decimal:
        return sum(self.amounts.values(), ZERO)

    @property
    def rate_percent(self) -> Decimal | None:
        return None if self.rate is None else self.rate * 100

    @property
    def coverage(self) -> Decimal | None:
        """Share of the collectivités with a running Ctg, in % with one decimal."""
        if not self.collectivites:
            return None
        share = Decimal(self.with_ctg * 100) / Decimal(self.collectivites)
        return share.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    def add(self, other: CafFigures) -> None:
        self.collectivites += other.collectivites
        self.with_ctg += other.with_ctg
        for envelope in Envelope:
            self.etp[envelope] += other.etp[envelope]
            self.amounts[envelope] += other.amounts[envelope]
        self.late_bilans += other.late_bilans
        self.territories_late += other.territories_late
        self.governance_missing += other.governance_missing
        for category in Category:
            self.categories[category] += other.categories[category]
        self.payments = ScheduleTotals(
            amount_due=self.payments.amount_due + other.payments.amount_due,
            advance=self.payments.advance + other.payments.advance,
            balance=self.payments.balance + other.payments.balance,
            balance_released=self.payments.balance_released + other.payments.balance_released,
            balance_pending=self.payments.balance_pending + other.payments.balance_pending,
        )


@dataclass
class NationalFigures:
    year: int
    today: dt.date
    cafs: list[CafFigures]  # by Caf code
    total: CafFigures


def _running(row: TerritoryRow, today: dt.date) -> bool:
    return any(s.ctg.date_debut <= today <= s.ctg.date_fin for s in row.ctgs)


def caf_figures(caf: Caf, rows: list[TerritoryRow], today: dt.date) -> CafFigures:
    figures = CafFigures(caf=caf, collectivites=len(rows))
    for row in rows:
        figures.with_ctg += _running(row, today)
        for envelope in Envelope:
            figures.etp[envelope] += row.etp[envelope]
            figures.amounts[envelope] += row.funding.envelopes[envelope]
        figures.late_bilans += len(row.late_bilans)
        figures.territories_late += bool(row.late_bilans)
        figures.governance_missing += any(state.non_compliant for state in row.ctgs)
        figures.categories[row.category] += 1
    return figures


#: Each Caf's figures, kept until its data change (:mod:`coopctg.core.versions`): a few
#: kilobytes each, for every Caf of France and a few years and days.
_KEPT = PerCafMemo("chiffres nationaux", size=1024)


def _compute(cafs: list[Caf], year: int, today: dt.date) -> dict[int, CafFigures]:
    """The figures of ``cafs`` (a fixed number of queries whatever their number)."""
    # Only the figures are kept, not the rows they sum (about 1 MB per Caf).
    rows = territory_rows(LocalAuthority.objects.filter(caf__in=cafs), year, today, keep=False)
    by_caf: dict[int, list[TerritoryRow]] = defaultdict(list)
    for row in rows:
        by_caf[row.collectivite.caf_id].append(row)
    found = {}
    for caf, schedule in zip(cafs, payment_schedules(cafs, year), strict=True):
        one = caf_figures(caf, by_caf.get(caf.pk, []), today)
        one.payments, one.rate, one.rate_error = (
            schedule.totals,
            schedule.rate,
            schedule.parameter_error,
        )
        found[caf.pk] = one
    return found


def national_figures(year: int, today: dt.date) -> NationalFigures:
    """Every Caf of CoopCTG for ``year``, seen on ``today``; a fixed number of queries. A Caf
    whose data did not change since its figures were last computed in this process is not
    computed again: the page grows with the number of Caf, not with their territories."""
    cafs = list(Caf.objects.select_related("departement").order_by("code"))
    by_pk = {caf.pk: caf for caf in cafs}
    kept = _KEPT.get(
        list(by_pk),
        (year, today),
        lambda missing: _compute([by_pk[pk] for pk in missing], year, today),
    )
    figures = [kept[caf.pk] for caf in cafs]
    total = CafFigures(caf=None)
    for one in figures:
        total.add(one)
    return NationalFigures(year=year, today=today, cafs=figures, total=total)


# --- The map ------------------------------------------------------------------------------------

#: What the map colours, and how each is read from a Caf's figures.
INDICATORS: dict[str, tuple[str, str]] = {
    "couverture": ("Couverture en Ctg (% des collectivités)", "%"),
    "etp": ("Etp financés", "Etp"),
    "montant": ("Financement de l'année (€)", "€"),
    "bilans": ("Bilans en retard", "bilans"),
    "gouvernance": ("Collectivités à la gouvernance incomplète", "collectivités"),
}
DEFAULT_INDICATOR = "couverture"

#: Number of classes of the map (sequential blues, light to dark: ``nat-c0`` … ``nat-c4`` in
#: ``national.css``, each with a text colour of 4.5:1 contrast); ``nat-none``: no Caf.
CLASS_COUNT = 5


def indicator_value(figures: CafFigures, indicator: str) -> Decimal | None:
    if indicator == "couverture":
        return figures.coverage
    if indicator == "etp":
        return figures.total_etp
    if indicator == "montant":
        return figures.total_amount
    if indicator == "bilans":
        return Decimal(figures.late_bilans)
    return Decimal(figures.governance_missing)


def classes(values: list[Decimal]) -> list[Decimal]:
    """Upper bounds of :data:`CLASS_COUNT` equal-width classes from 0 to the largest value
    (a single class ``[0]`` when every value is 0 or there is none)."""
    top = max(values, default=ZERO)
    if top <= 0:
        return [ZERO]
    return [
        (top * step / CLASS_COUNT).quantize(Decimal("0.01")) for step in range(1, CLASS_COUNT + 1)
    ]


def class_of(value: Decimal, bounds: list[Decimal]) -> int:
    """The index of the first class whose upper bound is ≥ ``value``."""
    for index, bound in enumerate(bounds):
        if value <= bound:
            return index
    return len(bounds) - 1


@dataclass(frozen=True)
class MapTile:
    tile: Tile
    departement: str  # name
    figures: CafFigures | None
    value: Decimal | None
    css: str  # nat-c0 … nat-c4, nat-none


def national_map(
    national: NationalFigures, indicator: str, departements: dict[str, str]
) -> dict[str, Any]:
    """The tiles of every département (a Caf of CoopCTG or not), coloured by ``indicator``."""
    grid: TileMap = tile_map(load_grid())
    by_departement = {
        figures.caf.departement.code: figures
        for figures in national.cafs
        if figures.caf is not None
    }
    values = {code: indicator_value(figures, indicator) for code, figures in by_departement.items()}
    bounds = classes([v for v in values.values() if v is not None])
    tiles = []
    for tile in grid.tiles:
        figures = by_departement.get(tile.code)
        value = values.get(tile.code)
        css = "nat-none" if value is None else f"nat-c{class_of(value, bounds)}"
        tiles.append(
            MapTile(
                tile=tile,
                departement=departements.get(tile.code, tile.code),
                figures=figures,
                value=value,
                css=css,
            )
        )
    legend = []
    lower = ZERO
    for index, bound in enumerate(bounds):
        legend.append((f"nat-c{index}", lower, bound))
        lower = bound
    return {"grid": grid, "tiles": tiles, "legend": legend}


def departement_names() -> dict[str, str]:
    return dict(Departement.objects.values_list("code", "nom"))

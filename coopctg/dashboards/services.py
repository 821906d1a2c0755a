"""The data of the tableaux de bord and of the échéances, read from the other parts.

Everything is computed for a set of collectivités the caller has already scoped
(:mod:`coopctg.accounts.access`), in a fixed number of queries whatever their number
(:func:`territory_rows`): governance from :mod:`coopctg.governance.services`, the plan
d'actions from :mod:`coopctg.actionplan.services`, the funding of the year from
:mod:`coopctg.agreements.annual`, the bilans from :mod:`coopctg.reports.services`.

Team-level figures only: nothing here counts or ranks what one person did.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from coopctg.actionplan.services import plan_summaries
from coopctg.agreements.annual import collectivite_year, envelope_labels, with_year_agreements
from coopctg.agreements.models import AgreementVersion, FundingAgreement
from coopctg.core.formats import format_date
from coopctg.core.params import ParameterError
from coopctg.core.versions import PerCafMemo, by_collectivite_name, rows_in_view
from coopctg.ctg.models import Ctg
from coopctg.dashboards.tasks import Deadline, Side, advisor_names, report_tasks
from coopctg.diagnostic.commissions import AlertLine, open_alerts
from coopctg.funding.rules import Envelope
from coopctg.funding.rules.annual import AnnualFunding
from coopctg.governance import ics
from coopctg.governance.models import Meeting
from coopctg.governance.rules import MeetingKind, PeriodCompliance
from coopctg.governance.rules import Status as PeriodStatus
from coopctg.governance.services import GovernanceStatus, governance_statuses
from coopctg.organisations.models import LocalAuthority
from coopctg.reports.rules import Timeliness
from coopctg.reports.services import ReportState, report_states

ZERO = Decimal("0.00")

#: Who acts, as the pages write it.
CAF = "la Caf (conseiller·ère)"


class Category(StrEnum):
    """The state of a territory on the Caf's map, worst first."""

    BILAN_RETARD = "bilan_retard"
    GOUVERNANCE = "gouvernance"
    ANOMALIE = "anomalie"
    A_JOUR = "a_jour"
    SANS_CTG = "sans_ctg"

    @property
    def label(self) -> str:
        return CATEGORY_LABELS[self]


CATEGORY_LABELS: dict[Category, str] = {
    Category.BILAN_RETARD: "bilan en retard",
    Category.GOUVERNANCE: "gouvernance manquante",
    Category.ANOMALIE: "anomalies",
    Category.A_JOUR: "à jour",
    Category.SANS_CTG: "sans Ctg en cours",
}


# --- One Ctg, one collectivité ------------------------------------------------------------------


@dataclass
class CtgState:
    ctg: Ctg
    governance: GovernanceStatus
    plan: dict[str, Any]

    @property
    def overdue(self) -> int:
        return int(self.plan["overall"]["overdue"])

    @property
    def non_compliant(self) -> list[PeriodCompliance]:
        return [p for p in self.governance.periods if p.status is PeriodStatus.NON_CONFORME]

    @property
    def governance_label(self) -> str:
        if self.governance.compliant is None:
            return "non calculée"
        return "conforme" if self.governance.compliant else "non conforme"


@dataclass
class ReportLine:
    cof: FundingAgreement
    state: ReportState

    @property
    def url(self) -> str:
        """The bilan's page, or the Cof's bilans of that year when none is started yet."""
        if self.state.report is not None:
            return reverse("reports:detail", args=[self.state.report.pk])
        return f"{reverse('reports:list')}?annee={self.state.year}&cof={self.cof.pk}"

    @property
    def transmitted(self) -> bool:
        return self.state.timeliness in (Timeliness.A_TEMPS, Timeliness.TRANSMIS_EN_RETARD)


@dataclass
class EnvelopeLine:
    envelope: Envelope
    label: str
    amount: Decimal
    etp: Decimal


@dataclass
class TerritoryRow:
    """One collectivité: its current Ctg, funding of the year, bilans, and its state."""

    collectivite: LocalAuthority
    ctgs: list[CtgState]
    funding: AnnualFunding
    etp: dict[Envelope, Decimal]
    cof_in_force: bool
    reports: list[ReportLine]
    advisors: list[str]
    #: Bilans of any year past their deadline and not transmitted (the tasks' service).
    late_bilans: list[Deadline] = field(default_factory=list)
    #: Open alerts of the commissions d'admission of its Ctg (mission 2), without follow-up.
    commission_alerts: list[AlertLine] = field(default_factory=list)
    category: Category = Category.SANS_CTG
    reasons: list[str] = field(default_factory=list)

    @property
    def total_etp(self) -> Decimal:
        return sum(self.etp.values(), ZERO)

    @property
    def overdue(self) -> int:
        return sum(state.overdue for state in self.ctgs)

    @property
    def late_reports(self) -> list[ReportLine]:
        return [line for line in self.reports if line.state.late]

    @property
    def governance_label(self) -> str:
        labels = {state.governance_label for state in self.ctgs}
        for label in ("non conforme", "non calculée", "conforme"):
            if label in labels:
                return label
        return "—"

    @property
    def report_label(self) -> str:
        if self.late_bilans:
            return "en retard"
        if not self.reports:
            return "—"
        return ", ".join(
            f"{line.state.year} : {line.state.timeliness_label}" for line in self.reports
        )

    def who_at_caf(self) -> str:
        return f"{CAF} : {', '.join(self.advisors)}" if self.advisors else CAF


def current_ctgs(ctgs: Iterable[Ctg], today: dt.date) -> list[Ctg]:
    """The Ctg running on ``today`` (whatever their status); else the latest one."""
    ctgs = sorted(ctgs, key=lambda c: (c.date_debut, c.pk), reverse=True)
    running = [c for c in ctgs if c.date_debut <= today <= c.date_fin]
    return running or ctgs[:1]


def reference_day(year: int, today: dt.date) -> dt.date:
    """The day whose Cof versions give the Etp of ``year``: today in the current year."""
    return today if year == today.year else dt.date(year, 12, 31)


def etp_of(collectivite: LocalAuthority, day: dt.date) -> tuple[dict[Envelope, Decimal], bool]:
    """Etp per envelope of the signed Cof versions in force on ``day`` (prefetched by
    :func:`~coopctg.agreements.annual.with_year_agreements`), and whether one is."""
    etp = {envelope: ZERO for envelope in Envelope}
    found = False
    for cof in getattr(collectivite, "annual_cofs", []):
        if not cof.date_debut <= day <= cof.date_fin:
            continue
        versions: list[AgreementVersion] = [
            v
            for v in cof.annual_versions
            if v.date_effet <= day and (v.date_fin is None or v.date_fin >= day)
        ]
        if not versions:
            continue
        found = True
        version = versions[-1]
        for item in (version.ventilation or {}).get("enveloppes", []):
            try:
                envelope = Envelope(item["enveloppe"])
            except (KeyError, ValueError):
                continue
            etp[envelope] += Decimal(str(item.get("etp") or "0"))
    return etp, found


def _categorise(row: TerritoryRow, today: dt.date) -> None:
    reasons: list[str] = []
    for task in row.late_bilans:
        reasons.append(
            f"{task.what.replace('Bilan annuel', 'bilan')}, attendu le {format_date(task.date)}"
        )
    for state in row.ctgs:
        for kind in (MeetingKind.COPIL, MeetingKind.COTECH):
            missing = [p.label for p in state.non_compliant if p.kind is kind]
            if missing:
                shown = ", ".join(missing[-3:])
                more = len(missing) - 3
                tail = f" et {more} autre{'s' if more > 1 else ''} période{'s' if more > 1 else ''}"
                reasons.append(f"{_short(kind)} manquant : {shown}{tail if more > 0 else ''}")
    anomalies: list[str] = []
    running = [s for s in row.ctgs if s.ctg.date_debut <= today <= s.ctg.date_fin]
    if running and not row.cof_in_force:
        anomalies.append("aucune Cof en vigueur")
    if row.overdue:
        anomalies.append(f"{row.overdue} action{'s' if row.overdue > 1 else ''} en retard")
    if any(s.governance.compliant is None for s in row.ctgs):
        anomalies.append("conformité des instances non calculée")
    if row.commission_alerts:
        count = len(row.commission_alerts)
        plural = "s" if count > 1 else ""
        anomalies.append(f"{count} alerte{plural} de commission d'admission à suivre")
    row.reasons = reasons + anomalies
    if not row.ctgs:
        row.category = Category.SANS_CTG
    elif row.late_bilans:
        row.category = Category.BILAN_RETARD
    elif any(state.non_compliant for state in row.ctgs):
        row.category = Category.GOUVERNANCE
    elif anomalies:
        row.category = Category.ANOMALIE
    else:
        row.category = Category.A_JOUR


def _short(kind: MeetingKind) -> str:
    return "Copil" if kind is MeetingKind.COPIL else "Cotech"


def report_years(today: dt.date) -> tuple[int, int]:
    """The bilans in view: last year's (due this year) and this year's."""
    return today.year - 1, today.year


#: The rows of each whole Caf, kept until its data change (:mod:`coopctg.core.versions`):
#: about 1 MB for a Caf of 23 collectivités, so only the Caf dashboards being read.
_KEPT = PerCafMemo("tableaux de bord", size=16)


def territory_rows(
    collectivites: QuerySet[LocalAuthority], year: int, today: dt.date, *, keep: bool = True
) -> list[TerritoryRow]:
    """One row per collectivité of ``collectivites`` (already scoped), by name; a fixed number
    of queries whatever their number. The rows of a Caf whose every collectivité is in view
    (its staff) are kept per Caf until its data change, unless ``keep`` is false (the
    national figures keep their sums only)."""
    if not keep:
        return _territory_rows(collectivites, year, today)
    return rows_in_view(
        collectivites,
        _KEPT,
        (year, today),
        whole=lambda ids: _whole_caf_rows(ids, year, today),
        partial=lambda _, ids: _territory_rows(
            LocalAuthority.objects.filter(pk__in=ids), year, today
        ),
        order=by_collectivite_name,
    )


def _whole_caf_rows(caf_ids: list[int], year: int, today: dt.date) -> dict[int, list[TerritoryRow]]:
    found: dict[int, list[TerritoryRow]] = {pk: [] for pk in caf_ids}
    for row in _territory_rows(LocalAuthority.objects.filter(caf_id__in=caf_ids), year, today):
        found[row.collectivite.caf_id].append(row)
    return found


def _territory_rows(
    collectivites: QuerySet[LocalAuthority], year: int, today: dt.date
) -> list[TerritoryRow]:
    collectivites = list(with_year_agreements(collectivites, year))  # 3 queries
    ids = [c.pk for c in collectivites]
    links = Ctg.signataires.through.objects.filter(localauthority_id__in=ids).values_list(
        "ctg_id", "localauthority_id"
    )
    ctg_ids_of: dict[int, list[int]] = defaultdict(list)
    for ctg_id, collectivite_id in links:
        ctg_ids_of[collectivite_id].append(ctg_id)
    all_ctgs = {
        ctg.pk: ctg
        for ctg in Ctg.objects.filter(pk__in={i for v in ctg_ids_of.values() for i in v})
        .select_related("caf")
        .order_by("-date_debut", "intitule")
    }
    chosen = {
        c.pk: current_ctgs([all_ctgs[i] for i in ctg_ids_of[c.pk] if i in all_ctgs], today)
        for c in collectivites
    }
    unique = {ctg.pk: ctg for ctgs in chosen.values() for ctg in ctgs}
    statuses = governance_statuses(unique.values(), today)
    plans = plan_summaries(unique.values(), today)
    states = {pk: CtgState(ctg, statuses[pk], plans[pk]) for pk, ctg in unique.items()}
    reports = _report_lines(ids, today)
    advisors = advisor_names(ids)
    late_bilans = _late_bilans(collectivites, today)
    alerts: dict[int, list[AlertLine]] = defaultdict(list)
    for line in open_alerts(list(unique)):
        alerts[line.commission.ctg_id].append(line)
    day = reference_day(year, today)
    rows = []
    for collectivite in collectivites:
        etp, in_force = etp_of(collectivite, day)
        row = TerritoryRow(
            collectivite=collectivite,
            ctgs=[states[ctg.pk] for ctg in chosen[collectivite.pk]],
            funding=collectivite_year(collectivite, year),
            etp=etp,
            cof_in_force=in_force,
            reports=reports.get(collectivite.pk, []),
            advisors=advisors.get(collectivite.pk, []),
            late_bilans=late_bilans.get(collectivite.pk, []),
            commission_alerts=[
                line for ctg in chosen[collectivite.pk] for line in alerts.get(ctg.pk, [])
            ],
        )
        _categorise(row, today)
        rows.append(row)
    return rows


def _late_bilans(collectivites: list[LocalAuthority], today: dt.date) -> dict[int, list[Deadline]]:
    """The late bilans of each collectivité, any year, as the tasks' service sees them."""
    from coopctg.dashboards.tasks import Context, _signed_cofs

    ctx = Context(collectivites={la.pk: la for la in collectivites}, today=today)
    found: dict[int, list[Deadline]] = defaultdict(list)
    for task in report_tasks(ctx, _signed_cofs(ctx)):
        if task.late and task.side is Side.COLLECTIVITE and task.collectivite_id is not None:
            found[task.collectivite_id].append(task)
    return found


def _report_lines(collectivite_ids: list[int], today: dt.date) -> dict[int, list[ReportLine]]:
    """The bilans of :func:`report_years` of each collectivité's Cofs covering those years."""
    first, last = report_years(today)
    cofs = list(
        FundingAgreement.objects.filter(
            collectivite_id__in=collectivite_ids,
            date_debut__lte=dt.date(last, 12, 31),
            date_fin__gte=dt.date(first, 1, 1),
        )
        .select_related("ctg__caf")
        .order_by("date_debut", "numero")
    )
    lines: dict[int, list[ReportLine]] = defaultdict(list)
    for year in (first, last):
        covering = [c for c in cofs if c.date_debut.year <= year <= c.date_fin.year]
        if not covering:
            continue
        try:
            states = report_states(covering, year, today)
        except ParameterError:
            continue
        for cof in covering:
            lines[cof.collectivite_id].append(ReportLine(cof, states[cof.pk]))
    return lines


# --- Envelopes --------------------------------------------------------------------------------


def envelope_lines(rows: Iterable[TerritoryRow], caf_code: str, year: int) -> list[EnvelopeLine]:
    """Euros due for ``year`` and Etp in force, per envelope, summed over ``rows``."""
    rows = list(rows)
    labels = envelope_labels(caf_code, year)
    return [
        EnvelopeLine(
            envelope=envelope,
            label=labels.get(envelope, envelope.value),
            amount=sum((row.funding.envelopes[envelope] for row in rows), ZERO),
            etp=sum((row.etp[envelope] for row in rows), ZERO),
        )
        for envelope in Envelope
    ]


# --- Meetings ahead ---------------------------------------------------------------------------


def upcoming_meetings(
    ctgs: Iterable[Ctg], today: dt.date, limit: int = 5
) -> dict[int, list[Meeting]]:
    """The next instances of each Ctg (at most ``limit`` each), in one query."""
    ids = [ctg.pk for ctg in ctgs]
    found: dict[int, list[Meeting]] = {pk: [] for pk in ids}
    for meeting in Meeting.objects.filter(ctg_id__in=ids, date__gte=today).order_by(
        "date", "heure", "id"
    ):
        if len(found[meeting.ctg_id]) < limit:
            found[meeting.ctg_id].append(meeting)
    return found


# --- Échéances ---------------------------------------------------------------------------------
# What awaits whom is computed by coopctg.dashboards.tasks (one service for every page).


def deadlines_of_kind(items: Iterable[Deadline], kind: str) -> list[Deadline]:
    """The deadlines of ``kind`` (a key of :data:`DEADLINE_KINDS`); all of them for ``""``."""
    return [d for d in items if not kind or d.kind == kind]


# --- Calendar (iCalendar) ---------------------------------------------------------------------

DEADLINES_PRODID = "-//CoopCTG//Echeances//FR"


def deadline_uid(deadline: Deadline, host: str) -> str:
    """Stable across exports (kind, object, date): a re-import updates the event."""
    ref = deadline.ref or re.sub(r"[^a-z0-9]+", "-", deadline.url.lower()).strip("-")
    return f"coopctg-echeance-{deadline.kind}-{ref}-{deadline.date:%Y%m%d}@{host}"


def deadline_event(deadline: Deadline, base_url: str) -> ics.Event:
    """An all-day event on the deadline's date: what, who acts, where, the link."""
    link = base_url.rstrip("/") + deadline.url
    description = [f"Qui agit : {deadline.who}", f"Territoire : {deadline.territory}"]
    if deadline.late:
        description.insert(0, "En retard")
    description.append(link)
    return ics.Event(
        uid=deadline_uid(deadline, urlsplit(base_url).hostname or "coopctg"),
        start=deadline.date,
        end=deadline.date + dt.timedelta(days=1),
        summary=deadline.what,
        description="\n".join(description),
        url=link,
        categories=(deadline.kind_label,),
    )


def deadlines_calendar(items: Iterable[Deadline], base_url: str = "") -> str:
    """The iCalendar text of ``items``, one all-day VEVENT each (links from
    ``COOPCTG_BASE_URL`` by default)."""
    base_url = base_url or settings.COOPCTG_BASE_URL
    return ics.serialize_calendar(
        (deadline_event(d, base_url) for d in items),
        stamp=timezone.now(),
        prodid=DEADLINES_PRODID,
        name="Échéances — CoopCTG",
    )

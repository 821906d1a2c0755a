"""Ce qui attend qui: every task and deadline of a set of collectivités, over all years, and
which side must act.

The one service behind the home page of every role, the « Échéances » page and its calendar,
the dashboards, ``coopctg echeances`` and ``GET /api/v1/echeances/``: they all call
:func:`tasks_of` (or :func:`tasks_for_user`), so they cannot disagree.

Each kind of task comes from a *provider*, a function of :class:`Context` registered in
:data:`PROVIDERS`; a new module adds its own alerts by appending a provider. Every provider
reads what it needs with a fixed number of indexed queries, whatever the number of
collectivités and years (never the whole state of every territory).

Who acts is a :class:`Side`: the collectivité (its chargé·e de coopération, its editors), the
Caf (its administrator, the advisor of the collectivité), or both. Whether one user is the one
to act is :func:`actionable_by`: the same task is « à faire » for the advisor and « à suivre »
for the editor.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from django.db.models import Count, Min, QuerySet
from django.urls import reverse
from django.utils import timezone

from coopctg.actionplan.models import Action
from coopctg.actionplan.rules import CLOSED_STATUSES
from coopctg.agreements.models import FundingAgreement, ModificationRequest
from coopctg.core.formats import format_date
from coopctg.core.params import ParameterError
from coopctg.core.versions import PerCafMemo, rows_in_view
from coopctg.ctg.models import Ctg
from coopctg.diagnostic.dashboard import commission_alert_tasks
from coopctg.governance.rules import MeetingKind
from coopctg.governance.rules import Status as PeriodStatus
from coopctg.governance.services import governance_statuses
from coopctg.organisations.models import FollowUp, LocalAuthority
from coopctg.participation.dashboard import watch_alert_tasks
from coopctg.recruitment.models import Recruitment, Stage
from coopctg.reports.models import AnnualReport
from coopctg.reports.rules import Status as ReportStatus
from coopctg.reports.rules import Timeliness, timeliness
from coopctg.reports.services import due_or_none, parameters_for_caf

#: Who acts, as the pages write it.
COLLECTIVITE = "la collectivité"
CAF = "la Caf (conseiller·ère)"
#: A Cof ending within this many days, with nothing after it, is announced.
COF_END_NOTICE_DAYS = 183


class Side(StrEnum):
    COLLECTIVITE = "collectivite"
    CAF = "caf"
    ENSEMBLE = "ensemble"

    @property
    def label(self) -> str:
        return SIDE_LABELS[self]


SIDE_LABELS = {
    Side.COLLECTIVITE: "la collectivité",
    Side.CAF: "la Caf",
    Side.ENSEMBLE: "la Caf et la collectivité",
}


@dataclass(frozen=True)
class Deadline:
    """One task: what to do, by when, who acts, on which territory, and where."""

    date: dt.date
    kind: str  # a key of DEADLINE_KINDS
    what: str
    who: str
    territory: str
    url: str
    late: bool = False
    #: The object the task is about (« ctg-5 », « cof-7-bilan-2025 »…): with the kind and the
    #: date, the stable identity of the task (UID of its calendar event).
    ref: str = ""
    side: Side = Side.COLLECTIVITE
    collectivite_id: int | None = None
    #: Whether the reader is one who must act (set by :func:`for_reader`; None: unknown).
    mine: bool | None = None

    @property
    def kind_label(self) -> str:
        return DEADLINE_KINDS[self.kind]

    @property
    def side_label(self) -> str:
        return self.side.label


DEADLINE_KINDS = {
    "ctg_fin": "Fin de Ctg",
    "cof_fin": "Fin de Cof",
    "bilan": "Bilan annuel",
    "bilan_validation": "Bilan à valider",
    "copil": "Copil",
    "cotech": "Cotech",
    "demande": "Demande de modification",
    "recrutement": "Recrutement",
    "actions_retard": "Actions en retard",
    "referent": "Référent·e Caf",
    "commission": "Commission d'admission",
    "veille": "Alerte de veille",
}


@dataclass
class Context:
    """The collectivités in view (already scoped by the caller) and the day."""

    collectivites: dict[int, LocalAuthority]
    today: dt.date
    advisors: dict[int, list[str]] = field(default_factory=dict)
    #: The only kind of task asked for ("" : all): the providers of other kinds are skipped,
    #: their queries not run.
    kind: str = ""

    def wants(self, *kinds: str) -> bool:
        return not self.kind or self.kind in kinds

    @property
    def ids(self) -> list[int]:
        return list(self.collectivites)

    def name(self, collectivite_id: int) -> str:
        return self.collectivites[collectivite_id].nom

    def signatories(self, ctg_ids: Iterable[int] | None = None) -> dict[int, list[int]]:
        """{Ctg pk: its signatories in view, by name} of the Ctg signed by the collectivités in
        view (of ``ctg_ids`` only, when given); one query."""
        rows = Ctg.signataires.through.objects.filter(localauthority_id__in=self.ids)
        if ctg_ids is not None:
            rows = rows.filter(ctg_id__in=set(ctg_ids))
        links: dict[int, list[int]] = defaultdict(list)
        for ctg_id, collectivite_id in rows.values_list("ctg_id", "localauthority_id"):
            links[ctg_id].append(collectivite_id)
        for signatories in links.values():
            signatories.sort(key=self.name)
        return links

    def who_at_caf(self, collectivite_id: int) -> str:
        names = self.advisors.get(collectivite_id, [])
        return f"{CAF} : {', '.join(names)}" if names else CAF


Provider = Callable[[Context], Iterable[Deadline]]


# --- Providers ----------------------------------------------------------------------------------


def running_ctgs(ctx: Context) -> list[tuple[Ctg, list[int]]]:
    """The Ctg running on ``ctx.today`` and their signatories in view (two queries)."""
    links = ctx.signatories()
    ctgs = Ctg.objects.filter(
        pk__in=list(links), date_debut__lte=ctx.today, date_fin__gte=ctx.today
    ).select_related("caf")
    return [(ctg, links[ctg.pk]) for ctg in ctgs.order_by("date_fin", "pk")]


def ctg_ends(ctx: Context, running: list[tuple[Ctg, list[int]]]) -> Iterable[Deadline]:
    for ctg, signatories in running:
        first = signatories[0]
        yield Deadline(
            date=ctg.date_fin,
            kind="ctg_fin",
            what=f"Fin de la {ctg.intitule} : préparer l'évaluation et le renouvellement",
            who=f"{ctx.who_at_caf(first)} et {COLLECTIVITE}",
            territory=", ".join(ctx.name(i) for i in signatories),
            url=reverse("ctg:detail", args=[ctg.pk]),
            ref=f"ctg-{ctg.pk}",
            side=Side.ENSEMBLE,
            collectivite_id=first,
        )


def governance_tasks(ctx: Context, running: list[tuple[Ctg, list[int]]]) -> Iterable[Deadline]:
    """The Copil of the year and the Cotech of the semester still to hold (fewer held or
    planned than the dated minimum)."""
    # Only the current year and semester matter: their meetings only (indexed by Ctg, date).
    statuses = governance_statuses(
        [ctg for ctg, _ in running], ctx.today, since=dt.date(ctx.today.year, 1, 1)
    )
    for ctg, signatories in running:
        for period in statuses[ctg.pk].periods:
            if period.status is not PeriodStatus.EN_COURS or period.minimum is None:
                continue
            if len(period.held) + len(period.planned) >= period.minimum.value:
                continue  # enough planned: nothing to organise
            name = "Copil" if period.kind is MeetingKind.COPIL else "Cotech"
            label = period.period.label if period.kind is MeetingKind.COTECH else f"de {period.key}"
            planned = f", {len(period.planned)} prévu" if period.planned else ""
            first = signatories[0]
            yield Deadline(
                date=period.end,
                kind=period.kind.value,
                what=(
                    f"{name} {label} à tenir ({len(period.held)} tenu{planned}, minimum "
                    f"{period.minimum.value}) — {ctg.intitule}"
                ),
                who=f"{COLLECTIVITE} (chargé·e de coopération), avec {ctx.who_at_caf(first)}",
                territory=", ".join(ctx.name(i) for i in signatories),
                url=reverse("governance:ctg", args=[ctg.pk]),
                ref=f"ctg-{ctg.pk}-{period.kind.value}-{period.key}",
                side=Side.COLLECTIVITE,
                collectivite_id=first,
            )


def plan_alerts(ctx: Context, running: list[tuple[Ctg, list[int]]]) -> Iterable[Deadline]:
    """Actions of the plan past their end date, neither réalisées nor abandonnées (one
    query)."""
    by_ctg = {ctg.pk: (ctg, signatories) for ctg, signatories in running}
    rows = (
        Action.objects.filter(ctg_id__in=list(by_ctg), date_fin__lt=ctx.today)
        .exclude(statut__in=[status.value for status in CLOSED_STATUSES])
        .values("ctg_id")
        .annotate(count=Count("id"), first=Min("date_fin"))
        .order_by("ctg_id")
    )
    for row in rows:
        ctg, signatories = by_ctg[row["ctg_id"]]
        count = row["count"]
        plural = "s" if count > 1 else ""
        yield Deadline(
            date=row["first"],
            kind="actions_retard",
            what=(
                f"{count} action{plural} du plan en retard : mettre à jour l'avancement ou "
                f"les échéances — {ctg.intitule}"
            ),
            who=f"{COLLECTIVITE} (chargé·e de coopération)",
            territory=", ".join(ctx.name(i) for i in signatories),
            url=reverse("actionplan:plan", args=[ctg.pk]),
            late=True,
            ref=f"ctg-{ctg.pk}-actions",
            side=Side.COLLECTIVITE,
            collectivite_id=signatories[0],
        )


def _signed_cofs(ctx: Context) -> list[FundingAgreement]:
    return list(
        FundingAgreement.objects.filter(collectivite_id__in=ctx.ids)
        .exclude(statut=FundingAgreement.Status.PROJET)
        .select_related("ctg__caf")
        .order_by("collectivite_id", "date_debut", "numero")
    )


def cof_ends(ctx: Context, cofs: list[FundingAgreement]) -> Iterable[Deadline]:
    """A signed Cof ending soon, before its Ctg, with no other Cof after it: an avenant of
    prolongation or the next Cof is to prepare (the end of the Ctg has its own task)."""
    horizon = ctx.today + dt.timedelta(days=COF_END_NOTICE_DAYS)
    for cof in cofs:
        if not ctx.today <= cof.date_fin <= horizon or cof.date_fin >= cof.ctg.date_fin:
            continue
        if any(
            other.collectivite_id == cof.collectivite_id and other.date_debut > cof.date_fin
            for other in cofs
        ):
            continue
        yield Deadline(
            date=cof.date_fin,
            kind="cof_fin",
            what=(
                f"Fin de la Cof {cof.numero} avant celle de la Ctg "
                f"({format_date(cof.ctg.date_fin)}) : préparer un avenant ou la Cof suivante"
            ),
            who=f"{ctx.who_at_caf(cof.collectivite_id)} et {COLLECTIVITE}",
            territory=ctx.name(cof.collectivite_id),
            url=reverse("agreements:detail", args=[cof.pk]),
            ref=f"cof-{cof.pk}",
            side=Side.ENSEMBLE,
            collectivite_id=cof.collectivite_id,
        )


def report_tasks(ctx: Context, cofs: list[FundingAgreement]) -> Iterable[Deadline]:
    """Every bilan annuel not validated, whatever its year: to write and transmit (or
    complete) by the collectivité, or to validate by the Caf (one query of the reports, their
    frozen facts left unread)."""
    reports = {
        (report.cof_id, report.annee): report
        for report in AnnualReport.objects.filter(cof__in=[c.pk for c in cofs])
        .exclude(statut=ReportStatus.VALIDE)
        .only("id", "cof_id", "annee", "statut", "transmis_le", "premiere_transmission_le")
    }
    validated = set(
        AnnualReport.objects.filter(
            cof__in=[c.pk for c in cofs], statut=ReportStatus.VALIDE
        ).values_list("cof_id", "annee")
    )
    for cof in cofs:
        try:
            parameters = parameters_for_caf(cof.ctg.caf.code)
        except ParameterError:  # no report parameters for this Caf: no deadline to show
            parameters = None
        for year in range(cof.date_debut.year, min(cof.date_fin.year, ctx.today.year) + 1):
            if (cof.pk, year) in validated:
                continue
            yield from _report_task(ctx, cof, year, reports.get((cof.pk, year)), parameters)


def _report_task(
    ctx: Context, cof: FundingAgreement, year: int, report: AnnualReport | None, parameters: Any
) -> Iterable[Deadline]:
    due = due_or_none(parameters, year) if parameters is not None else None
    status = ReportStatus(report.statut) if report else None
    collectivite_id = cof.collectivite_id
    url = (
        reverse("reports:detail", args=[report.pk])
        if report is not None
        else f"{reverse('reports:list')}?annee={year}&cof={cof.pk}"
    )
    ref = f"cof-{cof.pk}-bilan-{year}"
    if status is ReportStatus.TRANSMIS and report is not None:
        sent = timezone.localdate(report.transmis_le) if report.transmis_le else ctx.today
        yield Deadline(
            date=sent,
            kind="bilan_validation",
            what=(
                f"Bilan annuel {year} transmis le {format_date(sent)}, à valider ou à renvoyer "
                f"« à compléter » (Cof {cof.numero}) — le solde de {year} en dépend"
            ),
            who=ctx.who_at_caf(collectivite_id),
            territory=ctx.name(collectivite_id),
            url=url,
            ref=ref,
            side=Side.CAF,
            collectivite_id=collectivite_id,
        )
        return
    if due is None:  # « échéance non paramétrée »: the bilans page says so
        return
    first = report.premiere_transmission_le if report else None
    state = timeliness(status, due, ctx.today, timezone.localdate(first) if first else None)
    if status is ReportStatus.A_COMPLETER:
        verb = "compléter et transmettre à nouveau"
    elif status is ReportStatus.BROUILLON:
        verb = "achever et transmettre"
    else:
        verb = "rédiger et transmettre"
    yield Deadline(
        date=due,
        kind="bilan",
        what=f"Bilan annuel {year} à {verb} (Cof {cof.numero})",
        who=COLLECTIVITE,
        territory=ctx.name(collectivite_id),
        url=url,
        late=state is Timeliness.EN_RETARD,
        ref=ref,
        side=Side.COLLECTIVITE,
        collectivite_id=collectivite_id,
    )


REQUEST_ACTIONS = {
    ModificationRequest.Status.BROUILLON: ("à soumettre à la Caf", Side.COLLECTIVITE),
    ModificationRequest.Status.SOUMISE: ("à instruire et décider", Side.CAF),
    ModificationRequest.Status.A_MODIFIER: ("à modifier et soumettre à nouveau", Side.COLLECTIVITE),
}


def request_tasks(ctx: Context) -> Iterable[Deadline]:
    requests = ModificationRequest.objects.filter(
        cof__collectivite_id__in=ctx.ids, statut__in=ModificationRequest.OPEN
    ).select_related("cof", "architecture")
    for request in requests:
        collectivite_id = request.cof.collectivite_id
        action, side = REQUEST_ACTIONS[ModificationRequest.Status(request.statut)]
        yield Deadline(
            date=request.date_effet,
            kind="demande",
            what=(
                f"Demande de modification de la Cof {request.cof.numero} "
                f"({request.get_statut_display()}) : {action} — effet demandé au "
                f"{format_date(request.date_effet)}"
            ),
            who=ctx.who_at_caf(collectivite_id) if side is Side.CAF else COLLECTIVITE,
            territory=ctx.name(collectivite_id),
            url=reverse("agreements:request", args=[request.pk]),
            late=request.date_effet < ctx.today,
            ref=f"demande-{request.pk}",
            side=side,
            collectivite_id=collectivite_id,
        )


def recruitment_tasks(ctx: Context) -> Iterable[Deadline]:
    waiting = Recruitment.objects.filter(collectivite_id__in=ctx.ids, etape=Stage.AVIS_CAF, avis="")
    for recruitment in waiting:
        collectivite_id = recruitment.collectivite_id
        yield Deadline(
            date=timezone.localdate(recruitment.modifie_le),
            kind="recrutement",
            what=(
                f"Recrutement « {recruitment.intitule} » : avis de la Caf attendu avant la décision"
            ),
            who=ctx.who_at_caf(collectivite_id),
            territory=ctx.name(collectivite_id),
            url=reverse("recruitment:detail", args=[recruitment.pk]),
            ref=f"recrutement-{recruitment.pk}",
            side=Side.CAF,
            collectivite_id=collectivite_id,
        )


def referent_tasks(ctx: Context, running: list[tuple[Ctg, list[int]]]) -> Iterable[Deadline]:
    """A collectivité with a running Ctg and no Caf referent: the Caf designates one."""
    covered = {i for _, signatories in running for i in signatories}
    for collectivite_id in sorted(covered - set(ctx.advisors), key=ctx.name):
        yield Deadline(
            date=ctx.today,
            kind="referent",
            what=f"Désigner le ou la référent·e Caf de {ctx.name(collectivite_id)}",
            who="la Caf (administration)",
            territory=ctx.name(collectivite_id),
            url=reverse(
                "organisations:follow_ups",
                args=[ctx.collectivites[collectivite_id].caf.code],
            )
            + f"#collectivite-{collectivite_id}",
            ref=f"collectivite-{collectivite_id}-referent",
            side=Side.CAF,
            collectivite_id=collectivite_id,
        )


def _core_providers(ctx: Context) -> Iterable[Deadline]:
    """The core tasks; with :attr:`Context.kind`, only the queries of that kind are run."""
    running = (
        running_ctgs(ctx)
        if ctx.wants("ctg_fin", "copil", "cotech", "actions_retard", "referent")
        else []
    )
    cofs = _signed_cofs(ctx) if ctx.wants("cof_fin", "bilan", "bilan_validation") else []
    if ctx.wants("ctg_fin"):
        yield from ctg_ends(ctx, running)
    if ctx.wants("cof_fin"):
        yield from cof_ends(ctx, cofs)
    if ctx.wants("bilan", "bilan_validation"):
        yield from report_tasks(ctx, cofs)
    if ctx.wants("copil", "cotech"):
        yield from governance_tasks(ctx, running)
    if ctx.wants("actions_retard"):
        yield from plan_alerts(ctx, running)
    if ctx.wants("demande"):
        yield from request_tasks(ctx)
    if ctx.wants("recrutement"):
        yield from recruitment_tasks(ctx)
    if ctx.wants("referent"):
        yield from referent_tasks(ctx, running)


#: Every source of tasks; another module adds its alerts by appending a function here.
PROVIDERS: list[Provider] = [
    _core_providers,
    commission_alert_tasks,  # open alerts of the commissions d'admission (mission 2)
    watch_alert_tasks,  # alerts of the veille without follow-up (mission 4)
]


# --- Entry points -------------------------------------------------------------------------------


def advisor_names(collectivite_ids: Iterable[int]) -> dict[int, list[str]]:
    """The Caf team members who follow each collectivité (FollowUp), by name (one query)."""
    names: dict[int, list[str]] = defaultdict(list)
    rows = (
        FollowUp.objects.filter(collectivite_id__in=list(collectivite_ids))
        .select_related("member")
        .order_by("member__nom", "member__prenom")
    )
    for follow_up in rows:
        name = str(follow_up.member)
        if name not in names[follow_up.collectivite_id]:
            names[follow_up.collectivite_id].append(name)
    return dict(names)


#: The tasks of each whole Caf, kept until its data change (:mod:`coopctg.core.versions`).
_KEPT = PerCafMemo("échéances", size=512)  # about 70 kB for a Caf of 23 collectivités


def _sort_key(task: Deadline) -> tuple[dt.date, str, str]:
    return (task.date, task.territory, task.what)


def _tasks(found: dict[int, LocalAuthority], today: dt.date, kind: str = "") -> list[Deadline]:
    ctx = Context(collectivites=found, today=today, advisors=advisor_names(found), kind=kind)
    items = [task for provider in PROVIDERS for task in provider(ctx)] if found else []
    if kind:
        items = [task for task in items if task.kind == kind]
    return sorted(items, key=_sort_key)


def _whole_caf_tasks(caf_ids: list[int], today: dt.date) -> dict[int, list[Deadline]]:
    """Every task of every collectivité of ``caf_ids``, per Caf (a fixed number of queries)."""
    everyone = {
        la.pk: la
        for la in LocalAuthority.objects.filter(caf_id__in=caf_ids)
        .select_related("caf")
        .order_by("nom")
    }
    per_caf: dict[int, list[Deadline]] = {pk: [] for pk in caf_ids}
    for task in _tasks(everyone, today):
        per_caf[everyone[task.collectivite_id].caf_id].append(task)
    return per_caf


#: The tasks of some collectivités of one Caf (an editor's, an advisor's), kept until the
#: Caf's data change.
_KEPT_PARTS = PerCafMemo("échéances d'une part d'une Caf", size=512)


def _load(ids: Iterable[int]) -> dict[int, LocalAuthority]:
    return {
        la.pk: la
        for la in LocalAuthority.objects.filter(pk__in=list(ids))
        .select_related("caf")
        .order_by("nom")
    }


def _partial_tasks(
    pairs: list[tuple[int, int]], ids: list[int], today: dt.date, kind: str
) -> list[Deadline]:
    """The tasks of ``ids``, collectivités of Caf not wholly in view: kept when they are all
    of one Caf (computed for every kind, then filtered)."""
    wanted = set(ids)
    cafs = {caf_id for pk, caf_id in pairs if pk in wanted}
    if len(cafs) != 1:
        return _tasks(_load(ids), today, kind)
    (caf_id,) = cafs
    key = (frozenset(ids), today)
    found = _KEPT_PARTS.one(caf_id, key, lambda: _tasks(_load(ids), today))
    return [t for t in found if t.kind == kind] if kind else found


def tasks_of(
    collectivites: QuerySet[LocalAuthority], today: dt.date | None = None, kind: str = ""
) -> list[Deadline]:
    """Every task of ``collectivites`` (already scoped), by date then territory; only those
    of ``kind`` when given. A fixed number of queries whatever their number.

    The tasks of a Caf whose every collectivité is in view (a Caf's staff, the national
    analyst) are kept per Caf until its data change: a page over every Caf of France reads
    the Caf that changed only. Those of some collectivités of one Caf (an editor's, an
    advisor's) are kept too, under that Caf's version."""
    today = today or timezone.localdate()
    items = rows_in_view(
        collectivites,
        _KEPT,
        today,
        whole=lambda ids: _whole_caf_tasks(ids, today),
        partial=lambda pairs, ids: _partial_tasks(pairs, ids, today, kind),
        order=_sort_key,
    )
    return [task for task in items if task.kind == kind] if kind else items


def tasks_for_user(user: Any, today: dt.date | None = None, kind: str = "") -> list[Deadline]:
    """The tasks of every collectivité the user sees."""
    from coopctg.accounts.access import visible_collectivites

    return tasks_of(visible_collectivites(user), today, kind)


def actionable_by(user: Any, task: Deadline) -> bool:
    """Whether ``user`` is one who must act on ``task``: a Caf administrator of its Caf or the
    advisor of its collectivité for the Caf's side, an editor of the collectivité for its
    side. Analysts and elected officials read; they never act."""
    from coopctg.accounts.access import scope_of

    scope = scope_of(user)
    collectivite_id = task.collectivite_id
    caf_side = collectivite_id in scope.advised_ids or bool(
        scope.caf_admin_ids and collectivite_id in _caf_collectivites(scope)
    )
    own_side = collectivite_id in scope.edited_ids
    if task.side is Side.CAF:
        return caf_side
    if task.side is Side.COLLECTIVITE:
        return own_side
    return caf_side or own_side


def _caf_collectivites(scope: Any) -> set[int]:
    cached = getattr(scope, "_admin_collectivites", None)
    if cached is None:
        cached = set(
            LocalAuthority.objects.filter(caf_id__in=scope.caf_admin_ids).values_list(
                "pk", flat=True
            )
        )
        scope._admin_collectivites = cached
    return cached


def for_reader(user: Any, items: Iterable[Deadline]) -> list[Deadline]:
    """The tasks, each marked with whether ``user`` must act on it (:attr:`Deadline.mine`)."""
    return [replace(task, mine=actionable_by(user, task)) for task in items]


def split_for(user: Any, items: Iterable[Deadline]) -> tuple[list[Deadline], list[Deadline]]:
    """(what the user must do, what others must do), each in the order given and marked."""
    marked = for_reader(user, items)
    return [t for t in marked if t.mine], [t for t in marked if not t.mine]

"""The « diagnostic » panel of the tableaux de bord, and the task of an open alert of a
commission d'admission for « ce qui attend qui » (:mod:`coopctg.dashboards.tasks`).

:func:`ctg_panels` reads, for many Ctg at once and in a fixed number of queries: the latest
version of the diagnostic partagé and the last one validated in Copil, its enjeux without
action, the besoins of the year (and those without answer), the commissions of the year and
their open alerts, and how many objectifs de développement are reached.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q
from django.urls import reverse

from coopctg.core.formats import format_date
from coopctg.ctg.models import Ctg
from coopctg.diagnostic.commissions import AlertLine, commission_states, open_alerts
from coopctg.diagnostic.models import Commission, Diagnostic, Enjeu, Need
from coopctg.diagnostic.rules import TargetStatus
from coopctg.diagnostic.targets import outcomes_of_ctgs

#: The kind of task of an open alert (a key of DEADLINE_KINDS).
TASK_KIND = "commission"
TASK_LABEL = "Commission d'admission"


@dataclass
class Panel:
    ctg: Ctg
    year: int
    latest: Diagnostic | None = None
    validated: Diagnostic | None = None
    enjeux: int = 0
    enjeux_without_action: int = 0
    needs: int = 0
    needs_unanswered: int = 0
    open_alerts: list[AlertLine] = field(default_factory=list)
    targets_set: int = 0
    targets_reached: int = 0

    @property
    def diagnostic_label(self) -> str:
        if self.latest is None:
            return "aucun diagnostic"
        latest, validated = self.latest, self.validated
        if latest.validated:
            return f"version {latest.version} validée en Copil le {format_date(latest.valide_le)}"
        label = f"version {latest.version} en cours"
        if validated is not None:
            label += f" (version {validated.version} validée le {format_date(validated.valide_le)})"
        return label


def ctg_panels(ctgs: Iterable[Ctg], today: dt.date, with_targets: bool = True) -> dict[int, Panel]:
    """The panel of each Ctg (load them with their ``caf``): 5 queries whatever their number,
    and 4 more for the objectifs de développement (``with_targets``)."""
    ctgs = list(ctgs)
    ids = [ctg.pk for ctg in ctgs]
    panels = {ctg.pk: Panel(ctg=ctg, year=today.year) for ctg in ctgs}
    for version in Diagnostic.objects.filter(ctg_id__in=ids).order_by("ctg_id", "-version"):
        panel = panels[version.ctg_id]
        if panel.latest is None:
            panel.latest = version
        if version.validated and panel.validated is None:
            panel.validated = version
    latest_ids = [p.latest.pk for p in panels.values() if p.latest is not None]
    by_version = {p.latest.pk: p for p in panels.values() if p.latest is not None}
    rows = (
        Enjeu.objects.filter(diagnostic_id__in=latest_ids)
        .annotate(linked=Count("actions"))
        .values_list("diagnostic_id", "linked")
    )
    for diagnostic_id, linked in rows:
        panel = by_version[diagnostic_id]
        panel.enjeux += 1
        panel.enjeux_without_action += int(linked == 0)
    needs = (
        Need.objects.filter(ctg_id__in=ids, date__year=today.year)
        .values("ctg_id")
        .annotate(total=Count("id"), unanswered=Count("id", filter=Q(repondu=False)))
        .order_by("ctg_id")
    )
    for row in needs:
        panels[row["ctg_id"]].needs = row["total"]
        panels[row["ctg_id"]].needs_unanswered = row["unanswered"]
    for line in open_alerts(ids):
        panels[line.commission.ctg_id].open_alerts.append(line)
    if with_targets:
        for ctg_pk, blocks in outcomes_of_ctgs(ctgs, today).items():
            for block in blocks:
                for kind in block.kinds:
                    if kind.target is not None:
                        panels[ctg_pk].targets_set += 1
                        panels[ctg_pk].targets_reached += int(
                            kind.outcome.status is TargetStatus.ATTEINT
                        )
    return panels


# --- Ce qui attend qui ------------------------------------------------------------------------


def commission_alert_tasks(ctx: Any) -> Iterable[Any]:
    """Each open alert of a commission d'admission of the Ctg of the collectivités in view:
    the collectivité (its chargé·e de coopération) records its follow-up — « alerter,
    contrôler, corriger ou faire corriger ». One query when there is no commission, three
    otherwise."""
    from coopctg.dashboards.tasks import COLLECTIVITE, Deadline, Side

    if not ctx.wants("commission"):
        return
    found = list(
        Commission.objects.filter(ctg__signataires__id__in=ctx.ids)
        .select_related("ctg__caf")
        .distinct()
        .order_by("date", "id")
    )
    alerts = [line for state in commission_states(found) for line in state.open_alerts]
    if not alerts:
        return
    links = ctx.signatories(line.commission.ctg_id for line in alerts)
    for line in alerts:
        commission = line.commission
        signatories = links[commission.ctg_id]
        first = signatories[0]
        yield Deadline(
            date=commission.date,
            kind=TASK_KIND,
            what=(
                f"{commission.intitule} du {format_date(commission.date)} : "
                f"part « {line.alert.criterion.short_label} » sous le seuil — enregistrer le suivi "
                "(alerter, contrôler, corriger ou faire corriger)"
            ),
            who=f"{COLLECTIVITE} (chargé·e de coopération), avec {ctx.who_at_caf(first)}",
            territory=", ".join(ctx.name(i) for i in signatories),
            url=reverse("diagnostic:commission", args=[commission.pk])
            + f"#alerte-{line.criterion.value}",
            ref=line.ref,
            side=Side.COLLECTIVITE,
            collectivite_id=first,
        )

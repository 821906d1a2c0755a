"""The « relation avec la population » panel of a Ctg on the collectivité's dashboard: the
year's consultations and participants, the questionnaires open to answers, the year's
supports, the alerts without follow-up, the public page. 5 queries whatever the number of Ctg.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, Sum

from coopctg.core.formats import format_date
from coopctg.ctg.models import Ctg
from coopctg.participation.models import (
    Consultation,
    PublicPage,
    Questionnaire,
    Support,
    WatchNote,
)
from coopctg.participation.rules import WatchKind


@dataclass
class Panel:
    ctg: Ctg
    year: int
    consultations: int = 0
    participants: int = 0
    open_questionnaires: int = 0
    supports: int = 0
    alerts_without_follow_up: int = 0
    public_page: bool = False


def ctg_panels(ctgs: Iterable[Ctg], today: dt.date) -> dict[int, Panel]:
    ctgs = list(ctgs)
    ids = [ctg.pk for ctg in ctgs]
    panels = {ctg.pk: Panel(ctg=ctg, year=today.year) for ctg in ctgs}
    rows = (
        Consultation.objects.filter(ctg_id__in=ids, date_debut__year=today.year)
        .values("ctg_id")
        .annotate(n=Count("id", distinct=True), people=Sum("participations__nombre"))
        .order_by("ctg_id")
    )
    for row in rows:
        panels[row["ctg_id"]].consultations = row["n"]
        panels[row["ctg_id"]].participants = row["people"] or 0
    open_rows = (
        Questionnaire.objects.filter(consultation__ctg_id__in=ids, statut="publie")
        .filter(Q(date_cloture__isnull=True) | Q(date_cloture__gte=today))
        .values("consultation__ctg_id")
        .annotate(n=Count("id"))
        .order_by("consultation__ctg_id")
    )
    for row in open_rows:
        panels[row["consultation__ctg_id"]].open_questionnaires = row["n"]
    support_rows = (
        Support.objects.filter(ctg_id__in=ids, date__year=today.year)
        .values("ctg_id")
        .annotate(n=Count("id"))
        .order_by("ctg_id")
    )
    for row in support_rows:
        panels[row["ctg_id"]].supports = row["n"]
    alert_rows = (
        WatchNote.objects.filter(ctg_id__in=ids, type="alerte", suite="")
        .values("ctg_id")
        .annotate(n=Count("id"))
        .order_by("ctg_id")
    )
    for row in alert_rows:
        panels[row["ctg_id"]].alerts_without_follow_up = row["n"]
    for ctg_id in PublicPage.objects.filter(ctg_id__in=ids, active=True).values_list(
        "ctg_id", flat=True
    ):
        panels[ctg_id].public_page = True
    return panels


# --- Ce qui attend qui ------------------------------------------------------------------------

#: The kind of task of an alert of the veille without follow-up (a key of DEADLINE_KINDS).
TASK_KIND = "veille"
TASK_LABEL = "Alerte de veille"


def watch_alert_tasks(ctx: Any) -> Iterable[Any]:
    """Each alert of the journal de veille of the Ctg of the collectivités in view that has no
    follow-up yet: the collectivité (its chargé·e de coopération) records what followed; the
    task closes when the follow-up is recorded. Two queries whatever the number of alerts
    (one when there is none)."""
    from django.urls import reverse

    from coopctg.dashboards.tasks import COLLECTIVITE, Deadline, Side

    if not ctx.wants(TASK_KIND):
        return
    alerts = list(
        WatchNote.objects.filter(
            ctg__signataires__id__in=ctx.ids, type=WatchKind.ALERTE.value, suite=""
        )
        .distinct()
        .order_by("date", "id")
    )
    if not alerts:
        return
    links = ctx.signatories(alert.ctg_id for alert in alerts)
    for alert in alerts:
        signatories = links[alert.ctg_id]
        first = signatories[0]
        yield Deadline(
            date=alert.date,
            kind=TASK_KIND,
            what=(
                f"Alerte du {format_date(alert.date)} « {alert.objet} » : "
                "enregistrer la suite donnée"
            ),
            who=f"{COLLECTIVITE} (chargé·e de coopération), avec {ctx.who_at_caf(first)}",
            territory=", ".join(ctx.name(i) for i in signatories),
            url=reverse("participation:watch_edit", args=[alert.pk]),
            ref=f"veille-{alert.pk}",
            side=Side.COLLECTIVITE,
            collectivite_id=first,
        )

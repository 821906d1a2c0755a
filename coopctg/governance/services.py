"""Governance of a Ctg: compliance with the minimum of instances, state changes, faits
marquants. Each change writes its history row in the same transaction.

Public functions for other parts of the application:

- :func:`governance_status` (and :func:`governance_statuses` for many Ctg at once): the
  status of each Copil year and Cotech semester of a Ctg, with the alerts (dashboards);
- :func:`highlights`: the faits marquants of a Ctg, of one year if given (annual report).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from coopctg.core import versions
from coopctg.core.audit import record_change, snapshot
from coopctg.core.caf_params import ParameterFamily, has_any_parameters
from coopctg.core.models import AuditEntry
from coopctg.core.params import ParameterError, format_date_fr
from coopctg.ctg.models import Ctg
from coopctg.governance import ics
from coopctg.governance.models import Decision, Highlight, Meeting
from coopctg.governance.rules import (
    Alert,
    Compliance,
    GovernanceParameters,
    MeetingKind,
    PeriodCompliance,
    compute_compliance,
    load_governance_parameters,
    parse_meeting,
)

logger = logging.getLogger(__name__)
PARAMETERS_ROOT = Path(__file__).resolve().parent / "parametres"


# --- Compliance ----------------------------------------------------------------------------


_parameters = ParameterFamily(
    "paramètre d'instances",
    lambda parameters, caf: load_governance_parameters(parameters),
    root=lambda: PARAMETERS_ROOT,
)


def parameters_for_caf(caf_code: str) -> GovernanceParameters:
    """The dated minimums of a Caf (``parametres/caf-<code>/``, else ``parametres/national/``,
    :mod:`coopctg.core.caf_params`); raises :class:`~coopctg.core.params.ParameterError`
    (French message) when invalid."""
    return _parameters(PARAMETERS_ROOT, caf_code)


@dataclass(frozen=True)
class GovernanceStatus:
    """What a dashboard needs about the governance of one Ctg on ``today``.

    ``compliance`` is None when the Caf's minimums cannot be read (``unavailable`` says why,
    in French); otherwise ``periods`` and ``alerts`` come from the pure rules.
    """

    ctg_id: int
    today: dt.date
    compliance: Compliance | None
    unavailable: str = ""

    @property
    def periods(self) -> tuple[PeriodCompliance, ...]:
        return self.compliance.periods if self.compliance else ()

    @property
    def alerts(self) -> tuple[Alert, ...]:
        return self.compliance.alerts if self.compliance else ()

    @property
    def copil(self) -> tuple[PeriodCompliance, ...]:
        return self.compliance.of_kind(MeetingKind.COPIL) if self.compliance else ()

    @property
    def cotech(self) -> tuple[PeriodCompliance, ...]:
        return self.compliance.of_kind(MeetingKind.COTECH) if self.compliance else ()

    @property
    def compliant(self) -> bool | None:
        """True/False once computed: no past period short of its minimum; None if unknown."""
        return self.compliance.compliant if self.compliance else None

    @property
    def non_compliant_count(self) -> int:
        return len(self.compliance.non_compliant) if self.compliance else 0


def status_for(
    ctg: Ctg, meetings: Iterable[tuple[str, dt.date]], today: dt.date
) -> GovernanceStatus:
    """The status from meetings already read (``(kind, date)`` pairs)."""
    try:
        parameters = parameters_for_caf(ctg.caf.code)
    except ParameterError as error:
        if has_any_parameters(PARAMETERS_ROOT, ctg.caf.code):  # present but invalid
            logger.error("Paramètres d'instances de la Caf %s illisibles : %s", ctg.caf.code, error)
        return GovernanceStatus(
            ctg_id=ctg.pk,
            today=today,
            compliance=None,
            unavailable=(
                f"Les minimums d'instances de la {ctg.caf.nom} ne sont pas paramétrés : la "
                "conformité des comités de pilotage et techniques n'est pas calculée."
            ),
        )
    compliance = compute_compliance(
        ctg.date_debut,
        ctg.date_fin,
        [parse_meeting(kind, date) for kind, date in meetings],
        today,
        parameters,
    )
    return GovernanceStatus(ctg_id=ctg.pk, today=today, compliance=compliance)


def governance_status(ctg: Ctg, today: dt.date | None = None) -> GovernanceStatus:
    """Status of each Copil year and Cotech semester of ``ctg`` on ``today`` (default: the
    local date), with the alerts. One query (plus the Ctg's Caf if not already loaded)."""
    today = today or timezone.localdate()
    meetings = Meeting.objects.filter(ctg=ctg).values_list("kind", "date")
    return status_for(ctg, list(meetings), today)


def governance_statuses(
    ctgs: Iterable[Ctg], today: dt.date | None = None, since: dt.date | None = None
) -> dict[int, GovernanceStatus]:
    """:func:`governance_status` of many Ctg in one query (load them with their ``caf``).

    With ``since``, only the meetings from that day on are read (index
    ``meeting_ctg_date_idx``): the periods ending before it are then incomplete, and only the
    later ones (e.g. the current year and semester, for the tasks) are to be trusted."""
    today = today or timezone.localdate()
    ctgs = list(ctgs)
    by_ctg: dict[int, list[tuple[str, dt.date]]] = {ctg.pk: [] for ctg in ctgs}
    meetings = Meeting.objects.filter(ctg__in=[c.pk for c in ctgs])
    if since is not None:
        meetings = meetings.filter(date__gte=since)
    rows = meetings.values_list("ctg_id", "kind", "date")
    for ctg_id, kind, date in rows:
        by_ctg[ctg_id].append((kind, date))
    return {ctg.pk: status_for(ctg, by_ctg[ctg.pk], today) for ctg in ctgs}


# --- Faits marquants -----------------------------------------------------------------------


def highlights(ctg: Ctg, year: int | None = None) -> QuerySet[Highlight]:
    """The faits marquants of ``ctg`` in date order; only those dated in ``year`` if given."""
    queryset = Highlight.objects.filter(ctg=ctg).order_by("date", "id")
    return queryset.filter(date__year=year) if year is not None else queryset


HIGHLIGHT_FIELDS = ["kind", "date", "theme", "intitule", "description"]


@transaction.atomic
def save_highlight(user: Any, highlight: Highlight) -> Highlight:
    creating = highlight.pk is None
    before = (
        None if creating else snapshot(Highlight.objects.get(pk=highlight.pk), HIGHLIGHT_FIELDS)
    )
    highlight.save()
    record_change(
        user,
        highlight,
        AuditEntry.Action.CREATION if creating else AuditEntry.Action.MODIFICATION,
        before=before,
        after=snapshot(highlight, HIGHLIGHT_FIELDS),
        caf_id=highlight.ctg.caf_id,
    )
    return highlight


# --- Instances -----------------------------------------------------------------------------

MEETING_FIELDS = [
    "kind",
    "date",
    "lieu",
    "objet",
    "participants",
    "participants_caf",
    "ordre_du_jour",
    "compte_rendu_nom",
]


@dataclass(frozen=True)
class DecisionLine:
    texte: str
    action_ref: str = ""


def meeting_snapshot(meeting: Meeting) -> dict[str, Any]:
    data = snapshot(meeting, MEETING_FIELDS)
    data["heure"] = meeting.heure.strftime("%H:%M") if meeting.heure else None
    data["heure_fin"] = meeting.heure_fin.strftime("%H:%M") if meeting.heure_fin else None
    data["decisions"] = [d.as_line() for d in meeting.decisions.all()]
    return data


def _delete_file(storage: Any, name: str) -> None:
    if name:
        storage.delete(name)


@transaction.atomic
def save_meeting(
    user: Any,
    meeting: Meeting,
    *,
    participants_caf: Iterable[Any],
    decisions: list[DecisionLine],
    minutes: UploadedFile | None = None,
    remove_minutes: bool = False,
) -> Meeting:
    """Create or update ``meeting`` (already filled in), its Caf participants, its decisions and
    its minutes file, with history. ``minutes`` must have passed
    :func:`coopctg.governance.files.check_minutes`. A replaced or removed file is deleted
    once the transaction commits; a new file is deleted if the change fails."""
    creating = meeting.pk is None
    stored = None if creating else Meeting.objects.get(pk=meeting.pk)
    before = None if stored is None else meeting_snapshot(stored)
    old_file = "" if stored is None else stored.compte_rendu.name
    storage = meeting.compte_rendu.storage
    new_file = ""
    try:
        if minutes is not None:
            meeting.compte_rendu.save(minutes.name or "compte-rendu", minutes, save=False)
            new_file = meeting.compte_rendu.name
            meeting.compte_rendu_nom = Path(minutes.name or "compte-rendu").name[:200]
        elif remove_minutes:
            meeting.compte_rendu = ""
            meeting.compte_rendu_nom = ""
        meeting.save()
        meeting.participants_caf.set(list(participants_caf))
        lines = [(d.texte, d.action_ref) for d in decisions]
        current = [(d.texte, d.action_ref) for d in meeting.decisions.all()]
        if lines != current:
            meeting.decisions.all().delete()
            with versions.writing_for(row=meeting):
                Decision.objects.bulk_create(
                    Decision(meeting=meeting, position=i, texte=texte, action_ref=ref)
                    for i, (texte, ref) in enumerate(lines, start=1)
                )
        record_change(
            user,
            meeting,
            AuditEntry.Action.CREATION if creating else AuditEntry.Action.MODIFICATION,
            before=before,
            after=meeting_snapshot(meeting),
            caf_id=meeting.ctg.caf_id,
        )
    except BaseException:
        _delete_file(storage, new_file)
        raise
    if old_file and old_file != meeting.compte_rendu.name:
        transaction.on_commit(functools.partial(_delete_file, storage, old_file))
    return meeting


def read_minutes(meeting: Meeting) -> bytes:
    """The stored minutes file (at most 10 Mo, read whole: no file left open)."""
    with meeting.compte_rendu.open("rb") as stream:
        return stream.read()


def meeting_label(meeting: Meeting) -> str:
    return f"{meeting.short_label} du {format_date_fr(meeting.date)}"


# --- Calendar --------------------------------------------------------------------------------

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
PRODID = "-//CoopCTG//Instances des Ctg//FR"


def meeting_event(meeting: Meeting, base_url: str) -> ics.Event:
    """The calendar event of an instance: all-day without a time, else in Paris time."""
    start: dt.date | dt.datetime = meeting.date
    end: dt.date | dt.datetime | None = meeting.date + dt.timedelta(days=1)
    if meeting.heure is not None:
        start = dt.datetime.combine(meeting.date, meeting.heure, tzinfo=PARIS)
        end = (
            dt.datetime.combine(meeting.date, meeting.heure_fin, tzinfo=PARIS)
            if meeting.heure_fin is not None
            else None
        )
    summary = f"{meeting.short_label} — {meeting.ctg.intitule}"
    if meeting.objet:
        summary = f"{summary} : {meeting.objet}"
    description = [meeting.get_kind_display(), f"Ctg : {meeting.ctg.intitule}"]
    if meeting.ordre_du_jour:
        description += ["", "Ordre du jour :", meeting.ordre_du_jour]
    host = urlsplit(base_url).hostname or "coopctg"
    return ics.Event(
        uid=f"coopctg-instance-{meeting.pk}@{host}",
        start=start,
        end=end,
        summary=summary,
        location=meeting.lieu,
        description="\n".join(description),
        url=base_url.rstrip("/") + reverse("governance:instance", args=[meeting.pk]),
        categories=(meeting.short_label,),
        last_modified=meeting.modifie_le,
    )


def upcoming_meetings(ctg: Ctg, today: dt.date) -> QuerySet[Meeting]:
    """Instances of ``ctg`` dated today or later, in order."""
    return Meeting.objects.filter(ctg=ctg, date__gte=today).select_related("ctg")


def meetings_calendar(ctg: Ctg, today: dt.date | None = None, base_url: str = "") -> str:
    """The iCalendar text of the upcoming instances of ``ctg``."""
    today = today or timezone.localdate()
    base_url = base_url or settings.COOPCTG_BASE_URL
    return ics.serialize_calendar(
        (meeting_event(m, base_url) for m in upcoming_meetings(ctg, today)),
        stamp=timezone.now(),
        prodid=PRODID,
        name=f"Instances — {ctg.intitule}",
    )

"""State changes of a bilan annuel d'activité: one ``do_*`` function per change.

Each function runs in one transaction that also writes its history row (who, when, before,
after) and its notifications (rows now, e-mails after commit). Whatever the caller, each
function checks who acts and the rules of :mod:`coopctg.reports.rules`, and raises
:class:`ReportError` — one French sentence, with the form field it concerns — writing nothing.

Who does what:

- the collectivité's editors create the report of a year, write the self-assessment (while it
  is « brouillon » or « à compléter ») and transmit it once the year is over (or the Cof
  has ended: :func:`coopctg.reports.rules.transmission_refusal`);
- the Caf administrator and the advisor assigned to the collectivité send it back « à
  compléter » (with a comment, mandatory) or validate it — which releases the year's balance;
- analysts and elected officials read.

Concurrency: every change is a conditional UPDATE on the report's status and ``revision``
(``filter(pk=…, statut__in=…, revision=…).update(…)``): a page that has gone stale (another
save, a decision of the Caf) is refused with :class:`StaleReportError`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from coopctg.accounts.access import scope_of
from coopctg.accounts.actors import actor_name, others
from coopctg.actionplan.services import current_framework
from coopctg.agreements import access as agreement_access
from coopctg.agreements.models import FundingAgreement
from coopctg.agreements.workflow import caf_reviewers, collectivite_editors
from coopctg.core import versions
from coopctg.core.audit import record_change, to_json
from coopctg.core.models import AuditEntry
from coopctg.framework.models import ExpectedOutput
from coopctg.notifications.services import notify
from coopctg.reports import rules
from coopctg.reports.facts import report_facts
from coopctg.reports.models import AnnualReport, AttenduAssessment, ReportEvent
from coopctg.reports.rules import STATUS_LABELS, Level, Status, Transition, TransitionRefused

TEXT_MAX = 10000
COMMENT_MAX = 5000


def today() -> dt.date:
    """Today in Paris (tests replace it)."""
    return timezone.localdate()


class ReportError(Exception):
    """A change refused by the rules; ``field`` names the form field it concerns, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class StaleReportError(ReportError):
    """The report changed since the caller read it."""


# --- Who may do what -----------------------------------------------------------------------


def can_write(user: Any, cof: FundingAgreement) -> bool:
    """Create, write and transmit the report: the collectivité's editors."""
    return cof.collectivite_id in scope_of(user).edited_ids


def can_review(user: Any, cof: FundingAgreement) -> bool:
    """Send back and validate: the Caf administrator, or the advisor of the collectivité."""
    return agreement_access.can_review(user, cof)


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise ReportError(message)


def report_link(report: AnnualReport) -> str:
    return reverse("reports:detail", args=[report.pk])


# --- History -------------------------------------------------------------------------------


def report_snapshot(report: AnnualReport) -> dict[str, Any]:
    """The report as the history keeps it: status, texts, levels and comments by attendu."""
    assessments = report.evaluations.select_related("attendu").order_by("attendu__code")
    return {
        "statut": report.statut,
        "synthese": report.synthese,
        "perspectives": report.perspectives,
        "transmis_le": to_json(report.transmis_le and report.transmis_le.isoformat()),
        "valide_le": to_json(report.valide_le and report.valide_le.isoformat()),
        "niveaux": {a.attendu.code: a.niveau for a in assessments},
        "commentaires": {a.attendu.code: a.commentaire for a in assessments if a.commentaire},
    }


def _record(user: Any, report: AnnualReport, before: dict[str, Any] | None) -> None:
    record_change(
        user,
        report,
        AuditEntry.Action.CREATION if before is None else AuditEntry.Action.MODIFICATION,
        before=before,
        after=report_snapshot(report),
        caf_id=report.cof.collectivite.caf_id,
    )


def _fresh(pk: int) -> AnnualReport:
    return AnnualReport.objects.select_related(
        "cof", "cof__ctg", "cof__ctg__caf", "cof__collectivite", "referentiel"
    ).get(pk=pk)


def _claim(
    report: AnnualReport,
    allowed: frozenset[Status] | tuple[Status, ...],
    revision: int | None,
    **changes: Any,
) -> tuple[AnnualReport, dict[str, Any]]:
    """Move the report with one conditional UPDATE on (status, revision); return it fresh and
    its snapshot before. Raises :class:`StaleReportError` when it is no longer as read."""
    expected = report.revision if revision is None else revision
    current = _fresh(report.pk)
    values = [status.value for status in allowed]
    if current.statut not in values or current.revision != expected:
        raise StaleReportError(_stale_message(current, expected))
    before = report_snapshot(current)
    with versions.writing_for(row=current):
        updated = AnnualReport.objects.filter(
            pk=report.pk, statut__in=values, revision=expected
        ).update(revision=F("revision") + 1, modifie_le=timezone.now(), **changes)
    if updated != 1:  # pragma: no cover - a concurrent change between read and UPDATE
        raise StaleReportError(_stale_message(_fresh(report.pk), expected))
    return _fresh(report.pk), before


def _stale_message(current: AnnualReport, expected: int) -> str:
    if current.revision != expected:
        return (
            "Le bilan a changé depuis que vous l'avez ouvert : relisez-le, puis recommencez. "
            "Votre action n'a pas été enregistrée."
        )
    return (
        f"Ce bilan est « {STATUS_LABELS[current.status]} » : votre action n'a pas été enregistrée."
    )


def _move(user: Any, report: AnnualReport, transition: Transition) -> Status:
    """The status after ``transition`` from the stored status (French refusal)."""
    try:
        return rules.next_status(_fresh(report.pk).status, transition)
    except TransitionRefused as error:
        raise ReportError(str(error)[:1].upper() + str(error)[1:] + ".") from error


# --- Creating ------------------------------------------------------------------------------


@transaction.atomic
def do_create_report(user: Any, cof: FundingAgreement, year: int) -> AnnualReport:
    """The report of ``year`` for ``cof``: one assessment « non engagé » per attendu of the
    current référentiel."""
    from coopctg.reports.services import cof_years

    _require(
        can_write(user, cof),
        "Seuls les éditeurs de la collectivité rédigent le bilan annuel d'activité.",
    )
    if year not in cof_years(cof):
        raise ReportError(f"La Cof n° {cof.numero} ne couvre pas l'année {year}.", "annee")
    if year > today().year:
        raise ReportError(f"Le bilan de l'année {year} ne peut pas encore être rédigé.", "annee")
    version = current_framework(cof.ctg.caf)
    if version is None:
        raise ReportError("Aucun référentiel n'est chargé : le bilan ne peut pas être créé.")
    try:
        with transaction.atomic():
            report = AnnualReport.objects.create(cof=cof, annee=year, referentiel=version)
    except IntegrityError as error:
        raise ReportError(
            f"Le bilan {year} de la Cof n° {cof.numero} existe déjà.", "annee"
        ) from error
    attendus = ExpectedOutput.objects.filter(objective__mission__version=version).order_by(
        "objective__mission__position", "objective__position", "position", "pk"
    )
    with versions.writing_for(row=report):
        AttenduAssessment.objects.bulk_create(
            AttenduAssessment(bilan=report, attendu=attendu) for attendu in attendus
        )
    report = _fresh(report.pk)
    _record(user, report, None)
    return report


# --- Writing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssessmentInput:
    """The self-assessment: ``levels`` and ``comments`` by assessment pk, and the texts."""

    levels: Mapping[int, str] = field(default_factory=dict)
    comments: Mapping[int, str] = field(default_factory=dict)
    synthese: str = ""
    perspectives: str = ""


@transaction.atomic
def do_save(
    user: Any, report: AnnualReport, data: AssessmentInput, *, revision: int | None = None
) -> AnnualReport:
    """Save the self-assessment, while the report is « brouillon » or « à compléter »."""
    _require(can_write(user, report.cof), "Vous ne pouvez pas modifier ce bilan.")
    for name, text, limit in (
        ("synthese", data.synthese, TEXT_MAX),
        ("perspectives", data.perspectives, TEXT_MAX),
    ):
        if len(text) > limit:
            raise ReportError(f"Au plus {limit} caractères.", name)
    for pk, level in data.levels.items():
        if level not in {lv.value for lv in Level}:
            raise ReportError("Choisissez un niveau parmi ceux proposés.", f"niveau_{pk}")
    for pk, comment in data.comments.items():
        if len(comment) > COMMENT_MAX:
            raise ReportError(f"Au plus {COMMENT_MAX} caractères.", f"commentaire_{pk}")
    editable = (Status.BROUILLON, Status.A_COMPLETER)
    after, before = _claim(
        report,
        editable,
        revision,
        synthese=data.synthese.strip(),
        perspectives=data.perspectives.strip(),
    )
    changed = []
    for assessment in after.evaluations.all():
        level = data.levels.get(assessment.pk, assessment.niveau)
        comment = data.comments.get(assessment.pk, assessment.commentaire).strip()
        if (level, comment) != (assessment.niveau, assessment.commentaire):
            assessment.niveau, assessment.commentaire = level, comment
            changed.append(assessment)
    with versions.writing_for(row=report):
        AttenduAssessment.objects.bulk_update(changed, ["niveau", "commentaire"])
    record_change(
        user,
        after,
        AuditEntry.Action.MODIFICATION,
        before=before,
        after=report_snapshot(after),
        caf_id=after.cof.collectivite.caf_id,
    )
    return after


# --- Transitions ---------------------------------------------------------------------------


def _event(user: Any, report: AnnualReport, kind: str, comment: str) -> ReportEvent:
    return ReportEvent.objects.create(bilan=report, kind=kind, auteur=user, commentaire=comment)


def _comment(text: str, *, required: str | None = None) -> str:
    text = text.strip()
    if required and not text:
        raise ReportError(required, "commentaire")
    if len(text) > COMMENT_MAX:
        raise ReportError(f"Au plus {COMMENT_MAX} caractères.", "commentaire")
    return text


@transaction.atomic
def do_transmit(
    user: Any, report: AnnualReport, commentaire: str = "", *, revision: int | None = None
) -> AnnualReport:
    """Transmit the report to the Caf: its facts are frozen; the Caf's reviewers notified."""
    cof = report.cof
    _require(
        can_write(user, cof),
        "Seuls les éditeurs de la collectivité transmettent le bilan annuel d'activité.",
    )
    commentaire = _comment(commentaire)
    target = _move(user, report, Transition.TRANSMETTRE)
    current = _fresh(report.pk)
    refusal = rules.transmission_refusal(current.annee, current.cof.date_fin, today())
    if refusal:
        raise ReportError(refusal)
    faits = report_facts(current.cof, current.annee, report=current, today=today())
    now = timezone.now()
    changes: dict[str, Any] = {
        "statut": target.value,
        "faits": faits,
        "transmis_le": now,
        "transmis_par": user,
    }
    if current.premiere_transmission_le is None:
        changes["premiere_transmission_le"] = now
    after, before = _claim(
        report, rules.TRANSITIONS[Transition.TRANSMETTRE][0], revision, **changes
    )
    _event(user, after, ReportEvent.Kind.TRANSMISSION, commentaire)
    _record(user, after, before)
    again = before["statut"] == Status.A_COMPLETER.value
    notify(
        others(caf_reviewers(cof.collectivite), user),
        f"Bilan {after.annee} {'complété et transmis' if again else 'transmis'} — "
        f"{cof.collectivite.nom}",
        f"{actor_name(user)} a transmis le bilan annuel d'activité {after.annee} de la Cof n° "
        f"{cof.numero}." + (f"\n\n{commentaire}" if commentaire else ""),
        report_link(after),
    )
    return after


@transaction.atomic
def do_save_and_transmit(
    user: Any,
    report: AnnualReport,
    data: AssessmentInput,
    commentaire: str = "",
    *,
    revision: int | None = None,
) -> AnnualReport:
    """Save the self-assessment and transmit it, in one transaction: when the transmission is
    refused, the save is rolled back too (the caller keeps the submitted values)."""
    saved = do_save(user, report, data, revision=revision)
    return do_transmit(user, saved, commentaire, revision=saved.revision)


@transaction.atomic
def do_send_back(
    user: Any, report: AnnualReport, commentaire: str, *, revision: int | None = None
) -> AnnualReport:
    """The Caf sends the report back « à compléter », saying what is missing."""
    cof = report.cof
    _require(
        can_review(user, cof),
        "Seuls l'administrateur·rice de la Caf et le·la conseiller·ère de la collectivité "
        "renvoient un bilan à compléter.",
    )
    commentaire = _comment(
        commentaire, required="Dites à la collectivité ce qu'elle doit compléter."
    )
    target = _move(user, report, Transition.RENVOYER)
    after, before = _claim(
        report, rules.TRANSITIONS[Transition.RENVOYER][0], revision, statut=target.value
    )
    _event(user, after, ReportEvent.Kind.RENVOI, commentaire)
    _record(user, after, before)
    notify(
        others(collectivite_editors(cof.collectivite), user),
        f"Bilan {after.annee} à compléter — Cof n° {cof.numero}",
        f"{actor_name(user)} renvoie le bilan annuel d'activité {after.annee} à compléter :"
        f"\n\n{commentaire}",
        report_link(after),
    )
    return after


@transaction.atomic
def do_validate(
    user: Any, report: AnnualReport, commentaire: str = "", *, revision: int | None = None
) -> AnnualReport:
    """The Caf validates the report: the year's balance is released."""
    cof = report.cof
    _require(
        can_review(user, cof),
        "Seuls l'administrateur·rice de la Caf et le·la conseiller·ère de la collectivité "
        "valident un bilan.",
    )
    commentaire = _comment(commentaire)
    target = _move(user, report, Transition.VALIDER)
    after, before = _claim(
        report,
        rules.TRANSITIONS[Transition.VALIDER][0],
        revision,
        statut=target.value,
        valide_le=timezone.now(),
        valide_par=user,
    )
    _event(user, after, ReportEvent.Kind.VALIDATION, commentaire)
    _record(user, after, before)
    notify(
        others(collectivite_editors(cof.collectivite), user),
        f"Bilan {after.annee} validé — Cof n° {cof.numero}",
        f"{actor_name(user)} a validé le bilan annuel d'activité {after.annee} : le solde de "
        "l'année peut être versé." + (f"\n\n{commentaire}" if commentaire else ""),
        report_link(after),
    )
    return after

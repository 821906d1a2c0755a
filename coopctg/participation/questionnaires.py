"""Questionnaires of a consultation: building, publishing, answering through the public link
(no account), closing, results, XLSX export and import of another tool's CSV export.

A questionnaire is answered by anyone who has its link while it is published and before its
closing date; nothing personal is stored (see :class:`~coopctg.participation.models.
Submission`). The answers are checked by the pure rules (:mod:`coopctg.participation.rules`)
and, for free texts, by the anonymity check of the besoins register (an e-mail address or a
telephone number is refused). A submission is all or nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.crypto import salted_hmac
from openpyxl import Workbook
from openpyxl.styles import Font

from coopctg.core import versions
from coopctg.core.audit import record_change, snapshot
from coopctg.core.exports import put, workbook_bytes
from coopctg.core.models import AuditEntry
from coopctg.dashboards.charts import Bar, responsive_bars
from coopctg.diagnostic.needs import check_anonymous
from coopctg.participation.models import Question, Questionnaire, Submission, ThrottleMark
from coopctg.participation.rules import (
    QUESTION_KIND_LABELS,
    Answer,
    Limits,
    QuestionKind,
    QuestionResult,
    QuestionSpec,
    RowError,
    aggregate,
    limits_at,
    parse_csv_rows,
    parse_submission,
)

THROTTLE_WINDOW = dt.timedelta(hours=1)
THROTTLE_SALT = "coopctg.participation.questionnaire-envoi"
QUESTIONNAIRE_FIELDS = ["titre", "introduction", "statut", "date_cloture"]


class QuestionnaireError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- State -----------------------------------------------------------------------------------


def is_open(questionnaire: Questionnaire, today: dt.date) -> bool:
    """Published, and its closing date (if any) not passed."""
    if questionnaire.statut != Questionnaire.Status.PUBLISHED:
        return False
    return questionnaire.date_cloture is None or today <= questionnaire.date_cloture


def state_label(questionnaire: Questionnaire, today: dt.date) -> str:
    if questionnaire.statut == Questionnaire.Status.DRAFT:
        return "brouillon"
    if questionnaire.statut == Questionnaire.Status.CLOSED or not is_open(questionnaire, today):
        return "clos"
    return "ouvert aux réponses"


def questions_of(questionnaire: Questionnaire) -> list[Question]:
    return list(questionnaire.questions.order_by("position", "id"))


def spec_of(question: Question) -> QuestionSpec:
    return QuestionSpec(
        key=str(question.pk),
        label=question.libelle,
        kind=QuestionKind(question.type),
        choices=tuple(str(c) for c in question.choix),
        scale_min=question.echelle_min,
        scale_max=question.echelle_max,
        required=question.obligatoire,
    )


def limits(today: dt.date | None = None) -> Limits:
    return limits_at(today or timezone.localdate())


# --- Building ---------------------------------------------------------------------------------


def _record(user: Any, questionnaire: Questionnaire, action: str, before: Any) -> None:
    record_change(
        user,
        questionnaire,
        action,
        before=before,
        after=snapshot(questionnaire, QUESTIONNAIRE_FIELDS),
        caf_id=questionnaire.consultation.ctg.caf_id,
    )


@transaction.atomic
def save_questionnaire(user: Any, questionnaire: Questionnaire) -> Questionnaire:
    creating = questionnaire.pk is None
    before = (
        None
        if creating
        else snapshot(Questionnaire.objects.get(pk=questionnaire.pk), QUESTIONNAIRE_FIELDS)
    )
    questionnaire.save()
    _record(
        user,
        questionnaire,
        AuditEntry.Action.CREATION if creating else AuditEntry.Action.MODIFICATION,
        before,
    )
    return questionnaire


def _refuse_unless_draft(questionnaire: Questionnaire) -> None:
    if questionnaire.statut != Questionnaire.Status.DRAFT:
        raise QuestionnaireError(
            "Le questionnaire est publié : ses questions ne changent plus (les réponses déjà "
            "reçues ne voudraient plus rien dire)."
        )


@transaction.atomic
def add_question(questionnaire: Questionnaire, question: Question) -> Question:
    locked = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    _refuse_unless_draft(locked)
    last = locked.questions.aggregate(last=Max("position"))["last"]
    question.questionnaire = locked
    question.position = (last or 0) + 1
    if question.type not in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        question.choix = []
    question.save()
    return question


@transaction.atomic
def delete_question(question: Question) -> None:
    locked = Questionnaire.objects.select_for_update().get(pk=question.questionnaire_id)
    _refuse_unless_draft(locked)
    question.delete()


@transaction.atomic
def publish(user: Any, questionnaire: Questionnaire) -> None:
    locked = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    _refuse_unless_draft(locked)
    if not locked.questions.exists():
        raise QuestionnaireError("Ajoutez au moins une question avant de publier.")
    today = timezone.localdate()
    if locked.date_cloture is not None and locked.date_cloture < today:
        raise QuestionnaireError("La date de clôture est passée : changez-la avant de publier.")
    before = snapshot(locked, QUESTIONNAIRE_FIELDS)
    locked.statut = Questionnaire.Status.PUBLISHED
    locked.publie_le = timezone.now()
    locked.save(update_fields=["statut", "publie_le"])
    _record(user, locked, AuditEntry.Action.MODIFICATION, before)
    questionnaire.refresh_from_db()


@transaction.atomic
def close(user: Any, questionnaire: Questionnaire) -> None:
    locked = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    if locked.statut != Questionnaire.Status.PUBLISHED:
        raise QuestionnaireError("Seul un questionnaire publié peut être clos.")
    before = snapshot(locked, QUESTIONNAIRE_FIELDS)
    locked.statut = Questionnaire.Status.CLOSED
    locked.clos_le = timezone.now()
    locked.save(update_fields=["statut", "clos_le"])
    _record(user, locked, AuditEntry.Action.MODIFICATION, before)
    questionnaire.refresh_from_db()


# --- Answering (public) -----------------------------------------------------------------------


ANONYMOUS = "Les réponses sont anonymes : n'écrivez ni adresse électronique ni numéro de téléphone."


def anonymity_problem(spec: QuestionSpec, value: Answer) -> str | None:
    """Why a free text cannot be kept (an e-mail address, a telephone number)."""
    if spec.kind is QuestionKind.TEXT and isinstance(value, str) and check_anonymous(value):
        return ANONYMOUS
    return None


def _anonymity_errors(
    specs: Sequence[QuestionSpec], answers: Mapping[str, Answer]
) -> dict[str, str]:
    errors = {}
    for spec in specs:
        problem = anonymity_problem(spec, answers.get(spec.key))
        if problem is not None:
            errors[spec.key] = problem
    return errors


def check_submission(
    questions: Sequence[Question], data: Mapping[str, Sequence[str]], bounds: Limits
) -> tuple[dict[str, Answer], dict[str, str]]:
    """The answers and the errors per question id (``data``: the values sent per question
    id)."""
    specs = [spec_of(q) for q in questions]
    answers, errors = parse_submission(specs, data, bounds)
    if not errors:
        errors = _anonymity_errors(specs, answers)
    return answers, errors


def _fingerprint(questionnaire: Questionnaire, address: str) -> str:
    return salted_hmac(
        THROTTLE_SALT, f"{questionnaire.pk}:{address}", algorithm="sha256"
    ).hexdigest()


class Throttled(Exception):
    pass


@transaction.atomic
def record_submission(
    questionnaire: Questionnaire, answers: Mapping[str, Answer], address: str, bounds: Limits
) -> Submission:
    """Store one checked submission, unless the address sent ``bounds.per_hour`` answers to
    this questionnaire within the hour (:class:`Throttled`) or the questionnaire closed
    meanwhile (:class:`QuestionnaireError`). Marks older than an hour are deleted."""
    now = timezone.now()
    locked = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    if not is_open(locked, timezone.localdate()):
        raise QuestionnaireError("Ce questionnaire est clos : il n'accepte plus de réponse.")
    ThrottleMark.objects.filter(cree_le__lt=now - THROTTLE_WINDOW).delete()
    mark = _fingerprint(locked, address)
    if ThrottleMark.objects.filter(empreinte=mark).count() >= bounds.per_hour:
        raise Throttled
    ThrottleMark.objects.create(empreinte=mark, cree_le=now)
    return Submission.objects.create(
        questionnaire=locked,
        recue_le=timezone.localdate(),
        source=Submission.Source.FORM,
        reponses=dict(answers),
    )


# --- Results ----------------------------------------------------------------------------------


@dataclass
class Results:
    questionnaire: Questionnaire
    total: int
    questions: list[QuestionResult]
    by_source: dict[str, int]

    def chart(self, result: QuestionResult, index: int) -> str:
        """The bar chart of one question (choices or scale values), server-rendered SVG."""
        bars = [
            Bar(
                c.label,
                Decimal(c.count),
                f"{c.count} ({_percent(c.share)})" if c.share is not None else str(c.count),
            )
            for c in result.counts
        ]
        return responsive_bars(f"question-{index}", result.spec.label, bars)


def _percent(value: Decimal | None) -> str:
    if value is None:
        return "—"
    text = f"{value:f}".replace(".", ",")
    return f"{text.removesuffix(',0')} %"


def results_of(questionnaire: Questionnaire) -> Results:
    """The aggregated answers (2 queries: the questions, the answers)."""
    questions = questions_of(questionnaire)
    rows = list(questionnaire.reponses.values_list("source", "reponses"))
    total, results = aggregate([spec_of(q) for q in questions], [r for _, r in rows])
    by_source = {
        Submission.Source.FORM.label: sum(1 for s, _ in rows if s == Submission.Source.FORM),
        Submission.Source.IMPORT.label: sum(1 for s, _ in rows if s == Submission.Source.IMPORT),
    }
    return Results(questionnaire, total, results, by_source)


def _decimal_text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:f}"


def results_json(questionnaire: Questionnaire) -> dict[str, Any]:
    """The results as the API and ``coopctg questionnaire resultats`` give them (French keys,
    shares and means in text with a decimal point)."""
    outcome = results_of(questionnaire)
    return {
        "id": questionnaire.pk,
        "titre": questionnaire.titre,
        "statut": questionnaire.statut,
        "date_cloture": questionnaire.date_cloture,
        "reponses": outcome.total,
        "resultats": [
            {
                "question": r.spec.label,
                "type": r.spec.kind.value,
                "repondants": r.answered,
                "comptages": [
                    {"reponse": c.label, "nombre": c.count, "part": _decimal_text(c.share)}
                    for c in r.counts
                ],
                "moyenne": _decimal_text(r.mean),
                "textes": r.texts,
            }
            for r in outcome.questions
        ],
    }


def results_xlsx(questionnaire: Questionnaire) -> bytes:
    """Two sheets: « Synthèse » (counts per choice or value) and « Réponses » (one line per
    submission, one column per question)."""
    results = results_of(questionnaire)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Synthèse"
    bold = Font(bold=True)
    put(sheet, 1, 1, questionnaire.titre).font = bold
    put(sheet, 2, 1, "Réponses reçues")
    put(sheet, 2, 2, results.total)
    row = 4
    for result in results.questions:
        put(sheet, row, 1, result.spec.label).font = bold
        put(sheet, row, 2, QUESTION_KIND_LABELS[result.spec.kind])
        put(sheet, row, 3, "Répondants")
        put(sheet, row, 4, result.answered)
        row += 1
        if result.spec.kind is QuestionKind.TEXT:
            for text in result.texts:
                put(sheet, row, 1, text)
                row += 1
        else:
            put(sheet, row, 1, "Réponse").font = bold
            put(sheet, row, 2, "Nombre").font = bold
            put(sheet, row, 3, "Part (%)").font = bold
            row += 1
            for count in result.counts:
                put(sheet, row, 1, count.label)
                put(sheet, row, 2, count.count)
                put(sheet, row, 3, count.share)
                row += 1
            if result.mean is not None:
                put(sheet, row, 1, "Moyenne")
                put(sheet, row, 2, result.mean)
                row += 1
        row += 1
    sheet.column_dimensions["A"].width = 60
    answers = workbook.create_sheet("Réponses")
    questions = [r.spec for r in results.questions]
    put(answers, 1, 1, "Reçue le").font = bold
    put(answers, 1, 2, "Source").font = bold
    for column, spec in enumerate(questions, start=3):
        put(answers, 1, column, spec.label).font = bold
    submissions = questionnaire.reponses.order_by("id")
    for line, submission in enumerate(submissions, start=2):
        put(answers, line, 1, submission.recue_le)
        put(answers, line, 2, submission.get_source_display())
        for column, spec in enumerate(questions, start=3):
            value = submission.reponses.get(spec.key)
            if isinstance(value, list):
                value = " ; ".join(str(v) for v in value)
            put(answers, line, column, value)
    return workbook_bytes(workbook)


# --- Import of another tool's CSV export ------------------------------------------------------


class ImportRefused(Exception):
    def __init__(self, errors: Sequence[RowError | str]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = [str(e) for e in errors]


def read_csv(content: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and numbered rows of a CSV (UTF-8 with or without BOM, « ; » or « , »)."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused(
            ["le fichier n'est pas en UTF-8 (enregistrez-le en CSV UTF-8)"]
        ) from None
    if "\x00" in text:
        raise ImportRefused(["le fichier n'est pas un fichier CSV"])
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        raise ImportRefused([f"fichier CSV illisible ({error})"]) from None
    if not rows:
        raise ImportRefused(["le fichier est vide"])
    return rows[0], [(number, row) for number, row in enumerate(rows[1:], start=2)]


def import_csv(user: Any, questionnaire: Questionnaire, content: bytes) -> int:
    """Add the answers of another tool's export; every bad row is reported with its line
    (:class:`ImportRefused`) and nothing is written. Returns the number of answers added."""
    if questionnaire.statut == Questionnaire.Status.DRAFT:
        raise ImportRefused(["publiez d'abord le questionnaire : ses questions changent encore"])
    header, rows = read_csv(content)
    questions = questions_of(questionnaire)
    specs = [spec_of(q) for q in questions]
    submissions, errors = parse_csv_rows(specs, header, rows, limits(), anonymity_problem)
    if errors:
        raise ImportRefused(errors)
    today = timezone.localdate()
    with transaction.atomic(), versions.writing_for(row=questionnaire):
        Submission.objects.bulk_create(
            Submission(
                questionnaire=questionnaire,
                recue_le=today,
                source=Submission.Source.IMPORT,
                reponses=answers,
            )
            for answers in submissions
        )
        record_change(
            user,
            questionnaire,
            AuditEntry.Action.MODIFICATION,
            before={"reponses_importees": 0},
            after={"reponses_importees": len(submissions)},
            caf_id=questionnaire.consultation.ctg.caf_id,
        )
    return len(submissions)

"""Documents produced off the request, by the task worker (Django's tasks framework, database
backend of django-tasks-db; README, « Documents préparés en arrière-plan »).

A page asks for a document with :func:`request_pdf` (the HTML of a document computed from live
data) or :func:`request_cof` (the frozen PDF of a signed Cof version): the same content gives
the same :class:`GeneratedDocument`, produced once and served again; a new one is put in the
queue. The worker runs :func:`produce`: it records its progress, tries again
(:data:`MAX_ATTEMPTS` in all, later each time), then marks the document failed with a French
message; :func:`retry` puts a failed (or stalled) document back in the queue.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from typing import TYPE_CHECKING

from django.core.files.base import ContentFile
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone

from coopctg.background.models import GeneratedDocument

if TYPE_CHECKING:
    from coopctg.agreements.models import AgreementVersion

logger = logging.getLogger(__name__)

Status = GeneratedDocument.Status
Kind = GeneratedDocument.Kind

#: Tries of one document before it is shown as failed (the first and two more).
MAX_ATTEMPTS = 3
#: Wait before the next try, times the number of tries already made (when the backend can wait).
RETRY_DELAY = dt.timedelta(seconds=10)
#: A document still waiting or in preparation after this long may be asked for again (the
#: worker stopped, or was stopped while producing it).
STALLED_AFTER = dt.timedelta(minutes=5)
#: Shown when every try failed (the details are in the worker's log and the task's result).
FAILURE_MESSAGE = "Le document n'a pas pu être produit."


def content_key(kind: str, html: str) -> str:
    """The document's key: SHA-256 of its kind and of the HTML it is made from."""
    digest = hashlib.sha256(f"{kind}\n{html}".encode()).hexdigest()
    return f"{kind}:{digest}"


def cof_key(version_pk: int) -> str:
    return f"cof:version-{version_pk}"


def request_pdf(kind: str, html: str) -> GeneratedDocument:
    """The document of this content, put in the queue unless it is already there or made."""
    return _request(content_key(kind, html), kind=kind, source_html=html)


def request_cof(version: AgreementVersion) -> GeneratedDocument:
    """The PDF of a signed Cof version (stored on the version), put in the queue if missing."""
    document = _request(cof_key(version.pk), kind=Kind.COF, version_id=version.pk)
    if document.is_ready and version.document.name != document.file.name:
        # the version's file was cleared (missing on disk): produce it again
        _reset(document)
        document.refresh_from_db()
    return document


def _request(key: str, **fields: object) -> GeneratedDocument:
    try:
        with transaction.atomic():
            document, created = GeneratedDocument.objects.get_or_create(key=key, defaults=fields)
    except IntegrityError:  # asked for at the same time by another request
        document, created = GeneratedDocument.objects.get(key=key), False
    if created:
        _enqueue(document)
    elif document.is_ready and not _file_exists(document):
        _reset(document, **fields)
    else:
        return document
    document.refresh_from_db()
    return document


def _file_exists(document: GeneratedDocument) -> bool:
    return bool(document.file) and document.file.storage.exists(document.file.name)


def _reset(document: GeneratedDocument, **fields: object) -> None:
    """Back in the queue, with its tries counted anew."""
    GeneratedDocument.objects.filter(pk=document.pk).update(
        status=Status.ATTENTE,
        progress=0,
        step="",
        attempts=0,
        error="",
        file="",
        updated_at=timezone.now(),
        **fields,
    )
    _enqueue(document)


def _enqueue(document: GeneratedDocument, *, attempt: int = 0) -> None:
    from coopctg.background.tasks import generate_document

    task = generate_document
    if attempt and task.get_backend().supports_defer:
        task = task.using(run_after=timezone.now() + RETRY_DELAY * attempt)
    result = task.enqueue(document.pk)
    GeneratedDocument.objects.filter(pk=document.pk).update(task_id=str(result.id)[:64])


def is_stalled(document: GeneratedDocument, now: dt.datetime | None = None) -> bool:
    return document.status in (Status.ATTENTE, Status.EN_COURS) and (
        document.updated_at < (now or timezone.now()) - STALLED_AFTER
    )


def can_retry(document: GeneratedDocument) -> bool:
    return document.is_failed or is_stalled(document)


def retry(document: GeneratedDocument) -> GeneratedDocument:
    """Put a failed (or stalled) document back in the queue; nothing otherwise."""
    if can_retry(document):
        _reset(document)
    document.refresh_from_db()
    return document


def queue_position(document: GeneratedDocument) -> int:
    """How many documents were asked for before this one and still wait (0: it is next)."""
    return GeneratedDocument.objects.filter(
        status__in=(Status.ATTENTE, Status.EN_COURS), created_at__lt=document.created_at
    ).count()


def _progress(document_pk: int, percent: int, step: str) -> None:
    GeneratedDocument.objects.filter(pk=document_pk).update(
        progress=percent, step=step[:120], updated_at=timezone.now()
    )


def produce(document_pk: int) -> str:
    """The worker's job: make the document's PDF and store it; its name in the storage."""
    claimed = GeneratedDocument.objects.filter(pk=document_pk, status=Status.ATTENTE).update(
        status=Status.EN_COURS,
        attempts=F("attempts") + 1,
        progress=5,
        step="Démarrage",
        updated_at=timezone.now(),
    )
    if not claimed:  # made meanwhile, or already taken by another worker
        return ""
    document = GeneratedDocument.objects.get(pk=document_pk)
    try:
        name = _produce_file(document)
    except Exception as error:
        logger.exception("Document %s non produit (essai %s)", document_pk, document.attempts)
        if document.attempts < MAX_ATTEMPTS:
            GeneratedDocument.objects.filter(pk=document_pk).update(
                status=Status.ATTENTE,
                progress=0,
                step=f"Nouvel essai ({document.attempts + 1} sur {MAX_ATTEMPTS})",
                error=FAILURE_MESSAGE,
                updated_at=timezone.now(),
            )
            _enqueue(document, attempt=document.attempts)
            return ""
        GeneratedDocument.objects.filter(pk=document_pk).update(
            status=Status.ECHEC,
            progress=0,
            step="",
            error=FAILURE_MESSAGE,
            updated_at=timezone.now(),
        )
        raise RuntimeError(f"document {document_pk} non produit") from error
    GeneratedDocument.objects.filter(pk=document_pk).update(
        status=Status.PRET,
        file=name,
        progress=100,
        step="Prêt",
        error="",
        source_html="",
        generated_at=timezone.now(),
        updated_at=timezone.now(),
    )
    return name


def _produce_file(document: GeneratedDocument) -> str:
    if document.kind == Kind.COF:
        from coopctg.agreements.services import produce_document

        _progress(document.pk, 30, "Production du PDF de la Cof")
        name = produce_document(document.version_id or 0)
        if not name:
            raise RuntimeError("version non signée : pas de document")
        return name
    from coopctg.core import pdf

    content = pdf.html_to_pdf(
        document.source_html, progress=lambda p, step: _progress(document.pk, p, step)
    )
    _progress(document.pk, 90, "Enregistrement")
    storage = document.file.storage
    return storage.save(f"documents/{document.kind}-{document.pk}.pdf", ContentFile(content))


def status_counts() -> dict[str, int]:
    """Number of documents in each state (« coopctg documents etat »)."""
    counts = dict.fromkeys(Status.values, 0)
    for row in GeneratedDocument.objects.values("status").annotate(n=models.Count("pk")):
        counts[row["status"]] = row["n"]
    return counts


def purge(older_than: dt.timedelta, now: dt.datetime | None = None) -> int:
    """Delete the documents not asked for since ``older_than`` (and their files): a later
    download produces them again. A signed Cof's PDF (the version's own file) is kept."""
    limit = (now or timezone.now()) - older_than
    old = GeneratedDocument.objects.filter(
        status__in=(Status.PRET, Status.ECHEC), updated_at__lt=limit
    )
    deleted = 0
    for document in old.iterator():
        if document.kind != Kind.COF and document.file:
            document.file.storage.delete(document.file.name)
        document.delete()
        deleted += 1
    return deleted

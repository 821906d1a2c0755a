"""The background tasks (Django's tasks framework), run by the worker: ``coopctg db_worker``."""

from django.tasks import task

from coopctg.background import services


@task
def generate_document(document_pk: int) -> str:
    """Produce a document asked for by a page (:func:`coopctg.background.services.produce`)."""
    return services.produce(document_pk)

"""State changes of a Ctg: each one writes its history row in the same transaction."""

from typing import Any

from django.db import transaction

from coopctg.core.audit import record_change, snapshot
from coopctg.core.models import AuditEntry
from coopctg.ctg.models import Ctg

AUDITED_FIELDS = [
    "intitule",
    "signataires",
    "date_debut",
    "date_fin",
    "date_signature",
    "themes",
    "statut",
]


@transaction.atomic
def save_ctg(user: Any, ctg: Ctg, signataires: list[Any]) -> Ctg:
    """Create or update ``ctg`` (already filled in) and its signatories, with history."""
    creating = ctg.pk is None
    before = None if creating else snapshot(Ctg.objects.get(pk=ctg.pk), AUDITED_FIELDS)
    ctg.save()
    ctg.signataires.set(signataires)
    after = snapshot(ctg, AUDITED_FIELDS)
    record_change(
        user,
        ctg,
        AuditEntry.Action.CREATION if creating else AuditEntry.Action.MODIFICATION,
        before=before,
        after=after,
        caf_id=ctg.caf_id,
    )
    return ctg

"""Write history rows in the same transaction as the change they describe."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import models

from coopctg.core.models import AuditEntry


def to_json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    return value


def snapshot(instance: models.Model, fields: list[str]) -> dict[str, Any]:
    """The given fields of an instance as JSON values; a many-to-many gives sorted labels."""
    data: dict[str, Any] = {}
    for name in fields:
        field = instance._meta.get_field(name)
        if field.many_to_many:
            data[name] = sorted(str(obj) for obj in getattr(instance, name).all())
        else:
            data[name] = to_json(getattr(instance, name))
    return data


def record_change(
    user: Any,
    instance: models.Model,
    action: str,
    *,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    caf_id: int | None,
) -> AuditEntry | None:
    if action == AuditEntry.Action.MODIFICATION and before == after:
        return None
    return AuditEntry.objects.create(
        auteur=user if getattr(user, "is_authenticated", False) else None,
        auteur_nom=str(user) if getattr(user, "is_authenticated", False) else "système",
        action=action,
        objet_type=instance._meta.label_lower,
        objet_id=str(instance.pk),
        objet_libelle=str(instance)[:300],
        caf_id=caf_id,
        avant=before,
        apres=after,
    )

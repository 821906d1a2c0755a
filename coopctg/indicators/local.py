"""Local indicators: added by a collectivité itself, with their values year by year.

One function per change, each writing the history (:class:`~coopctg.core.models.AuditEntry`)
in the same transaction. A value is stored like an imported one (text as typed, decimal
point; :class:`~decimal.Decimal`), under the code ``local-<id>`` and the collectivité's
territory, so that the fiche diagnostic reads both kinds alike; a new value for the same year
replaces the former one, which goes to the value history.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction

from coopctg.core.audit import record_change, snapshot
from coopctg.core.models import AuditEntry
from coopctg.indicators.catalogue import shipped_catalogue
from coopctg.indicators.models import (
    ImportBatch,
    LocalIndicator,
    TerritorialValue,
    TerritorialValueHistory,
)
from coopctg.indicators.services import territory_of
from coopctg.organisations.models import LocalAuthority

FIELDS = ["libelle", "unite", "theme", "source", "definition"]


@transaction.atomic
def create_local_indicator(
    user: Any, collectivite: LocalAuthority, data: dict[str, str]
) -> LocalIndicator:
    local = LocalIndicator.objects.create(
        collectivite=collectivite,
        cree_par=user if getattr(user, "is_authenticated", False) else None,
        **{name: data.get(name, "") for name in FIELDS},
    )
    record_change(
        user,
        local,
        AuditEntry.Action.CREATION,
        before=None,
        after=snapshot(local, FIELDS),
        caf_id=collectivite.caf_id,
    )
    return local


@transaction.atomic
def update_local_indicator(user: Any, local: LocalIndicator, data: dict[str, str]) -> None:
    before = snapshot(local, FIELDS)
    for name in FIELDS:
        setattr(local, name, data.get(name, ""))
    local.save()
    record_change(
        user,
        local,
        AuditEntry.Action.MODIFICATION,
        before=before,
        after=snapshot(local, FIELDS),
        caf_id=local.collectivite.caf_id,
    )


@transaction.atomic
def record_local_value(
    user: Any,
    local: LocalIndicator,
    annee: int,
    texte: str,
    valeur: Decimal,
    *,
    demonstration: bool = False,
) -> TerritorialValue:
    """Set the value of ``local`` for ``annee`` (``texte``: decimal point); ``demonstration``
    marks an invented value of the demonstration."""
    niveau, territoire = territory_of(local.collectivite)
    batch = ImportBatch.objects.create(
        genre=ImportBatch.Kind.SAISIE,
        jeu=local.code,
        version_catalogue=shipped_catalogue().version,
        demonstration=demonstration,
        importe_par=user if getattr(user, "is_authenticated", False) else None,
        lignes=1,
    )
    current = (
        TerritorialValue.objects.select_for_update()
        .select_related("lot")
        .filter(indicateur=local.code, niveau=niveau, territoire=territoire, annee=annee)
        .first()
    )
    before = None
    if current is None:
        current = TerritorialValue.objects.create(
            indicateur=local.code,
            niveau=niveau,
            territoire=territoire,
            annee=annee,
            texte=texte,
            valeur=valeur,
            lot=batch,
        )
        batch.creees = 1
    elif current.texte == texte and current.lot.demonstration == demonstration:
        batch.inchangees = 1
    else:
        before = {"annee": annee, "valeur": current.texte}
        TerritorialValueHistory.objects.create(
            indicateur=current.indicateur,
            niveau=niveau,
            territoire=territoire,
            annee=annee,
            texte=current.texte,
            valeur=current.valeur,
            lot_id=current.lot_id,
            remplacee_par=batch,
        )
        current.texte, current.valeur, current.lot = texte, valeur, batch
        current.save()
        batch.remplacees = 1
    batch.save(update_fields=["creees", "remplacees", "inchangees"])
    record_change(
        user,
        local,
        AuditEntry.Action.MODIFICATION if before else AuditEntry.Action.CREATION,
        before=before,
        after={"annee": annee, "valeur": texte},
        caf_id=local.collectivite.caf_id,
    )
    return current

"""Import of a data·inclusion export (``structures`` or ``services``, JSON or CSV) into the
partner directory of a Caf.

The file is read as the publisher writes it (:func:`coopctg.indicators.importer.read_table`:
CSV with ``;`` or ``,``, UTF-8 with or without BOM; JSON list or ``{"results": [...]}``); a
``structure_id`` column makes it a ``services`` file. Every record is checked first
(:func:`coopctg.partners.rules.check_structure`): a missing ``id``, ``nom``, ``source`` or
``date_maj``, a ``siret`` that is not 14 digits, a ``code_insee`` that is no commune, an
unknown thématique, the same (``source``, ``id``) twice, a service whose structure is neither
in the directory nor in the file. All errors are collected with the file and its line
(« enregistrement n » in a JSON file) and :class:`PartnerImportError` is raised: nothing is
written. Otherwise the records are written in one transaction, created or updated by
(``source``, ``id``) within the Caf: re-importing never duplicates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction

from coopctg.core.formats import format_number
from coopctg.indicators.importer import read_table
from coopctg.organisations.models import Caf
from coopctg.partners.models import Partner, PartnerService
from coopctg.partners.rules import (
    Record,
    check_service,
    check_structure,
    correspondences,
    is_services_file,
)
from coopctg.territories.importer import ImportIssue
from coopctg.territories.models import Commune


class PartnerImportError(Exception):
    """The file has errors; nothing was written. ``errors`` lists them all, in file order."""

    def __init__(self, errors: Sequence[ImportIssue]) -> None:
        self.errors = list(errors)
        super().__init__(str(self))

    def __str__(self) -> str:
        if not self.errors:
            return "import impossible"
        first = str(self.errors[0])
        count = len(self.errors)
        return first if count == 1 else f"{first} ({format_number(count, 0)} erreurs au total)"


@dataclass
class PartnerImportReport:
    kind: str  # "structures" or "services"
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def summary(self) -> str:
        return (
            f"Import terminé ({self.kind}) : {self.created} créé(s), {self.updated} mis à jour, "
            f"{self.unchanged} inchangé(s)."
        )


FIELDS = (
    "nom",
    "siret",
    "kind",
    "typologie",
    "adresse",
    "code_postal",
    "code_insee",
    "commune",
    "themes",
    "thematiques_source",
    "publics",
    "description",
    "date_maj",
)
SERVICE_FIELDS = (
    "partner_id",
    "nom",
    "description",
    "themes",
    "thematiques_source",
    "publics",
    "code_insee",
    "commune",
    "date_maj",
)


def import_file(name: str, content: bytes, caf: Caf) -> PartnerImportReport:
    errors: list[ImportIssue] = []
    table = read_table(name, content, errors)
    if table is None or errors:
        raise PartnerImportError(errors)
    services = is_services_file(table.columns)
    check = check_service if services else check_structure
    codes = {row.get("code_insee", "").strip() for _, row in table.rows if row.get("code_insee")}
    communes = dict(Commune.objects.filter(code_insee__in=codes).values_list("code_insee", "nom"))
    mapping = correspondences()
    records: list[tuple[int, Record]] = []
    seen: dict[tuple[str, str], int] = {}
    for line, row in table.rows:
        record, problems = check(row, communes, mapping)
        for problem in problems:
            errors.append(ImportIssue(name, line, problem, table.unit))
        if record is None:
            continue
        key = (record.source, record.identifiant)
        if key in seen:
            errors.append(
                ImportIssue(
                    name,
                    line,
                    f"« {record.source} » / « {record.identifiant} » déjà présent "
                    f"({table.unit} {seen[key]})",
                    table.unit,
                )
            )
            continue
        seen[key] = line
        records.append((line, record))
    if services:
        partners = _structures_of(caf, records, name, table.unit, errors)
    if errors:
        raise PartnerImportError(errors)
    if services:
        return _write_services(caf, [r for _, r in records], partners)
    return _write_structures(caf, [r for _, r in records])


def _structures_of(
    caf: Caf,
    records: list[tuple[int, Record]],
    name: str,
    unit: str,
    errors: list[ImportIssue],
) -> dict[tuple[str, str], int]:
    wanted = {(r.source, r.structure_id) for _, r in records}
    found = {
        (source, identifiant): pk
        for pk, source, identifiant in Partner.objects.filter(
            caf=caf, source__in={s for s, _ in wanted}, identifiant__in={i for _, i in wanted}
        ).values_list("pk", "source", "identifiant")
    }
    for line, record in records:
        if (record.source, record.structure_id) not in found:
            errors.append(
                ImportIssue(
                    name,
                    line,
                    f"« structure_id » : la structure « {record.structure_id} » de la source "
                    f"« {record.source} » n'est pas dans l'annuaire (importez d'abord le "
                    "fichier des structures)",
                    unit,
                )
            )
    return found


def _structure_values(caf: Caf, record: Record) -> dict[str, object]:
    return {
        "nom": record.nom,
        "siret": record.siret,
        "kind": correspondences().kind_of(record.typologie).value,
        "typologie": record.typologie,
        "adresse": record.adresse[:300],
        "code_postal": record.code_postal,
        "code_insee": record.code_insee,
        "commune": record.commune,
        "themes": record.themes,
        "thematiques_source": record.thematiques_source,
        "publics": record.publics,
        "description": record.description,
        "date_maj": record.date_maj,
    }


def _write_structures(caf: Caf, records: list[Record]) -> PartnerImportReport:
    report = PartnerImportReport("structures")
    existing = {
        (p.source, p.identifiant): p
        for p in Partner.objects.filter(
            caf=caf,
            source__in={r.source for r in records},
            identifiant__in={r.identifiant for r in records},
        )
    }
    with transaction.atomic():
        for record in records:
            values = _structure_values(caf, record)
            partner = existing.get((record.source, record.identifiant))
            if partner is None:
                Partner.objects.create(
                    caf=caf, source=record.source, identifiant=record.identifiant, **values
                )
                report.created += 1
            elif any(getattr(partner, f) != values[f] for f in FIELDS):
                for attribute, value in values.items():
                    setattr(partner, attribute, value)
                partner.save()
                report.updated += 1
            else:
                report.unchanged += 1
    return report


def _write_services(
    caf: Caf, records: list[Record], partners: dict[tuple[str, str], int]
) -> PartnerImportReport:
    report = PartnerImportReport("services")
    existing = {
        (s.source, s.identifiant): s
        for s in PartnerService.objects.filter(
            caf=caf,
            source__in={r.source for r in records},
            identifiant__in={r.identifiant for r in records},
        )
    }
    with transaction.atomic():
        for record in records:
            values: dict[str, object] = {
                "partner_id": partners[(record.source, record.structure_id)],
                "nom": record.nom,
                "description": record.description,
                "themes": record.themes,
                "thematiques_source": record.thematiques_source,
                "publics": record.publics,
                "code_insee": record.code_insee,
                "commune": record.commune,
                "date_maj": record.date_maj,
            }
            service = existing.get((record.source, record.identifiant))
            if service is None:
                PartnerService.objects.create(
                    caf=caf, source=record.source, identifiant=record.identifiant, **values
                )
                report.created += 1
            elif any(getattr(service, f) != values[f] for f in SERVICE_FIELDS):
                for attribute, value in values.items():
                    setattr(service, attribute, value)
                service.save()
                report.updated += 1
            else:
                report.unchanged += 1
    return report

"""What changes between two architectures: persons added, removed or changed, Etp per envelope,
euros per envelope before → after, anomalies that appear or disappear.

Pure-ish: it reads two lists of :class:`~coopctg.funding.services.PersonRow` and two engine
outputs — a :class:`~coopctg.funding.rules.FundingResult`, or the frozen ``ventilation`` of a
signed version (the same JSON, :func:`~coopctg.funding.rules.result_to_json`) — and never
touches the database. Persons are matched by name (case and spaces ignored), in order when two
carry the same name.

A *development* is a change that raises the total Etp above the version in force: the
référentiel asks for the Caf's prior agreement (« Tout développement doit faire l'objet d'une
prise de contact préalable, d'échanges et d'un accord de la Caf »).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from coopctg.funding.models import ENVELOPE_CHOICES, POST_TYPE_CHOICES
from coopctg.funding.rules import AnomalyCode, FundingResult, result_to_json
from coopctg.funding.services import PersonRow, objective_sort_key

ZERO = Decimal("0.00")
ENVELOPE_LABELS = dict(ENVELOPE_CHOICES)
POST_TYPE_LABELS = dict(POST_TYPE_CHOICES)


class PersonStatus:
    ADDED = "ajoutee"
    REMOVED = "retiree"
    CHANGED = "modifiee"
    UNCHANGED = "inchangee"


PERSON_STATUS_LABELS = {
    PersonStatus.ADDED: "ajoutée",
    PersonStatus.REMOVED: "retirée",
    PersonStatus.CHANGED: "modifiée",
    PersonStatus.UNCHANGED: "inchangée",
}


@dataclass(frozen=True)
class Change:
    """A number before → after (Etp or euros)."""

    before: Decimal
    after: Decimal

    @property
    def delta(self) -> Decimal:
        return self.after - self.before

    @property
    def changed(self) -> bool:
        return self.before != self.after

    @property
    def direction(self) -> str:
        """« hausse », « baisse » or « stable », for the page's colours."""
        if self.after > self.before:
            return "hausse"
        if self.after < self.before:
            return "baisse"
        return "stable"


@dataclass(frozen=True)
class EnvelopeChange:
    code: str
    label: str
    etp: Change
    amount: Change

    @property
    def changed(self) -> bool:
        return self.etp.changed or self.amount.changed


@dataclass(frozen=True)
class PersonEtpChange:
    code: str
    label: str
    etp: Change


@dataclass(frozen=True)
class PersonChange:
    name: str
    status: str
    before: PersonRow | None
    after: PersonRow | None
    envelopes: list[PersonEtpChange]  # every envelope either side assigns, in envelope order
    etp: Change
    amount: Change
    details: list[str] = field(default_factory=list)  # « type de poste : … → … »
    missions_added: list[str] = field(default_factory=list)  # objective codes
    missions_removed: list[str] = field(default_factory=list)

    @property
    def missions_changed(self) -> bool:
        return bool(self.missions_added or self.missions_removed)

    @property
    def status_label(self) -> str:
        return PERSON_STATUS_LABELS.get(self.status, self.status)

    @property
    def changed(self) -> bool:
        return self.status != PersonStatus.UNCHANGED


@dataclass(frozen=True)
class AnomalyItem:
    code: str
    severity: str
    message: str
    person: str  # the person's name, or ""
    envelope: str  # the envelope's label, or ""

    @property
    def blocking(self) -> bool:
        return self.severity == "bloquante"


@dataclass(frozen=True)
class Comparison:
    envelopes: list[EnvelopeChange]
    persons: list[PersonChange]
    etp: Change
    amount: Change
    new_anomalies: list[AnomalyItem]
    resolved_anomalies: list[AnomalyItem]
    anomalies_after: list[AnomalyItem]

    @property
    def is_development(self) -> bool:
        """More total Etp than before: a development, which needs the Caf's prior agreement."""
        return self.etp.after > self.etp.before

    @property
    def has_changes(self) -> bool:
        return (
            any(p.changed for p in self.persons)
            or any(e.changed for e in self.envelopes)
            or self.etp.changed
            or self.amount.changed
        )

    @property
    def added(self) -> list[PersonChange]:
        return [p for p in self.persons if p.status == PersonStatus.ADDED]

    @property
    def removed(self) -> list[PersonChange]:
        return [p for p in self.persons if p.status == PersonStatus.REMOVED]

    @property
    def changed_persons(self) -> list[PersonChange]:
        return [p for p in self.persons if p.changed]

    @property
    def new_blocking(self) -> list[AnomalyItem]:
        return [a for a in self.new_anomalies if a.blocking]

    @property
    def blocking_after(self) -> list[AnomalyItem]:
        return [a for a in self.anomalies_after if a.blocking]


# --- Reading an engine output ----------------------------------------------------------------


def as_ventilation(result: FundingResult | Mapping[str, Any] | None) -> Mapping[str, Any]:
    """The engine's JSON output, whether given a live result or a frozen ventilation."""
    if result is None:
        return {}
    if isinstance(result, FundingResult):
        return result_to_json(result)
    return result


def _decimal(value: object) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else ZERO
    except ArithmeticError:
        return ZERO


def _envelope_totals(ventilation: Mapping[str, Any]) -> dict[str, tuple[Decimal, Decimal]]:
    return {
        item["enveloppe"]: (_decimal(item.get("etp")), _decimal(item.get("montant")))
        for item in ventilation.get("enveloppes", [])
    }


def _person_amounts(ventilation: Mapping[str, Any]) -> dict[str, Decimal]:
    """Person id (its 1-based position) → its amount."""
    return {
        str(item["id"]): _decimal(item.get("montant")) for item in ventilation.get("personnes", [])
    }


def _total(ventilation: Mapping[str, Any], key: str, default: Decimal) -> Decimal:
    total = ventilation.get("total")
    if not isinstance(total, Mapping) or key not in total:
        return default
    return _decimal(total[key])


def anomalies(rows: list[PersonRow], ventilation: Mapping[str, Any]) -> list[AnomalyItem]:
    items = []
    for anomaly in ventilation.get("anomalies", []):
        person_id = anomaly.get("personne")
        person = ""
        if person_id is not None and str(person_id).isdigit() and 0 < int(person_id) <= len(rows):
            person = rows[int(person_id) - 1].nom
        envelope = anomaly.get("enveloppe") or ""
        items.append(
            AnomalyItem(
                code=str(anomaly.get("code", "")),
                severity=str(anomaly.get("gravite", "")),
                message=str(anomaly.get("message", "")),
                person=person,
                envelope=ENVELOPE_LABELS.get(envelope, envelope),
            )
        )
    return items


# --- The comparison --------------------------------------------------------------------------


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _pair(before: list[PersonRow], after: list[PersonRow]) -> list[tuple[int | None, int | None]]:
    """(index before, index after) pairs: same name first, in order; then the rest."""
    remaining: dict[str, list[int]] = {}
    for index, row in enumerate(before):
        remaining.setdefault(_key(row.nom), []).append(index)
    pairs: list[tuple[int | None, int | None]] = []
    matched: set[int] = set()
    for index, row in enumerate(after):
        candidates = remaining.get(_key(row.nom))
        if candidates:
            old = candidates.pop(0)
            matched.add(old)
            pairs.append((old, index))
        else:
            pairs.append((None, index))
    removed = [(index, None) for index in range(len(before)) if index not in matched]
    return [*pairs, *removed]


def _row_etp(row: PersonRow | None) -> Decimal:
    return sum((etp for etp in row.etp.values()), ZERO) if row else ZERO


def compare(
    before_rows: list[PersonRow],
    before: FundingResult | Mapping[str, Any] | None,
    after_rows: list[PersonRow],
    after: FundingResult | Mapping[str, Any] | None,
) -> Comparison:
    """Compare the architecture ``before`` (e.g. the version in force) with ``after`` (e.g. a
    request's proposal)."""
    vent_before, vent_after = as_ventilation(before), as_ventilation(after)
    totals_before, totals_after = _envelope_totals(vent_before), _envelope_totals(vent_after)
    envelopes = [
        EnvelopeChange(
            code=code,
            label=label,
            etp=Change(
                totals_before.get(code, (ZERO, ZERO))[0], totals_after.get(code, (ZERO, ZERO))[0]
            ),
            amount=Change(
                totals_before.get(code, (ZERO, ZERO))[1], totals_after.get(code, (ZERO, ZERO))[1]
            ),
        )
        for code, label in ENVELOPE_CHOICES
    ]
    amounts_before, amounts_after = _person_amounts(vent_before), _person_amounts(vent_after)
    persons = []
    for old, new in _pair(before_rows, after_rows):
        row_before = before_rows[old] if old is not None else None
        row_after = after_rows[new] if new is not None else None
        codes = [
            code
            for code, _ in ENVELOPE_CHOICES
            if (row_before and code in row_before.etp) or (row_after and code in row_after.etp)
        ]
        etp_changes = [
            PersonEtpChange(
                code=code,
                label=ENVELOPE_LABELS[code],
                etp=Change(
                    row_before.etp.get(code, ZERO) if row_before else ZERO,
                    row_after.etp.get(code, ZERO) if row_after else ZERO,
                ),
            )
            for code in codes
        ]
        details = []
        if row_before and row_after:
            if row_before.type_poste != row_after.type_poste:
                old_post = POST_TYPE_LABELS.get(row_before.type_poste, row_before.type_poste)
                new_post = POST_TYPE_LABELS.get(row_after.type_poste, row_after.type_poste)
                details.append(f"type de poste : {old_post} → {new_post}")
            if row_before.fonction != row_after.fonction:
                details.append(
                    f"fonction : {row_before.fonction or '—'} → {row_after.fonction or '—'}"
                )
            if row_before.employeur != row_after.employeur:
                details.append(
                    f"employeur : {row_before.employeur or '—'} → {row_after.employeur or '—'}"
                )
        missions_before = set(row_before.objectifs) if row_before else set()
        missions_after = set(row_after.objectifs) if row_after else set()
        missions_added = sorted(missions_after - missions_before, key=objective_sort_key)
        missions_removed = sorted(missions_before - missions_after, key=objective_sort_key)
        amount = Change(
            amounts_before.get(str(old + 1), ZERO) if old is not None else ZERO,
            amounts_after.get(str(new + 1), ZERO) if new is not None else ZERO,
        )
        if row_before is None:
            status = PersonStatus.ADDED
        elif row_after is None:
            status = PersonStatus.REMOVED
        elif (
            details
            or missions_added
            or missions_removed
            or any(c.etp.changed for c in etp_changes)
            or amount.changed
        ):
            status = PersonStatus.CHANGED
        else:
            status = PersonStatus.UNCHANGED
        persons.append(
            PersonChange(
                name=(row_after or row_before).nom,  # type: ignore[union-attr]
                status=status,
                before=row_before,
                after=row_after,
                envelopes=etp_changes,
                etp=Change(_row_etp(row_before), _row_etp(row_after)),
                amount=amount,
                details=details,
                missions_added=missions_added,
                missions_removed=missions_removed,
            )
        )
    anomalies_before = anomalies(before_rows, vent_before)
    anomalies_after = anomalies(after_rows, vent_after)

    def identity(item: AnomalyItem) -> tuple[str, str, str]:
        return (item.code, _key(item.person), item.envelope)

    known_before = {identity(a) for a in anomalies_before}
    known_after = {identity(a) for a in anomalies_after}
    etp = Change(
        _total(vent_before, "etp", sum((_row_etp(r) for r in before_rows), ZERO)),
        _total(vent_after, "etp", sum((_row_etp(r) for r in after_rows), ZERO)),
    )
    if etp.after <= etp.before:
        # No Etp added: a reorganisation, not a development (which the référentiel defines by
        # what is added, « Tout développement doit faire l'objet […] d'un accord de la Caf »),
        # whatever the engine says of the Cej base.
        known_before.add((AnomalyCode.NOUVEAU_DEVELOPPEMENT.value, "", ""))
    return Comparison(
        envelopes=envelopes,
        persons=persons,
        etp=etp,
        amount=Change(_total(vent_before, "montant", ZERO), _total(vent_after, "montant", ZERO)),
        new_anomalies=[a for a in anomalies_after if identity(a) not in known_before],
        resolved_anomalies=[a for a in anomalies_before if identity(a) not in known_after],
        anomalies_after=anomalies_after,
    )


# --- Frozen comparison (kept on a decided request) ------------------------------------------

#: Version of the JSON below (a later change of the format reads the old one).
FROZEN_FORMAT = 1


def _change_json(change: Change) -> list[str]:
    return [f"{change.before:f}", f"{change.after:f}"]


def _change(value: object) -> Change:
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return Change(_decimal(value[0]), _decimal(value[1]))
    return Change(ZERO, ZERO)


def _row_json(row: PersonRow | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "nom": row.nom,
        "fonction": row.fonction,
        "employeur": row.employeur,
        "type_poste": row.type_poste,
        "etp": {code: f"{etp:f}" for code, etp in row.etp.items()},
        "missions": list(row.objectifs),
    }


def _row(data: object) -> PersonRow | None:
    if not isinstance(data, Mapping):
        return None
    etp = data.get("etp")
    return PersonRow(
        nom=str(data.get("nom", "")),
        fonction=str(data.get("fonction", "")),
        employeur=str(data.get("employeur", "")),
        type_poste=str(data.get("type_poste", "")),
        etp={str(k): _decimal(v) for k, v in etp.items()} if isinstance(etp, Mapping) else {},
        objectifs=tuple(str(c) for c in data.get("missions", []) or []),
    )


def _anomaly_json(item: AnomalyItem) -> dict[str, str]:
    return {
        "code": item.code,
        "gravite": item.severity,
        "message": item.message,
        "personne": item.person,
        "enveloppe": item.envelope,
    }


def _anomaly(data: Mapping[str, Any]) -> AnomalyItem:
    return AnomalyItem(
        code=str(data.get("code", "")),
        severity=str(data.get("gravite", "")),
        message=str(data.get("message", "")),
        person=str(data.get("personne", "")),
        envelope=str(data.get("enveloppe", "")),
    )


def comparison_to_json(comparison: Comparison) -> dict[str, Any]:
    """The comparison as JSON (amounts and Etp as text), to keep what was decided."""
    return {
        "format": FROZEN_FORMAT,
        "enveloppes": [
            {
                "code": e.code,
                "libelle": e.label,
                "etp": _change_json(e.etp),
                "montant": _change_json(e.amount),
            }
            for e in comparison.envelopes
        ],
        "personnes": [
            {
                "nom": p.name,
                "statut": p.status,
                "avant": _row_json(p.before),
                "apres": _row_json(p.after),
                "enveloppes": [
                    {"code": c.code, "libelle": c.label, "etp": _change_json(c.etp)}
                    for c in p.envelopes
                ],
                "etp": _change_json(p.etp),
                "montant": _change_json(p.amount),
                "details": list(p.details),
                "missions_ajoutees": list(p.missions_added),
                "missions_retirees": list(p.missions_removed),
            }
            for p in comparison.persons
        ],
        "etp": _change_json(comparison.etp),
        "montant": _change_json(comparison.amount),
        "nouvelles_anomalies": [_anomaly_json(a) for a in comparison.new_anomalies],
        "anomalies_levees": [_anomaly_json(a) for a in comparison.resolved_anomalies],
        "anomalies_apres": [_anomaly_json(a) for a in comparison.anomalies_after],
    }


def comparison_from_json(data: Mapping[str, Any]) -> Comparison:
    """The comparison kept by :func:`comparison_to_json`, as it was (nothing recomputed)."""
    return Comparison(
        envelopes=[
            EnvelopeChange(
                code=str(e.get("code", "")),
                label=str(e.get("libelle", "")),
                etp=_change(e.get("etp")),
                amount=_change(e.get("montant")),
            )
            for e in data.get("enveloppes", [])
        ],
        persons=[
            PersonChange(
                name=str(p.get("nom", "")),
                status=str(p.get("statut", PersonStatus.UNCHANGED)),
                before=_row(p.get("avant")),
                after=_row(p.get("apres")),
                envelopes=[
                    PersonEtpChange(
                        code=str(c.get("code", "")),
                        label=str(c.get("libelle", "")),
                        etp=_change(c.get("etp")),
                    )
                    for c in p.get("enveloppes", [])
                ],
                etp=_change(p.get("etp")),
                amount=_change(p.get("montant")),
                details=[str(d) for d in p.get("details", [])],
                missions_added=[str(c) for c in p.get("missions_ajoutees", [])],
                missions_removed=[str(c) for c in p.get("missions_retirees", [])],
            )
            for p in data.get("personnes", [])
        ],
        etp=_change(data.get("etp")),
        amount=_change(data.get("montant")),
        new_anomalies=[_anomaly(a) for a in data.get("nouvelles_anomalies", [])],
        resolved_anomalies=[_anomaly(a) for a in data.get("anomalies_levees", [])],
        anomalies_after=[_anomaly(a) for a in data.get("anomalies_apres", [])],
    )

"""Presentation helpers of the Cof pages: a signed version's frozen figures laid out like the
funding page's table (``funding/_breakdown.html``), and history entries for people."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone

from coopctg.agreements.models import AgreementVersion, FundingAgreement, ModificationRequest
from coopctg.agreements.models import RequestComment as Comment
from coopctg.core.formats import format_date, format_etp, format_euros
from coopctg.core.models import AuditEntry
from coopctg.funding.models import ENVELOPE_CHOICES, POST_TYPE_CHOICES
from coopctg.funding.services import PersonRow

ENVELOPE_LABELS = dict(ENVELOPE_CHOICES)
POST_TYPE_LABELS = dict(POST_TYPE_CHOICES)


def _decimal(value: object) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal(0)


# --- Frozen figures ------------------------------------------------------------------------


@dataclass(frozen=True)
class FrozenAnomaly:
    code: str
    severity: str
    message: str
    person_id: str | None
    envelope: str | None


@dataclass
class FrozenLine:
    person: PersonRow
    position: int
    etp: Decimal
    amount: Decimal
    anomalies: list[FrozenAnomaly] = field(default_factory=list)


@dataclass
class FrozenGroup:
    envelope: str
    label: str
    lines: list[FrozenLine]
    etp: Decimal
    amount: Decimal


@dataclass(frozen=True)
class FrozenResult:
    total_etp: Decimal
    total_amount: Decimal
    eligible: bool
    date: dt.date | None
    flat_rate: Decimal
    flat_rate_since: dt.date | None
    threshold: Decimal


def _iso_date(value: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def frozen_context(ventilation: dict[str, Any] | None, rows: list[PersonRow]) -> dict[str, Any]:
    """The context of ``agreements/_ventilation.html`` from a signed version's ``ventilation``
    (never recomputed: a later change of the Caf's parameters never changes a signed
    amount)."""
    data = ventilation or {}
    anomalies = [
        FrozenAnomaly(
            code=str(item.get("code", "")),
            severity=str(item.get("gravite", "")),
            message=str(item.get("message", "")),
            person_id=item.get("personne"),
            envelope=item.get("enveloppe"),
        )
        for item in data.get("anomalies", [])
    ]

    def person(person_id: object) -> PersonRow | None:
        text = str(person_id)
        if text.isdigit() and 0 < int(text) <= len(rows):
            return rows[int(text) - 1]
        return None

    groups = []
    for total in data.get("enveloppes", []):
        code = total.get("enveloppe")
        lines = []
        for line in data.get("lignes", []):
            row = person(line.get("personne"))
            if line.get("enveloppe") != code or row is None:
                continue
            lines.append(
                FrozenLine(
                    person=row,
                    position=int(line["personne"]),
                    etp=_decimal(line.get("etp")),
                    amount=_decimal(line.get("montant")),
                    anomalies=[
                        a
                        for a in anomalies
                        if a.person_id == line.get("personne") and a.envelope in (None, code)
                    ],
                )
            )
        groups.append(
            FrozenGroup(
                envelope=code,
                label=ENVELOPE_LABELS.get(code, code),
                lines=lines,
                etp=_decimal(total.get("etp")),
                amount=_decimal(total.get("montant")),
            )
        )
    params = data.get("parametres", {})
    sources = params.get("sources", {})
    result = FrozenResult(
        total_etp=_decimal(data.get("total", {}).get("etp")),
        total_amount=_decimal(data.get("total", {}).get("montant")),
        eligible=bool(data.get("eligible", True)),
        date=_iso_date(data.get("date")),
        flat_rate=_decimal(params.get("forfait_etp")),
        flat_rate_since=_iso_date(sources.get("forfait_etp", {}).get("date_effet")),
        threshold=_decimal(params.get("seuil_affectation")),
    )
    listed = [
        {
            "anomaly": a,
            "person": person(a.person_id).nom if person(a.person_id) else "",  # type: ignore[union-attr]
            "envelope": ENVELOPE_LABELS.get(a.envelope or "", ""),
            "blocking": a.severity == "bloquante",
        }
        for a in anomalies
    ]
    return {
        "result": result,
        "groups": groups,
        "frozen_anomalies": listed,
        "blocking_count": sum(1 for a in listed if a["blocking"]),
    }


# --- History -------------------------------------------------------------------------------

OBJECT_LABELS = {
    "agreements.fundingagreement": "Cof",
    "agreements.agreementversion": "Version",
    "agreements.modificationrequest": "Demande de modification",
    "agreements.requestcomment": "Échange",
    "funding.fundingarchitecture": "Architecture",
}

FIELD_LABELS = {
    "numero": "Numéro",
    "date_debut": "Début",
    "date_fin": "Fin",
    "signataires": "Signataires",
    "statut": "Statut",
    "date_effet": "Date d'effet",
    "date_signature": "Date de signature",
    "motif": "Motif",
    "total_etp": "Etp",
    "total_montant": "Montant annuel",
    "soumise_le": "Soumise le",
    "decision_motif": "Motif de la décision",
    "decidee_par": "Décidée par",
    "decidee_le": "Décidée le",
    "accord_prealable": "Accord préalable de la Caf",
    "accord_prealable_par": "Accord préalable donné par",
    "accord_prealable_le": "Accord préalable donné le",
    "avenant": "Avenant",
    "difference_depuis": "Différence décidée, comparée à",
    "nature": "Nature",
    "cote": "Côté",
    "texte": "Message",
    "base_cej": "Base Cej redéployée",
    "personnes": "Personnes financées",
    "total": "Total",
    "enveloppes": "Montants par enveloppe",
    "declaration_attendus": "Déclaration : attendus du référentiel",
    "reference_cof": "Référence de la Cof",
    "declaration_reseaux": "Déclaration : réseaux",
    "declaration_bilan": "Déclaration : bilan annuel",
}

STATUS_LABELS = {
    **dict(ModificationRequest.Status.choices),
    **dict(AgreementVersion.Status.choices),
    **dict(FundingAgreement.Status.choices),
    **dict(Comment.Kind.choices),
    **dict(Comment.Side.choices),
}


def _in_envelope_order(shares: dict[str, Any]) -> list[tuple[str, Any]]:
    """The envelopes in the référentiel's order: a JSON object read back from PostgreSQL
    (jsonb) does not keep the order its keys were written in."""
    rank = {code: index for index, code in enumerate(ENVELOPE_LABELS)}
    return sorted(shares.items(), key=lambda item: (rank.get(item[0], len(rank)), item[0]))


def _person_text(person: dict[str, Any]) -> str:
    shares = ", ".join(
        f"{ENVELOPE_LABELS.get(code, code)} {format_etp(_decimal(etp))}"
        for code, etp in _in_envelope_order(person.get("affectations", {}))
    )
    post = POST_TYPE_LABELS.get(person.get("type_poste", ""), person.get("type_poste", ""))
    missions = person.get("missions") or []
    text = f"{person.get('nom', '')} ({post}) : {shares or 'aucune affectation'}"
    return f"{text} ; missions : {', '.join(missions)}" if missions else text


def history_value(name: str, value: Any) -> str:
    """A history value for people: dates and amounts in French, codes as labels."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if name == "personnes" and isinstance(value, list):
        return "\n".join(_person_text(p) for p in value if isinstance(p, dict))
    if name in {"base_cej", "total"} and isinstance(value, dict):
        amount = format_euros(_decimal(value.get("montant")))
        etp = format_etp(_decimal(value.get("etp")))
        return f"{amount} pour {etp}" if name == "base_cej" else f"{etp}, {amount}"
    if name == "enveloppes" and isinstance(value, dict):
        return "\n".join(
            f"{ENVELOPE_LABELS.get(code, code)} : {format_euros(_decimal(amount))}"
            for code, amount in _in_envelope_order(value)
        )
    if name == "total_etp":
        return format_etp(_decimal(value))
    if name == "total_montant":
        return format_euros(_decimal(value))
    if isinstance(value, str):
        if name in {"statut", "nature", "cote"} and value in STATUS_LABELS:
            return str(STATUS_LABELS[value])
        if len(value) == 10:
            day = _iso_date(value)
            if day:
                return format_date(day)
        if "T" in value:
            try:
                moment = dt.datetime.fromisoformat(value)
            except ValueError:
                return value
            return (
                f"{timezone.localtime(moment):%d/%m/%Y à %H:%M}"
                if timezone.is_aware(moment)
                else f"{moment:%d/%m/%Y à %H:%M}"
            )
        return value
    if isinstance(value, list):
        return ", ".join(history_value(name, v) for v in value)
    return str(value)


@dataclass(frozen=True)
class HistoryItem:
    entry: AuditEntry
    object_label: str
    changes: list[tuple[str, str, str]]


def history_items(entries: list[AuditEntry]) -> list[HistoryItem]:
    items = []
    for entry in entries:
        changes = [
            (FIELD_LABELS.get(name, name), history_value(name, before), history_value(name, after))
            for name, before, after in entry.changes()
        ]
        items.append(
            HistoryItem(
                entry=entry,
                object_label=f"{OBJECT_LABELS.get(entry.objet_type, entry.objet_type)} — "
                f"{entry.objet_libelle}",
                # « — » → « — » (empty before, empty after) says nothing
                changes=[change for change in changes if change[1] != change[2]],
            )
        )
    return items

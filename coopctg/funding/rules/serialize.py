"""A :class:`FundingResult` as JSON-ready data: Etp and euros as strings with two decimals."""

from __future__ import annotations

from decimal import Decimal

from coopctg.funding.rules.model import CENT, FundingResult


def decimal_text(value: Decimal) -> str:
    """``Decimal("0.4")`` → ``"0.40"``; ``Decimal("9600")`` → ``"9600.00"``."""
    return f"{value.quantize(CENT):f}"


def result_to_json(result: FundingResult) -> dict[str, object]:
    """The result in the ``coopctg financement simuler`` output format."""
    params = result.parameters
    return {
        "date": result.date.isoformat(),
        "parametres": {
            "caf": params.caf,
            "forfait_etp": decimal_text(params.flat_rate.value),
            "seuil_affectation": decimal_text(params.threshold.value),
            "sources": {
                name: {"date_effet": sourced.since.isoformat(), "reference": sourced.reference}
                for name, sourced in (
                    ("forfait_etp", params.flat_rate),
                    ("seuil_affectation", params.threshold),
                )
            },
        },
        "lignes": [
            {
                "personne": line.person_id,
                "enveloppe": line.envelope.value,
                "etp": decimal_text(line.etp),
                "montant": decimal_text(line.amount),
            }
            for line in result.lines
        ],
        "enveloppes": [
            {
                "enveloppe": total.envelope.value,
                "etp": decimal_text(total.etp),
                "montant": decimal_text(total.amount),
            }
            for total in result.envelopes
        ],
        "personnes": [
            {
                "id": total.person_id,
                "etp": decimal_text(total.etp),
                "montant": decimal_text(total.amount),
            }
            for total in result.persons
        ],
        "total": {
            "etp": decimal_text(result.total_etp),
            "montant": decimal_text(result.total_amount),
        },
        "anomalies": [
            {
                "code": anomaly.code.value,
                "gravite": anomaly.severity.value,
                "personne": anomaly.person_id,
                "enveloppe": anomaly.envelope.value if anomaly.envelope else None,
                "message": anomaly.message,
            }
            for anomaly in result.anomalies
        ],
        "eligible": result.eligible,
    }

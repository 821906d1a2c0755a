"""Bridge between the stored architectures and the pure funding engine.

The web pages, the documents and the CLI all compute through :func:`compute_architecture`, so
the same architecture always shows the same figures (one engine).
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction

from coopctg.core import versions
from coopctg.core.audit import record_change, snapshot
from coopctg.core.models import AuditEntry
from coopctg.ctg.models import Ctg
from coopctg.funding.caf_parameters import load_caf_parameters
from coopctg.funding.models import (
    FrozenArchitectureError,
    FundedAssignment,
    FundedPerson,
    FundingArchitecture,
)
from coopctg.funding.rules import (
    Anomaly,
    Architecture,
    Assignment,
    CejBase,
    Envelope,
    FundingResult,
    Person,
    PostType,
    compute_funding,
)
from coopctg.funding.rules.themes import envelopes_for_themes


@dataclass(frozen=True)
class PersonRow:
    """A person as typed in a form or stored: the engine's id is its position."""

    nom: str
    fonction: str
    employeur: str
    type_poste: str
    etp: dict[str, Decimal]  # envelope code → Etp (only positive ones)
    #: The post's missions: codes of the référentiel's objectives (« M1.O2 »), in order.
    objectifs: tuple[str, ...] = ()


def objective_sort_key(code: str) -> tuple[int | str, ...]:
    """« M1.O2 » < « M1.O10 » < « M2.O1 »: numbers compared as numbers."""
    import re

    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", code))


def to_engine(
    date: Any,
    rows: list[PersonRow],
    *,
    base_montant: Decimal | None,
    base_etp: Decimal | None,
    ctg_themes: list[str] | None,
    collectivite: str | None = None,
) -> Architecture:
    persons = tuple(
        Person(
            id=str(index),
            name=row.nom,
            function=row.fonction or None,
            post_type=PostType(row.type_poste),
            assignments=tuple(
                Assignment(Envelope(code), etp)
                for code in Envelope
                if (etp := row.etp.get(code.value)) is not None and etp > 0
            ),
        )
        for index, row in enumerate(rows, start=1)
    )
    base = None
    if base_montant is not None and base_etp is not None:
        base = CejBase(amount=base_montant, etp=base_etp)
    return Architecture(
        date=date,
        persons=persons,
        collectivite=collectivite,
        cej_base=base,
        ctg_envelopes=envelopes_for_themes(ctg_themes) if ctg_themes is not None else None,
    )


def compute(architecture: Architecture, caf_code: str) -> FundingResult:
    return compute_funding(architecture, load_caf_parameters(caf_code).at(architecture.date))


def stored_rows(architecture: FundingArchitecture) -> list[PersonRow]:
    """Rows of a stored architecture (``personnes`` and ``affectations`` prefetched)."""
    return [
        PersonRow(
            nom=person.nom,
            fonction=person.fonction,
            employeur=person.employeur,
            type_poste=person.type_poste,
            etp={a.enveloppe: a.etp for a in person.affectations.all()},
            objectifs=tuple(
                sorted((o.code for o in person.objectifs.all()), key=objective_sort_key)
            ),
        )
        for person in architecture.personnes.all()
    ]


def load_architecture(pk: int) -> FundingArchitecture:
    return (
        FundingArchitecture.objects.select_related("ctg", "collectivite", "ctg__caf")
        .prefetch_related("personnes__affectations", "personnes__objectifs")
        .get(pk=pk)
    )


def compute_architecture(architecture: FundingArchitecture) -> FundingResult:
    engine_input = to_engine(
        architecture.date_effet,
        stored_rows(architecture),
        base_montant=architecture.base_cej_montant,
        base_etp=architecture.base_cej_etp,
        ctg_themes=architecture.ctg.themes,
        collectivite=architecture.collectivite.nom,
    )
    return compute(engine_input, architecture.ctg.caf.code)


def snapshot_architecture(
    architecture: FundingArchitecture, rows: list[PersonRow], result: FundingResult | None
) -> dict[str, Any]:
    """JSON view of an architecture and its figures, for the history."""
    data: dict[str, Any] = {
        "date_effet": architecture.date_effet.isoformat(),
        "base_cej": None
        if architecture.base_cej_montant is None
        else {
            "montant": f"{architecture.base_cej_montant:f}",
            "etp": f"{architecture.base_cej_etp:f}",
        },
        "personnes": [
            {
                "nom": r.nom,
                "fonction": r.fonction,
                "employeur": r.employeur,
                "type_poste": r.type_poste,
                "affectations": {code: f"{etp:f}" for code, etp in r.etp.items()},
                "missions": sorted(r.objectifs, key=objective_sort_key),
            }
            for r in rows
        ],
    }
    if result is not None:
        data["total"] = {"etp": f"{result.total_etp:f}", "montant": f"{result.total_amount:f}"}
        data["enveloppes"] = {e.envelope.value: f"{e.amount:f}" for e in result.envelopes}
    return data


@transaction.atomic
def save_architecture(
    user: Any, architecture: FundingArchitecture, rows: list[PersonRow]
) -> FundingArchitecture:
    """Store the architecture and its persons, and write the history with the figures."""
    creating = architecture.pk is None
    before = None
    if not creating:
        previous = load_architecture(architecture.pk)
        before = snapshot_architecture(previous, stored_rows(previous), _safe_compute(previous))
    architecture.modifie_par = user if getattr(user, "is_authenticated", False) else None
    architecture.save()
    architecture.personnes.all().delete()
    for position, row in enumerate(rows, start=1):
        person = FundedPerson.objects.create(
            architecture=architecture,
            position=position,
            nom=row.nom,
            fonction=row.fonction,
            employeur=row.employeur,
            type_poste=row.type_poste,
        )
        with versions.writing_for(row=person):
            FundedAssignment.objects.bulk_create(
                FundedAssignment(personne=person, enveloppe=code, etp=etp)
                for code, etp in row.etp.items()
                if etp > 0
            )
        if row.objectifs:
            objectives = objectives_for_codes(row.objectifs)
            person.objectifs.set([objectives[code] for code in row.objectifs if code in objectives])
    stored = load_architecture(architecture.pk)
    after = snapshot_architecture(stored, rows, _safe_compute(stored))
    record_change(
        user,
        architecture,
        AuditEntry.Action.CREATION if creating else AuditEntry.Action.MODIFICATION,
        before=before,
        after=after,
        caf_id=architecture.ctg.caf_id,
    )
    return stored


def objectives_for_codes(codes: Any) -> dict[str, Any]:
    """The référentiel's objectives of these codes, in the newest référentiel that has them."""
    from coopctg.framework.models import Objective

    found: dict[str, Any] = {}
    for objective in Objective.objects.filter(code__in=list(codes)).order_by(
        "-mission__version__date_publication", "-mission__version_id"
    ):
        found.setdefault(objective.code, objective)
    return found


def objective_titles(codes: Any) -> dict[str, str]:
    """« M1.O2 » → « M1.O2 — <titre> » (one query)."""
    return {code: f"{code} — {o.titre}" for code, o in objectives_for_codes(set(codes)).items()}


def rows_objectives(*row_lists: list[PersonRow]) -> set[str]:
    return {code for rows in row_lists for row in rows for code in row.objectifs}


#: The declarations still possible where no record can exist (see
#: :mod:`coopctg.funding.eligibility`). ``reference_cof`` and ``declaration_reseaux`` are no
#: longer declared — the Cof and the network meetings are records — and keep their past values.
DECLARATION_FIELDS = ["declaration_attendus", "declaration_bilan"]


@transaction.atomic
def save_declarations(
    user: Any, architecture: FundingArchitecture, fields: list[str] | None = None
) -> None:
    """Record the collectivité's declarations of the eligibility conditions (``fields``: those
    it may still make, by default all), with history when one changes.

    Only on the working architecture: a signed version's is frozen, a request's proposal
    changes through its request (:class:`FrozenArchitectureError`)."""
    fields = DECLARATION_FIELDS if fields is None else fields
    stored = FundingArchitecture.objects.select_for_update().get(pk=architecture.pk)
    if stored.kind != FundingArchitecture.Kind.TRAVAIL:
        raise FrozenArchitectureError(
            stored.frozen_reason()
            or "Les déclarations de la collectivité se font sur son architecture de travail."
        )
    before, after = snapshot(stored, fields), snapshot(architecture, fields)
    if not fields or before == after:
        return
    architecture.save(update_fields=[*fields, "modifie_le"])
    record_change(
        user,
        architecture,
        AuditEntry.Action.MODIFICATION,
        before=before,
        after=after,
        caf_id=architecture.ctg.caf_id,
    )


def _safe_compute(architecture: FundingArchitecture) -> FundingResult | None:
    from coopctg.core.params import ParameterError

    try:
        return compute_architecture(architecture)
    except ParameterError:
        return None


# --- Presentation: the seed's table --------------------------------------------------------


@dataclass
class BreakdownLine:
    person: PersonRow
    position: int
    etp: Decimal
    amount: Decimal
    anomalies: list[Anomaly]


@dataclass
class BreakdownGroup:
    envelope: Envelope
    label: str
    lines: list[BreakdownLine]
    etp: Decimal
    amount: Decimal


def breakdown(result: FundingResult, rows: list[PersonRow]) -> list[BreakdownGroup]:
    """Rows by envelope as in the référentiel's table: « Pilotage petite enfance — porté par
    M. X — à hauteur de 0,4 Etp — 9 600 € », with each envelope's subtotal."""
    params = result.parameters
    groups = []
    for total in result.envelopes:
        lines = [
            BreakdownLine(
                person=rows[int(line.person_id) - 1],
                position=int(line.person_id),
                etp=line.etp,
                amount=line.amount,
                anomalies=[
                    a
                    for a in result.anomalies
                    if a.person_id == line.person_id and a.envelope in (None, line.envelope)
                ],
            )
            for line in result.lines
            if line.envelope == total.envelope
        ]
        groups.append(
            BreakdownGroup(
                envelope=total.envelope,
                label=params.envelope_label(total.envelope),
                lines=lines,
                etp=total.etp,
                amount=total.amount,
            )
        )
    return groups


def default_date_for(ctg: Ctg) -> Any:
    return ctg.date_debut

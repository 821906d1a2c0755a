"""The funding of an architecture: total, breakdown by person × envelope, anomalies.

Everything is computed on exact integers (cents, hundredths of Etp) and rounded at two named
points only: the total (half-up to the cent) and the lines (floored, then the cents left go to
the largest remainders), so that the lines always add up to the total.
"""

from __future__ import annotations

from collections.abc import Iterator

from coopctg.core.formats import format_etp, format_euros
from coopctg.funding.rules import referentiel
from coopctg.funding.rules.model import (
    FULL_TIME,
    Anomaly,
    AnomalyCode,
    Architecture,
    Envelope,
    EnvelopeTotal,
    FundingLine,
    FundingResult,
    Person,
    PersonTotal,
    Severity,
    from_hundredths,
    hundredths,
)
from coopctg.funding.rules.parameters import FundingParameters, FundingParameterSet


def compute_funding(
    architecture: Architecture, params: FundingParameters | FundingParameterSet
) -> FundingResult:
    """Fund ``architecture`` with the parameters in force on its date.

    ``params`` is either a Caf's whole parameter set (the values of the architecture's date are
    picked) or the parameters already taken at that date.
    """
    if not isinstance(params, FundingParameters):
        params = params.at(architecture.date)
    elif params.date != architecture.date:
        raise ValueError(
            f"paramètres pris au {params.date}, architecture datée du {architecture.date}"
        )
    pairs = [
        (index, assignment)
        for index, person in enumerate(architecture.persons)
        for assignment in person.assignments
    ]
    line_etps = [hundredths(assignment.etp) for _, assignment in pairs]
    total_cents = total_funding_cents(architecture, params)
    amounts = split_cents(total_cents, line_etps)
    lines: list[FundingLine] = []
    by_envelope = {envelope: [0, 0] for envelope in Envelope}  # [Etp, cents]
    by_person = [[0, 0] for _ in architecture.persons]
    for (index, assignment), etp, cents in zip(pairs, line_etps, amounts, strict=True):
        person = architecture.persons[index]
        lines.append(
            FundingLine(
                person_id=person.id,
                envelope=assignment.envelope,
                etp=from_hundredths(etp),
                amount=from_hundredths(cents),
            )
        )
        for sums in (by_envelope[assignment.envelope], by_person[index]):
            sums[0] += etp
            sums[1] += cents
    envelopes = tuple(
        EnvelopeTotal(envelope=envelope, etp=from_hundredths(etp), amount=from_hundredths(cents))
        for envelope, (etp, cents) in by_envelope.items()
    )
    persons = tuple(
        PersonTotal(person_id=person.id, etp=from_hundredths(etp), amount=from_hundredths(cents))
        for person, (etp, cents) in zip(architecture.persons, by_person, strict=True)
    )
    return FundingResult(
        date=architecture.date,
        parameters=params,
        lines=tuple(lines),
        envelopes=envelopes,
        persons=persons,
        total_etp=from_hundredths(sum(line_etps)),
        total_amount=from_hundredths(total_cents),
        anomalies=tuple(find_anomalies(architecture, params)),
    )


# --- Amounts ----------------------------------------------------------------------------------


def total_funding_cents(architecture: Architecture, params: FundingParameters) -> int:
    """The total funding, in cents, rounded half-up.

    With no redeployed Cej base, every Etp is a new development at the flat rate: « Pour tout
    nouveau développement ou création de fonction de chargé de coopération, le montant
    forfaitaire de l'aide de la Caf est de 24 000 € / Etp. » (referentiel.FLAT_RATE).

    With a base {montant M, etp B}, the former Cej coordination money is redeployed: « le
    financement des postes de coordination seront (re)déployé sur l'animation de la démarche
    Ctg » (referentiel.REDEPLOYMENT). Up to B Etp the architecture gets M × T / B; beyond, each
    extra Etp is a new development at the flat rate: M + forfait × (T − B).
    """
    total = sum(hundredths(person.etp) for person in architecture.persons)  # T, hundredths
    flat_rate = hundredths(params.flat_rate.value)  # cents per Etp
    base = architecture.cej_base
    # The exact amount in cents is numerator / denominator.
    if base is None:
        numerator, denominator = flat_rate * total, 100
    elif total <= hundredths(base.etp):
        numerator, denominator = hundredths(base.amount) * total, hundredths(base.etp)
    else:
        extra = total - hundredths(base.etp)
        numerator, denominator = hundredths(base.amount) * 100 + flat_rate * extra, 100
    return (2 * numerator + denominator) // (2 * denominator)  # half-up, numerator ≥ 0


def split_cents(total: int, weights: list[int]) -> list[int]:
    """Share ``total`` cents in proportion to ``weights``, exactly (largest remainders).

    « les dépenses correspondant aux postes financés seront ventilées en fonction de la place
    de chaque thématique dans l'activité des professionnels financés » (referentiel.BREAKDOWN):
    each line gets total × weight / Σ weights floored to the cent; the cents left are given one
    by one to the lines with the largest remainders, ties going to the earliest line.
    """
    weight_sum = sum(weights)
    if weight_sum == 0:
        return [0 for _ in weights]
    shares = [divmod(total * weight, weight_sum) for weight in weights]
    amounts = [quotient for quotient, _ in shares]
    left = total - sum(amounts)
    by_remainder = sorted(range(len(weights)), key=lambda index: (-shares[index][1], index))
    for index in by_remainder[:left]:
        amounts[index] += 1
    return amounts


# --- Anomalies --------------------------------------------------------------------------------


def find_anomalies(architecture: Architecture, params: FundingParameters) -> Iterator[Anomaly]:
    """Every anomaly, person by person in input order, then those of the whole architecture."""
    for person in architecture.persons:
        yield from assignment_threshold(person, params)
        yield from outside_ctg(person, architecture, params)
        yield from post_threshold(person, params)
        yield from over_full_time(person)
        yield from full_time_thematic_post(person, params)
        yield from full_time_local_post(person, params)
        yield from general_post_not_spread(person, architecture, params)
    yield from new_development(architecture, params)


def _who(person: Person) -> str:
    return f"{person.name} (« {person.id} »)" if person.name else f"« {person.id} »"


def assignment_threshold(person: Person, params: FundingParameters) -> Iterator[Anomaly]:
    """SEUIL_AFFECTATION: « Cette clé de répartition ne peut pas être inférieure à 0,2 Etp par
    affectation. » (referentiel.ASSIGNMENT_THRESHOLD).

    Applies to the post types whose ``seuil_par_affectation`` is true (thematic and local
    coordination posts); the general coordination post is exempt: « Le poste de chargé de
    coopération générale est budgétairement réparti sur les 4 enveloppes thématiques »
    (referentiel.GENERAL_POST_SPREAD), with M. C at 0,15 and 0,1 Etp in the example.
    """
    if not params.post_type(person.post_type).per_assignment_threshold:
        return
    threshold = params.threshold.value
    for assignment in person.assignments:
        if assignment.etp < threshold:
            yield Anomaly(
                code=AnomalyCode.SEUIL_AFFECTATION,
                severity=Severity.BLOCKING,
                person_id=person.id,
                envelope=assignment.envelope,
                message=(
                    f"{_who(person)} : l'affectation « "
                    f"{params.envelope_label(assignment.envelope)} » de "
                    f"{format_etp(assignment.etp)} est inférieure au seuil de "
                    f"{format_etp(threshold)} par affectation — "
                    f"{referentiel.ASSIGNMENT_THRESHOLD.cite()}"
                ),
            )


def outside_ctg(
    person: Person, architecture: Architecture, params: FundingParameters
) -> Iterator[Anomaly]:
    """ENVELOPPE_HORS_CTG: the Etp must « être centré sur les champs de compétences de la Caf,
    c'est-à-dire ceux inscrits dans la Ctg » (referentiel.CTG_FIELDS). Checked only when the
    Ctg's envelopes are known."""
    if architecture.ctg_envelopes is None:
        return
    for assignment in person.assignments:
        if assignment.envelope not in architecture.ctg_envelopes:
            yield Anomaly(
                code=AnomalyCode.ENVELOPPE_HORS_CTG,
                severity=Severity.BLOCKING,
                person_id=person.id,
                envelope=assignment.envelope,
                message=(
                    f"{_who(person)} : l'enveloppe « "
                    f"{params.envelope_label(assignment.envelope)} » "
                    f"({format_etp(assignment.etp)}) n'est pas une thématique de la Ctg — "
                    f"{referentiel.CTG_FIELDS.cite()}"
                ),
            )


def post_threshold(person: Person, params: FundingParameters) -> Iterator[Anomaly]:
    """SEUIL_POSTE: « La Caf fixe un seuil de reconnaissance des Etp à 0,2 Etp par souci
    d'efficacité pour remplir les attendus. » (referentiel.RECOGNITION_THRESHOLD): a person's
    total Etp, whatever the post type."""
    threshold = params.threshold.value
    if person.etp < threshold:
        yield Anomaly(
            code=AnomalyCode.SEUIL_POSTE,
            severity=Severity.BLOCKING,
            person_id=person.id,
            message=(
                f"{_who(person)} : le poste totalise {format_etp(person.etp)}, moins que le "
                f"seuil de reconnaissance de {format_etp(threshold)} — "
                f"{referentiel.RECOGNITION_THRESHOLD.cite()}"
            ),
        )


def over_full_time(person: Person) -> Iterator[Anomaly]:
    """ETP_PERSONNE_DEPASSE: one person cannot work more than one full-time equivalent; the
    split describes « la place de chaque thématique dans l'activité des professionnels
    financés » (referentiel.BREAKDOWN), so a person's shares add up to at most 1 Etp."""
    if person.etp > FULL_TIME:
        yield Anomaly(
            code=AnomalyCode.ETP_PERSONNE_DEPASSE,
            severity=Severity.BLOCKING,
            person_id=person.id,
            message=(
                f"{_who(person)} : les affectations totalisent {format_etp(person.etp)}, plus "
                f"qu'un temps plein ({format_etp(FULL_TIME)}) — {referentiel.BREAKDOWN.cite()}"
            ),
        )


def full_time_thematic_post(person: Person, params: FundingParameters) -> Iterator[Anomaly]:
    """POSTE_THEMATIQUE_TEMPS_PLEIN: « il ne sera plus financé des postes de coordination
    Petite enfance, enfance et jeunesse à hauteur d'un Etp. »
    (referentiel.NO_FULL_TIME_THEMATIC_POST): a post type whose ``temps_plein_finance`` is
    false (the thematic post) at 1 Etp or more."""
    post_type = params.post_type(person.post_type)
    if not post_type.full_time_funded and person.etp >= FULL_TIME:
        yield Anomaly(
            code=AnomalyCode.POSTE_THEMATIQUE_TEMPS_PLEIN,
            severity=Severity.BLOCKING,
            person_id=person.id,
            message=(
                f"{_who(person)} : un poste « {post_type.label} » à {format_etp(person.etp)} "
                f"n'est pas finançable à temps plein — "
                f"{referentiel.NO_FULL_TIME_THEMATIC_POST.cite()}"
            ),
        )


def full_time_local_post(person: Person, params: FundingParameters) -> Iterator[Anomaly]:
    """COORDINATION_LOCALE_TEMPS_PLEIN: « il ne sera plus financé des postes de coordination
    Petite enfance, enfance et jeunesse à hauteur d'un Etp. »
    (referentiel.NO_FULL_TIME_THEMATIC_POST): a post type whose ``temps_plein_exclu_si_seulement``
    lists envelopes (the local coordination post: petite enfance, enfance-jeunesse) at 1 Etp or
    more with all its assignments in those envelopes — the former Cej coordination post under
    another name. The same post spread over parentalité or AVS is funded in full."""
    post_type = params.post_type(person.post_type)
    excluded = post_type.full_time_excluded_if_only
    if not excluded or person.etp < FULL_TIME or not person.assignments:
        return
    if not post_type.full_time_funded:
        return  # already POSTE_THEMATIQUE_TEMPS_PLEIN, whatever the envelopes
    if all(assignment.envelope in excluded for assignment in person.assignments):
        labels = " et ".join(
            f"« {params.envelope_label(envelope)} »"
            for envelope in Envelope
            if any(a.envelope is envelope for a in person.assignments)
        )
        yield Anomaly(
            code=AnomalyCode.COORDINATION_LOCALE_TEMPS_PLEIN,
            severity=Severity.BLOCKING,
            person_id=person.id,
            message=(
                f"{_who(person)} : un poste « {post_type.label} » à {format_etp(person.etp)} "
                f"affecté seulement à {labels} n'est pas finançable — "
                f"{referentiel.NO_FULL_TIME_THEMATIC_POST.cite()}"
            ),
        )


def general_post_not_spread(
    person: Person, architecture: Architecture, params: FundingParameters
) -> Iterator[Anomaly]:
    """COORDINATION_GENERALE_NON_REPARTIE (warning): « Le poste de chargé de coopération
    générale est budgétairement réparti sur les 4 enveloppes thématiques »
    (referentiel.GENERAL_POST_SPREAD), and only « une partie des postes de DGS » is funded
    (referentiel.POST_TYPES). A post type whose ``reparti_sur_les_enveloppes`` is true needs
    an assignment in every envelope of the Ctg's thématiques or, when they are unknown, in
    every envelope the architecture uses."""
    post_type = params.post_type(person.post_type)
    if not post_type.spread_over_envelopes:
        return
    if architecture.ctg_envelopes is not None:
        expected = set(architecture.ctg_envelopes)
    else:
        expected = {a.envelope for other in architecture.persons for a in other.assignments}
    held = {assignment.envelope for assignment in person.assignments}
    missing = [envelope for envelope in Envelope if envelope in expected - held]
    if not missing:
        return
    labels = ", ".join(f"« {params.envelope_label(envelope)} »" for envelope in missing)
    yield Anomaly(
        code=AnomalyCode.COORDINATION_GENERALE_NON_REPARTIE,
        severity=Severity.WARNING,
        person_id=person.id,
        message=(
            f"{_who(person)} : le poste « {post_type.label} » n'a pas d'affectation sur "
            f"{labels} ; il doit être réparti sur toutes les enveloppes de la Ctg — "
            f"{referentiel.GENERAL_POST_SPREAD.cite()}"
        ),
    )


def new_development(architecture: Architecture, params: FundingParameters) -> Iterator[Anomaly]:
    """NOUVEAU_DEVELOPPEMENT (warning): Etp beyond the redeployed Cej base, or with no base at
    all, are a new development at the flat rate, which « doit faire l'objet d'une prise de
    contact préalable, d'échanges et d'un accord de la Caf » (referentiel.PRIOR_AGREEMENT)."""
    total = architecture.etp
    base = architecture.cej_base
    if base is not None and total <= base.etp:
        return
    if base is None:
        situation = f"sans base Cej redéployée, les {format_etp(total)}"
    else:
        situation = (
            f"les {format_etp(total)} dépassent la base Cej redéployée de "
            f"{format_etp(base.etp)} : les {format_etp(total - base.etp)} supplémentaires"
        )
    yield Anomaly(
        code=AnomalyCode.NOUVEAU_DEVELOPPEMENT,
        severity=Severity.WARNING,
        message=(
            f"Nouveau développement : {situation} sont financés au forfait de "
            f"{format_euros(params.flat_rate.value)} par Etp et demandent l'accord préalable "
            f"de la Caf — {referentiel.PRIOR_AGREEMENT.cite()}"
        ),
    )

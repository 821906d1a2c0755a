"""Funding rules of the chargé(e) de coopération Ctg function — pure Python, no Django.

Implements the Caf de Touraine's référentiel (janvier 2022), « Conditions d'éligibilité au
financement »: the flat rate per Etp, the 0,2 Etp threshold, the breakdown over the four
thematic envelopes, the redeployment of the former Cej money. The numbers live in dated
parameter files (``coopctg/funding/parametres/caf-<code>/``); see :mod:`.parameters`.

    params = load_funding_parameters(folder)           # FundingParameterSet
    architecture = parse_simulation_input(json_data)   # or build an Architecture directly
    result = compute_funding(architecture, params.at(architecture.date))
    result_to_json(result)
"""

from coopctg.core.params import ParameterError, ParameterFileError, ParameterNotInForce
from coopctg.funding.rules.compute import compute_funding, split_cents, total_funding_cents
from coopctg.funding.rules.inputs import InvalidInput, parse_simulation_input
from coopctg.funding.rules.model import (
    Anomaly,
    AnomalyCode,
    Architecture,
    Assignment,
    CejBase,
    Envelope,
    EnvelopeTotal,
    FundingLine,
    FundingResult,
    Person,
    PersonTotal,
    PostType,
    Severity,
)
from coopctg.funding.rules.parameters import (
    EnvelopeInfo,
    FundingParameters,
    FundingParameterSet,
    PostTypeInfo,
    Sourced,
    load_funding_parameters,
)
from coopctg.funding.rules.serialize import decimal_text, result_to_json

__all__ = [
    "Anomaly",
    "AnomalyCode",
    "Architecture",
    "Assignment",
    "CejBase",
    "Envelope",
    "EnvelopeInfo",
    "EnvelopeTotal",
    "FundingLine",
    "FundingParameterSet",
    "FundingParameters",
    "FundingResult",
    "InvalidInput",
    "ParameterError",
    "ParameterFileError",
    "ParameterNotInForce",
    "Person",
    "PersonTotal",
    "PostType",
    "PostTypeInfo",
    "Severity",
    "Sourced",
    "compute_funding",
    "decimal_text",
    "load_funding_parameters",
    "parse_simulation_input",
    "result_to_json",
    "split_cents",
    "total_funding_cents",
]

"""Where a Caf's funding parameters live: ``<racine>/caf-<code>/``, else ``<racine>/national/``.

The same folders hold the dated parameter of the eligibility conditions
(``reseaux_minimum.yaml``, :func:`load_caf_eligibility_parameters`). A parameter the Caf's folder
does not set is the national default of the same name (:mod:`coopctg.core.caf_params`): a new
Caf needs no folder.

The root is ``coopctg/funding/parametres/`` unless the environment variable
``COOPCTG_PARAMETRES_DIR`` names another folder (read here, at the edge, never by the pure
rules). No Django import: the web views and the CLI both call :func:`load_caf_parameters`.
"""

import os
from pathlib import Path

from coopctg.core.caf_params import ParameterFamily, caf_folder
from coopctg.funding.rules import FundingParameterSet, load_funding_parameters
from coopctg.funding.rules.eligibility import EligibilityParameters, load_eligibility_parameters

ENV_VAR = "COOPCTG_PARAMETRES_DIR"
DEFAULT_ROOT = Path(__file__).resolve().parent / "parametres"
DEFAULT_CAF = "37"

_funding = ParameterFamily(
    "paramètre de financement",
    lambda parameters, caf: load_funding_parameters(parameters, caf=caf),
    root=lambda: parameters_root(),
)
_eligibility = ParameterFamily(
    "paramètre de financement",
    lambda parameters, caf: load_eligibility_parameters(parameters),
    root=lambda: parameters_root(),
)


def parameters_root() -> Path:
    """``$COOPCTG_PARAMETRES_DIR`` when set (and not empty), else the bundled folder."""
    return Path(os.environ.get(ENV_VAR) or DEFAULT_ROOT)


def caf_parameters_folder(caf: str) -> Path:
    """The Caf's own folder (it may not exist: then every value is a national default)."""
    return caf_folder(parameters_root(), caf)


def load_caf_parameters(caf: str = DEFAULT_CAF) -> FundingParameterSet:
    """The dated funding parameters of Caf ``caf``, checked (French errors), cached until a
    file changes."""
    return _funding(parameters_root(), caf)


def load_caf_eligibility_parameters(caf: str = DEFAULT_CAF) -> EligibilityParameters:
    """The dated parameters of the eligibility conditions of Caf ``caf``."""
    return _eligibility(parameters_root(), caf)

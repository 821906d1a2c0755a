"""Where a Caf's funding parameters live: ``<racine>/caf-<code>/``.

The same folder holds the dated parameter of the eligibility conditions
(``reseaux_minimum.yaml``, :func:`load_caf_eligibility_parameters`).

The root is ``coopctg/funding/parametres/`` unless the environment variable
``COOPCTG_PARAMETRES_DIR`` names another folder (read here, at the edge, never by the pure
rules). No Django import: the web views and the CLI both call :func:`load_caf_parameters`.
"""

import os
import re
from pathlib import Path

from coopctg.core.params import ParameterFileError
from coopctg.funding.rules import FundingParameterSet, load_funding_parameters
from coopctg.funding.rules.eligibility import EligibilityParameters, load_eligibility_parameters

ENV_VAR = "COOPCTG_PARAMETRES_DIR"
DEFAULT_ROOT = Path(__file__).resolve().parent / "parametres"
DEFAULT_CAF = "37"
_CAF_CODE = re.compile(r"[0-9A-Za-z]+", re.ASCII)


def parameters_root() -> Path:
    """``$COOPCTG_PARAMETRES_DIR`` when set (and not empty), else the bundled folder."""
    return Path(os.environ.get(ENV_VAR) or DEFAULT_ROOT)


def caf_parameters_folder(caf: str) -> Path:
    if not _CAF_CODE.fullmatch(caf):
        raise ParameterFileError(f"code de Caf invalide : « {caf} » (lettres et chiffres)")
    folder = parameters_root() / f"caf-{caf}"
    if not folder.is_dir():
        raise ParameterFileError(
            f"aucun paramètre de financement pour la Caf « {caf} » (dossier {folder} introuvable)"
        )
    return folder


def load_caf_parameters(caf: str = DEFAULT_CAF) -> FundingParameterSet:
    """Load and check the dated funding parameters of Caf ``caf`` (French errors)."""
    return load_funding_parameters(caf_parameters_folder(caf), caf=caf)


def load_caf_eligibility_parameters(caf: str = DEFAULT_CAF) -> EligibilityParameters:
    """Load and check the dated parameters of the eligibility conditions of Caf ``caf``."""
    return load_eligibility_parameters(caf_parameters_folder(caf))

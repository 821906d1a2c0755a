"""The PDF of a signed Cof version: the financial annex of its architecture, titled."""

from coopctg.agreements.models import AgreementVersion
from coopctg.funding.documents import architecture_pdf
from coopctg.funding.services import load_architecture


def version_pdf(version: AgreementVersion) -> bytes:
    return architecture_pdf(load_architecture(version.architecture_id))

"""The document of a Cof version: the initial Cof or an avenant, as a real convention.

Title and number, the parties (the Caf, the collectivité), the visas, the object (for an
avenant: the request's motive and the Caf's decision), « Ce qui change » — persons, missions,
Etp and euros per envelope, before → after (for the initial Cof: the initial architecture) —,
the effective date, the signature block (each party's signatory, function and date, or blank
lines to sign when the signature is not recorded), then the financial annex
(:func:`coopctg.funding.documents.annexe_context`, ``funding/pdf/_annexe_body.html``).

The figures of « Ce qui change » are the versions' frozen ventilations (never recomputed); the
PDF is tagged (:func:`coopctg.core.pdf.html_to_pdf`).
"""

import datetime as dt

from django.template.loader import render_to_string

from coopctg.agreements.diff import compare
from coopctg.agreements.models import AgreementVersion, ModificationRequest
from coopctg.core.formats import format_date
from coopctg.core.pdf import html_to_pdf
from coopctg.funding.documents import annexe_context, prepare
from coopctg.funding.models import POST_TYPE_CHOICES
from coopctg.funding.services import load_architecture, objective_titles, stored_rows

PDF_TEMPLATE = "agreements/pdf/version.html"
POST_TYPE_LABELS = dict(POST_TYPE_CHOICES)


def version_title(version: AgreementVersion) -> str:
    """« Cof n° COF-37-2022-001 — Avenant n°1 »."""
    return f"Cof n° {version.cof.numero} — {version.label}"


def document_heading(version: AgreementVersion) -> str:
    if version.numero == 0:
        return f"Convention d'objectifs et de financement n° {version.cof.numero}"
    return (
        f"Avenant n°{version.numero} à la convention d'objectifs et de financement "
        f"n° {version.cof.numero}"
    )


def _previous(version: AgreementVersion) -> AgreementVersion | None:
    if version.numero == 0:
        return None
    return (
        AgreementVersion.objects.filter(
            cof_id=version.cof_id, numero__lt=version.numero, statut=AgreementVersion.Status.SIGNEE
        )
        .order_by("-numero")
        .first()
    )


def version_context(
    version: AgreementVersion, *, today: dt.date | None = None
) -> dict[str, object]:
    from coopctg.agreements.services import parties

    cof = version.cof
    architecture = load_architecture(version.architecture_id)
    rows = stored_rows(architecture)
    context = annexe_context(prepare(architecture, today))
    previous = _previous(version)
    previous_rows = stored_rows(load_architecture(previous.architecture_id)) if previous else []
    comparison = compare(
        previous_rows, previous.ventilation if previous else None, rows, version.ventilation
    )
    codes = {c for r in [*rows, *previous_rows] for c in r.objectifs}
    titles = objective_titles(codes) if codes else {}
    signed = {s.partie: s for s in version.signatures.all()}
    origin = (
        ModificationRequest.objects.filter(avenant=version).select_related("decidee_par").first()
    )
    ctg = cof.ctg
    visas = [
        f"Vu la convention territoriale globale « {ctg.intitule} »"
        + (f", signée le {format_date(ctg.date_signature)}" if ctg.date_signature else "")
        + f", pour la période du {format_date(ctg.date_debut)} au {format_date(ctg.date_fin)} ;",
        "Vu le référentiel de la fonction de chargé·e de coopération Ctg de la Caf ;",
    ]
    if previous is not None:
        initial = cof.versions.filter(numero=0).first()
        visas.append(
            f"Vu la convention d'objectifs et de financement n° {cof.numero}"
            + (
                f" signée le {format_date(initial.date_signature)}"
                if initial and initial.date_signature
                else ""
            )
            + (f" et ses avenants jusqu'à l'{previous.label.lower()}" if previous.numero else "")
            + " ;"
        )
    if origin is not None:
        visas.append(
            f"Vu la demande de modification n° {origin.pk} de {cof.collectivite.nom}"
            + (
                f" et la décision de la Caf du {format_date(origin.decidee_le.date())}"
                if origin.decidee_le
                else ""
            )
            + " ;"
        )
    context |= {
        "title": version_title(version),
        "heading": document_heading(version),
        "annex_title": "Annexe financière",
        "date_effet": format_date(version.date_effet),
        "date_fin": format_date(version.date_fin) if version.date_fin else "",
        "cof_period": f"du {format_date(cof.date_debut)} au {format_date(cof.date_fin)}",
        "version_label": version.label,
        "cof_numero": cof.numero,
        "visas": visas,
        "is_avenant": version.numero > 0,
        "previous_label": previous.label if previous else "",
        "objet": version.motif if version.numero else "",
        "decision": origin.decision_motif if origin else "",
        "comparison": comparison,
        "mission_titles": titles,
        "persons_initial": [
            {
                "row": row,
                "post_type": POST_TYPE_LABELS.get(row.type_poste, row.type_poste),
                "missions": [titles.get(code, code) for code in row.objectifs],
            }
            for row in rows
        ],
        "parties": [
            {"partie": partie, "nom": nom, "signatory": signed.get(partie)}
            for partie, nom in parties(cof)
        ],
        "signature_date": format_date(version.date_signature)
        if version.date_signature and signed
        else "",
    }
    return context


def version_html(version: AgreementVersion, *, today: dt.date | None = None) -> str:
    html: str = render_to_string(PDF_TEMPLATE, version_context(version, today=today))
    return html


def version_pdf(version: AgreementVersion, *, today: dt.date | None = None) -> bytes:
    return html_to_pdf(version_html(version, today=today))

"""Builders shared by the Cof tests and the permission table (``touraine`` world)."""

import datetime as dt
from decimal import Decimal

from coopctg.agreements import workflow
from coopctg.agreements.services import VersionInput, create_cof, sign_version
from coopctg.agreements.workflow import ProposalInput
from tests.factories import SEED_PERSONS, CtgFactory, seed_architecture, seed_rows

ALL_THEMES = [
    "petite_enfance",
    "enfance",
    "jeunesse",
    "parentalite",
    "animation_vie_sociale",
    "logement",
    "acces_droits",
    "inclusion_handicap",
]
#: Mme Y from 0,5 to 0,7 Etp: a development (2 → 2,2 Etp).
MOVED = [
    p if p[0] != "Mme Y" else (p[0], p[1], p[2], {"enfance_jeunesse": "0.70"}) for p in SEED_PERSONS
]
#: M. A leaves, Mme Z takes 0,3 Etp of parentalité: same total (2 Etp), not a development.
SWAPPED = [p for p in SEED_PERSONS if p[0] != "M. A"] + [
    ("Mme Z", "Référente parentalité", "thematique", {"avs_logement_acces_droits": "0.30"})
]
#: Mme Y from 0,5 to 0,4 Etp: fewer Etp.
REDUCED = [
    p if p[0] != "Mme Y" else (p[0], p[1], p[2], {"enfance_jeunesse": "0.40"}) for p in SEED_PERSONS
]


def version_input(persons, day, **kw):
    return VersionInput(
        date_effet=day,
        rows=seed_rows(persons),
        base_montant=Decimal("48000"),
        base_etp=Decimal("2"),
        **kw,
    )


def proposal(persons=MOVED, day=dt.date(2025, 1, 1), motif="Mme Y passe à 0,7 Etp"):
    return ProposalInput(
        motif=motif,
        date_effet=day,
        rows=seed_rows(persons),
        base_montant=Decimal("48000"),
        base_etp=Decimal("2"),
    )


def make_cof(user, ctg, collectivite, numero, *, debut=dt.date(2022, 1, 1), fin=None, sign=True):
    cof = create_cof(
        user,
        ctg=ctg,
        collectivite=collectivite,
        debut=debut,
        fin=fin or ctg.date_fin,
        numero=numero,
        signataires="La présidente de la collectivité\nLe directeur de la Caf",
    )
    if sign:
        sign_version(
            user,
            cof,
            version_input(SEED_PERSONS, debut),
            date_signature=debut - dt.timedelta(days=10),
            generate_document=False,
        )
    return cof


def build_agreements(w):
    """``cof_own`` (Cof initiale + avenant n°1, ``request_own`` « à modifier »), ``cof_other``
    (Cof initiale, ``request_other`` refusée), ``cof_foreign`` (Caf 41, projet), and the
    working architecture ``arch_other`` (of ``ctg_other_cof``)."""
    w.cof_own = make_cof(w.admin, w.ctg_own, w.own, "COF-37-2022-901")
    w.version_own = w.cof_own.versions.get(numero=0)
    w.version_own_1 = sign_version(
        w.admin,
        w.cof_own,
        version_input(SWAPPED, dt.date(2024, 1, 1), motif="M. A remplacé par Mme Z"),
        date_signature=dt.date(2023, 12, 15),
        generate_document=False,
    )
    w.request_own = workflow.do_create_request(w.editor, w.cof_own, proposal())
    w.request_own = workflow.do_submit_request(w.editor, w.request_own)
    w.request_own = workflow.do_request_changes(
        w.advisor, w.request_own, "Précisez les missions de Mme Y."
    )
    # A Ctg of its own for ``other``'s Cof: the funding rules of the table expect ``ctg_other``
    # to have no architecture yet for ``other``.
    w.ctg_other_cof = CtgFactory(
        caf=w.caf, signataires=[w.other], intitule="Ctg Saint-Pierre (Cof) 2022-2026"
    )
    w.cof_other = make_cof(w.admin, w.ctg_other_cof, w.other, "COF-37-2022-902")
    w.version_other = w.cof_other.versions.get(numero=0)
    w.request_other = workflow.do_create_request(w.other_editor, w.cof_other, proposal())
    w.request_other = workflow.do_submit_request(w.other_editor, w.request_other)
    w.request_other = workflow.do_decide(
        w.admin, w.request_other, accept=False, motif="Pas de développement cette année."
    )
    w.cof_foreign = make_cof(w.outsider, w.ctg_foreign, w.foreign, "COF-41-2022-001", sign=False)
    w.arch_other = seed_architecture(w.ctg_other_cof, w.other)
    return w


#: Who signs an avenant accepted through the page (the decision form's fields).
SIGNATURE_POST = {
    "caf_nom": "Mme Anne Martin",
    "caf_fonction": "Directrice de la Caf",
    "caf_date": "2024-11-12",
    "collectivite_nom": "M. Paul Durand",
    "collectivite_fonction": "Président",
    "collectivite_date": "2024-11-14",
}


def signatures(caf_day=dt.date(2024, 11, 12), collectivite_day=dt.date(2024, 11, 14)):
    """The same, for the services."""
    from coopctg.agreements.services import SignatoryInput

    return [
        SignatoryInput("caf", "Mme Anne Martin", "Directrice de la Caf", caf_day),
        SignatoryInput("collectivite", "M. Paul Durand", "Président", collectivite_day),
    ]


def signature_post(day: str) -> dict[str, str]:
    """The signature fields of a form, both parties signing on ``day`` (AAAA-MM-JJ)."""
    return SIGNATURE_POST | {"caf_date": day, "collectivite_date": day}

"""Rules of the pages of mission 2 (/diagnostic/): the diagnostic partagé and its enjeux, the
besoins, the commissions d'admission and their follow-ups, the objectifs de développement.

Read: whoever sees the Ctg. Write: ``can_edit_collectivite`` on a signatory (the Caf admin,
the assigned advisor, the collectivité's editor); analysts and élus read only. Opening a new
version while a draft exists redirects to the draft (302).
"""

from tests.www.permission_rules.common import NATIONAL, OWN, seen_by

EDIT_OWN = {"admin", "advisor", "editor"}
SEE_OTHER = {"admin", "analyst", "other_editor"}
EDIT_OTHER = {"admin", "other_editor"}


RULES = {
    "diagnostic:ctg": [
        ("own", lambda w: {"ctg_pk": w.ctg_own.pk}, seen_by(OWN)),
        ("other", lambda w: {"ctg_pk": w.ctg_other.pk}, seen_by(SEE_OTHER)),
        ("foreign", lambda w: {"ctg_pk": w.ctg_foreign.pk}, seen_by({"outsider"}, NATIONAL)),
    ],
    "diagnostic:version_create": [
        ("brouillon-existant", lambda w: {"ctg_pk": w.ctg_own.pk}, seen_by(EDIT_OWN, status=302)),
        ("premier", lambda w: {"ctg_pk": w.ctg_other.pk}, seen_by(EDIT_OTHER)),
        ("foreign", lambda w: {"ctg_pk": w.ctg_foreign.pk}, seen_by({"outsider"})),
    ],
    "diagnostic:version": [
        ("own", lambda w: {"pk": w.diagnostic_own.pk}, seen_by(OWN)),
        ("other", lambda w: {"pk": w.diagnostic_other.pk}, seen_by(SEE_OTHER)),
    ],
    "diagnostic:version_edit": [
        ("brouillon", lambda w: {"pk": w.diagnostic_own.pk}, seen_by(EDIT_OWN)),
        ("validee", lambda w: {"pk": w.diagnostic_other.pk}, seen_by(EDIT_OTHER, status=302)),
    ],
    "diagnostic:version_validate": [
        ("brouillon", lambda w: {"pk": w.diagnostic_own.pk}, seen_by(EDIT_OWN)),
        ("validee", lambda w: {"pk": w.diagnostic_other.pk}, seen_by(EDIT_OTHER, status=302)),
    ],
    "diagnostic:version_pdf": [
        ("own", lambda w: {"pk": w.diagnostic_own.pk}, seen_by(OWN)),
        ("other", lambda w: {"pk": w.diagnostic_other.pk}, seen_by(SEE_OTHER)),
    ],
    "diagnostic:enjeu_create": [
        ("brouillon", lambda w: {"pk": w.diagnostic_own.pk}, seen_by(EDIT_OWN)),
        ("validee", lambda w: {"pk": w.diagnostic_other.pk}, seen_by(EDIT_OTHER, status=302)),
    ],
    "diagnostic:enjeu_edit": [
        ("brouillon", lambda w: {"pk": w.enjeu_own.pk}, seen_by(EDIT_OWN)),
        ("validee", lambda w: {"pk": w.enjeu_other.pk}, seen_by(EDIT_OTHER, status=302)),
    ],
    "diagnostic:needs": [
        ("own", lambda w: {"ctg_pk": w.ctg_own.pk}, seen_by(OWN)),
        ("other", lambda w: {"ctg_pk": w.ctg_other.pk}, seen_by(SEE_OTHER)),
        ("foreign", lambda w: {"ctg_pk": w.ctg_foreign.pk}, seen_by({"outsider"}, NATIONAL)),
    ],
    "diagnostic:need_create": [
        ("own", lambda w: {"ctg_pk": w.ctg_own.pk}, seen_by(EDIT_OWN)),
        ("other", lambda w: {"ctg_pk": w.ctg_other.pk}, seen_by(EDIT_OTHER)),
    ],
    "diagnostic:needs_xlsx": [
        ("own", lambda w: {"ctg_pk": w.ctg_own.pk}, seen_by(OWN)),
        ("other", lambda w: {"ctg_pk": w.ctg_other.pk}, seen_by(SEE_OTHER)),
    ],
    "diagnostic:needs_import": [
        ("own", lambda w: {"ctg_pk": w.ctg_own.pk}, seen_by(EDIT_OWN)),
        ("other", lambda w: {"ctg_pk": w.ctg_other.pk}, seen_by(EDIT_OTHER)),
    ],
    "diagnostic:need_edit": [
        ("own", lambda w: {"pk": w.need_own.pk}, seen_by(EDIT_OWN)),
        ("other", lambda w: {"pk": w.need_other.pk}, seen_by(EDIT_OTHER)),
    ],
    "diagnostic:commissions": [
        ("own", lambda w: {"ctg_pk": w.ctg_own.pk}, seen_by(OWN)),
        ("other", lambda w: {"ctg_pk": w.ctg_other.pk}, seen_by(SEE_OTHER)),
        ("foreign", lambda w: {"ctg_pk": w.ctg_foreign.pk}, seen_by({"outsider"}, NATIONAL)),
    ],
    "diagnostic:commission_create": [
        ("own", lambda w: {"ctg_pk": w.ctg_own.pk}, seen_by(EDIT_OWN)),
        ("other", lambda w: {"ctg_pk": w.ctg_other.pk}, seen_by(EDIT_OTHER)),
    ],
    "diagnostic:commission": [
        ("own", lambda w: {"pk": w.commission_own.pk}, seen_by(OWN)),
        ("other", lambda w: {"pk": w.commission_other.pk}, seen_by(SEE_OTHER)),
    ],
    "diagnostic:commission_edit": [
        ("own", lambda w: {"pk": w.commission_own.pk}, seen_by(EDIT_OWN)),
        ("other", lambda w: {"pk": w.commission_other.pk}, seen_by(EDIT_OTHER)),
    ],
    "diagnostic:follow_up": [
        ("alerte", lambda w: {"pk": w.commission_own.pk, "critere": "qf_bas"}, seen_by(EDIT_OWN)),
        (
            "sans-alerte",
            lambda w: {"pk": w.commission_own.pk, "critere": "monoparentales"},
            seen_by(set()),
        ),
        (
            "critere-inconnu",
            lambda w: {"pk": w.commission_own.pk, "critere": "inconnu"},
            seen_by(set()),
        ),
        (
            "other",
            lambda w: {"pk": w.commission_other.pk, "critere": "qf_bas"},
            seen_by(EDIT_OTHER),
        ),
    ],
    "diagnostic:targets": [
        ("own", lambda w: {"ctg_pk": w.ctg_own.pk}, seen_by(OWN)),
        ("other", lambda w: {"ctg_pk": w.ctg_other.pk}, seen_by(SEE_OTHER)),
        ("foreign", lambda w: {"ctg_pk": w.ctg_foreign.pk}, seen_by({"outsider"}, NATIONAL)),
    ],
    "diagnostic:target_create": [
        ("own", lambda w: {"ctg_pk": w.ctg_own.pk}, seen_by(EDIT_OWN)),
        ("other", lambda w: {"ctg_pk": w.ctg_other.pk}, seen_by(EDIT_OTHER)),
    ],
    "diagnostic:attributions": [
        ("own", lambda w: {"ctg_pk": w.ctg_own.pk}, seen_by(EDIT_OWN)),
        ("other", lambda w: {"ctg_pk": w.ctg_other.pk}, seen_by(EDIT_OTHER)),
    ],
}


def extend_world(w):
    import datetime as dt

    from coopctg.diagnostic.models import Diagnostic, Enjeu, Need
    from coopctg.governance.models import Meeting
    from tests.diagnostic.helpers import add_commission

    w.diagnostic_own = Diagnostic.objects.create(ctg=w.ctg_own, version=1, date=dt.date(2024, 5, 1))
    copil = Meeting.objects.create(ctg=w.ctg_other, kind="copil", date=dt.date(2024, 6, 1))
    w.diagnostic_other = Diagnostic.objects.create(
        ctg=w.ctg_other, version=1, date=dt.date(2024, 5, 1), copil=copil, valide_le=copil.date
    )
    w.enjeu_own, w.enjeu_other = (
        Enjeu.objects.create(diagnostic=d, theme="petite_enfance", intitule="Places d'accueil")
        for d in (w.diagnostic_own, w.diagnostic_other)
    )
    w.need_own, w.need_other = (
        Need.objects.create(
            ctg=ctg,
            date=dt.date(2025, 3, 1),
            theme="petite_enfance",
            tranche_age="0-3",
            nature="place",
            source="service",
            description="Une place en crèche à temps partiel.",
        )
        for ctg in (w.ctg_own, w.ctg_other)
    )
    w.commission_own = add_commission(w.ctg_own)  # an alert on qf_bas, none on monoparentales
    w.commission_other = add_commission(w.ctg_other)

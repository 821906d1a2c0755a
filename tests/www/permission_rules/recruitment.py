"""Rules of the recruitment pages (/recrutements/).

Seen by whoever sees the collectivité. Opened and edited by the collectivité's editor, the
assigned advisor and the Caf admin; the outsider (admin of Caf 41) opens recruitments for its
own collectivités only. The action URLs (advance, step back, invite, opinion, decision) are
POST only: GET gives 405 for every role here; their POST is tested role by role in
``tests/recruitment/test_views.py``.
"""

from tests.www.permission_rules.common import EVERYONE, NATIONAL, OWN, ROLES, seen_by

EDIT_OWN = {"admin", "advisor", "editor"}
SEE_OTHER = {"admin", "analyst", "other_editor"}
EDIT_OTHER = {"admin", "other_editor"}
POST_ONLY = {role: 405 for role in ROLES}

RULES = {
    "recruitment:list": [("", lambda w: {}, seen_by(EVERYONE))],
    "recruitment:create": [
        ("", lambda w: {}, seen_by(EDIT_OWN, {"other_editor", "outsider"})),
    ],
    "recruitment:detail": [
        ("own", lambda w: {"pk": w.recruitment_own.pk}, seen_by(OWN)),
        ("other", lambda w: {"pk": w.recruitment_other.pk}, seen_by(SEE_OTHER)),
        ("foreign", lambda w: {"pk": w.recruitment_foreign.pk}, seen_by({"outsider"}, NATIONAL)),
    ],
    "recruitment:edit": [
        ("own", lambda w: {"pk": w.recruitment_own.pk}, seen_by(EDIT_OWN)),
        ("other", lambda w: {"pk": w.recruitment_other.pk}, seen_by(EDIT_OTHER)),
        ("foreign", lambda w: {"pk": w.recruitment_foreign.pk}, seen_by({"outsider"})),
    ],
    "recruitment:job_pdf": [
        ("own", lambda w: {"pk": w.recruitment_own.pk}, seen_by(OWN)),
        ("other", lambda w: {"pk": w.recruitment_other.pk}, seen_by(SEE_OTHER)),
    ],
    **{
        f"recruitment:{name}": [("get", lambda w: {"pk": w.recruitment_own.pk}, POST_ONLY)]
        for name in ("advance", "step_back", "invite_caf", "opinion", "decide")
    },
}


def extend_world(w):
    from decimal import Decimal

    from coopctg.framework.loader import load_framework
    from coopctg.framework.models import ExpectedOutput
    from coopctg.recruitment.workflow import PostInput, do_create_recruitment

    version = load_framework()
    chosen = list(ExpectedOutput.objects.filter(code__in=["M1.O1.A1", "M3.O1.A2"]))

    def recruitment(user, collectivite, ctg):
        return do_create_recruitment(
            user,
            PostInput(
                collectivite=collectivite,
                ctg=ctg,
                intitule="Chargé·e de coopération Ctg",
                type_poste="coordination_generale",
                etp={"petite_enfance": Decimal("0.50"), "enfance_jeunesse": Decimal("0.50")},
                attendus=chosen,
                referentiel=version,
            ),
        )

    w.recruitment_own = recruitment(w.editor, w.own, w.ctg_own)
    w.recruitment_other = recruitment(w.other_editor, w.other, w.ctg_other)
    w.recruitment_foreign = recruitment(w.outsider, w.foreign, w.ctg_foreign)

"""Rules of the pages of mission 4 (/participation/): consultations and their questionnaires,
supports d'information, veille et alertes, the opening of the public page; and the pages open
without an account (``PUBLIC``): a questionnaire's link, an opted-in Ctg's public page.

Read: whoever sees the Ctg. Write: the Caf admin, the assigned advisor, the collectivité's
editor; analysts and élus read only. The public page is opened by the collectivité: its editor
only. Publishing, closing and deleting a question are POST only (405 to a GET).
"""

from tests.www.permission_rules.common import NATIONAL, OWN, ROLES, seen_by

EDIT_OWN = {"admin", "advisor", "editor"}
SEE_OTHER = {"admin", "analyst", "other_editor"}
EDIT_OTHER = {"admin", "other_editor"}
POST_ONLY = {role: 405 for role in ROLES}


def _ctg_cases(read_or_write_own, read_or_write_other, foreign=True):
    cases = [
        ("own", lambda w: {"ctg_pk": w.ctg_own.pk}, seen_by(read_or_write_own)),
        ("other", lambda w: {"ctg_pk": w.ctg_other.pk}, seen_by(read_or_write_other)),
    ]
    if foreign:
        # The national analyst reads every Caf; it writes nothing.
        readers = {"outsider"} | (NATIONAL if read_or_write_own is OWN else set())
        cases.append(("foreign", lambda w: {"ctg_pk": w.ctg_foreign.pk}, seen_by(readers)))
    return cases


RULES = {
    "participation:ctg": _ctg_cases(OWN, SEE_OTHER),
    "participation:consultation_create": _ctg_cases(EDIT_OWN, EDIT_OTHER),
    "participation:consultation": [
        ("own", lambda w: {"pk": w.consultation_own.pk}, seen_by(OWN)),
        ("other", lambda w: {"pk": w.consultation_other.pk}, seen_by(SEE_OTHER)),
    ],
    "participation:consultation_edit": [
        ("own", lambda w: {"pk": w.consultation_own.pk}, seen_by(EDIT_OWN)),
        ("other", lambda w: {"pk": w.consultation_other.pk}, seen_by(EDIT_OTHER)),
    ],
    "participation:participants": [
        ("own", lambda w: {"pk": w.consultation_own.pk}, seen_by(EDIT_OWN)),
        ("other", lambda w: {"pk": w.consultation_other.pk}, seen_by(EDIT_OTHER)),
    ],
    "participation:questionnaire_create": [
        ("own", lambda w: {"pk": w.consultation_own.pk}, seen_by(EDIT_OWN)),
        ("other", lambda w: {"pk": w.consultation_other.pk}, seen_by(EDIT_OTHER)),
    ],
    "participation:questionnaire": [
        ("own", lambda w: {"pk": w.questionnaire_own.pk}, seen_by(OWN)),
        ("other", lambda w: {"pk": w.questionnaire_other.pk}, seen_by(SEE_OTHER)),
    ],
    "participation:questionnaire_edit": [
        ("own", lambda w: {"pk": w.questionnaire_own.pk}, seen_by(EDIT_OWN)),
        ("other", lambda w: {"pk": w.questionnaire_other.pk}, seen_by(EDIT_OTHER)),
    ],
    "participation:publish": [("get", lambda w: {"pk": w.questionnaire_own.pk}, POST_ONLY)],
    "participation:close": [("get", lambda w: {"pk": w.questionnaire_own.pk}, POST_ONLY)],
    "participation:question_delete": [("get", lambda w: {"pk": w.question_own.pk}, POST_ONLY)],
    "participation:results": [
        ("own", lambda w: {"pk": w.questionnaire_own.pk}, seen_by(OWN)),
        ("other", lambda w: {"pk": w.questionnaire_other.pk}, seen_by(SEE_OTHER)),
    ],
    "participation:results_xlsx": [
        ("own", lambda w: {"pk": w.questionnaire_own.pk}, seen_by(OWN)),
        ("other", lambda w: {"pk": w.questionnaire_other.pk}, seen_by(SEE_OTHER)),
    ],
    "participation:answers_import": [
        ("own", lambda w: {"pk": w.questionnaire_own.pk}, seen_by(EDIT_OWN)),
        ("other", lambda w: {"pk": w.questionnaire_other.pk}, seen_by(EDIT_OTHER)),
    ],
    "participation:supports": _ctg_cases(OWN, SEE_OTHER),
    "participation:support_create": _ctg_cases(EDIT_OWN, EDIT_OTHER, foreign=False),
    "participation:support_edit": [
        ("own", lambda w: {"pk": w.support_own.pk}, seen_by(EDIT_OWN)),
        ("other", lambda w: {"pk": w.support_other.pk}, seen_by(EDIT_OTHER)),
    ],
    "participation:watch": _ctg_cases(OWN, SEE_OTHER),
    "participation:watch_create": _ctg_cases(EDIT_OWN, EDIT_OTHER, foreign=False),
    "participation:watch_edit": [
        ("own", lambda w: {"pk": w.watch_own.pk}, seen_by(EDIT_OWN)),
        ("other", lambda w: {"pk": w.watch_other.pk}, seen_by(EDIT_OTHER)),
    ],
    # The collectivité opens its public page: its editor, not the Caf.
    "participation:public_settings": [
        ("own", lambda w: {"ctg_pk": w.ctg_own.pk}, seen_by({"editor"})),
        ("other", lambda w: {"ctg_pk": w.ctg_other.pk}, seen_by({"other_editor"})),
    ],
}

#: Anonymous visitors (no account): name → (kwargs built from the world, status). A draft's
#: link and a closed public page are 404, signed in or not: tests/participation/test_public.py.
PUBLIC = {
    "public:answer": (lambda w: {"token": w.questionnaire_own.jeton}, 200),
    "public:thanks": (lambda w: {"token": w.questionnaire_own.jeton}, 200),
    "public:ctg": (lambda w: {"ctg_pk": w.ctg_own.pk}, 200),
}


def extend_world(w):
    from coopctg.participation.models import PublicPage
    from tests.participation.helpers import (
        add_consultation,
        add_questionnaire,
        add_support,
        add_watch_note,
    )

    w.consultation_own = add_consultation(w.ctg_own)
    w.consultation_other = add_consultation(w.ctg_other)
    w.questionnaire_own = add_questionnaire(w.consultation_own)
    w.question_own = w.questionnaire_own.questions.first()
    w.questionnaire_other = add_questionnaire(w.consultation_other)
    w.questionnaire_draft = add_questionnaire(w.consultation_own, statut="brouillon")
    w.support_own, w.support_other = add_support(w.ctg_own), add_support(w.ctg_other)
    w.watch_own, w.watch_other = add_watch_note(w.ctg_own), add_watch_note(w.ctg_other)
    PublicPage.objects.create(ctg=w.ctg_own, active=True)
    PublicPage.objects.create(ctg=w.ctg_other, active=False)

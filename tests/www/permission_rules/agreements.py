"""Rules of the Cof pages (/cof/).

Read: whoever sees the collectivité (Cof, versions, PDF, comparison, requests). Create a Cof,
record who signed a version: the Caf admin and the advisor assigned to the collectivité.
Propose a modification: the collectivité's editors. History: Caf staff only. The request
actions (submit, comment, ask for changes, decide) are POST only (GET: 405 for every role);
their POSTs are tested role by role in ``tests/agreements/test_views.py``.
"""

from tests.www.permission_rules.common import CAF_37, EVERYONE, NATIONAL, OWN, ROLES, seen_by

SEE_OTHER = {"admin", "analyst", "other_editor"}
POST_ONLY = {role: 405 for role in ROLES}

RULES = {
    "agreements:list": [("", lambda w: {}, seen_by(EVERYONE))],
    "agreements:detail": [
        ("own", lambda w: {"pk": w.cof_own.pk}, seen_by(OWN)),
        ("other", lambda w: {"pk": w.cof_other.pk}, seen_by(SEE_OTHER)),
        ("foreign", lambda w: {"pk": w.cof_foreign.pk}, seen_by({"outsider"}, NATIONAL)),
    ],
    "agreements:create": [
        ("own", lambda w: {"architecture_pk": w.arch_own.pk}, seen_by({"admin", "advisor"})),
        ("other", lambda w: {"architecture_pk": w.arch_other.pk}, seen_by({"admin"})),
        (
            "architecture-d-une-version",
            lambda w: {"architecture_pk": w.version_own.architecture_id},
            seen_by(set()),
        ),
    ],
    "agreements:diff": [
        ("own", lambda w: {"pk": w.cof_own.pk}, seen_by(OWN)),
        ("other", lambda w: {"pk": w.cof_other.pk}, seen_by(SEE_OTHER)),
        ("foreign", lambda w: {"pk": w.cof_foreign.pk}, seen_by({"outsider"}, NATIONAL)),
    ],
    "agreements:history": [
        ("own", lambda w: {"pk": w.cof_own.pk}, seen_by(CAF_37)),
        ("other", lambda w: {"pk": w.cof_other.pk}, seen_by({"admin", "analyst"})),
        ("foreign", lambda w: {"pk": w.cof_foreign.pk}, seen_by({"outsider"}, NATIONAL)),
    ],
    "agreements:version": [
        ("own", lambda w: {"pk": w.version_own.pk}, seen_by(OWN)),
        ("own-avenant", lambda w: {"pk": w.version_own_1.pk}, seen_by(OWN)),
        ("other", lambda w: {"pk": w.version_other.pk}, seen_by(SEE_OTHER)),
    ],
    "agreements:version_pdf": [
        ("own", lambda w: {"pk": w.version_own.pk}, seen_by(OWN)),
        ("other", lambda w: {"pk": w.version_other.pk}, seen_by(SEE_OTHER)),
    ],
    # Record or correct who signed a version: the Caf admin and the assigned advisor.
    "agreements:version_signature": [
        ("own", lambda w: {"pk": w.version_own.pk}, seen_by({"admin", "advisor"})),
        ("own-avenant", lambda w: {"pk": w.version_own_1.pk}, seen_by({"admin", "advisor"})),
        ("other", lambda w: {"pk": w.version_other.pk}, seen_by({"admin"})),
    ],
    "agreements:request_create": [
        # own: a request is already open (« à modifier ») → the editor is sent to it
        ("own-deja-en-cours", lambda w: {"pk": w.cof_own.pk}, seen_by({"editor"}, status=302)),
        ("other", lambda w: {"pk": w.cof_other.pk}, seen_by({"other_editor"})),
        ("foreign", lambda w: {"pk": w.cof_foreign.pk}, seen_by(set())),
    ],
    "agreements:request": [
        ("own", lambda w: {"pk": w.request_own.pk}, seen_by(OWN)),
        ("other", lambda w: {"pk": w.request_other.pk}, seen_by(SEE_OTHER)),
    ],
    "agreements:request_edit": [
        ("own", lambda w: {"pk": w.request_own.pk}, seen_by({"editor"})),
        # refused, hence closed: its editor is sent back to the request
        (
            "other-decidee",
            lambda w: {"pk": w.request_other.pk},
            seen_by({"other_editor"}, status=302),
        ),
    ],
    "agreements:request_submit": [("get", lambda w: {"pk": w.request_own.pk}, POST_ONLY)],
    "agreements:request_comment": [("get", lambda w: {"pk": w.request_own.pk}, POST_ONLY)],
    "agreements:request_changes": [("get", lambda w: {"pk": w.request_own.pk}, POST_ONLY)],
    "agreements:request_decide": [("get", lambda w: {"pk": w.request_own.pk}, POST_ONLY)],
}


def extend_world(w):
    """Cofs for ``own`` (initial + avenant n°1, a request « à modifier »), ``other`` (initial,
    a refused request) and ``foreign`` (Caf 41: a draft Cof without version)."""
    from tests.agreements.helpers import build_agreements

    build_agreements(w)

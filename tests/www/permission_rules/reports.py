"""Rules of the bilan pages (/bilans/).

Read (page, PDF): whoever sees the Cof's collectivité. The actions (create, transmit, send
back, validate) are POST only: GET gives 405 for every role; their POSTs are tested role by
role in ``tests/reports/``.
"""

from tests.www.permission_rules.common import EVERYONE, OWN, ROLES, seen_by

SEE_OTHER = {"admin", "analyst", "other_editor"}
POST_ONLY = {role: 405 for role in ROLES}

RULES = {
    "reports:list": [("", lambda w: {}, seen_by(EVERYONE))],
    "reports:detail": [
        ("own", lambda w: {"pk": w.report_own.pk}, seen_by(OWN)),
        ("other", lambda w: {"pk": w.report_other.pk}, seen_by(SEE_OTHER)),
    ],
    "reports:pdf": [
        ("own", lambda w: {"pk": w.report_own.pk}, seen_by(OWN)),
        ("other", lambda w: {"pk": w.report_other.pk}, seen_by(SEE_OTHER)),
    ],
    "reports:create": [
        ("get", lambda w: {"cof_pk": w.cof_own.pk, "annee": 2023}, POST_ONLY),
    ],
    **{
        f"reports:{name}": [("get", lambda w: {"pk": w.report_own.pk}, POST_ONLY)]
        for name in ("transmit", "send_back", "validate")
    },
}


def extend_world(w):
    """A 2024 bilan for the Cofs of ``own`` and ``other`` (built by the agreements rules)."""
    from coopctg.framework.loader import load_framework
    from coopctg.reports.workflow import do_create_report

    load_framework()
    w.report_own = do_create_report(w.editor, w.cof_own, 2024)
    w.report_other = do_create_report(w.other_editor, w.cof_other, 2024)

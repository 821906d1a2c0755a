"""Rules of the évaluation de fin de Ctg (/evaluation/): whoever sees the Ctg."""

from tests.www.permission_rules.common import NATIONAL, OWN, seen_by

SEE_OTHER = {"admin", "analyst", "other_editor"}

RULES = {
    "evaluation:ctg": [
        ("own", lambda w: {"ctg_pk": w.ctg_own.pk}, seen_by(OWN)),
        ("other", lambda w: {"ctg_pk": w.ctg_other.pk}, seen_by(SEE_OTHER)),
        ("foreign", lambda w: {"ctg_pk": w.ctg_foreign.pk}, seen_by({"outsider"}, NATIONAL)),
    ],
    "evaluation:pdf": [
        ("own", lambda w: {"ctg_pk": w.ctg_own.pk}, seen_by(OWN)),
        ("foreign", lambda w: {"ctg_pk": w.ctg_foreign.pk}, seen_by({"outsider"}, NATIONAL)),
    ],
}

"""Rules of the plan d'actions pages (/plan-actions/).

Read: whoever sees the Ctg. Write: ``can_edit_collectivite`` on a signatory (the Caf admin,
the assigned advisor, the collectivité's editor); analysts and élus read only.
``action_delete`` is POST only (GET: 405 for every role); its POST is tested in
``tests/actionplan/test_views.py``.
"""

from tests.www.permission_rules.common import NATIONAL, OWN, ROLES, seen_by

EDIT_OWN = {"admin", "advisor", "editor"}
SEE_OTHER = {"admin", "analyst", "other_editor"}
EDIT_OTHER = {"admin", "other_editor"}

RULES = {
    "actionplan:plan": [
        ("own", lambda w: {"ctg_pk": w.ctg_own.pk}, seen_by(OWN)),
        ("other", lambda w: {"ctg_pk": w.ctg_other.pk}, seen_by(SEE_OTHER)),
        ("foreign", lambda w: {"ctg_pk": w.ctg_foreign.pk}, seen_by({"outsider"}, NATIONAL)),
    ],
    "actionplan:export": [
        ("own", lambda w: {"ctg_pk": w.ctg_own.pk}, seen_by(OWN)),
        ("other", lambda w: {"ctg_pk": w.ctg_other.pk}, seen_by(SEE_OTHER)),
        ("foreign", lambda w: {"ctg_pk": w.ctg_foreign.pk}, seen_by({"outsider"}, NATIONAL)),
    ],
    "actionplan:import": [
        ("own", lambda w: {"ctg_pk": w.ctg_own.pk}, seen_by(EDIT_OWN)),
        ("other", lambda w: {"ctg_pk": w.ctg_other.pk}, seen_by(EDIT_OTHER)),
        ("foreign", lambda w: {"ctg_pk": w.ctg_foreign.pk}, seen_by({"outsider"})),
    ],
    "actionplan:action_create": [
        ("own", lambda w: {"ctg_pk": w.ctg_own.pk}, seen_by(EDIT_OWN)),
        ("other", lambda w: {"ctg_pk": w.ctg_other.pk}, seen_by(EDIT_OTHER)),
        ("foreign", lambda w: {"ctg_pk": w.ctg_foreign.pk}, seen_by({"outsider"})),
    ],
    "actionplan:indicator_values": [
        ("own", lambda w: {"ctg_pk": w.ctg_own.pk, "year": 2024}, seen_by(EDIT_OWN)),
        ("other", lambda w: {"ctg_pk": w.ctg_other.pk, "year": 2024}, seen_by(EDIT_OTHER)),
        (
            "annee-hors-ctg",
            lambda w: {"ctg_pk": w.ctg_own.pk, "year": 2031},
            seen_by(set()),
        ),
    ],
    "actionplan:action": [
        ("own", lambda w: {"pk": w.action_own.pk}, seen_by(OWN)),
        ("other", lambda w: {"pk": w.action_other.pk}, seen_by(SEE_OTHER)),
        ("foreign", lambda w: {"pk": w.action_foreign.pk}, seen_by({"outsider"}, NATIONAL)),
    ],
    "actionplan:action_edit": [
        ("own", lambda w: {"pk": w.action_own.pk}, seen_by(EDIT_OWN)),
        ("other", lambda w: {"pk": w.action_other.pk}, seen_by(EDIT_OTHER)),
        ("foreign", lambda w: {"pk": w.action_foreign.pk}, seen_by({"outsider"})),
    ],
    "actionplan:action_delete": [
        ("get", lambda w: {"pk": w.action_own.pk}, {role: 405 for role in ROLES}),
    ],
}


def extend_world(w):
    import datetime as dt
    from decimal import Decimal

    from coopctg.actionplan.models import Action, Indicator, IndicatorValue

    def action(ctg, code):
        created = Action.objects.create(
            ctg=ctg,
            code=code,
            position=1,
            titre="Ouvrir un relais petite enfance",
            themes=["petite_enfance"],
            date_debut=dt.date(2023, 1, 1),
            date_fin=dt.date(2024, 6, 30),
            statut="en_cours",
            avancement=40,
        )
        indicator = Indicator.objects.create(
            action=created, position=1, libelle="Familles accueillies", cible=Decimal("120")
        )
        IndicatorValue.objects.create(indicator=indicator, year=2023, value=Decimal("45"))
        return created

    w.action_own = action(w.ctg_own, "A01")
    w.action_other = action(w.ctg_other, "A01")
    w.action_foreign = action(w.ctg_foreign, "A01")

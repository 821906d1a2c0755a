"""Rules of the pages of the foundation, the référentiel, territories, Ctg and funding."""

from tests.www.permission_rules.common import CAF_37, EVERYONE, NATIONAL, OWN, ROLES, seen_by

# name → list of (case label, kwargs built from the world, expected status per role)
RULES = {
    # the elected official's home is their territory's dashboard (a redirect)
    "home": [("", lambda w: {}, seen_by(EVERYONE) | {"elu": 302, "national": 302})],
    "privacy": [("", lambda w: {}, seen_by(EVERYONE))],
    "organisations:collectivites": [("", lambda w: {}, seen_by(EVERYONE))],
    "organisations:collectivite": [
        ("own", lambda w: {"pk": w.own.pk}, seen_by(OWN)),
        ("other", lambda w: {"pk": w.other.pk}, seen_by({"admin", "analyst", "other_editor"})),
        ("foreign", lambda w: {"pk": w.foreign.pk}, seen_by({"outsider"}, NATIONAL)),
    ],
    "organisations:team": [
        ("37", lambda w: {"code": "37"}, seen_by(OWN, {"other_editor"})),
        ("41", lambda w: {"code": "41"}, seen_by({"outsider"}, NATIONAL)),
    ],
    "ctg:list": [("", lambda w: {}, seen_by(EVERYONE))],
    "ctg:create": [("", lambda w: {}, seen_by({"admin", "advisor", "outsider"}))],
    "ctg:detail": [
        ("own", lambda w: {"pk": w.ctg_own.pk}, seen_by(OWN)),
        ("other", lambda w: {"pk": w.ctg_other.pk}, seen_by({"admin", "analyst", "other_editor"})),
        ("foreign", lambda w: {"pk": w.ctg_foreign.pk}, seen_by({"outsider"}, NATIONAL)),
    ],
    "ctg:edit": [
        ("own", lambda w: {"pk": w.ctg_own.pk}, seen_by({"admin", "advisor"})),
        ("other", lambda w: {"pk": w.ctg_other.pk}, seen_by({"admin"})),
    ],
    "ctg:history": [
        ("own", lambda w: {"pk": w.ctg_own.pk}, seen_by(CAF_37)),
        ("other", lambda w: {"pk": w.ctg_other.pk}, seen_by({"admin", "analyst"})),
    ],
    "funding:simulator": [("", lambda w: {}, seen_by(EVERYONE))],
    "funding:architecture_for_ctg": [
        (
            "existante",
            lambda w: {"ctg_pk": w.ctg_own.pk, "collectivite_pk": w.own.pk},
            seen_by(OWN, status=302),
        ),
        (
            "nouvelle",
            lambda w: {"ctg_pk": w.ctg_other.pk, "collectivite_pk": w.other.pk},
            seen_by({"admin", "other_editor"}),
        ),
        (
            "collectivite-non-signataire",
            lambda w: {"ctg_pk": w.ctg_own.pk, "collectivite_pk": w.other.pk},
            seen_by(set()),
        ),
    ],
    "funding:architecture": [("own", lambda w: {"pk": w.arch_own.pk}, seen_by(OWN))],
    "funding:architecture_edit": [
        ("own", lambda w: {"pk": w.arch_own.pk}, seen_by({"admin", "advisor", "editor"})),
    ],
    "funding:architecture_xlsx": [("own", lambda w: {"pk": w.arch_own.pk}, seen_by(OWN))],
    "funding:architecture_pdf": [("own", lambda w: {"pk": w.arch_own.pk}, seen_by(OWN))],
    "framework:index": [("", lambda w: {}, seen_by(EVERYONE))],
    "framework:version": [
        ("inconnue", lambda w: {"code": "inconnue"}, {role: 404 for role in ROLES}),
    ],
    "territories:map": [("", lambda w: {}, seen_by(CAF_37, {"outsider"}))],
    "territories:departement": [
        ("37", lambda w: {"code": "37"}, seen_by(CAF_37)),
        ("41", lambda w: {"code": "41"}, seen_by({"outsider"}, NATIONAL)),
    ],
    "territories:departement_map": [
        ("37", lambda w: {"code": "37"}, seen_by(CAF_37)),
        ("41", lambda w: {"code": "41"}, seen_by({"outsider"}, NATIONAL)),
    ],
    "territories:departement_geojson": [
        ("37", lambda w: {"code": "37"}, seen_by(CAF_37)),
        ("41", lambda w: {"code": "41"}, seen_by({"outsider"}, NATIONAL)),
    ],
    "territories:epci": [
        ("own", lambda w: {"siren": w.epci_own.siren}, seen_by(OWN)),
        ("other", lambda w: {"siren": w.epci_other.siren}, seen_by(CAF_37, {"other_editor"})),
        ("foreign", lambda w: {"siren": w.epci_b.siren}, seen_by({"outsider"}, NATIONAL)),
    ],
}


def extend_world(w):
    from tests.factories import seed_architecture

    w.arch_own = seed_architecture(w.ctg_own, w.own)

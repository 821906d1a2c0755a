"""Rules of the partner pages (/partenaires/): the directory of a Caf (shared by its
territories), a partner, the partner network of a Ctg, and the forms of links."""

import datetime as dt

from tests.www.permission_rules.common import NATIONAL, OWN, seen_by

CAF_A_READERS = OWN | {"other_editor"}  # whoever sees the Caf: its staff, its territories
DIRECTORY_EDITORS = {"admin", "advisor", "editor", "other_editor"}
EDIT_OWN = {"admin", "advisor", "editor"}
SEE_OTHER = {"admin", "analyst", "other_editor"}
EDIT_OTHER = {"admin", "other_editor"}

RULES = {
    "partners:directory": [
        ("caf", lambda w: {"code": w.caf.code}, seen_by(CAF_A_READERS)),
        ("autre-caf", lambda w: {"code": w.caf_b.code}, seen_by({"outsider"}, NATIONAL)),
    ],
    "partners:export": [
        ("csv", lambda w: {"code": w.caf.code, "format": "csv"}, seen_by(CAF_A_READERS)),
        ("xlsx", lambda w: {"code": w.caf.code, "format": "xlsx"}, seen_by(CAF_A_READERS)),
        ("autre-format", lambda w: {"code": w.caf.code, "format": "pdf"}, seen_by(set())),
        (
            "autre-caf",
            lambda w: {"code": w.caf_b.code, "format": "csv"},
            seen_by({"outsider"}, NATIONAL),
        ),
    ],
    "partners:create": [
        ("caf", lambda w: {"code": w.caf.code}, seen_by(DIRECTORY_EDITORS)),
        ("autre-caf", lambda w: {"code": w.caf_b.code}, seen_by({"outsider"})),
    ],
    "partners:network_create": [
        ("caf", lambda w: {"code": w.caf.code}, seen_by(DIRECTORY_EDITORS)),
    ],
    "partners:detail": [
        ("caf", lambda w: {"pk": w.partner_a.pk}, seen_by(CAF_A_READERS)),
        ("autre-caf", lambda w: {"pk": w.partner_b.pk}, seen_by({"outsider"}, NATIONAL)),
    ],
    "partners:edit": [
        ("caf", lambda w: {"pk": w.partner_a.pk}, seen_by(DIRECTORY_EDITORS)),
        ("autre-caf", lambda w: {"pk": w.partner_b.pk}, seen_by({"outsider"})),
    ],
    "partners:ctg": [
        ("own", lambda w: {"ctg_pk": w.ctg_own.pk}, seen_by(OWN)),
        ("other", lambda w: {"ctg_pk": w.ctg_other.pk}, seen_by(SEE_OTHER)),
        ("foreign", lambda w: {"ctg_pk": w.ctg_foreign.pk}, seen_by({"outsider"}, NATIONAL)),
    ],
    "partners:network_edit": [
        ("caf", lambda w: {"pk": w.network_a.pk}, seen_by(DIRECTORY_EDITORS)),
        ("autre-caf", lambda w: {"pk": w.network_b.pk}, seen_by({"outsider"})),
    ],
    "partners:membership_edit": [
        ("own", lambda w: {"pk": w.membership_own.pk}, seen_by(EDIT_OWN)),
        ("other", lambda w: {"pk": w.membership_other.pk}, seen_by(EDIT_OTHER)),
        ("foreign", lambda w: {"pk": w.membership_foreign.pk}, seen_by({"outsider"})),
    ],
    "partners:membership_create": [
        ("own", lambda w: {"ctg_pk": w.ctg_own.pk}, seen_by(EDIT_OWN)),
        ("other", lambda w: {"ctg_pk": w.ctg_other.pk}, seen_by(EDIT_OTHER)),
    ],
    "partners:action": [
        ("own", lambda w: {"pk": w.partner_action_own.pk}, seen_by(EDIT_OWN)),
        ("other", lambda w: {"pk": w.partner_action_other.pk}, seen_by(EDIT_OTHER)),
    ],
    "partners:diagnostic": [
        ("own", lambda w: {"pk": w.partner_draft_own.pk}, seen_by(EDIT_OWN)),
        ("validee", lambda w: {"pk": w.partner_validated_own.pk}, seen_by(set())),
    ],
    "partners:meeting": [
        ("own", lambda w: {"pk": w.partner_meeting_own.pk}, seen_by(EDIT_OWN)),
        ("other", lambda w: {"pk": w.partner_meeting_other.pk}, seen_by(EDIT_OTHER)),
    ],
}


def extend_world(w):
    from coopctg.actionplan.models import Action
    from coopctg.diagnostic.models import Diagnostic
    from coopctg.governance.models import Meeting
    from coopctg.partners.models import (
        ActionPartner,
        MeetingPartner,
        Network,
        NetworkMembership,
        Partner,
    )

    def partner(caf, identifiant):
        return Partner.objects.create(
            caf=caf,
            identifiant=identifiant,
            nom=f"Centre social {identifiant}",
            kind="centre_social",
            date_maj=dt.date(2025, 1, 1),
        )

    w.partner_a, w.partner_b = partner(w.caf, "a"), partner(w.caf_b, "b")
    w.network_a, w.network_b = (
        Network.objects.create(caf=caf, nom=f"Réseau {caf.code}", kind="departemental")
        for caf in (w.caf, w.caf_b)
    )
    w.membership_own, w.membership_other, w.membership_foreign = (
        NetworkMembership.objects.create(network=network, ctg=ctg, date_debut=dt.date(2024, 1, 1))
        for network, ctg in (
            (w.network_a, w.ctg_own),
            (w.network_a, w.ctg_other),
            (w.network_b, w.ctg_foreign),
        )
    )
    w.partner_action_own, w.partner_action_other = (
        Action.objects.create(ctg=ctg, code="P1", titre="Action partenariale")
        for ctg in (w.ctg_own, w.ctg_other)
    )
    w.partner_meeting_own, w.partner_meeting_other = (
        Meeting.objects.create(ctg=ctg, kind="reseau", date=dt.date(2024, 5, 2))
        for ctg in (w.ctg_own, w.ctg_other)
    )
    ActionPartner.objects.create(action=w.partner_action_own, partner=w.partner_a, role="pilote")
    # the draft of ``own`` comes from the diagnostic rules (a single draft per Ctg; ``other``
    # must keep none: its « premier » case creates the first version)
    w.partner_draft_own = Diagnostic.objects.get(ctg=w.ctg_own, copil__isnull=True)
    copil = Meeting.objects.create(ctg=w.ctg_own, kind="copil", date=dt.date(2024, 6, 2))
    w.partner_validated_own = Diagnostic.objects.create(
        ctg=w.ctg_own, version=9, date=dt.date(2024, 5, 2), copil=copil, valide_le=copil.date
    )
    MeetingPartner.objects.create(
        meeting=w.partner_meeting_own, partner=w.partner_a, presence="present"
    )

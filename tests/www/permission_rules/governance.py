"""Rules of the governance pages: instances, minutes, calendar, faits marquants (/instances/)."""

import datetime as dt

from tests.www.permission_rules.common import NATIONAL, OWN, seen_by

EDIT_OWN = {"admin", "advisor", "editor"}  # can_edit_collectivite on the signatory ``own``
SEE_OTHER = {"admin", "analyst", "other_editor"}
EDIT_OTHER = {"admin", "other_editor"}

RULES = {
    "governance:ctg": [
        ("own", lambda w: {"ctg_pk": w.ctg_own.pk}, seen_by(OWN)),
        ("other", lambda w: {"ctg_pk": w.ctg_other.pk}, seen_by(SEE_OTHER)),
        ("foreign", lambda w: {"ctg_pk": w.ctg_foreign.pk}, seen_by({"outsider"}, NATIONAL)),
    ],
    "governance:instance_create": [
        ("own", lambda w: {"ctg_pk": w.ctg_own.pk}, seen_by(EDIT_OWN)),
        ("other", lambda w: {"ctg_pk": w.ctg_other.pk}, seen_by(EDIT_OTHER)),
        ("foreign", lambda w: {"ctg_pk": w.ctg_foreign.pk}, seen_by({"outsider"})),
    ],
    "governance:instance": [
        ("own", lambda w: {"pk": w.meeting_own.pk}, seen_by(OWN)),
        ("other", lambda w: {"pk": w.meeting_other.pk}, seen_by(SEE_OTHER)),
    ],
    "governance:instance_edit": [
        ("own", lambda w: {"pk": w.meeting_own.pk}, seen_by(EDIT_OWN)),
        ("other", lambda w: {"pk": w.meeting_other.pk}, seen_by(EDIT_OTHER)),
    ],
    "governance:minutes": [
        ("own", lambda w: {"pk": w.meeting_own.pk}, seen_by(OWN)),
        ("other", lambda w: {"pk": w.meeting_other.pk}, seen_by(SEE_OTHER)),
        ("sans-compte-rendu", lambda w: {"pk": w.meeting_own_bare.pk}, seen_by(set())),
    ],
    "governance:ics": [
        ("own", lambda w: {"ctg_pk": w.ctg_own.pk}, seen_by(OWN)),
        ("other", lambda w: {"ctg_pk": w.ctg_other.pk}, seen_by(SEE_OTHER)),
    ],
    "governance:highlight_create": [
        ("own", lambda w: {"ctg_pk": w.ctg_own.pk}, seen_by(EDIT_OWN)),
        ("other", lambda w: {"ctg_pk": w.ctg_other.pk}, seen_by(EDIT_OTHER)),
    ],
    "governance:highlight_edit": [
        ("own", lambda w: {"pk": w.highlight_own.pk}, seen_by(EDIT_OWN)),
        ("other", lambda w: {"pk": w.highlight_other.pk}, seen_by(EDIT_OTHER)),
    ],
}

PDF = b"%PDF-1.4\n%%EOF\n"


def _meeting(ctg, *, minutes: bool):
    from django.core.files.base import ContentFile

    from coopctg.governance.models import Meeting

    meeting = Meeting(ctg=ctg, kind="cotech", date=dt.date(2024, 3, 12), lieu="Mairie")
    if minutes:
        meeting.compte_rendu.save("compte-rendu.pdf", ContentFile(PDF), save=False)
        meeting.compte_rendu_nom = "compte-rendu.pdf"
    meeting.save()
    return meeting


def extend_world(w):
    from coopctg.governance.models import Highlight

    w.meeting_own = _meeting(w.ctg_own, minutes=True)
    w.meeting_own_bare = _meeting(w.ctg_own, minutes=False)
    w.meeting_other = _meeting(w.ctg_other, minutes=True)
    w.highlight_own, w.highlight_other = (
        Highlight.objects.create(
            ctg=ctg,
            kind="service",
            date=dt.date(2024, 9, 1),
            theme="petite_enfance",
            intitule="Ouverture d'un relais petite enfance",
            description="Un RPE intercommunal.",
        )
        for ctg in (w.ctg_own, w.ctg_other)
    )

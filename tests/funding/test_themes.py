from coopctg.funding.rules.model import Envelope
from coopctg.funding.rules.themes import envelopes_for_themes


def test_every_theme_but_inclusion_opens_its_envelope():
    assert envelopes_for_themes(["jeunesse", "petite_enfance"]) == (
        Envelope.PETITE_ENFANCE,
        Envelope.ENFANCE_JEUNESSE,
    )
    assert envelopes_for_themes(["logement"]) == (Envelope.AVS_LOGEMENT_ACCES_DROITS,)
    assert envelopes_for_themes(["inclusion_handicap"]) == ()
    assert envelopes_for_themes([]) == ()


def test_all_eight_themes_open_the_four_envelopes():
    codes = [
        "petite_enfance",
        "enfance",
        "jeunesse",
        "parentalite",
        "animation_vie_sociale",
        "logement",
        "acces_droits",
        "inclusion_handicap",
    ]
    assert envelopes_for_themes(codes) == tuple(Envelope)

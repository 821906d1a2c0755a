"""Objects the diagnostic tests share: a plan, Copil, faits marquants on the ``touraine``
world's Ctg of Gâtine-Racan (``ctg_own``, signed by ``own``)."""

import datetime as dt

from coopctg.actionplan.models import Action
from coopctg.diagnostic.models import Commission
from coopctg.governance.models import Highlight, Meeting


def add_action(ctg, code="A01", titre="Ouvrir un relais petite enfance"):
    return Action.objects.create(ctg=ctg, code=code, position=1, titre=titre, statut="en_cours")


def add_copil(ctg, day=dt.date(2024, 6, 20), objet="Copil annuel 2024"):
    return Meeting.objects.create(ctg=ctg, kind="copil", date=day, objet=objet)


def add_highlight(ctg, kind="service", day=dt.date(2024, 9, 1), intitule="Ouverture d'un LAEP"):
    return Highlight.objects.create(
        ctg=ctg,
        kind=kind,
        date=day,
        theme="parentalite",
        intitule=intitule,
        description="Un lieu d'accueil enfants-parents.",
    )


def add_commission(ctg, day=dt.date(2025, 5, 15), **counts):
    """A commission of 20 admissions; by default 3 families under the QF threshold (15 %,
    under the Touraine threshold of 20 %: an alert), the other shares at their threshold."""
    values = {
        "places": 20,
        "demandes": 34,
        "admissions": 20,
        "qf_bas": 3,
        "monoparentales": 4,
        "handicap": 1,
        "qpv": 0,
        "insertion": 1,
    } | counts
    return Commission.objects.create(
        ctg=ctg,
        date=day,
        intitule="Commission petite enfance, rentrée 2025",
        services="Multi-accueil Les Lutins, micro-crèche de Neuvy-le-Roi",
        **values,
    )

"""``coopctg versions renouveler``: new versions of every Caf's data (:mod:`coopctg.core.versions`),
after a write made outside the application (psql, another program), which no process can see:
every process computes its figures again at its next page."""

from typing import Any

from coopctg.core import versions
from coopctg.core.commands import FrenchCommand


class Command(FrenchCommand):
    help = "Versions des données de chaque Caf (chiffres gardés par les processus web)."
    subcommands = {
        "renouveler": "Nouvelles versions pour toutes les Caf, après une écriture faite hors de "
        "l'application (psql…) : chaque processus recalcule ses chiffres à la page suivante."
    }

    def handle_renouveler(self, **options: Any) -> None:
        count = len(versions.tokens(versions.caf_ids()))
        versions.touch_all()
        self.stdout.write(f"Versions renouvelées pour {count} Caf.\n")

"""Rules of the diagnostic de territoire (/indicateurs/).

The fiche diagnostic (page, XLSX, PDF) is seen by whoever sees the collectivité; its local
indicators are changed by those who change the collectivité's data (its editor, the Caf admin,
the assigned advisor); the catalogue is read by every signed-in person; the import of open
data belongs to Caf administrators only.
"""

from coopctg.indicators.importer import import_file
from coopctg.indicators.models import LocalIndicator
from tests.indicators.conftest import DEP_FILE, EPCI_FILE, NAT_FILE
from tests.www.permission_rules.common import EVERYONE, NATIONAL, OWN, seen_by

SEE_OTHER = {"admin", "analyst", "other_editor"}
EDIT_OWN = {"admin", "advisor", "editor"}


def extend_world(w):
    # Values on the pages (those of a sample file marked as invented, like the demonstration).
    import_file("txcouv_pe_epci.csv", EPCI_FILE.encode(), demonstration=True)
    import_file("txcouv_pe_dep.csv", DEP_FILE.encode())
    import_file("txcouv_pe_nat.json", NAT_FILE.encode())
    w.local_own = LocalIndicator.objects.create(
        collectivite=w.own,
        libelle="Familles reçues au guichet unique",
        unite="familles",
        theme="petite_enfance",
        source="Guichet unique petite enfance",
    )
    w.local_foreign = LocalIndicator.objects.create(
        collectivite=w.foreign,
        libelle="Jeunes reçus au PIJ",
        unite="jeunes",
        theme="jeunesse",
        source="PIJ de Blois",
    )


def _fiche_cases():
    return [
        ("own", lambda w: {"pk": w.own.pk}, seen_by(OWN)),
        ("other", lambda w: {"pk": w.other.pk}, seen_by(SEE_OTHER)),
        ("foreign", lambda w: {"pk": w.foreign.pk}, seen_by({"outsider"}, NATIONAL)),
    ]


RULES = {
    "indicators:catalogue": [("", lambda w: {}, seen_by(EVERYONE))],
    "indicators:import": [("", lambda w: {}, seen_by({"admin", "outsider"}))],
    "indicators:fiche": _fiche_cases(),
    "indicators:fiche_xlsx": _fiche_cases(),
    "indicators:fiche_pdf": [("own", lambda w: {"pk": w.own.pk}, seen_by(OWN))],
    "indicators:local_create": [
        ("own", lambda w: {"pk": w.own.pk}, seen_by(EDIT_OWN)),
        ("other", lambda w: {"pk": w.other.pk}, seen_by({"admin", "other_editor"})),
        ("foreign", lambda w: {"pk": w.foreign.pk}, seen_by({"outsider"})),
    ],
    "indicators:local_edit": [
        ("own", lambda w: {"pk": w.local_own.pk}, seen_by(EDIT_OWN)),
        ("foreign", lambda w: {"pk": w.local_foreign.pk}, seen_by({"outsider"})),
    ],
    "indicators:local_value": [
        ("own", lambda w: {"pk": w.local_own.pk}, seen_by(EDIT_OWN)),
        ("foreign", lambda w: {"pk": w.local_foreign.pk}, seen_by({"outsider"})),
    ],
}

"""The diagnostic de territoire of the demonstration (Gâtine-Racan).

The population comes from the shipped INSEE data (nothing to load). The Cnaf's datasets cannot
be downloaded by the repository: the sample files of ``coopctg/indicators/data/exemples/``, in
the publisher's format with **invented values**, are imported as « valeurs fictives de
démonstration », which every page and document then says. A sample file already imported is
not imported again (same SHA-256), so that reloading the demonstration changes nothing, and
a dataset whose real file was imported is never overwritten by its sample.
Gâtine-Racan also gets one local indicator, its values invented and marked alike.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from django.db.models import Q

from coopctg.indicators import local
from coopctg.indicators.importer import import_file
from coopctg.indicators.models import ImportBatch, LocalIndicator, TerritorialValue
from coopctg.organisations.models import LocalAuthority

SAMPLES_DIR = Path(__file__).resolve().parent.parent / "indicators" / "data" / "exemples"
SAMPLE_FILES = (
    "txcouv_pe_epci-exemple-fictif.csv",
    "txcouv_pe_dep-exemple-fictif.csv",
    "txcouv_pe_nat-exemple-fictif.json",
    "nbpla_pe_epci-exemple-fictif.csv",
)
GATINE_SIREN = "200073237"
LOCAL_INDICATOR = {
    "libelle": "Demandes d'accueil reçues au guichet unique petite enfance",
    "unite": "demandes",
    "theme": "petite_enfance",
    "source": "Guichet unique petite enfance de la communauté de communes (registre annuel)",
    "definition": "Demandes de place d'accueil enregistrées dans l'année (démonstration).",
}
LOCAL_VALUES = {2022: "148", 2023: "171"}


def load_indicators_demo(log: Callable[[str], None] = lambda _: None) -> None:
    for name in SAMPLE_FILES:
        content = (SAMPLES_DIR / name).read_bytes()
        digest = hashlib.sha256(content).hexdigest()
        dataset = name.split("-", 1)[0]
        if ImportBatch.objects.filter(
            Q(empreinte=digest, demonstration=True) | Q(jeu=dataset, demonstration=False)
        ).exists():
            continue  # already loaded, or real values imported: never overwritten by samples
        report = import_file(name, content, demonstration=True)
        log(f"Démonstration : {report.summary()}")
    gatine = LocalAuthority.objects.filter(epci__siren=GATINE_SIREN).first()
    if gatine is None:
        return
    indicator = LocalIndicator.objects.filter(
        collectivite=gatine, libelle=LOCAL_INDICATOR["libelle"]
    ).first() or local.create_local_indicator(None, gatine, LOCAL_INDICATOR)
    for year, text in LOCAL_VALUES.items():
        if not TerritorialValue.objects.filter(indicateur=indicator.code, annee=year).exists():
            local.record_local_value(None, indicator, year, text, Decimal(text), demonstration=True)

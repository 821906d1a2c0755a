"""The benchmark's data, built by the application's services in a throwaway database.

Scale 1 is one large Caf: the Touraine demonstration (11 Ctg, their signed Cof and avenants,
bilans 2022-2025, instances, the Gâtine's action plan, diagnostic…) plus :data:`CLONES_PER_CAF`
more collectivités, each with its Ctg, its Cof imported with its avenants as ``coopctg cof
importer`` does, its bilans and its regular instances: 23 Ctg and Cof. Scale N adds N - 1 Caf of
23 collectivités each, built the same way (the Caf admin still sees one Caf; the national
column sees N).
"""

from __future__ import annotations

import copy
import io
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.management import call_command
from django.utils import timezone

from coopctg.accounts.models import Membership, User
from coopctg.accounts.roles import Role

#: Collectivités added to the demonstration's 11 in Touraine, and per other Caf: 23 each.
CLONES_PER_CAF = 12
PER_OTHER_CAF = 23
#: The demonstration's accounts the benchmark signs in as.
CAF_ADMIN = "admin.caf"
EDITOR = "editeur.gatine"
#: The Cnaf's read-only national analyst (every Caf).
NATIONAL = "banc.national"


@dataclass
class Dataset:
    scale: int
    cafs: int
    ctgs: int
    cofs: int


def build(scale: int, log: Callable[[str], None] = lambda _: None) -> Dataset:
    from coopctg.agreements.models import FundingAgreement
    from coopctg.ctg.models import Ctg
    from coopctg.demo import loader
    from coopctg.organisations.models import Caf
    from coopctg.territories.models import Departement

    today = timezone.localdate()
    log("Démonstration Touraine…")
    call_command("demo", "charger", verbosity=0, stdout=io.StringIO())
    data = loader.load_demo_file()
    touraine = Caf.objects.get(code=data["caf"])
    admin = User.objects.get(username=CAF_ADMIN)
    models_ = [
        (name, spec)
        for name, spec in data["territoires"].items()
        if "cof" in spec and "fichier" not in spec["cof"] and "suivi" not in spec
    ]
    number = 0

    def clone(caf: Caf, caf_admin: User, count: int) -> None:
        nonlocal number
        ctgs = []
        for index in range(count):
            number += 1
            _name, spec = models_[number % len(models_)]
            authority = _new_authority(caf, number)
            _editor(authority, number)
            ctg = loader._ctg(caf_admin, caf, authority, data["ctg"], {}, today)
            cof = copy.deepcopy(spec["cof"])
            cof["numero"] = f"COF-{caf.code}-2022-{500 + index:03d}"
            loader._cof(caf_admin, authority, ctg, cof)
            if "bilans" in spec:
                loader._bilans(caf_admin, authority, data["bilans"], spec["bilans"], today)
            ctgs.append((ctg, loader._skipped(spec.get("instances", {}))))
        loader.regular_instances(ctgs, data["instances_regulieres"], today)

    log(f"Touraine : {CLONES_PER_CAF} collectivités de plus…")
    clone(touraine, admin, CLONES_PER_CAF)
    national = User.objects.create_user(NATIONAL, password=None, first_name="Banc")
    Membership.objects.create(user=national, role=Role.NATIONAL_ANALYST.value)
    free = Departement.objects.filter(caf__isnull=True).order_by("code")
    for departement in list(free[: scale - 1]):
        log(f"Caf {departement.code} : {PER_OTHER_CAF} collectivités…")
        _funding_parameters(departement.code)
        caf = Caf.objects.create(
            code=departement.code, nom=f"Caf {departement.nom}", departement=departement
        )
        caf_admin = User.objects.create_user(f"admin.caf{caf.code}", password=None)
        Membership.objects.create(user=caf_admin, role=Role.CAF_ADMIN.value, caf=caf)
        clone(caf, caf_admin, PER_OTHER_CAF)
    return Dataset(
        scale=scale,
        cafs=Caf.objects.count(),
        ctgs=Ctg.objects.count(),
        cofs=FundingAgreement.objects.count(),
    )


def _funding_parameters(code: str) -> None:
    """The Caf's dated funding parameters: Touraine's, copied into the benchmark's own
    parameters folder (``COOPCTG_PARAMETRES_DIR``, set by ``python -m coopctg.bench``; never
    the bundled folder)."""
    from coopctg.funding import caf_parameters

    root = caf_parameters.parameters_root()
    if (root / f"caf-{code}").is_dir():
        return
    if root == caf_parameters.DEFAULT_ROOT:
        raise RuntimeError(
            "le banc écrit les paramètres de ses Caf dans COOPCTG_PARAMETRES_DIR, pas dans le "
            "dossier livré : lancez-le par « python -m coopctg.bench »"
        )
    shutil.copytree(root / f"caf-{caf_parameters.DEFAULT_CAF}", root / f"caf-{code}")


def _new_authority(caf: Any, number: int) -> Any:
    """A collectivité of ``caf`` on an EPCI of the référentiel that has none yet."""
    from coopctg.organisations.models import LocalAuthority
    from coopctg.territories.models import Epci

    epci = Epci.objects.filter(collectivite__isnull=True).order_by("siren").first()
    if epci is None:  # pragma: no cover - 1 253 EPCI in the référentiel
        epci = Epci.objects.create(siren=f"9{number:08d}", nom=f"CC du banc {number}", nature="CC")
    return LocalAuthority.objects.create(
        caf=caf, kind=LocalAuthority.Kind.EPCI, epci=epci, nom=epci.nom
    )


def _editor(authority: Any, number: int) -> User:
    user = User.objects.create_user(f"editeur.banc{number}", password=None)
    Membership.objects.create(
        user=user, role=Role.COLLECTIVITE_EDITOR.value, collectivite=authority
    )
    return user

"""Onboarding a Caf is data, not code (``coopctg caf ajouter``).

A Caf is its code, name and département (the territories are already imported), the version of
the référentiel its bilans use (the newest by default), its collectivités (optionally every EPCI
of its département at once; its team and the collectivités it names by their usual names come
from the team file, ``coopctg equipe importer``), and its dated parameters: none to write, every
family falls back to the national defaults (:mod:`coopctg.core.caf_params`) until the Caf adds
its own file to ``parametres/caf-<code>/`` of a family.

:func:`parameter_overview` says, family by family, which value of a Caf is its own and which
is the national default, with the source of each.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from coopctg.core.caf_params import ORIGIN_NATIONAL, check_caf_code, origin, resolve
from coopctg.core.params import ParameterError, ParameterNotInForce, ParameterValue
from coopctg.framework.models import FrameworkVersion
from coopctg.organisations.models import Caf, LocalAuthority
from coopctg.territories.models import Departement, Epci


class OnboardingError(Exception):
    """A Caf that cannot be added; the message is one French sentence."""


@dataclass
class OnboardingReport:
    caf: Caf
    created: bool
    collectivites: int = 0
    skipped: list[str] = field(default_factory=list)  # EPCI already another Caf's


def add_caf(
    code: str,
    nom: str,
    departement: str,
    *,
    referentiel: str | None = None,
    epci: bool = False,
) -> OnboardingReport:
    """Create (or update: same code, same département) a Caf; idempotent."""
    try:
        check_caf_code(code)
    except ParameterError as error:
        raise OnboardingError(str(error)) from None
    if len(code) > 10:
        raise OnboardingError(f"code de Caf trop long : « {code} » (10 caractères au plus)")
    nom = " ".join(nom.split())
    if not nom:
        raise OnboardingError("le nom de la Caf est obligatoire")
    dep = Departement.objects.filter(code=departement).first()
    if dep is None:
        raise OnboardingError(
            f"département « {departement} » inconnu (importez d'abord les territoires : "
            "coopctg territoires importer)"
        )
    version = None
    if referentiel is not None:
        version = FrameworkVersion.objects.filter(code=referentiel).first()
        if version is None:
            known = ", ".join(FrameworkVersion.objects.values_list("code", flat=True)) or "aucune"
            raise OnboardingError(
                f"version du référentiel inconnue : « {referentiel} » (versions : {known})"
            )
    existing = Caf.objects.filter(code=code).select_related("departement").first()
    if existing is not None and existing.departement_id != dep.pk:
        raise OnboardingError(
            f"la Caf {code} existe déjà, pour le département {existing.departement.code}"
        )
    other = Caf.objects.filter(departement=dep).exclude(code=code).first()
    if other is not None:
        raise OnboardingError(f"le département {dep.code} a déjà sa Caf : {other.nom}")
    with transaction.atomic():
        caf, created = Caf.objects.update_or_create(
            code=code, defaults={"nom": nom, "departement": dep}
        )
        if version is not None and caf.referentiel_id != version.pk:
            caf.referentiel = version
            caf.save(update_fields=["referentiel"])
        report = OnboardingReport(caf=caf, created=created)
        if epci:
            _add_epcis(report, dep)
    return report


def _add_epcis(report: OnboardingReport, dep: Departement) -> None:
    """A collectivité for each EPCI with a commune in ``dep`` (one Caf per EPCI: an EPCI
    already another Caf's collectivité is left to it)."""
    epcis = (
        Epci.objects.filter(communes__departement=dep)
        .distinct()
        .select_related("collectivite__caf")
        .order_by("nom")
    )
    for one in epcis:
        current = getattr(one, "collectivite", None)
        if current is None:
            LocalAuthority.objects.create(
                caf=report.caf, kind=LocalAuthority.Kind.EPCI, epci=one, nom=one.nom
            )
            report.collectivites += 1
        elif current.caf_id != report.caf.pk:
            report.skipped.append(f"{one.nom} ({current.caf.nom})")


# --- Parameters of a Caf ----------------------------------------------------------------------


@dataclass(frozen=True)
class ParameterLine:
    family: str
    name: str
    origin: str  # « Caf » or « défaut national »
    value: ParameterValue | None  # in force on the day asked; None when none is
    since: dt.date | None
    reference: str
    source: str  # the file


def families() -> dict[str, Callable[[], Path]]:
    """Every family of dated parameters and its root folder (read at call time, so that a
    test's or an administrator's folder is taken into account)."""
    from coopctg.diagnostic import commissions
    from coopctg.funding import caf_parameters
    from coopctg.governance import services as governance
    from coopctg.reports import services as reports

    return {
        "financement et éligibilité": caf_parameters.parameters_root,
        "gouvernance": lambda: governance.PARAMETERS_ROOT,
        "bilans et versements": lambda: reports.PARAMETERS_ROOT,
        "commissions d'admission": lambda: commissions.PARAMETERS_ROOT,
    }


def parameter_overview(caf_code: str, when: dt.date) -> list[ParameterLine]:
    """Each parameter of each family for Caf ``caf_code``: its origin, the value in force on
    ``when`` and its source. Raises :class:`~coopctg.core.params.ParameterError`."""
    lines = []
    for family, root in families().items():
        parameters = resolve(root(), caf_code, label=f"paramètre ({family})")
        for name in sorted(parameters):
            parameter = parameters[name]
            try:
                entry = parameter.entry_at(when)
                value, since, reference = entry.value, entry.start, entry.reference or ""
            except ParameterNotInForce as error:
                value, since, reference = None, None, str(error)
            lines.append(
                ParameterLine(
                    family=family,
                    name=name,
                    origin=origin(parameter),
                    value=value,
                    since=since,
                    reference=" ".join(reference.split()),
                    source=parameter.source,
                )
            )
    return lines


def uses_only_national_defaults(lines: list[ParameterLine]) -> bool:
    return all(line.origin == ORIGIN_NATIONAL for line in lines)

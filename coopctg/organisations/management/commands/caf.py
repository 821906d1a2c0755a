"""``coopctg caf …``: the Caf of CoopCTG; onboarding one is data, not code.

- ``coopctg caf ajouter --code CODE --nom NOM --departement CODE [--referentiel VERSION]
  [--epci]``: adds the Caf (or updates its name and référentiel: idempotent). ``--referentiel``:
  the version of the référentiel its bilans use (``coopctg referentiel versions``; default: the
  newest); ``--epci``: a collectivité for each EPCI of its département (an EPCI already another
  Caf's stays with it). Its team and the collectivités named by their usual names: ``coopctg
  equipe importer FICHIER``. Its parameters: none to write, every family uses the national
  defaults until the Caf adds its own file (``parametres/caf-CODE/`` of that family).
- ``coopctg caf liste [--format texte|json]``: the Caf, their département, référentiel, number
  of collectivités, and whether they have parameters of their own.
- ``coopctg caf parametres CODE [--date AAAA-MM-JJ] [--format texte|json]``: each dated
  parameter of the Caf, family by family: the value in force, « Caf » or « défaut national »,
  its source and the file it is read from.

Any error exits 2 with one French line on stderr.
"""

import datetime as dt
import json
from typing import Any

from django.core.management.base import CommandParser
from django.db import DatabaseError
from django.db.models import Count

from coopctg.core.commands import CliError, FrenchCommand
from coopctg.core.params import ParameterError, parse_iso_date


def _date(text: str) -> dt.date:
    import argparse

    try:
        return parse_iso_date(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _value(value: Any) -> Any:
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, tuple):
        return [_value(item) for item in value]
    if hasattr(value, "items"):
        return {key: _value(item) for key, item in value.items()}
    return str(value)


class Command(FrenchCommand):
    help = "Les Caf de CoopCTG : ajouter une Caf, les lister, voir leurs paramètres datés."
    subcommands = {
        "ajouter": "ajoute une Caf (code, nom, département, référentiel, EPCI du département)",
        "liste": "liste les Caf, leur département, leur référentiel et leurs paramètres propres",
        "parametres": "paramètres datés d'une Caf : les siens ou les défauts nationaux",
    }

    def add_ajouter_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--code", required=True, metavar="CODE", help="code de la Caf (« 41 »)")
        parser.add_argument("--nom", required=True, metavar="NOM", help="« Caf de Loir-et-Cher »")
        parser.add_argument(
            "--departement", required=True, metavar="CODE", help="code du département (« 41 »)"
        )
        parser.add_argument(
            "--referentiel",
            metavar="VERSION",
            help="version du référentiel de ses bilans (défaut : la plus récente)",
        )
        parser.add_argument(
            "--epci",
            action="store_true",
            help="une collectivité pour chaque EPCI du département",
        )

    def handle_ajouter(
        self,
        code: str,
        nom: str,
        departement: str,
        referentiel: str | None,
        epci: bool,
        **options: Any,
    ) -> None:
        from coopctg.organisations.onboarding import OnboardingError, add_caf

        try:
            report = add_caf(code, nom, departement, referentiel=referentiel, epci=epci)
        except OnboardingError as error:
            raise CliError(str(error)) from None
        except DatabaseError as error:
            raise CliError(
                f"base de données inaccessible ({' '.join(str(error).split())})"
            ) from None
        caf = report.caf
        verb = "ajoutée" if report.created else "mise à jour"
        version = caf.referentiel.code if caf.referentiel else "la plus récente"
        self.stdout.write(
            f"{caf.nom} ({caf.code}, département {caf.departement.code}) {verb} ; référentiel : "
            f"{version} ; {report.collectivites} collectivité(s) ajoutée(s)."
        )
        for skipped in report.skipped:
            self.stdout.write(f"  EPCI déjà suivi par une autre Caf : {skipped}")

    def add_liste_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["texte", "json"], default="texte")

    def handle_liste(self, format: str, **options: Any) -> None:
        from coopctg.core.caf_params import has_own_parameters
        from coopctg.organisations.models import Caf
        from coopctg.organisations.onboarding import families

        try:
            cafs = list(
                Caf.objects.select_related("departement", "referentiel")
                .annotate(nb=Count("collectivites"))
                .order_by("code")
            )
        except DatabaseError as error:
            raise CliError(
                f"base de données inaccessible ({' '.join(str(error).split())})"
            ) from None
        roots = families()
        records = [
            {
                "code": caf.code,
                "nom": caf.nom,
                "departement": caf.departement.code,
                "referentiel": caf.referentiel.code if caf.referentiel else None,
                "collectivites": caf.nb,  # type: ignore[attr-defined]
                "parametres_propres": [
                    family for family, root in roots.items() if has_own_parameters(root(), caf.code)
                ],
            }
            for caf in cafs
        ]
        if format == "json":
            self.stdout.write(json.dumps({"cafs": records}, ensure_ascii=False, indent=2))
            return
        for r in records:
            own = ", ".join(r["parametres_propres"]) or "aucun (défauts nationaux)"
            self.stdout.write(
                f"{r['code']} ; {r['nom']} ; département {r['departement']} ; "
                f"référentiel {r['referentiel'] or 'le plus récent'} ; "
                f"{r['collectivites']} collectivité(s) ; paramètres propres : {own}"
            )
        if not records:
            self.stdout.write("Aucune Caf.")

    def add_parametres_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", metavar="CODE", help="code de la Caf")
        parser.add_argument(
            "--date", type=_date, metavar="AAAA-MM-JJ", help="date d'effet (défaut : aujourd'hui)"
        )
        parser.add_argument("--format", choices=["texte", "json"], default="texte")

    def handle_parametres(
        self, code: str, date: dt.date | None, format: str, **options: Any
    ) -> None:
        from django.utils import timezone

        from coopctg.organisations.onboarding import parameter_overview

        when = date or timezone.localdate()
        try:
            lines = parameter_overview(code, when)
        except ParameterError as error:
            raise CliError(str(error)) from None
        if format == "json":
            data = {
                "caf": code,
                "date": when.isoformat(),
                "parametres": [
                    {
                        "famille": line.family,
                        "nom": line.name,
                        "origine": line.origin,
                        "valeur": _value(line.value),
                        "depuis": line.since.isoformat() if line.since else None,
                        "reference": line.reference,
                        "fichier": line.source,
                    }
                    for line in lines
                ],
            }
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        for line in lines:
            value = (
                "non en vigueur"
                if line.value is None
                else json.dumps(_value(line.value), ensure_ascii=False)
            )
            self.stdout.write(
                f"{line.family} ; {line.name} ; {line.origin} ; {value} ; {line.source}"
            )

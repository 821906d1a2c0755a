"""``coopctg echeances --utilisateur IDENTIFIANT [--type TYPE] [--format texte|json|csv]``: the
deadlines ahead in the scope of a user, as on their « Échéances » page
(:func:`coopctg.dashboards.services.deadlines_of`).

The scope depends on the user (their roles: a Caf, the collectivités they follow or belong to),
hence the required ``--utilisateur`` (the login). One line per deadline, by date: texte by
default (``JJ/MM/AAAA ; type ; quoi ; qui ; territoire ; lien``), JSON (dates ``AAAA-MM-JJ``) or
CSV (French conventions: ``;``, dates ``JJ/MM/AAAA``); links are absolute
(``COOPCTG_BASE_URL``). Any error exits 2 with one French line on stderr. Reads the database.
"""

import json
from typing import Any

from django.core.management.base import CommandParser

from coopctg.core.commands import CliError, FrenchCommand

CSV_HEADER = ["date", "type", "libelle_type", "quoi", "qui", "territoire", "en_retard", "lien"]


class Command(FrenchCommand):
    help = (
        "Échéances à venir sur les territoires d'un utilisateur (fin des Ctg, bilans, Copil et "
        "Cotech à tenir, demandes de modification, recrutements), par date, et qui doit agir."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        from coopctg.dashboards.services import DEADLINE_KINDS

        parser.add_argument(
            "--utilisateur",
            required=True,
            metavar="IDENTIFIANT",
            help="identifiant de connexion : les échéances sont celles de son périmètre",
        )
        parser.add_argument(
            "--type",
            metavar="TYPE",
            help="un seul type d'échéance : " + ", ".join(DEADLINE_KINDS),
        )
        parser.add_argument(
            "--format",
            choices=["texte", "json", "csv"],
            default="texte",
            help="texte (défaut), json ou csv (séparateur « ; »)",
        )

    def handle(
        self,
        *args: Any,
        utilisateur: str,
        type: str | None,
        format: str,
        **options: Any,
    ) -> None:
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.db import DatabaseError
        from django.utils import timezone

        from coopctg.accounts.access import visible_collectivites
        from coopctg.dashboards.services import (
            DEADLINE_KINDS,
            deadlines_of,
            deadlines_of_kind,
            territory_rows,
        )

        if type is not None and type not in DEADLINE_KINDS:
            raise CliError(
                f"type d'échéance inconnu : « {type} » (types : {', '.join(DEADLINE_KINDS)})"
            )
        today = timezone.localdate()
        try:
            user = get_user_model().objects.filter(username=utilisateur).first()
            if user is None:
                raise CliError(f"utilisateur inconnu : « {utilisateur} »")
            if not user.is_active:
                raise CliError(f"le compte « {utilisateur} » est désactivé")
            rows = territory_rows(visible_collectivites(user), today.year, today)
            items = deadlines_of_kind(deadlines_of(rows, today), type or "")
        except DatabaseError as error:
            detail = " ".join(str(error).split())  # one line
            raise CliError(f"base de données inaccessible ({detail})") from None
        base_url = settings.COOPCTG_BASE_URL.rstrip("/")
        records = [
            {
                "date": d.date,
                "type": d.kind,
                "libelle_type": d.kind_label,
                "quoi": d.what,
                "qui": d.who,
                "territoire": d.territory,
                "en_retard": d.late,
                "lien": base_url + d.url,
            }
            for d in items
        ]
        if format == "json":
            data = {
                "utilisateur": utilisateur,
                "au": today.isoformat(),
                "type": type,
                "echeances": [{**r, "date": r["date"].isoformat()} for r in records],
            }
            content = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        elif format == "csv":
            from coopctg.core.exports import csv_text

            content = csv_text(CSV_HEADER, ([r[key] for key in CSV_HEADER] for r in records))
        else:
            content = "".join(_text_line(r) for r in records) or "Aucune échéance.\n"
        self.write_export(content, format, None)


def _text_line(record: dict[str, Any]) -> str:
    when = record["date"].strftime("%d/%m/%Y") + (" (en retard)" if record["en_retard"] else "")
    fields = [when, record["libelle_type"], record["quoi"], record["qui"], record["territoire"]]
    return " ; ".join([*fields, record["lien"]]) + "\n"

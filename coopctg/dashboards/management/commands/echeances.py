"""``coopctg echeances --utilisateur IDENTIFIANT [--type TYPE] [--a-faire] [--format
texte|json|csv]``: what awaits whom in the scope of a user, as on their home and « Échéances »
pages (:func:`coopctg.dashboards.tasks.tasks_for_user`): every task, whatever its year, and
whether the user is the one to act (``a_faire``).

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

CSV_HEADER = [
    "date",
    "type",
    "libelle_type",
    "quoi",
    "qui",
    "cote",
    "a_faire",
    "territoire",
    "en_retard",
    "lien",
]


class Command(FrenchCommand):
    help = (
        "Ce qui attend une action sur les territoires d'un utilisateur (bilans à rédiger, à "
        "transmettre ou à valider, demandes à décider, avis de recrutement, Copil et Cotech à "
        "tenir, actions en retard, fins de Cof et de Ctg), par date, et qui doit agir."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        from coopctg.dashboards.tasks import DEADLINE_KINDS

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
            "--a-faire",
            action="store_true",
            dest="a_faire",
            help="seulement ce que cet utilisateur doit faire lui-même",
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
        a_faire: bool,
        format: str,
        **options: Any,
    ) -> None:
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.db import DatabaseError
        from django.utils import timezone

        from coopctg.dashboards.tasks import DEADLINE_KINDS, for_reader, tasks_for_user

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
            items = for_reader(user, tasks_for_user(user, today, type or ""))
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
                "cote": d.side.value,
                "a_faire": bool(d.mine),
                "territoire": d.territory,
                "en_retard": d.late,
                "lien": base_url + d.url,
            }
            for d in items
            if d.mine or not a_faire
        ]
        if format == "json":
            data = {
                "utilisateur": utilisateur,
                "au": today.isoformat(),
                "type": type,
                "a_faire": a_faire,
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
    if record["a_faire"]:
        when += " [à faire]"
    fields = [when, record["libelle_type"], record["quoi"], record["qui"], record["territoire"]]
    return " ; ".join([*fields, record["lien"]]) + "\n"

"""``python -m coopctg.bench [--echelle 1 10] [--format json]`` (``make bench ECHELLES="1 10"``).

Each scale runs in its own process, on its own throwaway SQLite database and documents folder
(deleted at the end): migrate, build the data (:mod:`coopctg.bench.dataset`), measure
(:mod:`coopctg.bench.measure`). The table goes to stdout, the progress to stderr. Bad
arguments: one French line on stderr, exit status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from coopctg.funding.caf_parameters import parameters_root


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m coopctg.bench",
        description="Banc de mesure de CoopCTG : pages, listes de l'API, opérations lourdes.",
    )
    parser.add_argument("--echelle", nargs="+", default=["1"], metavar="N")
    parser.add_argument("--format", choices=["texte", "json"], default="texte")
    parser.add_argument("--repetitions", type=int, default=5, metavar="N")
    parser.add_argument("--sans-restauration", action="store_true")
    parser.add_argument("--une-echelle", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--sortie", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.une_echelle is not None:
        return _one_scale(args)
    try:
        scales = [int(value) for value in args.echelle]
        if any(scale < 1 or scale > 90 for scale in scales) or args.repetitions < 1:
            raise ValueError
    except ValueError:
        sys.stderr.write("Erreur : --echelle attend des entiers de 1 à 90, --repetitions ≥ 1\n")
        return 2
    results = []
    for scale in scales:
        folder = Path(tempfile.mkdtemp(prefix=f"coopctg-banc-{scale}-"))
        try:
            output = folder / "mesures.json"
            parameters = folder / "parametres"  # the other Caf get Touraine's parameters
            shutil.copytree(parameters_root(), parameters)
            env = {
                **os.environ,
                "DATABASE_URL": f"sqlite:///{folder / 'banc.sqlite3'}",
                "COOPCTG_MEDIA_ROOT": str(folder / "documents"),
                # Production-like: no query log, cached templates, SMTP never reached; a
                # throwaway key; the test client speaks plain HTTP, so no HTTPS redirection.
                "DJANGO_DEBUG": "0",
                "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
                "DJANGO_ALLOWED_HOSTS": "testserver",
                "DJANGO_SSL_REDIRECT": "0",
                "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
                "COOPCTG_PARAMETRES_DIR": str(parameters),
            }
            command = [sys.executable, "-m", "coopctg.bench", "--une-echelle", str(scale)]
            command += ["--sortie", str(output), "--repetitions", str(args.repetitions)]
            if args.sans_restauration:
                command.append("--sans-restauration")
            done = subprocess.run(command, env=env, check=False)  # noqa: S603 - this interpreter
            if done.returncode != 0:
                sys.stderr.write(f"Erreur : le banc à l'échelle {scale} a échoué\n")
                return 1
            results.append(json.loads(output.read_text(encoding="utf-8")))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    if args.format == "json":
        sys.stdout.write(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(render(results))
    return 0


def _one_scale(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coopctg.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from coopctg.accounts.models import User
    from coopctg.bench import dataset, measure

    def log(text: str) -> None:
        sys.stderr.write(f"[échelle {args.une_echelle}] {text}\n")

    started = time.perf_counter()
    sys.stdout = sys.stderr  # what the commands print is progress; the table is the parent's
    log("Migrations…")
    call_command("migrate", verbosity=0)
    built = dataset.build(args.une_echelle, log)
    log(f"Données prêtes en {time.perf_counter() - started:.0f} s ; mesures des pages…")
    people = [(title, User.objects.get(username=name)) for title, name in measure.PEOPLE]
    pages = measure.measure_pages(people, repeat=args.repetitions)
    log("Opérations lourdes…")
    heavy = measure.heavy_operations(
        people[0][1], restore=not args.sans_restauration, national=people[2][1]
    )
    result = {
        "echelle": args.une_echelle,
        "caf": built.cafs,
        "ctg": built.ctgs,
        "cof": built.cofs,
        **pages,
        "operations": heavy,
    }
    Path(args.sortie).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    return 0


def _number(value: Any, places: int = 0) -> str:
    from coopctg.core.formats import format_number

    if value is None:
        return "—"
    return format_number(Decimal(str(value)), places)


#: Short column titles of the three people (the legend under the table spells them out).
SHORT = {"Admin Caf": "AC", "Éditeur collectivité": "ÉC", "Analyste national": "N"}


def render(results: list[dict[str, Any]]) -> str:
    """The French table: one section per scale; a page refused to a person shows its status."""
    lines = []
    for result in results:
        people = list(result["pages"][0]["mesures"]) if result["pages"] else []
        lines.append(
            f"Échelle {result['echelle']} : {result['caf']} Caf, {result['ctg']} Ctg, "
            f"{result['cof']} Cof — référence /sante/ : {_number(result['reference_ms'], 2)} ms"
        )
        signed_in = result.get("reference_connectee_ms")
        if signed_in is not None:
            lines.append(
                f"Vue triviale connectée (AC) : {_number(signed_in, 2)} ms, "
                f"{result.get('reference_connectee_requetes')} req. "
                f"(× {_number(signed_in / (result['reference_ms'] or 1), 1)} /sante/) : "
                "la référence des colonnes ×"
            )
        if result.get("reference_page_ms") is not None:
            reference = signed_in or result["reference_ms"] or 1
            lines.append(
                f"Page statique connectée {result['reference_page_url']} (AC) : "
                f"{_number(result['reference_page_ms'], 1)} ms, "
                f"{result['reference_page_requetes']} req. "
                f"(× {_number(result['reference_page_ms'] / reference, 1)}) : "
                "le coût de la mise en page seule"
            )
        lines.append("")
        header = ["Page"]
        for person in people:
            short = SHORT.get(person, person)
            header += [f"{short} req.", f"{short} ms", f"{short} ×"]
        rows = [header]
        post_only = []
        for page in result["pages"]:
            measures = [page["mesures"][person] for person in people]
            if all(m["statut"] == 405 for m in measures):
                post_only.append(page["url"])
                continue
            cells = [page["url"]]
            for m in measures:
                if m["statut"] != 200:
                    cells += [f"({m['statut']})", "", ""]
                else:
                    cells += [
                        str(m["requetes"]),
                        _number(m["mediane_ms"], 1),
                        _number(m["multiple"], 1),
                    ]
            rows.append(cells)
        lines.extend(_table(rows))
        if post_only:
            lines.append(f"POST seulement, non mesurées : {', '.join(post_only)}")
        lines.append("")
        rows = [
            ["Opération lourde (Admin Caf ; vue nationale : N)", "durée (ms)", "mémoire max (Mo)"]
        ]
        for operation in result["operations"]:
            rows.append(
                [
                    operation["operation"],
                    _number(operation["duree_ms"], 0),
                    _number(operation["memoire_max_mo"], 1),
                ]
            )
        lines.extend(_table(rows))
        lines.append("")
    lines.append(
        "AC : administrateur·rice de la Caf de Touraine ; ÉC : éditeur·rice de la Gâtine ; "
        "N : analyste national (Cnaf), lecture seule de toutes les Caf. "
        "req. : requêtes SQL ; ms : temps médian ; × : ce temps en multiple de la vue triviale "
        "connectée mesurée dans le même processus (session et utilisateur lus, réponse vide ; "
        "/sante/ : ni session ni gabarit ; la page statique connectée donne le coût de la mise "
        "en page) ; (404) : page refusée à cette personne ; mémoire : pointe du tas Python "
        "(tracemalloc)."
    )
    return "\n".join(lines) + "\n"


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    out = []
    for index, row in enumerate(rows):
        out.append(
            "| "
            + " | ".join(
                cell.ljust(width) if i == 0 else cell.rjust(width)
                for i, (cell, width) in enumerate(zip(row, widths, strict=True))
            )
            + " |"
        )
        if index == 0:
            out.append("|" + "|".join("-" * (width + 2) for width in widths) + "|")
    return out


if __name__ == "__main__":
    sys.exit(main())

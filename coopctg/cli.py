"""The ``coopctg`` console command: every Django management command plus the project's own.

``coopctg referentiel exporter``, ``coopctg territoires importer DOSSIER``… are management
commands of the domain apps; this entry point only selects the settings.
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coopctg.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["coopctg", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()

"""``coopctg comptes …``: accounts from the command line, for scripted onboarding.

- ``coopctg comptes inviter --courriel ADRESSE --role ROLE (--caf CODE | --collectivite CODE)
  [--administrateur] [--sans-courriel]``: invites a person (ROLE as in
  ``coopctg/accounts/roles.py``, e.g. ``collectivite_editeur``) and prints the link of the
  invitation on the standard output (also e-mailed, unless ``--sans-courriel``). ``--caf``: the
  Caf's code (« 37 »); ``--collectivite``: the SIREN of an EPCI or the INSEE code of a commune.
  A Caf advisor may be invited on one collectivité of the Caf.
- ``coopctg comptes desactiver IDENTIFIANT``: deactivates an account at once (sessions ended,
  API tokens revoked; the history stays).
- ``coopctg comptes national IDENTIFIANT [--retirer]``: grants (or withdraws) the read-only role
  of the Cnaf's national analyst (on every Caf; ``perimetre`` « national » in the list).
- ``coopctg comptes liste [--format texte|json]``: accounts and pending invitations. JSON::

    {"comptes": [{"identifiant", "courriel", "actif", "roles": [{"role", "perimetre"}]}],
     "invitations": [{"courriel", "role", "perimetre", "expire_le"}]}

  ``perimetre`` is the code of the scope, as ``--caf`` / ``--collectivite`` take it: the Caf's
  code for a role on a Caf, the collectivité's SIREN or INSEE code for a role on a
  collectivité (a Caf advisor's assigned collectivité included). ``invitations`` lists the
  invitations still valid (not accepted, not cancelled, not expired); ``expire_le`` is an ISO
  8601 date and time with its offset (Europe/Paris).

The command acts as the system (« système » in the history). Any error exits 2 with one French
line on stderr.
"""

import json
from typing import Any

from django.core.management.base import CommandParser
from django.db import DatabaseError
from django.db.models import Q
from django.utils import timezone

from coopctg.core.commands import CliError, FrenchCommand


def _cli_error(error: Exception) -> CliError:
    """The service's French sentence as a command-line message (lower case, no final dot)."""
    text = " ".join(str(error).split()).rstrip(".")
    return CliError(text[:1].lower() + text[1:])


def scope_code(caf: Any, collectivite: Any) -> str:
    if collectivite is not None:
        return collectivite.code
    return caf.code if caf is not None else "national"  # the Cnaf's national analyst


class Command(FrenchCommand):
    help = "Comptes : inviter une personne, désactiver un compte, lister les comptes."
    subcommands = {
        "inviter": "invite une personne par courriel avec un rôle et affiche le lien",
        "desactiver": "désactive un compte (sessions fermées, jetons d'API révoqués)",
        "liste": "liste les comptes, leurs rôles et les invitations en attente",
        "national": "donne (ou retire) le rôle d'analyste national·e de la Cnaf (lecture seule)",
    }

    # --- inviter -------------------------------------------------------------------------------

    def add_inviter_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--courriel", required=True, metavar="ADRESSE", help="adresse")
        parser.add_argument(
            "--role",
            required=True,
            metavar="ROLE",
            help="caf_admin, caf_conseiller, caf_analyste, collectivite_editeur ou "
            "collectivite_elu",
        )
        parser.add_argument("--caf", metavar="CODE", help="code de la Caf (rôles de la Caf)")
        parser.add_argument(
            "--collectivite",
            metavar="CODE",
            help="SIREN de l'EPCI ou code INSEE de la commune (éditeur·rice, élu·e)",
        )
        parser.add_argument(
            "--administrateur",
            action="store_true",
            help="droit « administrateur·rice de la collectivité » (éditeur·rice seulement)",
        )
        parser.add_argument(
            "--sans-courriel",
            action="store_true",
            help="n'envoie pas le courriel d'invitation (le lien affiché est à transmettre)",
        )

    def handle_inviter(
        self,
        courriel: str,
        role: str,
        caf: str | None,
        collectivite: str | None,
        administrateur: bool,
        sans_courriel: bool,
        **options: Any,
    ) -> None:
        from coopctg.accounts.invitations import AccountError, create_invitation, invitation_url
        from coopctg.organisations.models import Caf, LocalAuthority

        if (caf is None) == (collectivite is None):
            raise CliError("indiquez soit --caf CODE, soit --collectivite CODE (l'un des deux)")
        try:
            the_caf = the_collectivite = None
            if caf is not None:
                the_caf = Caf.objects.filter(code=caf).first()
                if the_caf is None:
                    raise CliError(f"Caf inconnue : « {caf} »")
            else:
                the_collectivite = (
                    LocalAuthority.objects.select_related("caf", "epci", "commune")
                    .filter(Q(epci__siren=collectivite) | Q(commune__code_insee=collectivite))
                    .first()
                )
                if the_collectivite is None:
                    raise CliError(
                        f"collectivité inconnue : « {collectivite} » (SIREN d'un EPCI ou code "
                        "INSEE d'une commune)"
                    )
            _, secret = create_invitation(
                None,
                courriel=courriel,
                role=role,
                caf=the_caf,
                collectivite=the_collectivite,
                administrateur=administrateur,
                send=not sans_courriel,
            )
        except AccountError as error:
            raise _cli_error(error) from None
        except DatabaseError as error:
            detail = " ".join(str(error).split())
            raise CliError(f"base de données inaccessible ({detail})") from None
        self.stdout.write(invitation_url(secret))

    # --- desactiver ----------------------------------------------------------------------------

    def add_desactiver_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("identifiant", metavar="IDENTIFIANT", help="identifiant du compte")

    def handle_desactiver(self, identifiant: str, **options: Any) -> None:
        from coopctg.accounts.invitations import AccountError, deactivate_user
        from coopctg.accounts.models import User

        user = User.objects.filter(username=identifiant).first()
        if user is None:
            raise CliError(f"compte inconnu : « {identifiant} »")
        if not user.is_active:
            self.stdout.write(f"Le compte « {user.username} » est déjà désactivé.")
            return
        try:
            deactivate_user(None, user)
        except AccountError as error:
            raise _cli_error(error) from None
        self.stdout.write(
            f"Compte « {user.username} » désactivé : sessions fermées, jetons d'API révoqués."
        )

    # --- national ------------------------------------------------------------------------------

    def add_national_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("identifiant", metavar="IDENTIFIANT", help="identifiant du compte")
        parser.add_argument("--retirer", action="store_true", help="retire le rôle")

    def handle_national(self, identifiant: str, retirer: bool, **options: Any) -> None:
        from coopctg.accounts.invitations import set_national_analyst
        from coopctg.accounts.models import User

        try:
            user = User.objects.filter(username=identifiant).first()
            if user is None:
                raise CliError(f"compte inconnu : « {identifiant} »")
            changed = set_national_analyst(None, user, granted=not retirer)
        except DatabaseError as error:
            detail = " ".join(str(error).split())
            raise CliError(f"base de données inaccessible ({detail})") from None
        if retirer:
            done = "retiré" if changed else "n'était pas donné"
        else:
            done = "donné" if changed else "était déjà donné"
        self.stdout.write(f"Rôle d'analyste national·e {done} : « {user.username} ».")

    # --- liste ---------------------------------------------------------------------------------

    def add_liste_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--format", choices=["texte", "json"], default="texte", help="texte (défaut) ou json"
        )

    def handle_liste(self, format: str, **options: Any) -> None:
        from django.db.models import Prefetch

        from coopctg.accounts.models import Invitation, Membership, User

        memberships = Membership.objects.select_related(
            "caf", "collectivite__epci", "collectivite__commune"
        ).order_by("role", "caf__code", "collectivite__nom", "pk")
        users = User.objects.prefetch_related(
            Prefetch("memberships", queryset=memberships)
        ).order_by("username")
        invitations = (
            Invitation.objects.filter(
                acceptee_le__isnull=True, annulee_le__isnull=True, expire_le__gt=timezone.now()
            )
            .select_related("caf", "collectivite__epci", "collectivite__commune")
            .order_by("cree_le", "pk")
        )
        data = {
            "comptes": [
                {
                    "identifiant": user.username,
                    "courriel": user.email,
                    "actif": user.is_active,
                    "roles": [
                        {"role": m.role, "perimetre": scope_code(m.caf, m.collectivite)}
                        for m in user.memberships.all()
                    ],
                }
                for user in users
            ],
            "invitations": [
                {
                    "courriel": i.courriel,
                    "role": i.role,
                    "perimetre": scope_code(i.caf, i.collectivite),
                    "expire_le": timezone.localtime(i.expire_le).isoformat(timespec="seconds"),
                }
                for i in invitations
            ],
        }
        if format == "json":
            self.write_export(json.dumps(data, ensure_ascii=False, indent=2) + "\n", "json", None)
            return
        for account in data["comptes"]:
            roles = ", ".join(f"{r['role']} {r['perimetre']}" for r in account["roles"])
            state = "actif" if account["actif"] else "désactivé"
            self.stdout.write(
                f"{account['identifiant']} ; {account['courriel'] or '—'} ; {state} ; "
                f"{roles or 'aucun rôle'}"
            )
        for invitation in data["invitations"]:
            self.stdout.write(
                f"invitation {invitation['courriel']} ; {invitation['role']} "
                f"{invitation['perimetre']} ; expire le {invitation['expire_le']}"
            )

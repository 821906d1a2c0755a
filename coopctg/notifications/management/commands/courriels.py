"""``coopctg courriels renvoyer``: send the notification e-mails that could not be sent.

A notification is written with the decision it follows; its e-mail is sent after the commit.
When the mail server fails, the decision and the notification stay and the e-mail is retried
by this command (run it every few minutes from cron or a systemd timer). Exit status 2 when
some e-mails still fail, so that the scheduler shows it.
"""

from typing import Any

from coopctg.core.commands import CliError, FrenchCommand


class Command(FrenchCommand):
    help = "Courriels des notifications."
    subcommands = {
        "renvoyer": "envoie les courriels des notifications des 7 derniers jours restés en échec",
    }

    def handle_renvoyer(self, **options: Any) -> None:
        from coopctg.notifications.services import retry_unsent

        sent, failed = retry_unsent()
        if failed:
            raise CliError(
                f"{failed} courriel(s) toujours en échec ({sent} envoyé(s)) : "
                "vérifiez le serveur de courriel, ils seront retentés"
            )
        self.stdout.write(f"{sent} courriel(s) envoyé(s).")

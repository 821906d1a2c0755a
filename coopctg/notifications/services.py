"""Notify users: one row per user in the same transaction, the e-mail after commit.

A failing e-mail never loses the notification nor the decision it follows: the row stays,
``courriel_envoye_le`` stays empty, the error is logged, and :func:`retry_unsent` (the
command ``coopctg courriels renvoyer``, to run every few minutes from cron or a systemd
timer) sends it later.
"""

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from coopctg.notifications.models import Notification

logger = logging.getLogger(__name__)


def notify(
    users: Iterable[Any], titre: str, message: str = "", lien: str = ""
) -> list[Notification]:
    """Create a notification for each distinct active user; e-mail them once committed."""
    recipients = {user.pk: user for user in users if user is not None and user.is_active}
    rows = Notification.objects.bulk_create(
        Notification(destinataire=user, titre=titre[:200], message=message, lien=lien)
        for user in recipients.values()
    )
    ids = [row.pk for row in rows if row.pk is not None]
    transaction.on_commit(lambda: send_emails(ids))
    return rows


def send_emails(ids: list[int] | None = None, since: dt.datetime | None = None) -> tuple[int, int]:
    """Send the e-mails not sent yet (of ``ids``, or all created after ``since``); returns
    (sent, failed). A recipient without an address is skipped, not counted."""
    pending = Notification.objects.filter(courriel_envoye_le__isnull=True)
    if ids is not None:
        pending = pending.filter(pk__in=ids)
    if since is not None:
        pending = pending.filter(cree_le__gte=since)
    sent = failed = 0
    for notification in pending.select_related("destinataire").order_by("pk"):
        address = notification.destinataire.email
        if not address:
            continue
        body = notification.message
        if notification.lien:
            body = f"{body}\n\n{settings.COOPCTG_BASE_URL}{notification.lien}".strip()
        try:
            send_mail(f"[CoopCTG] {notification.titre}", body, None, [address])
        except Exception:  # any mail failure: keep the row, log, retry later
            logger.exception("Courriel non envoyé pour la notification %s", notification.pk)
            failed += 1
            continue
        Notification.objects.filter(pk=notification.pk).update(courriel_envoye_le=timezone.now())
        sent += 1
    return sent, failed


#: Older notifications are not e-mailed any more: the user sees them in the application.
RETRY_WINDOW = dt.timedelta(days=7)


def retry_unsent(now: dt.datetime | None = None) -> tuple[int, int]:
    """Send the e-mails that failed (or were never tried) during the last :data:`RETRY_WINDOW`."""
    return send_emails(since=(now or timezone.now()) - RETRY_WINDOW)

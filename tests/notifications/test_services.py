"""E-mails after commit: a failing mail server loses nothing and is retried."""

import datetime as dt
import smtplib

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from coopctg.notifications import services
from coopctg.notifications.models import Notification


def broken_mail(*args, **kwargs):
    raise smtplib.SMTPServerDisconnected("serveur injoignable")


def test_mail_failure_keeps_the_notification_and_the_retry_sends_it(
    touraine, monkeypatch, django_capture_on_commit_callbacks, capsys
):
    touraine.editor.email = "editeur@example.fr"
    touraine.editor.save()
    monkeypatch.setattr(services, "send_mail", broken_mail)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        services.notify([touraine.editor], "Avenant signé", "La Cof a un avenant.", "/cof/")
    row = Notification.objects.get()
    assert row.courriel_envoye_le is None and mail.outbox == []
    # Still failing: the command says so and exits 2.
    with pytest.raises(SystemExit) as exit_info:
        call_command("courriels", "renvoyer")
    assert exit_info.value.code == 2
    assert "1 courriel(s) toujours en échec" in capsys.readouterr().err
    # The server is back: the retry sends it, once.
    monkeypatch.undo()
    call_command("courriels", "renvoyer")
    assert "1 courriel(s) envoyé(s)." in capsys.readouterr().out
    row.refresh_from_db()
    assert row.courriel_envoye_le is not None
    assert [m.subject for m in mail.outbox] == ["[CoopCTG] Avenant signé"]
    assert "http" in mail.outbox[0].body and "/cof/" in mail.outbox[0].body
    call_command("courriels", "renvoyer")
    assert len(mail.outbox) == 1


def test_retry_leaves_old_notifications_alone(touraine, monkeypatch):
    touraine.editor.email = "editeur@example.fr"
    touraine.editor.save()
    old = Notification.objects.create(destinataire=touraine.editor, titre="Ancienne")
    Notification.objects.filter(pk=old.pk).update(
        cree_le=timezone.now() - services.RETRY_WINDOW - dt.timedelta(hours=1)
    )
    assert services.retry_unsent() == (0, 0)
    assert mail.outbox == []

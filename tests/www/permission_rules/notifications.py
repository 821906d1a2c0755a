"""Rules of the notification pages (/notifications/): everyone sees their own list; a
notification is opened (marked read, then followed) by its recipient only; « tout marquer
comme lu » is POST only (tested in ``tests/notifications/test_views.py``)."""

from tests.www.permission_rules.common import EVERYONE, ROLES, seen_by

RULES = {
    "notifications:list": [("", lambda w: {}, seen_by(EVERYONE))],
    "notifications:read": [("get", lambda w: {}, {role: 405 for role in ROLES})],
    "notifications:open": [
        ("editor", lambda w: {"pk": w.notification_editor.pk}, seen_by({"editor"}, status=302)),
    ],
}


def extend_world(w):
    from coopctg.notifications.models import Notification

    w.notification_editor = Notification.objects.create(
        destinataire=w.editor, titre="Demande de modification acceptée", lien="/cof/"
    )

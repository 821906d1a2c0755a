"""The notification pages: one's own notifications, newest first, unread highlighted; mark all
read (POST); open one (marks it read, follows its link); nobody sees another's."""

import pytest
from django.urls import reverse

from coopctg.notifications.models import Notification


def notice(user, titre, lien="/cof/", read=False):
    from django.utils import timezone

    return Notification.objects.create(
        destinataire=user, titre=titre, lien=lien, lue_le=timezone.now() if read else None
    )


def test_list_shows_own_notifications_newest_first(client, touraine):
    notice(touraine.editor, "Ancienne", read=True)
    notice(touraine.editor, "Récente")
    notice(touraine.advisor, "Pour le conseiller")
    client.force_login(touraine.editor)
    page = client.get(reverse("notifications:list")).content.decode()
    assert page.index("Récente") < page.index("Ancienne")
    assert "Pour le conseiller" not in page
    assert page.count("notif-unread") == 1 and "1 notification non lue" in page


def test_mark_all_read_is_post_only_and_personal(client, touraine):
    mine = notice(touraine.editor, "À lire")
    theirs = notice(touraine.advisor, "À lire aussi")
    client.force_login(touraine.editor)
    url = reverse("notifications:read")
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == reverse("notifications:list")
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.lue_le is not None and theirs.lue_le is None
    assert "Tout est lu" in client.get(reverse("notifications:list")).content.decode()


@pytest.mark.parametrize(
    ("lien", "target"),
    [("/cof/demandes/1/", "/cof/demandes/1/"), ("https://ailleurs.example/", "/notifications/")],
)
def test_open_marks_read_and_follows_a_local_link_only(client, touraine, lien, target):
    item = notice(touraine.editor, "Demande acceptée", lien=lien)
    client.force_login(touraine.advisor)
    assert client.get(reverse("notifications:open", args=[item.pk])).status_code == 404
    client.force_login(touraine.editor)
    response = client.get(reverse("notifications:open", args=[item.pk]))
    assert response.status_code == 302 and response["Location"] == target
    item.refresh_from_db()
    assert item.lue_le is not None


def test_pages_of_fifty(client, touraine):
    for index in range(55):
        notice(touraine.editor, f"Notification {index:02d}")
    client.force_login(touraine.editor)
    first = client.get(reverse("notifications:list")).content.decode()
    assert "Notification 54" in first and "Notification 04" not in first and "Page 1 / 2" in first
    second = client.get(reverse("notifications:list"), {"page": "2"}).content.decode()
    assert "Notification 04" in second
    assert client.get(reverse("notifications:list"), {"page": "abc"}).status_code == 200


def test_header_shows_the_unread_count_on_every_page(client, touraine):
    from coopctg.notifications.services import notify

    client.force_login(touraine.editor)
    assert "non lue" not in client.get(reverse("home")).content.decode()
    notify([touraine.editor], "Avenant signé")
    notify([touraine.editor], "Demande acceptée")
    notify([touraine.elu], "Pour quelqu'un d'autre")
    page = client.get(reverse("ctg:list")).content.decode()
    link = reverse("notifications:list")
    assert f'<a class="unread-badge" href="{link}">2 notifications non lues</a>' in page
    client.post(reverse("notifications:read"))
    assert "non lue" not in client.get(reverse("home")).content.decode()

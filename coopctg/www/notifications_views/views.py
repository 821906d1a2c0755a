"""The user's notifications: newest first, unread highlighted; mark all read; open one (marks it
read and follows its link). A user only ever sees their own (404 otherwise)."""

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from coopctg.notifications.models import Notification

PAGE_SIZE = 50


def _own(request: HttpRequest) -> QuerySet[Notification]:
    return Notification.objects.filter(destinataire=request.user)


def notification_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(_own(request).order_by("-cree_le", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "notifications/list.html",
        {
            "page": page,
            "notifications": list(page.object_list),
            "unread": _own(request).filter(lue_le__isnull=True).count(),
        },
    )


@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    _own(request).filter(lue_le__isnull=True).update(lue_le=timezone.now())
    return redirect(reverse("notifications:list"))


def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    notification = _own(request).filter(pk=pk).first()
    if notification is None:
        raise Http404("Page introuvable.")
    if notification.lue_le is None:
        _own(request).filter(pk=pk).update(lue_le=timezone.now())
    target = notification.lien
    if not target or not url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        target = reverse("notifications:list")
    return redirect(target)

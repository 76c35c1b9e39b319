"""The notification centre: every message a person got, in the app, whatever their e-mail settings say.
See docs/notifications-centre.md.

Everyone sees only their own notifications (anyone else's id is a 404). The list has no side effects;
marking read is a POST (one, or all), and "open" (``benachrichtigungen/<pk>/oeffnen/``) marks one read and
redirects to its page — a link, so it can be opened in a new tab, and idempotent: it only sets the
reader's own read time. The writes go through ``buchungen.notifications.mark_read``, which is scoped to
the person by construction.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import formats
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from buchungen import messages as notification_messages
from buchungen import notifications as service
from buchungen.models import Notification, NotificationKind
from konten.models import User
from ressourcen.selectors import local_zone

PAGE_SIZE = 25
UNREAD_PARAM = "ungelesen"


def notifications_of(user: User, *, unread: bool = False) -> QuerySet[Notification]:
    """``user``'s notifications, newest first, with what the summary and the link need (no query per
    row)."""
    rows = (
        Notification.objects.filter(recipient=user)
        .select_related(
            # What a summary may mention (buchungen.messages.notification_summary): the same relations
            # ``notifications.deliver`` loads for the e-mail.
            "recipient",
            "booking__resource__organisation",
            "booking__organisation",
            "waitlist_entry__resource__organisation",
        )
        .order_by("-created", "-pk")
    )
    if unread:
        rows = rows.filter(read_at__isnull=True)
    return rows


def _fallback_summary(notification: Notification) -> str:
    kind = notification.get_kind_display()
    subject = notification.booking or notification.waitlist_entry
    if subject is None:
        return str(kind)
    when = formats.date_format(subject.start.astimezone(local_zone()), "SHORT_DATETIME_FORMAT")
    return _("%(kind)s: %(resource)s, %(when)s") % {
        "kind": kind,
        "resource": subject.resource.name,
        "when": when,
    }


def summary_of(notification: Notification) -> str:
    """One line about ``notification`` in the active language (``buchungen.messages`` words it)."""
    summary = getattr(notification_messages, "notification_summary", None)
    if summary is None:  # the messages module predates it
        return _fallback_summary(notification)
    return str(summary(notification))


def target_of(notification: Notification) -> str:
    """The page a notification is about: the booking, the waitlist for an offer, the requests inbox for
    the managers' digest, the centre itself otherwise."""
    if notification.kind == NotificationKind.WAITLIST_OFFER or (
        notification.booking_id is None and notification.waitlist_entry_id is not None
    ):
        return reverse("buchungen:waitlist")
    if notification.booking_id is not None:
        return reverse("buchungen:booking_detail", args=[notification.booking_id])
    if notification.kind == NotificationKind.DIGEST:
        return reverse("buchungen:inbox")
    return reverse("buchungen:notifications")


def remember_unread(request, count: int) -> None:
    """Let the navigation's count (buchungen_notifications.unread_notifications) reuse ``count``."""
    request._unread_notifications = count


def _back(request) -> str:
    """Where a POST returns to: the list page it came from (same site only), else the list."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("buchungen:notifications")


@login_required
@require_safe
def notification_list(request):
    unread_only = request.GET.get(UNREAD_PARAM) == "1"
    unread = service.unread_count(request.user)
    remember_unread(request, unread)
    page = Paginator(notifications_of(request.user, unread=unread_only), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [
        {"notification": notification, "summary": summary_of(notification)}
        for notification in page.object_list
    ]
    context = {
        "page": page,
        "rows": rows,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "unread_only": unread_only,
        "unread": unread,
        "unread_param": UNREAD_PARAM,
        "here": request.get_full_path(),
    }
    return render(request, "buchungen/notifications/list.html", context)


def _own(request, pk: int) -> Notification:
    return get_object_or_404(Notification, pk=pk, recipient=request.user)


@login_required
@require_POST
def notification_read(request, pk: int):
    notification = _own(request, pk)
    service.mark_read(user=request.user, notification=notification)
    messages.success(request, _("The notification is marked as read."))
    return redirect(_back(request))


@login_required
@require_POST
def notification_read_all(request):
    marked = service.mark_read(user=request.user)
    if marked:
        messages.success(request, _("All notifications are marked as read."))
    return redirect(_back(request))


@login_required
@require_safe
def notification_open(request, pk: int):
    notification = _own(request, pk)
    service.mark_read(user=request.user, notification=notification)
    return redirect(target_of(notification))


urlpatterns = [
    path("benachrichtigungen/", notification_list, name="notifications"),
    path("benachrichtigungen/alle-gelesen/", notification_read_all, name="notification_read_all"),
    path("benachrichtigungen/<int:pk>/gelesen/", notification_read, name="notification_read"),
    path("benachrichtigungen/<int:pk>/oeffnen/", notification_open, name="notification_open"),
]

"""The navigation's notification count: how many of the person's notifications are unread.

One query per request at most (remembered on the request; the notification centre's own view fills it
in, so its page needs none), none for visitors."""

from django import template

from buchungen.notifications import unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context) -> int:
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return 0
    if not hasattr(request, "_unread_notifications"):
        request._unread_notifications = unread_count(request.user)
    return request._unread_notifications

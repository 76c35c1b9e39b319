"""Template tags of the owners' pages: whether the navigation shows the inbox, and which lifecycle steps
a booking's page offers its reader (templates/buchungen/owner/_actions.html)."""

from django import template
from django.utils import timezone

from buchungen import selectors_owner
from buchungen.models import BookingStatus
from buchungen.selectors_owner import check_out_opens, may_check_out_now, may_mark_no_show_now

register = template.Library()


@register.simple_tag(takes_context=True)
def owner_nav_visible(context) -> bool:
    """Whether the person manages an organisation or holds a skill — they get the "Requests" link.
    One query per request (remembered on it), none for visitors."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return False
    if not hasattr(request, "_owner_nav_visible"):
        request._owner_nav_visible = selectors_owner.decides_or_hands_over(request.user)
    return request._owner_nav_visible


@register.simple_tag(takes_context=True)
def owner_actions(context, booking) -> dict:
    """The steps ``booking``'s reader may take now: decide (a request they may approve), hand over,
    take back, record a no-show. Mirrors the services' rules; the services check again on POST."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if booking is None or user is None or not user.is_authenticated:
        return {}
    now = timezone.now()
    status = booking.status
    actions = {
        "decide": status == BookingStatus.REQUESTED and user.has_perm("buchungen.approve_booking", booking),
        "check_out": False,
        "check_out_opens": None,
        "return": False,
        "no_show": False,
    }
    if status in (BookingStatus.CONFIRMED, BookingStatus.CHECKED_OUT) and user.has_perm(
        "buchungen.handover_booking", booking
    ):
        actions["check_out"] = may_check_out_now(booking, now)
        if status == BookingStatus.CONFIRMED and not actions["check_out"] and now < check_out_opens(booking):
            actions["check_out_opens"] = (
                check_out_opens(booking) if booking.resource.kind != "skill" else None
            )
        actions["return"] = status == BookingStatus.CHECKED_OUT
    if may_mark_no_show_now(booking, now) and user.has_perm("buchungen.mark_no_show", booking):
        actions["no_show"] = True
    actions["any"] = any(
        actions[key] for key in ("decide", "check_out", "check_out_opens", "return", "no_show")
    )
    return actions

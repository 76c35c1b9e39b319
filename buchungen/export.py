"""What the booking engine stores about a person, for their data export (GDPR Art. 15 and 20).

``konten.services.user_export_data`` asks every app whose AppConfig has ``export_user_data(user)`` for
its part (konten does not import the apps that depend on it). Bookings of the person's organisations
that someone else made are the organisation's data, not the person's: only what they made or wait for.
"""

from typing import Any

from buchungen.models import Booking, BookingRequest, BookingSeries, CalendarFeed, WaitlistEntry
from konten.models import User


def _when(moment) -> str | None:
    return moment.isoformat() if moment else None


def export_user_data(user: User) -> dict[str, Any]:
    bookings = (
        Booking.objects.filter(booked_by=user)
        .select_related("resource", "organisation")
        .prefetch_related("transitions")
        .order_by("start", "pk")
    )
    feed = CalendarFeed.objects.filter(user=user).first()
    return {
        "bookings": [
            {
                "id": booking.pk,
                "resource": booking.resource.name,
                "organisation": booking.organisation.name if booking.organisation else None,
                "start": _when(booking.start),
                "end": _when(booking.end),
                "quantity": booking.quantity,
                "purpose": booking.purpose,
                "participants": booking.participants,
                "status": booking.status,
                "handed_over_to": booking.handed_over_to,
                "damage_report": booking.damage_report,
                "request": booking.request_id,
                "series": booking.series_id,
                "steps": [
                    {
                        "at": _when(step.at),
                        "from": step.from_status,
                        "to": step.to_status,
                        "by_me": step.actor_id == user.pk,
                        "comment": step.comment,
                    }
                    for step in booking.transitions.all()
                ],
            }
            for booking in bookings
        ],
        "booking_requests": [
            {"id": request.pk, "purpose": request.purpose, "created": _when(request.created)}
            for request in BookingRequest.objects.filter(booked_by=user).order_by("pk")
        ],
        "booking_series": [
            {
                "id": series.pk,
                "resource": series.resource.name,
                "rrule": series.rrule,
                "first_start": _when(series.first_start),
                "created": _when(series.created),
            }
            for series in BookingSeries.objects.filter(booked_by=user)
            .select_related("resource")
            .order_by("pk")
        ],
        "waitlist": [
            {
                "resource": entry.resource.name,
                "start": _when(entry.start),
                "end": _when(entry.end),
                "status": entry.status,
                "created": _when(entry.created),
            }
            for entry in WaitlistEntry.objects.filter(person=user).select_related("resource").order_by("pk")
        ],
        # The token itself is not stored (only its hash): the export says whether there is a feed.
        "calendar_feed": {"created": _when(feed.created), "last_used": _when(feed.last_used)}
        if feed
        else None,
    }

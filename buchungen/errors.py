"""Exceptions of the booking engine that are neither a permission nor a field error."""

from datetime import datetime

from django.utils.translation import gettext_lazy as _

Interval = tuple[datetime, datetime]


class BookingConflict(Exception):
    """The wanted time is (partly) taken. The API answers 409.

    ``conflicts`` lists the taken periods as ``(start, end)`` pairs, in UTC and sorted — never who
    booked them. For rooms and skills these are the blocked intervals (booking plus buffers) of the
    bookings in the way; for equipment the periods in which fewer units are left than were asked for.
    """

    default_message = _("The resource is already booked at this time.")

    def __init__(self, conflicts: list[Interval], message: str | None = None) -> None:
        self.conflicts = sorted(conflicts)
        self.message = str(message or self.default_message)
        super().__init__(self.message)

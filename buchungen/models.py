"""The booking engine's data: who has which resource when, and every step a booking took.

A Booking holds one resource for the half-open interval ``[start, end)`` (UTC, shown in Berlin time).
Next to it the row keeps ``blocked_start``/``blocked_end``: the interval widened by the resource's
set-up and tidy-up buffers *as they were when the booking was made*. Buffers are policy and may change
later; a booking already made keeps the time it was given, and the database's overlap guard (the
PostgreSQL exclusion constraint of migration 0002) needs plain columns to compare.

Writes go through ``buchungen.services`` only; these models hold data and constraints, nothing else.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from konten.models import Organisation
from ressourcen.models import Resource


class BookingStatus(models.TextChoices):
    REQUESTED = "requested", pgettext_lazy("booking status", "Requested")
    CONFIRMED = "confirmed", pgettext_lazy("booking status", "Confirmed")
    DECLINED = "declined", pgettext_lazy("booking status", "Declined")
    EXPIRED = "expired", pgettext_lazy("booking status", "Expired")
    CANCELLED = "cancelled", pgettext_lazy("booking status", "Cancelled")
    CHECKED_OUT = "checked_out", pgettext_lazy("booking status", "Handed over")
    RETURNED = "returned", pgettext_lazy("booking status", "Returned")
    COMPLETED = "completed", pgettext_lazy("booking status", "Completed")
    NO_SHOW = "no_show", pgettext_lazy("booking status", "No-show")


# Bookings in these states hold their slot: a request waiting for a decision blocks the time as much as
# a confirmed booking (otherwise approving would have to re-check, and a second request could slip in).
# Migration 0002 repeats this list in the exclusion constraint's WHERE clause; a test compares the two.
ACTIVE_STATUSES = (BookingStatus.REQUESTED, BookingStatus.CONFIRMED, BookingStatus.CHECKED_OUT)


class BookingQuerySet(models.QuerySet["Booking"]):
    def active(self) -> "BookingQuerySet":
        """Bookings that hold their (blocked) interval."""
        return self.filter(status__in=ACTIVE_STATUSES)

    def blocking(self, start, end) -> "BookingQuerySet":
        """Bookings whose blocked interval overlaps ``[start, end)`` (half-open on both sides)."""
        return self.filter(blocked_start__lt=end, blocked_end__gt=start)


class Booking(models.Model):
    Status = BookingStatus

    resource = models.ForeignKey(
        Resource, verbose_name=_("resource"), on_delete=models.PROTECT, related_name="bookings"
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="bookings",
        null=True,
        blank=True,
        help_text=_("The organisation the booking is for; empty when a person books a public resource."),
    )
    # SET_NULL: deleting an account (GDPR) keeps the booking for the statistics, without the person.
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("booked by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="bookings",
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"), help_text=_("Exclusive: a booking until 10:00 leaves 10:00 free."))
    blocked_start = models.DateTimeField(
        _("blocked from"), help_text=_("The start minus the set-up buffer at the time of booking.")
    )
    blocked_end = models.DateTimeField(
        _("blocked until"), help_text=_("The end plus the tidy-up buffer at the time of booking.")
    )
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    purpose = models.CharField(_("purpose"), max_length=500, blank=True)
    participants = models.PositiveIntegerField(_("expected participants"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=BookingStatus.choices, default=BookingStatus.REQUESTED
    )
    # Copied from the resource (rooms and skills are exclusive, equipment is not): the exclusion
    # constraint can only look at the booking's own row.
    exclusive = models.BooleanField(_("exclusive"), default=True)
    # A booking made as part of a bundle (room + projector + technician) or of a series of dates.
    request = models.ForeignKey(
        "BookingRequest",
        verbose_name=_("request"),
        on_delete=models.PROTECT,
        related_name="items",
        null=True,
        blank=True,
    )
    series = models.ForeignKey(
        "BookingSeries",
        verbose_name=_("series"),
        on_delete=models.PROTECT,
        related_name="bookings",
        null=True,
        blank=True,
    )
    # Handover (check-out and return): the transitions record when and by whom; these the rest.
    handed_over_to = models.CharField(
        _("handed over to"),
        max_length=200,
        blank=True,
        help_text=_("The person who received the key or the equipment."),
    )
    damage_report = models.TextField(
        _("damage report"), blank=True, help_text=_("Damage or missing parts noticed at the return.")
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    objects = BookingQuerySet.as_manager()

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["start", "pk"]
        indexes = [
            # Conflict checks, availability and the "free between" search: one resource (or a list of
            # them), blocked intervals overlapping a window.
            models.Index(fields=["resource", "blocked_start"], name="booking_resource_blocked"),
            # The sweeps (expire requests, complete past bookings) and the managers' inbox.
            models.Index(fields=["status"], name="booking_status"),
            # "My bookings" and the borrower's lists.
            models.Index(fields=["booked_by", "start"], name="booking_booked_by_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")),
                name="booking_end_after_start",
                violation_error_message=_("The end must be after the start."),
            ),
            models.CheckConstraint(
                condition=Q(blocked_start__lte=F("start")), name="booking_blocked_start_not_after_start"
            ),
            models.CheckConstraint(
                condition=Q(blocked_end__gte=F("end")), name="booking_blocked_end_not_before_end"
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="booking_quantity_at_least_one"),
            models.CheckConstraint(
                condition=Q(exclusive=False) | Q(quantity=1),
                name="booking_exclusive_means_one",
                violation_error_message=_("Rooms and skills are booked whole (quantity 1)."),
            ),
        ]

    def __str__(self) -> str:
        start = timezone.localtime(self.start)
        return f"{self.resource} {start:%Y-%m-%d %H:%M} ({self.get_status_display()})"

    @property
    def duration(self) -> timedelta:
        """The true length: instants subtracted, so a night across a clock change is 1 h shorter/longer."""
        return self.end - self.start

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class BookingTransition(models.Model):
    """One step of a booking's life: who moved it from which status to which, when and why."""

    booking = models.ForeignKey(
        Booking, verbose_name=_("booking"), on_delete=models.CASCADE, related_name="transitions"
    )
    from_status = models.CharField(_("from status"), max_length=12, choices=BookingStatus.choices, blank=True)
    to_status = models.CharField(_("to status"), max_length=12, choices=BookingStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty for automatic steps and for deleted accounts."),
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("booking step")
        verbose_name_plural = _("booking steps")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status or '–'} → {self.to_status}"


class BookingRequest(models.Model):
    """Several bookings made together — a room, a projector and a technician, possibly from three
    organisations — checked all or nothing. Each owner decides on its own part (its booking); the
    borrower sees one request with the state of every part. The request has no status of its own:
    it is what its parts are."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="booking_requests",
        null=True,
        blank=True,
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("booked by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="booking_requests",
    )
    purpose = models.CharField(_("purpose"), max_length=500, blank=True)
    participants = models.PositiveIntegerField(_("expected participants"), null=True, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("booking request")
        verbose_name_plural = _("booking requests")
        ordering = ["-created", "-pk"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.purpose}".strip()


class BookingSeries(models.Model):
    """Recurring dates of one resource: an RFC 5545 rule expanded in Berlin wall-clock time, so a weekly
    18:00 booking stays at 18:00 across the clock changes. Each date is an ordinary Booking (same
    rules, same guarantees); the series keeps the rule and the first date it was expanded from."""

    resource = models.ForeignKey(
        Resource, verbose_name=_("resource"), on_delete=models.PROTECT, related_name="booking_series"
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="booking_series",
        null=True,
        blank=True,
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("booked by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="booking_series",
    )
    rrule = models.CharField(
        _("recurrence rule"), max_length=500, help_text=_("RFC 5545, e.g. FREQ=WEEKLY;COUNT=10")
    )
    first_start = models.DateTimeField(_("first start"))
    first_end = models.DateTimeField(_("first end"))
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    purpose = models.CharField(_("purpose"), max_length=500, blank=True)
    participants = models.PositiveIntegerField(_("expected participants"), null=True, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("booking series")
        verbose_name_plural = _("booking series")
        ordering = ["-created", "-pk"]

    def __str__(self) -> str:
        return f"{self.resource} {self.rrule}"


class WaitlistStatus(models.TextChoices):
    WAITING = "waiting", pgettext_lazy("waitlist status", "Waiting")
    OFFERED = "offered", pgettext_lazy("waitlist status", "Offered")
    BOOKED = "booked", pgettext_lazy("waitlist status", "Booked")
    LAPSED = "lapsed", pgettext_lazy("waitlist status", "Lapsed")
    WITHDRAWN = "withdrawn", pgettext_lazy("waitlist status", "Withdrawn")


class WaitlistEntry(models.Model):
    """Someone waiting for a taken slot. When the slot frees up, the oldest eligible entry is offered it
    (status ``offered`` until ``offer_expires``); accepting books it through the ordinary service."""

    Status = WaitlistStatus

    resource = models.ForeignKey(
        Resource, verbose_name=_("resource"), on_delete=models.CASCADE, related_name="waitlist_entries"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="waitlist_entries",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="waitlist_entries",
        null=True,
        blank=True,
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    purpose = models.CharField(_("purpose"), max_length=500, blank=True)
    participants = models.PositiveIntegerField(_("expected participants"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=WaitlistStatus.choices, default=WaitlistStatus.WAITING
    )
    offered_at = models.DateTimeField(_("offered at"), null=True, blank=True)
    offer_expires = models.DateTimeField(_("offer expires"), null=True, blank=True)
    booking = models.ForeignKey(
        Booking,
        verbose_name=_("booking"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("waitlist entry")
        verbose_name_plural = _("waitlist entries")
        ordering = ["created", "pk"]
        indexes = [models.Index(fields=["resource", "status", "start"], name="waitlist_resource_status")]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="waitlist_end_after_start"),
        ]

    def __str__(self) -> str:
        start = timezone.localtime(self.start)
        return f"{self.resource} {start:%Y-%m-%d %H:%M} ({self.get_status_display()})"


class CalendarFeed(models.Model):
    """A person's secret iCalendar feed address. Only a hash of the token is stored (like invitations);
    revoking deletes the row, issuing a new one replaces it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="calendar_feed",
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    last_used = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return str(self.user)


class NotificationKind(models.TextChoices):
    REQUEST_RECEIVED = "request_received", pgettext_lazy("notification", "Request received")
    APPROVAL_NEEDED = "approval_needed", pgettext_lazy("notification", "Approval needed")
    CONFIRMED = "confirmed", pgettext_lazy("notification", "Booking confirmed")
    DECLINED = "declined", pgettext_lazy("notification", "Request declined")
    CANCELLED = "cancelled", pgettext_lazy("notification", "Booking cancelled")
    EXPIRED = "expired", pgettext_lazy("notification", "Request expired")
    WAITLIST_OFFER = "waitlist_offer", pgettext_lazy("notification", "Waitlist offer")
    CHECKED_OUT = "checked_out", pgettext_lazy("notification", "Handed over")
    RETURNED = "returned", pgettext_lazy("notification", "Returned")
    REMINDER = "reminder", pgettext_lazy("notification", "Reminder")
    RETURN_DUE = "return_due", pgettext_lazy("notification", "Return due")
    OVERDUE = "overdue", pgettext_lazy("notification", "Overdue")
    DIGEST = "digest", pgettext_lazy("notification", "Daily digest")


class DeliveryState(models.TextChoices):
    PENDING = "pending", pgettext_lazy("delivery", "Waiting to be sent")
    SENDING = "sending", pgettext_lazy("delivery", "Being sent")
    SENT = "sent", pgettext_lazy("delivery", "Sent")
    FAILED = "failed", pgettext_lazy("delivery", "Failed")
    SKIPPED = "skipped", pgettext_lazy("delivery", "Not sent by e-mail")


class Notification(models.Model):
    """One message to one person: shown in the notification centre, and sent by e-mail once.

    The row is the outbox (DESIGN.md invariant 5): the services write it in the same transaction as the
    change it tells about, so a broker that is down at booking time loses nothing — the sweep finds
    pending rows. ``key`` (kind, subject, sequence, recipient) is unique: the same event cannot make
    two rows, however often a sweep runs. The e-mail is claimed (``email_state`` pending → sending by a
    conditional UPDATE) before it is sent, so two workers never send the same row.
    """

    Kind = NotificationKind
    State = DeliveryState

    key = models.CharField(max_length=200, unique=True, editable=False)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    booking = models.ForeignKey(
        Booking,
        verbose_name=_("booking"),
        on_delete=models.CASCADE,
        related_name="notifications",
        null=True,
        blank=True,
    )
    waitlist_entry = models.ForeignKey(
        WaitlistEntry,
        verbose_name=_("waitlist entry"),
        on_delete=models.CASCADE,
        related_name="notifications",
        null=True,
        blank=True,
    )
    # Repeated messages of one kind about one thing (the 2nd overdue notice, the digest of a day).
    sequence = models.PositiveIntegerField(_("sequence"), default=0)
    mandatory = models.BooleanField(
        _("mandatory"), default=False, help_text=_("Sent by e-mail whatever the person's preferences say.")
    )
    # What the message needs beyond its booking: a comment, the side (borrower/owner), digest counts.
    context = models.JSONField(_("details"), default=dict, blank=True)
    created = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    email_state = models.CharField(
        _("e-mail"), max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    email_attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # The earliest time the next sending attempt may start: retries wait here (backoff), in the database,
    # never as a countdown task parked in the broker. The sweep also pushes it a little ahead when it
    # queues the row, so a queued row is not queued again unless its task got lost.
    email_due = models.DateTimeField(_("next attempt"), default=timezone.now)
    email_claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    email_sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    email_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_recipient_read"),
            models.Index(fields=["email_state", "email_due"], name="notification_email_due"),
            # "Has today's digest been written?" — the sweep asks it every minute (reminders.digest_catch_up);
            # one row per decider and day, so the index stays tiny.
            models.Index(fields=["sequence"], condition=Q(kind="digest"), name="notification_digest_day"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient}"

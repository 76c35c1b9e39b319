"""Bundles: one request for several resources — a room, a projector and a technician, possibly of three
organisations — checked all or nothing (``BookingRequest`` with one ``Booking`` per item).

Writes (services) and the reads that go with them (selectors) live here together; the pages
(buchungen/views/bundles.py) and the API (buchungen/api_bundles.py) call them.

How a bundle is placed (``booking_request_bundle``):
  1. every item is checked with ``services.request_check`` — without a lock — and the errors are
     collected *per item*, so a form or a program can show each item's problems next to it;
  2. in one transaction all resources are locked at once (``services.lock_resources``: primary-key order,
     so two bundles naming the same resources in opposite order cannot deadlock), then the items are
     placed one after the other with ``services.request_place``. The second item of a bundle sees the
     first: two items that overlap on the same room conflict with each other;
  3. any conflict (or a quota broken under the lock) rolls back everything and is reported for every
     item it concerns.

Each owner decides on its own part with the ordinary ``booking_approve`` / ``booking_decline``; the
request has no status of its own — its state (``booking_request_state``) is derived from its parts.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from buchungen import services
from buchungen.errors import BookingConflict, Interval
from buchungen.models import Booking, BookingRequest, BookingStatus
from konten.models import Membership, Organisation, User
from konten.services import require_perm
from ressourcen.models import Resource

S = BookingStatus

MAX_ITEMS = 10
MAX_PURPOSE_LENGTH = BookingRequest._meta.get_field("purpose").max_length


class BundleItem(TypedDict, total=False):
    resource: Resource
    start: datetime
    end: datetime
    quantity: int


# --- Errors ---------------------------------------------------------------------------------------------

ItemErrors = dict[str, list[str]]


class BundleItemsInvalid(ValidationError):
    """Some items of a bundle break a rule. A ``ValidationError`` keyed ``items`` (so any caller that
    knows only ValidationError still shows something sensible), with the structured errors in
    ``item_errors``: one dict ``{field: [messages]}`` per item, in the order of the items, ``{}`` for an
    item without problems. Fields are those of ``request_check``: ``resource``, ``start``, ``end``,
    ``quantity``, ``organisation`` (who may book, the quota) and ``__all__``."""

    def __init__(self, item_errors: list[ItemErrors]) -> None:
        self.item_errors = item_errors
        summary = [
            _("Item %(number)d: %(message)s") % {"number": index + 1, "message": message}
            for index, errors in enumerate(item_errors)
            for messages in errors.values()
            for message in messages
        ]
        super().__init__({"items": summary})


class BundleConflict(BookingConflict):
    """Some items' times are taken. ``conflicts`` holds every taken interval (as for a single booking);
    ``items`` the same intervals with the index of the item each stands in the way of, as
    ``(index, start, end)`` sorted by item and time — never who booked."""

    default_message = _("Part of this request is already booked at this time.")

    def __init__(self, items: list[tuple[int, datetime, datetime]], message: str | None = None) -> None:
        self.items = sorted(items)
        super().__init__([(start, end) for _index, start, end in self.items], message)

    def intervals_of(self, index: int) -> list[Interval]:
        return [(start, end) for item, start, end in self.items if item == index]


def _messages(error: ValidationError) -> ItemErrors:
    if hasattr(error, "error_dict"):
        return error.message_dict
    return {NON_FIELD_ERRORS: error.messages}


# --- Writes ---------------------------------------------------------------------------------------------


def booking_request_bundle(
    *,
    actor: User,
    items: list[BundleItem],
    organisation: Organisation | None = None,
    purpose: str = "",
    participants: int | None = None,
    now: datetime | None = None,
) -> BookingRequest:
    """Book several resources together, all or nothing, for ``organisation`` (or for ``actor`` alone
    where every resource is open to the public). ``items``: 1 to ``MAX_ITEMS`` dicts with ``resource``,
    ``start``, ``end`` (aware) and ``quantity`` (default 1); purpose and participants are the request's
    and are copied to every booking.

    Checks first, without a lock: the number of items, the purpose's length, then every item with
    ``request_check`` (who may book, membership — ``PermissionDenied`` —, active, duration, lead time,
    advance, quantity, bookable time). All items' errors are collected: ``BundleItemsInvalid`` (a
    ``ValidationError``) with one dict of field errors per item.

    Then one transaction: locks all the items' resources at once in primary-key order (no deadlock
    between two bundles), writes the ``BookingRequest`` and places the items in their order with
    ``request_place`` — quota and conflicts under the lock; a later item sees the earlier ones, so two
    items overlapping on one room conflict. Any refusal rolls back everything: a broken quota is a
    ``BundleItemsInvalid``, taken time a ``BundleConflict`` (a ``BookingConflict``) naming the taken
    intervals of every conflicting item with the item's index. Each booking is ``confirmed`` or
    ``requested`` as its resource's policy says; each owner decides on its own part.
    """
    if not actor.is_authenticated:
        raise PermissionDenied(_("Please log in to book."))
    if not items:
        raise ValidationError({"items": _("Add at least one resource to the request.")})
    if len(items) > MAX_ITEMS:
        raise ValidationError(
            {"items": _("A request can hold at most %(count)d resources.") % {"count": MAX_ITEMS}}
        )
    # The request's own fields first: otherwise every item would repeat the same message.
    if len(purpose) > MAX_PURPOSE_LENGTH:
        raise ValidationError(
            {
                "purpose": _("Describe the purpose in at most %(count)d characters.")
                % {"count": MAX_PURPOSE_LENGTH}
            }
        )
    if participants is not None and participants < 0:
        raise ValidationError({"participants": _("The number of participants cannot be negative.")})

    checked: list[tuple[Resource, datetime, datetime, int]] = []
    item_errors: list[ItemErrors] = []
    for item in items:
        resource, quantity = item["resource"], item.get("quantity", 1)
        try:
            start, end = services.request_check(
                actor=actor,
                resource=resource,
                start=item["start"],
                end=item["end"],
                quantity=quantity,
                organisation=organisation,
                purpose=purpose,
                participants=participants,
                now=now,
            )
        except ValidationError as error:
            item_errors.append(_messages(error))
        else:
            item_errors.append({})
            checked.append((resource, start, end, quantity))
    if any(item_errors):
        raise BundleItemsInvalid(item_errors)

    with services.exclusion_guard(), transaction.atomic():
        locked = services.lock_resources(resource for resource, *_rest in checked)
        request = BookingRequest.objects.create(
            organisation=organisation,
            booked_by=actor,
            purpose=purpose.strip(),
            participants=participants,
        )
        taken: list[tuple[int, datetime, datetime]] = []
        place_errors: list[ItemErrors] = [{} for _item in checked]
        placed: list[Booking] = []
        for index, (resource, start, end, quantity) in enumerate(checked):
            try:
                booking = services.request_place(
                    actor=actor,
                    resource=locked[resource.pk],
                    start=start,
                    end=end,
                    quantity=quantity,
                    organisation=organisation,
                    purpose=purpose,
                    participants=participants,
                    request=request,
                )
                placed.append(booking)
            except BookingConflict as conflict:
                # Go on with the other items: the answer names every item that is in the way. What
                # was written so far is rolled back when the exception below leaves the block.
                taken.extend((index, start, end) for start, end in conflict.conflicts)
            except ValidationError as error:
                place_errors[index] = _messages(error)
        if any(place_errors):
            raise BundleItemsInvalid(place_errors)
        if taken:
            raise BundleConflict(taken)
        # The borrower one message about the whole request, each decider one about their parts.
        services.booking_notify_placed(placed, context={"request": request.pk})
    return request


def _cancellable(part: Booking, now: datetime) -> bool:
    return part.status in (S.REQUESTED, S.CONFIRMED) and part.end > now


@transaction.atomic
def booking_request_cancel(
    *, actor: User, request: BookingRequest, comment: str = "", now: datetime | None = None
) -> BookingRequest:
    """Cancel every part of ``request`` that still holds its slot and has not ended (``requested`` or
    ``confirmed``), with ``booking_cancel`` — which checks ``buchungen.cancel_booking`` on each part:
    whoever booked and the members of the borrowing organisation may; the owner of one part may not
    cancel the others'. One transaction: a refusal on one part cancels none. The parts' rows are locked
    in primary-key order first. Nothing left to cancel is a ``ValidationError``."""
    now = now or timezone.now()
    parts = list(
        Booking.objects.select_for_update(of=("self",))
        .select_related("resource", "resource__organisation", "organisation")
        .filter(request=request)
        .order_by("pk")
    )
    if not parts:
        raise ValidationError(_("This request has no parts."))
    for part in parts:
        require_perm(actor, "buchungen.cancel_booking", part)
    open_parts = [part for part in parts if _cancellable(part, now)]
    if not open_parts:
        raise ValidationError(_("Nothing of this request can be cancelled any more."))
    cancelled = [
        services.booking_cancel(actor=actor, booking=part, comment=comment, now=now, notify=False)
        for part in open_parts
    ]
    services.booking_notify_cancelled(
        cancelled, actor=actor, comment=comment, context={"request": request.pk}
    )
    return request


# --- Reads ----------------------------------------------------------------------------------------------


def booking_requests_visible_to(user: User) -> QuerySet[BookingRequest]:
    """The one place that scopes requests by person: those the person made and those of every
    organisation they belong to; the coordinator sees all. (Owners see their own part as a booking.)"""
    if not user.is_authenticated:
        return BookingRequest.objects.none()
    if user.is_coordinator:
        return BookingRequest.objects.all()
    member_of = Membership.objects.filter(user=user).values("organisation_id")
    return BookingRequest.objects.filter(Q(booked_by=user) | Q(organisation_id__in=member_of))


def booking_requests_list(*, user: User) -> QuerySet[BookingRequest]:
    """Requests ``user`` may see, newest first, with their parts (in the order of the items) and
    everything a list shows: three queries whatever the number of requests and parts."""
    parts = Booking.objects.select_related(
        "resource", "resource__organisation", "organisation", "booked_by"
    ).order_by("pk")
    return (
        booking_requests_visible_to(user)
        .select_related("organisation", "booked_by")
        .prefetch_related(Prefetch("items", queryset=parts))
        .order_by("-created", "-pk")
    )


# The parts' statuses in four groups for the request's state.
ACCEPTED = frozenset({S.CONFIRMED, S.CHECKED_OUT, S.RETURNED, S.COMPLETED, S.NO_SHOW})
REFUSED = frozenset({S.DECLINED, S.EXPIRED})


class RequestStateCode:
    CONFIRMED = "confirmed"
    WAITING = "waiting"
    PARTLY_DECLINED = "partly_declined"
    DECLINED = "declined"
    PARTLY_CANCELLED = "partly_cancelled"
    CANCELLED = "cancelled"

    ALL = (CONFIRMED, WAITING, PARTLY_DECLINED, DECLINED, PARTLY_CANCELLED, CANCELLED)


@dataclass(frozen=True)
class RequestState:
    """What a request is, from its parts: ``code`` (one of ``RequestStateCode.ALL``), the counts, and a
    sentence for people (``label``)."""

    code: str
    total: int
    accepted: int
    waiting: int
    refused: int
    cancelled: int
    cancellable: int  # parts ``booking_request_cancel`` would cancel now

    @property
    def can_cancel(self) -> bool:
        return self.cancellable > 0

    @property
    def label(self) -> str:
        code = self.code
        if code == RequestStateCode.CONFIRMED:
            return _("All parts confirmed")
        if code == RequestStateCode.WAITING:
            return ngettext(
                "Waiting for %(count)d decision", "Waiting for %(count)d decisions", self.waiting
            ) % {"count": self.waiting}
        if code == RequestStateCode.PARTLY_DECLINED:
            return _("Partly declined: %(count)d of %(total)d parts declined or expired") % {
                "count": self.refused,
                "total": self.total,
            }
        if code == RequestStateCode.DECLINED:
            return _("Declined")
        if code == RequestStateCode.PARTLY_CANCELLED:
            return _("Partly cancelled")
        return _("Cancelled")


def booking_request_state(
    request: BookingRequest, parts: list[Booking] | None = None, now: datetime | None = None
) -> RequestState:
    """The request's overall state, from its parts (``parts`` if given, else ``request.items`` — use
    the prefetched ones of ``booking_requests_list`` to stay free of queries):

    - ``declined``: every part declined or expired;
    - ``cancelled``: no part confirmed or waiting any more, and some were cancelled;
    - ``partly_declined``: some part declined or expired, others confirmed or waiting;
    - ``waiting``: some part waits for its owner's decision (``waiting`` says how many);
    - ``partly_cancelled``: the rest confirmed, some cancelled;
    - ``confirmed``: every part confirmed (or handed over, returned, completed).
    """
    if parts is None:
        parts = list(request.items.all())
    statuses = Counter(part.status for part in parts)
    total = len(parts)
    accepted = sum(count for status, count in statuses.items() if status in ACCEPTED)
    refused = sum(count for status, count in statuses.items() if status in REFUSED)
    waiting = statuses[S.REQUESTED]
    cancelled = statuses[S.CANCELLED]
    now = now or timezone.now()
    cancellable = sum(1 for part in parts if _cancellable(part, now))
    if not (accepted or waiting):
        code = RequestStateCode.DECLINED if refused == total else RequestStateCode.CANCELLED
    elif refused:
        code = RequestStateCode.PARTLY_DECLINED
    elif waiting:
        code = RequestStateCode.WAITING
    elif cancelled:
        code = RequestStateCode.PARTLY_CANCELLED
    else:
        code = RequestStateCode.CONFIRMED
    return RequestState(
        code=code,
        total=total,
        accepted=accepted,
        waiting=waiting,
        refused=refused,
        cancelled=cancelled,
        cancellable=cancellable,
    )


def bundle_resources_bookable_by(user: User) -> QuerySet[Resource]:
    """Active resources ``user`` may put into a request at all (the audience of each resource's policy):
    public ones for everyone, network ones for members of any organisation, organisation-only ones for
    members of the owning organisation. By kind and name, with the owner (one query)."""
    audience = Q(audience=Resource.Audience.PUBLIC)
    if user.is_authenticated and Membership.objects.filter(user=user).exists():
        member_of = Membership.objects.filter(user=user).values("organisation_id")
        audience |= Q(audience=Resource.Audience.NETWORK) | Q(
            audience=Resource.Audience.ORGANISATION, organisation_id__in=member_of
        )
    return (
        Resource.objects.active()
        .filter(audience)
        .select_related("organisation")
        .order_by("kind", "name", "pk")
    )


def conflict_items(conflict: BookingConflict, count: int) -> list[list[Interval]]:
    """The taken intervals per item (``count`` items) of a conflict; a plain ``BookingConflict`` (the
    database's last guard) cannot say which item it concerns and is given to none."""
    per_item: list[list[Interval]] = [[] for _item in range(count)]
    for index, start, end in getattr(conflict, "items", []):
        if 0 <= index < count:
            per_item[index].append((start, end))
    return per_item

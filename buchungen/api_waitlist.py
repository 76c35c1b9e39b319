"""REST API of the waitlist (docs/booking-waitlist.md): the caller's entries, joining, accepting an offer,
withdrawing. A person sees and changes only their own entries; any other id is a 404.

The input of ``POST /waitlist/`` is a booking request's (``BookingCreateSerializer``): a program that got
a 409 from ``POST /bookings/`` can send the same body here.
"""

from django.db.models import Case, QuerySet, Value, When
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.viewsets import GenericViewSet

from buchungen import waitlist
from buchungen.api import (
    CONFLICT_RESPONSE,
    BookingCreateSerializer,
    BookingSerializer,
    ConflictAs409,
    ResourceRefSerializer,
)
from buchungen.models import WaitlistEntry
from konten.api import OrganisationRefSerializer, error_responses
from ressourcen.api import LocalDateTimeField


class WaitlistEntrySerializer(serializers.ModelSerializer):
    # A plain string: a second enum named "status" next to the booking's would make the schema generator
    # warn about the name collision.
    status = serializers.CharField(
        read_only=True, help_text="`waiting`, `offered`, `booked`, `lapsed` or `withdrawn`."
    )
    resource = ResourceRefSerializer(read_only=True)
    organisation = OrganisationRefSerializer(
        read_only=True, allow_null=True, help_text="The organisation the booking would be for."
    )
    start = LocalDateTimeField(read_only=True)
    end = LocalDateTimeField(read_only=True, help_text="Exclusive.")
    offered_at = LocalDateTimeField(read_only=True, allow_null=True, help_text="Set while `offered`.")
    offer_expires = LocalDateTimeField(
        read_only=True,
        allow_null=True,
        help_text="Accept before this; afterwards the offer lapses and goes to the next entry.",
    )
    booking = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="Id of the booking made by accepting (`booked`)."
    )
    created = LocalDateTimeField(read_only=True)

    class Meta:
        model = WaitlistEntry
        fields = [
            "id",
            "status",
            "resource",
            "organisation",
            "start",
            "end",
            "quantity",
            "purpose",
            "participants",
            "offered_at",
            "offer_expires",
            "booking",
            "created",
        ]
        read_only_fields = fields


class AcceptedSerializer(serializers.Serializer):
    entry = WaitlistEntrySerializer()
    booking = BookingSerializer()


_detail_errors = error_responses(400, 401, 403, 404)


@extend_schema_view(
    list=extend_schema(
        tags=["waitlist"],
        summary="The caller's waitlist entries",
        description="All of the caller's entries, waiting and offered first (by start), then the others.",
        responses={200: WaitlistEntrySerializer(many=True), **error_responses(401)},
    ),
    retrieve=extend_schema(
        tags=["waitlist"],
        summary="One waitlist entry",
        responses={200: WaitlistEntrySerializer, **error_responses(401, 404)},
    ),
    create=extend_schema(
        tags=["waitlist"],
        summary="Join the waitlist for a taken time",
        description=(
            "The body of a booking request. Every booking rule is checked; the time must be taken right "
            "now (a free time is a 400: book it directly), and the caller may have only one waiting or "
            "offered entry per resource and overlapping time. 201 with status `waiting`."
        ),
        request=BookingCreateSerializer,
        responses={201: WaitlistEntrySerializer, **error_responses(400, 401, 403)},
    ),
    accept=extend_schema(
        tags=["waitlist"],
        summary="Accept an offer",
        description=(
            "Books the offered time through the ordinary booking request (all rules again). An offer "
            "does not hold the time: if someone booked it directly meanwhile the answer is a 409 and the "
            "entry is `waiting` again, in its place. A rule that now refuses the request is a 400 (or a "
            "403 when the membership ended) and the entry has lapsed. An entry that is not `offered` or "
            "whose offer expired is a 400."
        ),
        request=None,
        responses={200: AcceptedSerializer, **_detail_errors, **CONFLICT_RESPONSE},
    ),
    withdraw=extend_schema(
        tags=["waitlist"],
        summary="Leave the waitlist",
        description=(
            "`waiting`/`offered` → `withdrawn`; a withdrawn offer goes to the next entry in line. "
            "Any other status is a 400."
        ),
        request=None,
        responses={200: WaitlistEntrySerializer, **_detail_errors},
    ),
)
class WaitlistViewSet(ConflictAs409, GenericViewSet):
    serializer_class = WaitlistEntrySerializer
    # Scoped to the caller's own entries: nobody else's exists for them (404); the services check the
    # person again.
    permission_classes = [IsAuthenticated]
    filter_backends: list = []
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> QuerySet[WaitlistEntry]:
        if not self.request.user.is_authenticated:  # the schema generator asks without a login
            return WaitlistEntry.objects.none()
        return WaitlistEntry.objects.filter(person=self.request.user).select_related(
            "resource", "resource__organisation", "organisation"
        )

    def list(self, request: Request) -> Response:
        entries = (
            self.get_queryset()
            .alias(closed=Case(When(status__in=waitlist.OPEN_STATUSES, then=Value(0)), default=Value(1)))
            .order_by("closed", "start", "pk")
        )
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(WaitlistEntrySerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(WaitlistEntrySerializer(self.get_object()).data)

    def create(self, request: Request) -> Response:
        serializer = BookingCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        entry = waitlist.waitlist_join(actor=request.user, **serializer.validated_data)
        entry = self.get_queryset().get(pk=entry.pk)
        location = reverse("waitlist-detail", kwargs={"pk": entry.pk}, request=request)
        return Response(
            WaitlistEntrySerializer(entry).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": location},
        )

    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str) -> Response:
        entry = waitlist.waitlist_accept(actor=request.user, entry=self.get_object())
        entry = self.get_queryset().select_related("booking__resource__organisation").get(pk=entry.pk)
        return Response(
            {"entry": WaitlistEntrySerializer(entry).data, "booking": BookingSerializer(entry.booking).data}
        )

    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str) -> Response:
        entry = waitlist.waitlist_withdraw(actor=request.user, entry=self.get_object())
        return Response(WaitlistEntrySerializer(self.get_queryset().get(pk=entry.pk)).data)

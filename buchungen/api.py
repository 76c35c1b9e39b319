"""REST API for bookings: request, list, read, and the lifecycle steps (API.md).

Views stay thin: serializers check the shape of the input, ``buchungen.services`` check permissions and
rules and write, ``selectors.bookings_visible_to`` decides which bookings a caller sees at all —
everything else is a 404, so nobody learns that a booking they may not see exists.

Times as in the catalogue's API (``ressourcen.api``): ISO 8601 in, without an offset Berlin wall-clock
time; out always with the Berlin offset of the instant.
"""

from typing import Any

from django.db.models import Prefetch, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.viewsets import GenericViewSet

from buchungen import selectors, services
from buchungen.errors import BookingConflict
from buchungen.models import Booking, BookingStatus, BookingTransition
from konten.api import OrganisationRefSerializer, RulesActionPermission, error_responses
from konten.models import Organisation, User
from konten.serialization import PlainColumnsMixin, WholeNumberField
from ressourcen.api import LocalDateTimeField, local_isoformat
from ressourcen.models import Resource
from ressourcen.selectors import resources_visible_to

# Ids beyond a signed 64-bit integer would overflow the database driver (a 500, not a 400).
MAX_ID = 2**63 - 1


def _id_field() -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID)


# --- Output ----------------------------------------------------------------------------------------------


class PersonSerializer(PlainColumnsMixin, serializers.ModelSerializer):
    """A person by name only — never the e-mail address."""

    class Meta:
        model = User
        fields = ["id", "name"]
        read_only_fields = fields


class ResourceRefSerializer(PlainColumnsMixin, serializers.ModelSerializer):
    organisation = OrganisationRefSerializer(read_only=True, help_text="The owning organisation.")

    class Meta:
        model = Resource
        fields = ["id", "slug", "name", "kind", "organisation"]
        read_only_fields = fields


class BookingSerializer(PlainColumnsMixin, serializers.ModelSerializer):
    resource = ResourceRefSerializer(read_only=True)
    organisation = OrganisationRefSerializer(
        read_only=True, allow_null=True, help_text="The borrowing organisation; null for a person alone."
    )
    booked_by = PersonSerializer(
        read_only=True, allow_null=True, help_text="Null once the account is deleted."
    )
    start = LocalDateTimeField(read_only=True)
    end = LocalDateTimeField(read_only=True, help_text="Exclusive.")
    blocked_start = LocalDateTimeField(read_only=True, help_text="`start` minus the set-up buffer.")
    blocked_end = LocalDateTimeField(read_only=True, help_text="`end` plus the tidy-up buffer.")
    created = LocalDateTimeField(read_only=True)
    updated = LocalDateTimeField(read_only=True)

    class Meta:
        model = Booking
        fields = [
            "id",
            "status",
            "resource",
            "organisation",
            "booked_by",
            "start",
            "end",
            "blocked_start",
            "blocked_end",
            "quantity",
            "purpose",
            "participants",
            "created",
            "updated",
        ]
        read_only_fields = fields


class TransitionSerializer(PlainColumnsMixin, serializers.ModelSerializer):
    from_status = serializers.CharField(
        read_only=True, help_text="Empty for the step that created the booking."
    )
    # A plain string: the same choices as the booking's ``status`` under a second enum name would make
    # the schema generator warn.
    to_status = serializers.CharField(read_only=True, help_text="A booking status, as `status` of a booking.")
    actor = PersonSerializer(read_only=True, allow_null=True, help_text="Null for automatic steps.")
    at = LocalDateTimeField(read_only=True)

    class Meta:
        model = BookingTransition
        fields = ["from_status", "to_status", "actor", "at", "comment"]
        read_only_fields = fields


class BookingDetailSerializer(BookingSerializer):
    """Only for callers who may see the booking (the viewset's scoped queryset): the hand-over notes
    name a person and describe damage."""

    transitions = TransitionSerializer(many=True, read_only=True)
    handed_over_to = serializers.CharField(
        read_only=True, help_text="Who received the key or the equipment (set at check-out)."
    )
    damage_report = serializers.CharField(
        read_only=True, help_text="Damage or missing parts noticed at the return."
    )

    class Meta(BookingSerializer.Meta):
        fields = [*BookingSerializer.Meta.fields, "handed_over_to", "damage_report", "transitions"]
        read_only_fields = fields


class ConflictIntervalSerializer(serializers.Serializer):
    start = LocalDateTimeField()
    end = LocalDateTimeField()


class ConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    conflicts = ConflictIntervalSerializer(many=True, help_text="The taken periods — never who booked.")


CONFLICT_RESPONSE = {
    409: OpenApiResponse(
        response=ConflictSerializer,
        description=(
            "The time is taken: `conflicts` lists the taken periods (for rooms and skills the blocked "
            "intervals in the way, for equipment the periods with too few units left), never who booked."
        ),
    )
}


# --- Input -----------------------------------------------------------------------------------------------


class VisibleResourceField(serializers.PrimaryKeyRelatedField):
    """A resource id; resources the caller may not see are unknown ids, exactly like ids that do not
    exist (an inactive resource's existence is not revealed)."""

    def get_queryset(self) -> QuerySet[Resource]:
        return resources_visible_to(self.context["request"].user)


class BookingCreateSerializer(serializers.Serializer):
    resource = VisibleResourceField(pk_field=_id_field(), help_text="Id of the resource.")
    start = LocalDateTimeField(help_text="ISO 8601; without offset it is Berlin time.")
    end = LocalDateTimeField(help_text="Exclusive; must be after `start`.")
    quantity = serializers.IntegerField(
        default=1, min_value=-MAX_ID, max_value=MAX_ID, help_text="Units (equipment); 1 for rooms and skills."
    )
    organisation = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(),
        pk_field=_id_field(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Id of the organisation the booking is for (the caller must belong to it). Leave out "
        "only for resources open to the public, to book as a person.",
    )
    purpose = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
    participants = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=0, max_value=1_000_000
    )


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class DeclineSerializer(serializers.Serializer):
    comment = serializers.CharField(
        max_length=2000, help_text="The reason; the borrower reads it.", allow_blank=True
    )


class CheckOutSerializer(CommentSerializer):
    comment = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=2000,
        help_text="The condition at hand-over.",
    )
    handed_over_to = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=200,
        help_text="The person who received the key or the equipment.",
    )


class ReturnSerializer(CommentSerializer):
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=2000, help_text="The condition at return."
    )
    damage_report = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=2000,
        help_text="Damage or missing parts noticed at the return.",
    )


class BookingListQuerySerializer(serializers.Serializer):
    def get_fields(self) -> dict[str, serializers.Field]:
        # ``from`` is a Python keyword, so the fields cannot be class attributes.
        return {
            "status": serializers.ChoiceField(choices=BookingStatus.choices, required=False),
            "resource": WholeNumberField(required=False, min_value=1, max_value=MAX_ID),
            "organisation": WholeNumberField(required=False, min_value=1, max_value=MAX_ID),
            "from": LocalDateTimeField(required=False),
            "to": LocalDateTimeField(required=False),
        }


LIST_PARAMETERS = [
    OpenApiParameter("status", str, enum=list(BookingStatus.values)),
    OpenApiParameter("resource", int, description="Id of the resource."),
    OpenApiParameter("organisation", int, description="Id of the borrowing organisation."),
    OpenApiParameter("from", OpenApiTypes.DATETIME, description="Only bookings ending after this."),
    OpenApiParameter("to", OpenApiTypes.DATETIME, description="Only bookings starting before this."),
]


# --- The viewset -----------------------------------------------------------------------------------------

_step_errors = {**error_responses(400, 401, 403, 404)}


def _step_schema(summary: str, description: str, request=CommentSerializer) -> dict[str, Any]:
    return {
        "tags": ["bookings"],
        "summary": summary,
        "description": description
        + " A step the booking's status does not allow is a 400 (`non_field_errors`).",
        "request": request,
        "responses": {200: BookingDetailSerializer, **_step_errors},
    }


def _with_transitions(queryset: QuerySet[Booking]) -> QuerySet[Booking]:
    return queryset.prefetch_related(
        Prefetch("transitions", queryset=BookingTransition.objects.select_related("actor"))
    )


class ConflictAs409:
    """Viewset mixin: a ``BookingConflict`` raised by a service answers 409 with the taken periods
    (API.md: ``{"detail", "conflicts": [{start, end}]}``, never who). Override ``conflict_body`` to add
    to it (the series add every date, the bundles the item of each period)."""

    def conflict_body(self, exc: BookingConflict) -> dict[str, Any]:
        return {
            "detail": exc.message,
            "conflicts": [
                {"start": local_isoformat(start), "end": local_isoformat(end)} for start, end in exc.conflicts
            ],
        }

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, BookingConflict):
            return Response(self.conflict_body(exc), status=status.HTTP_409_CONFLICT)
        return super().handle_exception(exc)


@extend_schema_view(
    list=extend_schema(
        tags=["bookings"],
        summary="The caller's bookings",
        description=(
            "Bookings the caller may see, by start: their own, those of their organisations, those of "
            "resources of organisations they manage, of skills they hold; the coordinator sees all. "
            "`from`/`to` keep bookings overlapping the window."
        ),
        parameters=LIST_PARAMETERS,
        responses={200: BookingSerializer(many=True), **error_responses(400, 401)},
    ),
    retrieve=extend_schema(
        tags=["bookings"],
        summary="One booking",
        description="With every step it took (`transitions`, oldest first).",
        responses={200: BookingDetailSerializer, **error_responses(401, 404)},
    ),
    create=extend_schema(
        tags=["bookings"],
        summary="Book a resource",
        description=(
            "Checks who may book, opening hours and closures, lead time, maximum advance, minimum and "
            "maximum duration, quantity and the monthly quota, then whether the time (widened by the "
            "resource's set-up and tidy-up buffers) is free. 201 with status `confirmed`, or `requested` "
            "when the resource needs approval. A broken rule is a 400 naming the field; a taken time "
            "is a 409 listing the taken periods. Intervals are half-open: ending at 10:00 and starting "
            "at 10:00 do not conflict."
        ),
        request=BookingCreateSerializer,
        responses={201: BookingSerializer, **error_responses(400, 401, 403), **CONFLICT_RESPONSE},
    ),
    approve=extend_schema(
        **_step_schema(
            "Approve a request",
            "Managers of the owning organisation and, for a skill, its holder. `requested` → `confirmed`.",
        )
    ),
    decline=extend_schema(
        **_step_schema(
            "Decline a request",
            "Same people as approving; `comment` (the reason) is required. `requested` → `declined`.",
            request=DeclineSerializer,
        )
    ),
    cancel=extend_schema(
        **_step_schema(
            "Cancel a booking",
            "Whoever booked, members of the borrowing organisation, the owner's managers and a skill's "
            "holder, before the booking ends. `requested`/`confirmed` → `cancelled`.",
        )
    ),
    check_out=extend_schema(
        **_step_schema(
            "Hand over",
            "Managers of the owning organisation; `comment` notes the condition, `handed_over_to` who "
            "received the key or the equipment. Not for skills. From one day before the start until the "
            "end. `confirmed` → `checked_out`.",
            request=CheckOutSerializer,
        )
    ),
    return_booking=extend_schema(
        **_step_schema(
            "Take back",
            "Managers of the owning organisation; `comment` records the condition, `damage_report` "
            "damage or missing parts. `checked_out` → `returned`.",
            request=ReturnSerializer,
        )
    ),
    no_show=extend_schema(
        **_step_schema(
            "Record a no-show",
            "Managers of the owning organisation, once the booking has started; `comment` optional. "
            "Any kind of resource. `confirmed` (or `completed`, which the sweep assumed after the end) "
            "→ `no_show`; the rest of the booking's time is freed for the waitlist.",
        )
    ),
)
class BookingViewSet(ConflictAs409, GenericViewSet):
    serializer_class = BookingSerializer
    # Every booking endpoint needs a login (401 without); the rules decide the rest.
    permission_classes = [IsAuthenticated, RulesActionPermission]
    action_perms = {
        "list": "buchungen.list_bookings",
        "create": "buchungen.add_booking",
        "retrieve": "buchungen.view_booking",
        "approve": "buchungen.approve_booking",
        "decline": "buchungen.approve_booking",
        "cancel": "buchungen.cancel_booking",
        "check_out": "buchungen.handover_booking",
        "return_booking": "buchungen.handover_booking",
        "no_show": "buchungen.mark_no_show",
    }
    filter_backends: list = []
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> QuerySet[Booking]:
        queryset = selectors.bookings_visible_to(self.request.user).select_related(
            "resource", "resource__organisation", "organisation", "booked_by"
        )
        if self.action == "retrieve":
            queryset = _with_transitions(queryset)
        return queryset

    def list(self, request: Request) -> Response:
        query = BookingListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        bookings = selectors.bookings_list(
            user=request.user,
            status=data.get("status", ""),
            resource_id=data.get("resource"),
            organisation_id=data.get("organisation"),
            start=data.get("from"),
            end=data.get("to"),
        )
        page = self.paginate_queryset(bookings)
        return self.get_paginated_response(BookingSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(BookingDetailSerializer(self.get_object()).data)

    def create(self, request: Request) -> Response:
        serializer = BookingCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        booking = services.booking_request(actor=request.user, **serializer.validated_data)
        location = reverse("booking-detail", kwargs={"pk": booking.pk}, request=request)
        return Response(
            BookingSerializer(booking).data, status=status.HTTP_201_CREATED, headers={"Location": location}
        )

    def _step(self, request: Request, service, serializer_class=CommentSerializer) -> Response:
        booking = self.get_object()
        body = serializer_class(data=request.data)
        body.is_valid(raise_exception=True)
        # Each body serializer names exactly the service's keyword arguments besides actor and booking.
        service(actor=request.user, booking=booking, **body.validated_data)
        # Read back through the scoped queryset: the answer shows what a GET would show.
        return Response(
            BookingDetailSerializer(_with_transitions(self.get_queryset()).get(pk=booking.pk)).data
        )

    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        return self._step(request, services.booking_approve)

    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str) -> Response:
        return self._step(request, services.booking_decline, DeclineSerializer)

    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        return self._step(request, services.booking_cancel)

    @action(detail=True, methods=["post"], url_path="check-out", url_name="check-out")
    def check_out(self, request: Request, pk: str) -> Response:
        return self._step(request, services.booking_check_out, CheckOutSerializer)

    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_booking(self, request: Request, pk: str) -> Response:
        return self._step(request, services.booking_return, ReturnSerializer)

    @action(detail=True, methods=["post"], url_path="no-show", url_name="no-show")
    def no_show(self, request: Request, pk: str) -> Response:
        return self._step(request, services.booking_no_show)

"""REST API for bundles: ``/api/v1/booking-requests/`` — one request for several resources, all or
nothing (buchungen/bundles.py; docs/booking-bundles.md).

As for single bookings (buchungen/api.py): serializers check the shape of the input, the service checks
rules and permissions and writes, ``bundles.booking_requests_visible_to`` decides which requests a caller
sees — any other id is a 404. Each part is an ordinary booking: its owner approves or declines it at
``/api/v1/bookings/{id}/approve/`` and ``…/decline/``.
"""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.viewsets import GenericViewSet

from buchungen import bundles
from buchungen.api import (
    MAX_ID,
    BookingSerializer,
    CommentSerializer,
    ConflictAs409,
    VisibleResourceField,
    _id_field,
)
from buchungen.errors import BookingConflict
from buchungen.models import BookingRequest
from konten.api import OrganisationRefSerializer, error_responses
from konten.models import Organisation
from ressourcen.api import LocalDateTimeField, local_isoformat

# --- Output ----------------------------------------------------------------------------------------------


class BookingRequestSerializer(serializers.ModelSerializer):
    organisation = OrganisationRefSerializer(
        read_only=True, allow_null=True, help_text="The borrowing organisation; null for a person alone."
    )
    created = LocalDateTimeField(read_only=True)
    state = serializers.SerializerMethodField(
        help_text=(
            "The request's state, from its parts: `confirmed` (every part), `waiting` (some part waits for "
            "its owner's decision), `partly_declined`, `declined`, `partly_cancelled`, `cancelled`."
        )
    )
    waiting_for = serializers.SerializerMethodField(help_text="How many parts wait for a decision.")
    state_label = serializers.SerializerMethodField(
        help_text="The state as a sentence, in the caller's language."
    )
    items = BookingSerializer(
        many=True, read_only=True, help_text="One booking per item, in the order of the items."
    )

    class Meta:
        model = BookingRequest
        fields = [
            "id",
            "organisation",
            "purpose",
            "participants",
            "created",
            "state",
            "waiting_for",
            "state_label",
            "items",
        ]
        read_only_fields = fields

    def _state(self, request: BookingRequest) -> bundles.RequestState:
        # Three fields read it: computed once per request, from the prefetched parts.
        cache = self.context.setdefault("_states", {})
        if request.pk not in cache:
            cache[request.pk] = bundles.booking_request_state(request, list(request.items.all()))
        return cache[request.pk]

    @extend_schema_field({"type": "string", "enum": list(bundles.RequestStateCode.ALL)})
    def get_state(self, request: BookingRequest) -> str:
        return self._state(request).code

    def get_waiting_for(self, request: BookingRequest) -> int:
        return self._state(request).waiting

    def get_state_label(self, request: BookingRequest) -> str:
        return self._state(request).label


class BundleConflictIntervalSerializer(serializers.Serializer):
    start = LocalDateTimeField()
    end = LocalDateTimeField()
    item = serializers.IntegerField(
        allow_null=True,
        help_text="Index (from 0) of the item in `items` this period is in the way of; null only when the "
        "database's last guard refused and the item is not known.",
    )


class BundleConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    conflicts = BundleConflictIntervalSerializer(
        many=True, help_text="The taken periods of every conflicting item — never who booked."
    )


# --- Input -----------------------------------------------------------------------------------------------


class BundleItemSerializer(serializers.Serializer):
    resource = VisibleResourceField(pk_field=_id_field(), help_text="Id of the resource.")
    start = LocalDateTimeField(help_text="ISO 8601; without offset it is Berlin time.")
    end = LocalDateTimeField(help_text="Exclusive; must be after `start`.")
    quantity = serializers.IntegerField(
        default=1, min_value=-MAX_ID, max_value=MAX_ID, help_text="Units (equipment); 1 for rooms and skills."
    )


class BookingRequestCreateSerializer(serializers.Serializer):
    organisation = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(),
        pk_field=_id_field(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Id of the organisation the request is for (the caller must belong to it). Leave out "
        "only when every resource is open to the public, to book as a person.",
    )
    purpose = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
    participants = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=0, max_value=1_000_000
    )
    items = BundleItemSerializer(
        many=True,
        allow_empty=False,
        max_length=bundles.MAX_ITEMS,
        help_text=f"1 to {bundles.MAX_ITEMS} items: the resources wanted together.",
    )


def _items_as_list(errors: dict, data) -> dict:
    """DRF reports a list's errors as ``{index: errors}`` for the failing entries only; the contract is
    one entry per item (``{}`` for a good one), as the service reports rule errors. Errors of the list
    as a whole (empty, too long) become a plain list of messages."""
    errors = dict(errors)
    items = errors.get("items")
    if isinstance(items, dict):
        if all(isinstance(key, int) for key in items):
            count = len(data["items"])
            errors["items"] = [items.get(index, {}) for index in range(count)]
        else:
            errors["items"] = [message for messages in items.values() for message in messages]
    return errors


# --- The viewset -----------------------------------------------------------------------------------------

ITEM_ERRORS_400 = OpenApiResponse(
    response={
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "items": {
                    "anyOf": [
                        {
                            "type": "object",
                            "additionalProperties": {"type": "array", "items": {"type": "string"}},
                        },
                        {"type": "string"},
                    ]
                },
                "description": (
                    "One object of field errors per item, `{}` for an item without problems; for errors "
                    "of the list as a whole (empty, more than 10 items) a list of messages instead."
                ),
            },
            "detail": {"type": "string"},
        },
        "additionalProperties": {"type": "array", "items": {"type": "string"}},
        "example": {"items": [{}, {"start": ["The start has already passed."]}]},
    },
    description=(
        "Invalid input or a broken rule. Errors of an item are reported per item: `items` is a list with "
        "one object per item, in the order sent. Errors of the request's own fields as usual."
    ),
)
BUNDLE_CONFLICT_409 = OpenApiResponse(
    response=BundleConflictSerializer,
    description=(
        "Part of the request is taken: `conflicts` lists the taken periods with the index of the item "
        "(`item`) each concerns, never who booked. Nothing has been booked."
    ),
)


@extend_schema_view(
    list=extend_schema(
        tags=["booking requests"],
        summary="The caller's booking requests",
        description=(
            "Requests the caller made and those of their organisations, newest first, each with its parts; "
            "the coordinator sees all. Owners see their part under `/api/v1/bookings/`."
        ),
        responses={200: BookingRequestSerializer(many=True), **error_responses(401)},
    ),
    retrieve=extend_schema(
        tags=["booking requests"],
        summary="One booking request",
        responses={200: BookingRequestSerializer, **error_responses(401, 404)},
    ),
    create=extend_schema(
        tags=["booking requests"],
        summary="Book several resources together",
        description=(
            "All or nothing: every item is checked as a single booking would be (`POST /api/v1/bookings/`), "
            "then all resources are locked together and the items placed in order — a later item sees the "
            "earlier ones, so two items overlapping on one room conflict. Any broken rule is a 400 with "
            "the errors per item, any taken time a 409 naming the items; nothing is written then. 201: "
            "each part is `confirmed` or `requested` as its resource's policy says, and each owner decides "
            "on its own part (`/api/v1/bookings/{id}/approve/`)."
        ),
        request=BookingRequestCreateSerializer,
        responses={
            201: BookingRequestSerializer,
            400: ITEM_ERRORS_400,
            **error_responses(401, 403),
            409: BUNDLE_CONFLICT_409,
        },
    ),
    cancel=extend_schema(
        tags=["booking requests"],
        summary="Cancel the whole request",
        description=(
            "Cancels every part that is still `requested` or `confirmed` and has not ended — whoever made "
            "the request and members of its organisation. A refusal on one part cancels none. Nothing "
            "left to cancel is a 400 (`non_field_errors`)."
        ),
        request=CommentSerializer,
        responses={200: BookingRequestSerializer, **error_responses(400, 401, 403, 404)},
    ),
)
class BookingRequestViewSet(ConflictAs409, GenericViewSet):
    serializer_class = BookingRequestSerializer
    permission_classes = [IsAuthenticated]
    filter_backends: list = []
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> QuerySet[BookingRequest]:
        return bundles.booking_requests_list(user=self.request.user)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, bundles.BundleItemsInvalid):
            return Response({"items": exc.item_errors}, status=status.HTTP_400_BAD_REQUEST)
        return super().handle_exception(exc)

    def conflict_body(self, exc: BookingConflict) -> dict[str, Any]:
        items = getattr(exc, "items", None) or [(None, start, end) for start, end in exc.conflicts]
        return {
            "detail": exc.message,
            "conflicts": [
                {"start": local_isoformat(start), "end": local_isoformat(end), "item": index}
                for index, start, end in items
            ],
        }

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(
            BookingRequestSerializer(page, many=True, context=self.get_serializer_context()).data
        )

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(
            BookingRequestSerializer(self.get_object(), context=self.get_serializer_context()).data
        )

    def create(self, request: Request) -> Response:
        serializer = BookingRequestCreateSerializer(data=request.data, context=self.get_serializer_context())
        if not serializer.is_valid():
            raise serializers.ValidationError(_items_as_list(serializer.errors, request.data))
        data = serializer.validated_data
        created = bundles.booking_request_bundle(
            actor=request.user,
            items=data["items"],
            organisation=data["organisation"],
            purpose=data["purpose"],
            participants=data["participants"],
        )
        booking_request = self.get_queryset().get(pk=created.pk)
        location = reverse("booking-request-detail", kwargs={"pk": created.pk}, request=request)
        return Response(
            BookingRequestSerializer(booking_request, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": location},
        )

    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        booking_request = self.get_object()
        body = CommentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        bundles.booking_request_cancel(
            actor=request.user, request=booking_request, comment=body.validated_data["comment"]
        )
        return Response(
            BookingRequestSerializer(
                self.get_queryset().get(pk=booking_request.pk), context=self.get_serializer_context()
            ).data
        )

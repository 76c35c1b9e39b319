"""REST API for booking series (API.md: ``POST /api/v1/booking-series/``), see docs/booking-series.md.

``POST`` previews (``preview: true``, 200, writes nothing) or books (201) the dates of an RFC 5545 rule
expanded in Berlin wall-clock time; ``GET {id}/`` reads a series with its bookings; ``POST
{id}/cancel-rest/`` cancels every date from a moment on. The services in ``buchungen.series`` check
permissions and rules; series the caller may not see are a 404.
"""

from typing import Any

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.viewsets import GenericViewSet

from buchungen import series as series_services
from buchungen.api import (
    BookingCreateSerializer,
    ConflictAs409,
    ConflictIntervalSerializer,
    PersonSerializer,
    ResourceRefSerializer,
)
from buchungen.errors import BookingConflict
from buchungen.models import Booking, BookingSeries
from konten.api import OrganisationRefSerializer, RulesActionPermission, error_responses
from ressourcen.api import LocalDateTimeField, local_isoformat

# --- Input -----------------------------------------------------------------------------------------------


class SeriesCreateSerializer(BookingCreateSerializer):
    start = LocalDateTimeField(help_text="Start of the first date; without offset it is Berlin time.")
    end = LocalDateTimeField(help_text="End of the first date (exclusive).")
    rrule = serializers.CharField(
        max_length=500,
        help_text="RFC 5545 rule, e.g. `FREQ=WEEKLY;COUNT=10` or `FREQ=MONTHLY;BYDAY=2TU;UNTIL=20261231`: "
        "FREQ (DAILY, WEEKLY, MONTHLY), INTERVAL, BYDAY, BYMONTHDAY and COUNT or UNTIL (one of them); "
        "at most 100 dates; no DTSTART (the first date is it).",
    )
    skip_conflicts = serializers.BooleanField(
        default=False, help_text="Book the free dates and leave out the others (else all or nothing)."
    )
    preview = serializers.BooleanField(default=False, help_text="Only show the dates; write nothing.")


class CancelRestSerializer(serializers.Serializer):
    def get_fields(self) -> dict[str, serializers.Field]:
        # ``from`` is a Python keyword, so the fields cannot be class attributes.
        return {
            "from": LocalDateTimeField(help_text="Dates starting at or after this are cancelled."),
            "comment": serializers.CharField(required=False, allow_blank=True, default="", max_length=2000),
        }


# --- Output ----------------------------------------------------------------------------------------------


class OccurrenceSerializer(serializers.Serializer):
    start = LocalDateTimeField()
    end = LocalDateTimeField()
    # A plain string: a second enum under the name "status" would collide with the booking status.
    status = serializers.CharField(help_text="`free` or `conflict`.")
    reason = serializers.CharField(
        required=False, help_text="Only for `conflict`: the rule in the way (never who booked)."
    )

    def to_representation(self, occurrence: series_services.Occurrence) -> dict:
        data = {
            "start": local_isoformat(occurrence.start),
            "end": local_isoformat(occurrence.end),
            "status": occurrence.status,
        }
        if not occurrence.is_free:
            data["reason"] = occurrence.reason
        return data


class SeriesResultSerializer(serializers.Serializer):
    id = serializers.IntegerField(required=False, help_text="The series' id (not in a preview).")
    occurrences = OccurrenceSerializer(many=True)
    created = serializers.ListField(child=serializers.IntegerField(), help_text="Ids of the bookings made.")


class SeriesConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    conflicts = ConflictIntervalSerializer(many=True, help_text="The taken periods — never who booked.")
    occurrences = OccurrenceSerializer(many=True)


class SeriesBookingSerializer(serializers.ModelSerializer):
    start = LocalDateTimeField(read_only=True)
    end = LocalDateTimeField(read_only=True)

    class Meta:
        model = Booking
        fields = ["id", "status", "start", "end"]
        read_only_fields = fields


class SeriesSerializer(serializers.ModelSerializer):
    resource = ResourceRefSerializer(read_only=True)
    organisation = OrganisationRefSerializer(read_only=True, allow_null=True)
    booked_by = PersonSerializer(read_only=True, allow_null=True)
    first_start = LocalDateTimeField(read_only=True)
    first_end = LocalDateTimeField(read_only=True)
    created = LocalDateTimeField(read_only=True)
    bookings = SeriesBookingSerializer(many=True, read_only=True)

    class Meta:
        model = BookingSeries
        fields = [
            "id",
            "resource",
            "organisation",
            "booked_by",
            "rrule",
            "first_start",
            "first_end",
            "quantity",
            "purpose",
            "participants",
            "created",
            "bookings",
        ]
        read_only_fields = fields


# --- The viewset -----------------------------------------------------------------------------------------


@extend_schema_view(
    create=extend_schema(
        tags=["booking series"],
        summary="Preview or book a series of dates",
        description=(
            "The rule is expanded in Berlin wall-clock time: a weekly 18:00 date stays at 18:00 across the "
            "clock changes. Every date is checked like a single booking. `preview: true` answers 200 with "
            "each date `free` or `conflict` (with a `reason`) and writes nothing. Otherwise 201 with the "
            "series' `id` and the ids of the bookings made. Without `skip_conflicts` it is all or nothing: "
            "a taken date is a 409 (with the taken periods and every date), a date breaking a rule a 400 "
            "listing the dates under `start`. With `skip_conflicts` the free dates are booked; if none is "
            "free, the same errors. A wall-clock time skipped by the spring change is a conflict."
        ),
        request=SeriesCreateSerializer,
        responses={
            200: OpenApiResponse(SeriesResultSerializer, description="Preview: nothing written."),
            201: SeriesResultSerializer,
            **error_responses(400, 401, 403),
            409: OpenApiResponse(
                SeriesConflictSerializer, description="Some dates are taken; nothing was booked."
            ),
        },
    ),
    retrieve=extend_schema(
        tags=["booking series"],
        summary="One series",
        description="With its bookings (every status), by start.",
        responses={200: SeriesSerializer, **error_responses(401, 404)},
    ),
    cancel_rest=extend_schema(
        tags=["booking series"],
        summary="Cancel the rest of a series",
        description=(
            "Cancels every requested or confirmed date starting at or after `from` (same people as "
            "cancelling one booking); all or none. Answers the series as `GET` shows it."
        ),
        request=CancelRestSerializer,
        responses={200: SeriesSerializer, **error_responses(400, 401, 403, 404)},
    ),
)
class BookingSeriesViewSet(ConflictAs409, GenericViewSet):
    serializer_class = SeriesSerializer
    permission_classes = [IsAuthenticated, RulesActionPermission]
    # A series carries the fields the booking rules read (booked_by, organisation, resource), so the
    # booking rules answer for it.
    action_perms = {
        "create": "buchungen.add_booking",
        "retrieve": "buchungen.view_booking",
        "cancel_rest": "buchungen.cancel_booking",
    }
    filter_backends: list = []
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> QuerySet[BookingSeries]:
        return (
            series_services.series_visible_to(self.request.user)
            .select_related("resource", "resource__organisation", "organisation", "booked_by")
            .prefetch_related(Prefetch("bookings", queryset=Booking.objects.order_by("start", "pk")))
        )

    def conflict_body(self, exc: BookingConflict) -> dict[str, Any]:
        body = super().conflict_body(exc)
        occurrences = getattr(exc, "occurrences", None)
        if occurrences is not None:
            body["occurrences"] = OccurrenceSerializer(occurrences, many=True).data
        return body

    def create(self, request: Request) -> Response:
        body = SeriesCreateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        preview = data.pop("preview")
        skip_conflicts = data.pop("skip_conflicts")
        if preview:
            occurrences = series_services.booking_series_preview(actor=request.user, **data)
            return Response(
                {"occurrences": OccurrenceSerializer(occurrences, many=True).data, "created": []},
                status=status.HTTP_200_OK,
            )
        series, occurrences = series_services.booking_series_create(
            actor=request.user, skip_conflicts=skip_conflicts, **data
        )
        location = reverse("booking-series-detail", kwargs={"pk": series.pk}, request=request)
        return Response(
            {
                "id": series.pk,
                "occurrences": OccurrenceSerializer(occurrences, many=True).data,
                "created": [occurrence.booking.pk for occurrence in occurrences if occurrence.booking],
            },
            status=status.HTTP_201_CREATED,
            headers={"Location": location},
        )

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(SeriesSerializer(self.get_object()).data)

    @action(detail=True, methods=["post"], url_path="cancel-rest", url_name="cancel-rest")
    def cancel_rest(self, request: Request, pk: str) -> Response:
        series = self.get_object()
        body = CancelRestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        series_services.booking_series_cancel_rest(
            actor=request.user,
            series=series,
            from_start=body.validated_data["from"],
            comment=body.validated_data["comment"],
        )
        return Response(SeriesSerializer(self.get_queryset().get(pk=series.pk)).data)

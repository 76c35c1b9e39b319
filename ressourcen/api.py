"""REST API for the catalogue: features, resources with their opening hours and closures, availability.

The same rule book as the pages: the list asks ``selectors.resource_search`` with a ``ResourceFilter``
(so page and API can never disagree about what "free" or "all features" means), writes go through
``ressourcen.services`` (which check permissions themselves), and ``resources_visible_to`` decides
which resources a caller may see at all — everything else is a 404.

Times (API.md): ISO 8601 in, a time without offset is Berlin wall-clock time; out, always with the
Berlin offset of that instant (``+01:00`` in winter, ``+02:00`` in summer). ``parse_local_datetime``
is the one parser for query parameters and bodies alike.
"""

from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.viewsets import GenericViewSet

from buchungen import selectors as booking_selectors
from konten.api import OPTIONAL_AUTH, OrganisationRefSerializer, RulesActionPermission, error_responses
from konten.models import Organisation, User

# The one import of the engine from the catalogue (DESIGN.md): what is taken — busy and free intervals,
# the "free between" filter — is the engine's read side, which the catalogue's API and pages call.
from konten.serialization import PlainColumnsMixin, WholeNumberField
from ressourcen import selectors, services
from ressourcen.models import POLICY_FIELDS, Closure, Feature, OpeningHours, Resource, ResourcePhoto

# An availability answer is computed day by day; two months cover any calendar view.
AVAILABILITY_MAX_DAYS = 62
# Far outside these years the day-by-day arithmetic of the selectors runs off the calendar
# (OverflowError near year 1 or 9999); nobody books there.
YEARS = range(1970, 3000)

# --- Times ----------------------------------------------------------------------------------------


def parse_local_datetime(value: str) -> datetime:
    """An aware datetime from ISO 8601 text (``2026-03-31T18:00``, ``…+02:00``, ``…Z``, ``2026-03-31``).

    Without an offset the text is Berlin wall-clock time, taken exactly as the catalogue takes opening
    hours: a time skipped by the spring change (02:30 on the last Sunday of March) lands after the gap,
    a repeated one in autumn is its first occurrence. Raises ``ValueError`` for anything else,
    including years outside ``YEARS``.
    """
    parsed = parse_datetime(value.strip())  # also raises ValueError for 2026-02-30 and the like
    if parsed is None or parsed.year not in YEARS:
        raise ValueError(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=selectors.local_zone())
    # Normalised to UTC: a wall-clock time in the spring gap keeps its impossible reading (02:30+01:00)
    # while its tzinfo is Berlin, and ``astimezone`` to the same zone would hand it back unchanged.
    return parsed.astimezone(UTC)


def local_isoformat(value: datetime) -> str:
    """ISO 8601 with the Berlin offset of that instant: ``2026-03-31T18:00:00+02:00``."""
    return value.astimezone(UTC).astimezone(selectors.local_zone()).isoformat()


@extend_schema_field(OpenApiTypes.DATETIME)
class LocalDateTimeField(serializers.Field):
    """ISO 8601 date and time; without an offset it is Berlin time. Written with the Berlin offset."""

    default_error_messages = {
        "invalid": gettext_lazy(
            "Enter a date and time in ISO 8601 form, e.g. 2026-03-31T18:00 (Berlin time) "
            "or 2026-03-31T18:00:00+02:00."
        ),
    }

    def to_internal_value(self, data: Any) -> datetime:
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            return parse_local_datetime(data)
        except ValueError:
            self.fail("invalid")

    def to_representation(self, value: datetime) -> str:
        return local_isoformat(value)


# --- Permissions -----------------------------------------------------------------------------------


class OrganisationScopedPermission(RulesActionPermission):
    """``RulesActionPermission`` for views that create something *in* an organisation.

    Creating is not an action on a loaded object, yet the rule (``ressourcen.add_resource``,
    ``ressourcen.manage_closures``) needs the organisation. For the actions in the view's
    ``organisation_actions`` this class only demands a login up front; the view then calls
    ``check_object_permissions(request, organisation)`` once it knows the organisation, which asks
    the mapped rule with it. (The services check the same rule again before writing.)
    """

    def has_permission(self, request: Request, view) -> bool:
        if view.action in getattr(view, "organisation_actions", ()):
            return bool(request.user and request.user.is_authenticated)
        return super().has_permission(request, view)


# --- Features ----------------------------------------------------------------------------------------


class FeatureSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True, help_text="The German name (the stored one).")
    name_en = serializers.CharField(read_only=True, help_text="The English name; may be empty.")
    icon = serializers.CharField(
        read_only=True, help_text="Name of the symbol the pages show (static/img/features/<icon>.svg)."
    )

    class Meta:
        model = Feature
        fields = ["slug", "name", "name_en", "category", "description", "icon"]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(
        tags=["features"],
        auth=OPTIONAL_AUTH,
        summary="List features",
        description=(
            "Accessibility, amenity and technical features resources can have, by category and position. "
            "Filter with `?category=accessibility`. Use the `slug` in the resources' `feature` filter."
        ),
        responses={200: FeatureSerializer(many=True), **error_responses(400, 404)},
    ),
    retrieve=extend_schema(
        tags=["features"],
        auth=OPTIONAL_AUTH,
        summary="One feature",
        responses={200: FeatureSerializer, **error_responses(404)},
    ),
)
class FeatureViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet):
    serializer_class = FeatureSerializer
    permission_classes = [RulesActionPermission]
    action_perms = {"list": None, "retrieve": None}
    lookup_field = "slug"
    filterset_fields = ["category"]
    queryset = Feature.objects.order_by("category", "position", "name")


# --- Resources: reading --------------------------------------------------------------------------


class HolderSerializer(PlainColumnsMixin, serializers.ModelSerializer):
    """The person behind a skill — the name only, never the e-mail address."""

    class Meta:
        model = User
        fields = ["id", "name"]
        read_only_fields = fields


class PhotoSerializer(PlainColumnsMixin, serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = ResourcePhoto
        fields = ["url", "alt_text"]
        read_only_fields = fields

    def get_url(self, photo: ResourcePhoto) -> str:
        return self.context["request"].build_absolute_uri(photo.image.url)


@extend_schema_field({"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]$", "example": "18:00"})
class WallClockTimeField(serializers.TimeField):
    """``HH:MM``: OpenAPI's ``time`` format would promise seconds and an offset (RFC 3339)."""

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


class OpeningHoursSerializer(PlainColumnsMixin, serializers.ModelSerializer):
    """One weekly range in Berlin wall-clock time (weekday 0 = Monday … 6 = Sunday)."""

    start = WallClockTimeField(help_text="Local time, e.g. `18:00`.")
    end = WallClockTimeField(help_text="Local time; `00:00` means midnight.")

    class Meta:
        model = OpeningHours
        fields = ["weekday", "start", "end"]


class ResourceSerializer(PlainColumnsMixin, serializers.ModelSerializer):
    """A resource as the catalogue shows it; list items and the detail have the same fields."""

    organisation = OrganisationRefSerializer(read_only=True)
    features = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="slug", help_text="Slugs of /api/v1/features/."
    )
    holder = HolderSerializer(read_only=True, allow_null=True, help_text="Skills only.")
    photos = PhotoSerializer(many=True, read_only=True)
    opening_hours = OpeningHoursSerializer(
        many=True,
        read_only=True,
        help_text="Weekly ranges in Berlin time; none at all means bookable at any time.",
    )
    area_m2 = serializers.DecimalField(
        max_digits=7, decimal_places=1, coerce_to_string=False, read_only=True, allow_null=True
    )
    replacement_value = serializers.DecimalField(
        max_digits=9, decimal_places=2, coerce_to_string=False, read_only=True, allow_null=True
    )
    page_url = serializers.SerializerMethodField(help_text="The resource's page in the catalogue.")

    class Meta:
        model = Resource
        fields = [
            "id",
            "slug",
            "kind",
            "name",
            "description",
            "organisation",
            "features",
            # Room
            "capacity",
            "capacity_standing",
            "area_m2",
            # Equipment
            "quantity",
            "condition",
            "replacement_value",
            "deposit_note",
            "pickup_place",
            # Skill
            "holder",
            "languages",
            "max_hours_per_month",
            # Location
            "address",
            "building",
            "floor",
            "directions",
            "photos",
            *POLICY_FIELDS,
            "is_active",
            "opening_hours",
            "page_url",
        ]
        read_only_fields = fields

    def get_page_url(self, resource: Resource) -> str:
        return self.context["request"].build_absolute_uri(resource.get_absolute_url())


def _with_details(queryset: QuerySet[Resource]) -> QuerySet[Resource]:
    """Everything ``ResourceSerializer`` reads, loaded in a fixed number of queries."""
    return selectors.resource_list_details(queryset).prefetch_related("opening_hours")


class ResourceListQuerySerializer(serializers.Serializer):
    """The shape of the list's query parameters; what they mean is checked by
    ``selectors.resource_filter_validate`` (unknown kind, feature or organisation, negative capacity,
    a period without end or ending before it starts, unknown sort order)."""

    q = serializers.CharField(required=False, allow_blank=True, default="")
    kind = serializers.CharField(required=False, allow_blank=True, default="")
    organisation = serializers.CharField(required=False, allow_blank=True, default="")
    feature = serializers.ListField(
        child=serializers.CharField(allow_blank=True), required=False, default=list
    )
    capacity_min = WholeNumberField(required=False, allow_null=True, default=None)
    free_from = LocalDateTimeField(required=False, allow_null=True, default=None)
    free_until = LocalDateTimeField(required=False, allow_null=True, default=None)
    sort = serializers.CharField(required=False, allow_blank=True, default="")
    ordering = serializers.CharField(required=False, allow_blank=True, default="")


_SORT_VALUES = list(selectors.SORTS)
RESOURCE_LIST_PARAMETERS = [
    OpenApiParameter(
        "q",
        str,
        description="Text: every word must appear in name, description, "
        "organisation, building or a feature's name.",
    ),
    OpenApiParameter("kind", str, enum=list(Resource.Kind.values)),
    OpenApiParameter("organisation", str, description="Slug of the owning organisation."),
    OpenApiParameter(
        "feature",
        str,
        many=True,
        explode=True,
        description="Feature slug; repeat it (`?feature=a&feature=b`): every one must hold.",
    ),
    OpenApiParameter("capacity_min", int, description="Seated capacity at least this (rooms)."),
    OpenApiParameter(
        "free_from",
        OpenApiTypes.DATETIME,
        description="With `free_until`: only resources bookable for the whole period (opening hours "
        "minus closures) and not booked then (one unit left, buffers included). ISO 8601; without "
        "offset it is Berlin time.",
    ),
    OpenApiParameter("free_until", OpenApiTypes.DATETIME, description="End of the period (exclusive)."),
    OpenApiParameter("sort", str, enum=_SORT_VALUES, description="Order of the results (default `name`)."),
    OpenApiParameter("ordering", str, enum=_SORT_VALUES, description="Same as `sort`."),
]


def resource_filter_from_query(query) -> tuple[selectors.ResourceFilter, str]:
    """The ``ResourceFilter`` for the list's query parameters, and the name the caller used for the
    sort order (``sort`` or ``ordering``). Malformed values are a 400 naming the parameter."""
    serializer = ResourceListQuerySerializer(data=query)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    free_from, free_until = data["free_from"], data["free_until"]
    if free_from and free_until and free_until - free_from > timedelta(days=AVAILABILITY_MAX_DAYS):
        # The free check walks every day of the period for every candidate; a period of centuries
        # would keep a worker busy for minutes. (The rule book has no such limit yet.)
        raise serializers.ValidationError(
            {"free_until": [_("Ask for at most %(days)s days at once.") % {"days": AVAILABILITY_MAX_DAYS}]}
        )
    sort_param = "sort" if data["sort"] or not data["ordering"] else "ordering"
    criteria = selectors.ResourceFilter(
        q=data["q"].strip(),
        kind=data["kind"].strip(),
        organisation=data["organisation"].strip(),
        features=tuple(dict.fromkeys(slug.strip() for slug in data["feature"] if slug.strip())),
        capacity_min=data["capacity_min"],
        free_from=free_from,
        free_until=free_until,
        sort=data[sort_param].strip() or "name",
    )
    return criteria, sort_param


# --- Resources: writing ----------------------------------------------------------------------------


class ResourceWriteSerializer(serializers.ModelSerializer):
    """The fields the API writes. ``organisation`` is fixed once created; ``kind`` cannot change."""

    features = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Feature slugs; replaces the resource's features. An unknown slug is a 400 naming it.",
    )

    class Meta:
        model = Resource
        fields = [
            "kind",
            "name",
            "slug",
            "description",
            "features",
            "capacity",
            "capacity_standing",
            "area_m2",
            "quantity",
            "condition",
            "replacement_value",
            "deposit_note",
            "pickup_place",
            "holder",
            "languages",
            "max_hours_per_month",
            "address",
            "building",
            "floor",
            "directions",
            "audience",
            "requires_approval",
            "lead_time_hours",
            "max_advance_days",
            "min_duration_minutes",
            "max_duration_minutes",
            "buffer_before_minutes",
            "buffer_after_minutes",
            "quota_hours_per_month",
            "is_active",
        ]
        extra_kwargs = {
            "slug": {"required": False, "help_text": "Made from the name when left out."},
            "holder": {"help_text": "Skills only: id of a member of the owning organisation."},
        }


class ResourceCreateSerializer(ResourceWriteSerializer):
    organisation = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(), help_text="Id of the owning organisation."
    )

    class Meta(ResourceWriteSerializer.Meta):
        fields = ["organisation", *ResourceWriteSerializer.Meta.fields]


class OrganisationChoiceSerializer(serializers.Serializer):
    organisation = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all())


def _split_features(data: dict[str, Any]) -> tuple[dict[str, Any], list[Feature] | None]:
    data = dict(data)
    slugs = data.pop("features", None)
    return data, (None if slugs is None else services.features_by_slugs(slugs))


def opening_hours_ranges(data: Any) -> list[tuple[int, time, time]]:
    """The PUT body of opening hours — a list of ``{weekday, start, end}`` — as the service's ranges.

    Messages of every range are collected under ``opening_hours`` (numbered from 1), so the answer
    keeps the ``{"field": ["message"]}`` form instead of DRF's nested list of dicts.
    """
    if not isinstance(data, list):
        raise DjangoValidationError({"opening_hours": _("Send a list of ranges {weekday, start, end}.")})
    ranges: list[tuple[int, time, time]] = []
    errors: list[str] = []
    for number, item in enumerate(data, start=1):
        serializer = OpeningHoursSerializer(data=item)
        if serializer.is_valid():
            value = serializer.validated_data
            ranges.append((value["weekday"], value["start"], value["end"]))
            continue
        for field, messages in serializer.errors.items():
            for message in messages:
                errors.append(
                    _("Range %(number)s, %(field)s: %(message)s")
                    % {"number": number, "field": field, "message": message}
                    if field in OpeningHoursSerializer.Meta.fields
                    else _("Range %(number)s: %(message)s") % {"number": number, "message": message}
                )
    if errors:
        raise DjangoValidationError({"opening_hours": errors})
    return ranges


# --- Closures ------------------------------------------------------------------------------------------


class ClosureSerializer(serializers.ModelSerializer):
    start = LocalDateTimeField(read_only=True)
    end = LocalDateTimeField(read_only=True)
    resource = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="Null: every resource of the organisation is closed."
    )

    class Meta:
        model = Closure
        fields = ["id", "organisation", "resource", "start", "end", "reason"]
        read_only_fields = fields


class ClosureWriteSerializer(serializers.Serializer):
    start = LocalDateTimeField(help_text="ISO 8601; without offset it is Berlin time.")
    end = LocalDateTimeField(help_text="Exclusive; must be after `start`.")
    reason = serializers.CharField(max_length=200, help_text="Shown to everyone, e.g. `Sommerferien`.")


class OrganisationClosureWriteSerializer(ClosureWriteSerializer):
    resource = serializers.PrimaryKeyRelatedField(
        queryset=Resource.objects.all(),
        required=False,
        allow_null=True,
        help_text="Leave out (or null) to close every resource of the organisation.",
    )


CLOSURE_WINDOW_PARAMETERS = [
    OpenApiParameter("from", OpenApiTypes.DATETIME, description="Only closures ending after this."),
    OpenApiParameter("to", OpenApiTypes.DATETIME, description="Only closures starting before this."),
]


class ClosureWindowSerializer(serializers.Serializer):
    def get_fields(self) -> dict[str, serializers.Field]:
        # ``from`` is a Python keyword, so the fields cannot be class attributes.
        return {
            "from": LocalDateTimeField(required=False, allow_null=True, default=None),
            "to": LocalDateTimeField(required=False, allow_null=True, default=None),
        }


def _closures_in_window(queryset: QuerySet[Closure], query) -> QuerySet[Closure]:
    serializer = ClosureWindowSerializer(data=query)
    serializer.is_valid(raise_exception=True)
    if serializer.validated_data["from"] is not None:
        queryset = queryset.filter(end__gt=serializer.validated_data["from"])
    if serializer.validated_data["to"] is not None:
        queryset = queryset.filter(start__lt=serializer.validated_data["to"])
    return queryset.order_by("start", "pk")


# --- Availability ----------------------------------------------------------------------------------


class AvailabilityQuerySerializer(serializers.Serializer):
    start = LocalDateTimeField()
    end = LocalDateTimeField()

    def validate(self, attrs: dict) -> dict:
        if attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": _("The end must be after the start.")})
        if attrs["end"] - attrs["start"] > timedelta(days=AVAILABILITY_MAX_DAYS):
            raise serializers.ValidationError(
                {"end": _("Ask for at most %(days)s days at once.") % {"days": AVAILABILITY_MAX_DAYS}}
            )
        return attrs


class IntervalSerializer(serializers.Serializer):
    start = LocalDateTimeField()
    end = LocalDateTimeField()


class BusyIntervalSerializer(IntervalSerializer):
    quantity = serializers.IntegerField(help_text="Units taken (1 for rooms and skills).")


class FreeIntervalSerializer(IntervalSerializer):
    available_quantity = serializers.IntegerField()


class AvailabilitySerializer(serializers.Serializer):
    bookable = IntervalSerializer(many=True, help_text="Opening hours minus closures.")
    busy = BusyIntervalSerializer(
        many=True, help_text="What is booked, with set-up and tidy-up buffers — never by whom."
    )
    free = FreeIntervalSerializer(many=True, help_text="Bookable minus busy, with the units left.")


# --- The resource viewset ------------------------------------------------------------------------------

_write_errors = error_responses(400, 401, 403, 404)
_public_read = {
    "tags": ["resources"],
    "auth": OPTIONAL_AUTH,
}
CLOSURE_ID = OpenApiParameter("closure_id", int, OpenApiParameter.PATH, description="Id of the closure.")


@extend_schema_view(
    list=extend_schema(
        **_public_read,
        summary="Search the catalogue",
        description=(
            "Active resources matching every filter, sorted; the same search as the catalogue page. "
            "Items have the detail's fields. A bad filter value (unknown kind, feature or organisation, "
            "negative `capacity_min`, only one of `free_from`/`free_until`, `free_until` not after "
            "`free_from`, a malformed date) is a 400 naming the parameter."
        ),
        parameters=RESOURCE_LIST_PARAMETERS,
        responses={200: ResourceSerializer(many=True), **error_responses(400, 404)},
    ),
    retrieve=extend_schema(
        **_public_read,
        summary="One resource",
        description=(
            "Inactive resources are visible only to their organisation's managers and the coordinator."
        ),
        responses={200: ResourceSerializer, **error_responses(404)},
    ),
    create=extend_schema(
        tags=["resources"],
        summary="Create a resource",
        description=(
            "Managers of the organisation named in the body, and the coordinator. 201 with `Location`."
        ),
        request=ResourceCreateSerializer,
        responses={201: ResourceSerializer, **error_responses(400, 401, 403)},
    ),
    partial_update=extend_schema(
        tags=["resources"],
        summary="Change a resource",
        description=(
            "Managers of the owning organisation and the coordinator; the holder of a skill may change "
            "only `description`, `languages`, `max_hours_per_month` and `directions`. `features` replaces "
            "the whole set. The organisation and the kind cannot change."
        ),
        request=ResourceWriteSerializer,
        responses={200: ResourceSerializer, **_write_errors},
    ),
    destroy=extend_schema(
        tags=["resources"],
        summary="Deactivate a resource",
        description=(
            "Hides the resource from the catalogue (`is_active` false). Nothing is deleted: its "
            'bookings and history stay, and `PATCH {"is_active": true}` shows it again.'
        ),
        responses={204: OpenApiResponse(description="Deactivated."), **error_responses(401, 403, 404)},
    ),
)
class ResourceViewSet(GenericViewSet):
    serializer_class = ResourceSerializer
    permission_classes = [OrganisationScopedPermission]
    action_perms = {
        "list": None,
        "retrieve": "ressourcen.view_resource",
        # Asked with the organisation of the body (OrganisationScopedPermission).
        "create": "ressourcen.add_resource",
        # The holder of a skill passes here; the service limits what they may change.
        "partial_update": "ressourcen.change_own_skill",
        "destroy": "ressourcen.delete_resource",
        "opening_hours": "ressourcen.view_resource",
        "opening_hours_replace": "ressourcen.change_own_skill",
        "closures": "ressourcen.view_resource",
        "closure_create": "ressourcen.manage_closures",
        "closure_destroy": "ressourcen.manage_closures",
        "availability": "ressourcen.view_resource",
    }
    organisation_actions = ("create",)
    filter_backends: list = []
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    # Actions that answer with the resource itself; the others (availability, opening hours,
    # closures, deactivating) need only the row and its organisation.
    detail_actions = ("retrieve", "create", "partial_update")

    def get_queryset(self) -> QuerySet[Resource]:
        queryset = selectors.resources_visible_to(self.request.user)
        if self.action in self.detail_actions:
            return _with_details(queryset)
        return queryset.select_related("organisation")

    def _response(self, resource: Resource, status_code: int = 200, **kwargs) -> Response:
        # Read back through the scoped queryset: the answer shows what a GET would show.
        fresh = self.get_queryset().get(pk=resource.pk)
        return Response(self.get_serializer(fresh).data, status=status_code, **kwargs)

    def list(self, request: Request) -> Response:
        criteria, sort_param = resource_filter_from_query(request.query_params)
        try:
            matching = selectors.resource_queryset(criteria)
        except DjangoValidationError as error:
            # The rule book names the sort order ``sort``; answer with the name the caller used.
            if sort_param != "sort" and hasattr(error, "error_dict") and "sort" in error.error_dict:
                error.error_dict[sort_param] = error.error_dict.pop("sort")
            raise
        if criteria.free_from is None or criteria.free_until is None:
            # Counted and cut in SQL; only the page's resources are loaded with their details.
            page = self.paginate_queryset(_with_details(matching))
            return self.get_paginated_response(self.get_serializer(page, many=True).data)
        # The same answer as the catalogue page's resource_search + resources_free_between, computed on
        # ids (docs/benchmarks.md: loading every candidate with its details cost 300 ms at 2,000
        # resources); the page is cut from the ids and only its resources are loaded.
        ids = booking_selectors.free_resource_ids(
            resources=matching, start=criteria.free_from, end=criteria.free_until
        )
        details = _with_details(Resource.objects.all())
        page = selectors.resources_in_order(self.paginate_queryset(ids), details)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    def create(self, request: Request) -> Response:
        # Who may create depends on the organisation, so that is read and checked first: a caller
        # who may not create there learns nothing about the rest of their input.
        choice = OrganisationChoiceSerializer(data=request.data)
        choice.is_valid(raise_exception=True)
        organisation = choice.validated_data["organisation"]
        self.check_object_permissions(request, organisation)
        serializer = ResourceCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data, features = _split_features(serializer.validated_data)
        data.pop("organisation")
        resource = services.resource_create(
            actor=request.user, organisation=organisation, data=data, features=features
        )
        location = reverse("resource-detail", kwargs={"pk": resource.pk}, request=request)
        return self._response(resource, status.HTTP_201_CREATED, headers={"Location": location})

    def partial_update(self, request: Request, pk: str) -> Response:
        resource = self.get_object()
        serializer = ResourceWriteSerializer(resource, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data, features = _split_features(serializer.validated_data)
        resource = services.resource_update(
            actor=request.user, resource=resource, data=data, features=features
        )
        return self._response(resource)

    def destroy(self, request: Request, pk: str) -> Response:
        services.resource_set_active(actor=request.user, resource=self.get_object(), active=False)
        return Response(status=status.HTTP_204_NO_CONTENT)

    # --- Opening hours --------------------------------------------------------------------------

    @extend_schema(
        **_public_read,
        summary="Weekly opening hours",
        description=(
            "All ranges, by weekday (0 = Monday) and start, in Berlin wall-clock time (not paginated: "
            "it is the resource's weekly schedule). No ranges at all: bookable at any time."
        ),
        responses={200: OpeningHoursSerializer(many=True), **error_responses(404)},
    )
    @action(detail=True, methods=["get"], url_path="opening-hours", filter_backends=[], pagination_class=None)
    def opening_hours(self, request: Request, pk: str) -> Response:
        resource = self.get_object()
        return Response(OpeningHoursSerializer(resource.opening_hours.all(), many=True).data)

    @extend_schema(
        tags=["resources"],
        summary="Replace the opening hours",
        description=(
            "Replaces all ranges with the list sent (`[]`: no fixed hours). Ranges of one weekday must "
            "not overlap; `end` `00:00` means midnight. All or nothing; messages of every range come "
            "under `opening_hours`. Managers, the coordinator and the holder of a skill."
        ),
        request=OpeningHoursSerializer(many=True),
        responses={200: OpeningHoursSerializer(many=True), **_write_errors},
    )
    @opening_hours.mapping.put
    def opening_hours_replace(self, request: Request, pk: str) -> Response:
        resource = self.get_object()
        created = services.opening_hours_replace(
            actor=request.user, resource=resource, ranges=opening_hours_ranges(request.data)
        )
        created.sort(key=lambda hours: (hours.weekday, hours.start))
        return Response(OpeningHoursSerializer(created, many=True).data)

    # --- Closures --------------------------------------------------------------------------------------

    @extend_schema(
        **_public_read,
        summary="Closures of a resource",
        description=(
            "Periods in which the resource cannot be booked: its own closures and those of its whole "
            "organisation (`resource` null), by start. Filter with `from`/`to` (overlap)."
        ),
        parameters=CLOSURE_WINDOW_PARAMETERS,
        responses={200: ClosureSerializer(many=True), **error_responses(400, 404)},
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def closures(self, request: Request, pk: str) -> Response:
        resource = self.get_object()
        queryset = _closures_in_window(
            Closure.objects.filter(
                Q(resource=resource) | Q(resource__isnull=True, organisation_id=resource.organisation_id)
            ),
            request.query_params,
        )
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(ClosureSerializer(page, many=True).data)

    @extend_schema(
        tags=["resources"],
        summary="Close a resource",
        description="Managers of its organisation and the coordinator. 201 with `Location`.",
        request=ClosureWriteSerializer,
        responses={201: ClosureSerializer, **_write_errors},
    )
    @closures.mapping.post
    def closure_create(self, request: Request, pk: str) -> Response:
        resource = self.get_object()
        serializer = ClosureWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        closure = services.closure_create(
            actor=request.user,
            organisation=resource.organisation,
            resource=resource,
            **serializer.validated_data,
        )
        location = reverse(
            "resource-closure-detail", kwargs={"pk": resource.pk, "closure_id": closure.pk}, request=request
        )
        return Response(
            ClosureSerializer(closure).data, status=status.HTTP_201_CREATED, headers={"Location": location}
        )

    @extend_schema(
        tags=["resources"],
        summary="Remove a closure of a resource",
        description=(
            "Only the resource's own closures; those of the whole organisation are removed under "
            "`/api/v1/organisations/{organisation_id}/closures/{id}/`."
        ),
        parameters=[CLOSURE_ID],
        responses={204: OpenApiResponse(description="Removed."), **error_responses(401, 403, 404)},
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"closures/(?P<closure_id>[0-9]+)",
        url_name="closure-detail",
    )
    def closure_destroy(self, request: Request, pk: str, closure_id: str) -> Response:
        resource = self.get_object()
        closure = get_object_or_404(
            Closure.objects.select_related("organisation"), pk=closure_id, resource=resource
        )
        services.closure_delete(actor=request.user, closure=closure)
        return Response(status=status.HTTP_204_NO_CONTENT)

    # --- Availability ------------------------------------------------------------------------------------

    @extend_schema(
        **_public_read,
        summary="When the resource can be had",
        description=(
            "For the window `[start, end)` (ISO 8601; without offset Berlin time; at most "
            f"{AVAILABILITY_MAX_DAYS} days): `bookable` = opening hours minus closures, `busy` = what "
            "active bookings (requested, confirmed, handed over) take, including their set-up and tidy-up "
            "buffers, with the units taken — never by whom; `free` = bookable minus busy with the units "
            "left. A new booking needs its own buffers clear of busy time as well. Times carry the Berlin "
            "offset of each instant, so wall-clock hours stay the same across the clock change."
        ),
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATETIME, required=True),
            OpenApiParameter("end", OpenApiTypes.DATETIME, required=True, description="Exclusive."),
        ],
        responses={200: AvailabilitySerializer, **error_responses(400, 404)},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def availability(self, request: Request, pk: str) -> Response:
        resource = self.get_object()
        window = AvailabilityQuerySerializer(data=request.query_params)
        window.is_valid(raise_exception=True)
        availability = booking_selectors.resource_availability(
            resource=resource, start=window.validated_data["start"], end=window.validated_data["end"]
        )
        body = {
            "bookable": [{"start": start, "end": end} for start, end in availability["bookable"]],
            "busy": [
                {"start": start, "end": end, "quantity": units} for start, end, units in availability["busy"]
            ],
            "free": [
                {"start": start, "end": end, "available_quantity": units}
                for start, end, units in availability["free"]
            ],
        }
        return Response(AvailabilitySerializer(body).data)


# --- Closures of a whole organisation ------------------------------------------------------------------

ORGANISATION_ID = OpenApiParameter(
    "organisation_id", int, OpenApiParameter.PATH, description="Id of the organisation."
)
CLOSURE_PK = OpenApiParameter("id", int, OpenApiParameter.PATH, description="Id of the closure.")


@extend_schema_view(
    list=extend_schema(
        tags=["closures"],
        auth=OPTIONAL_AUTH,
        summary="Closures of an organisation",
        description=(
            "Every closure of the organisation, by start: of all its resources (`resource` null) and of "
            "single ones. Filter with `from`/`to` (overlap)."
        ),
        parameters=[ORGANISATION_ID, *CLOSURE_WINDOW_PARAMETERS],
        responses={200: ClosureSerializer(many=True), **error_responses(400, 404)},
    ),
    create=extend_schema(
        tags=["closures"],
        summary="Close an organisation (or one of its resources)",
        description=(
            "Without `resource` every resource of the organisation is closed. Its managers and the "
            "coordinator. 201 with `Location`."
        ),
        parameters=[ORGANISATION_ID],
        request=OrganisationClosureWriteSerializer,
        responses={201: ClosureSerializer, **_write_errors},
    ),
    destroy=extend_schema(
        tags=["closures"],
        summary="Remove a closure",
        description="Any closure of the organisation. Its managers and the coordinator.",
        parameters=[ORGANISATION_ID, CLOSURE_PK],
        responses={204: OpenApiResponse(description="Removed."), **error_responses(401, 403, 404)},
    ),
)
class OrganisationClosureViewSet(GenericViewSet):
    serializer_class = ClosureSerializer
    permission_classes = [OrganisationScopedPermission]
    action_perms = {
        "list": None,
        # Asked with the organisation of the path (OrganisationScopedPermission).
        "create": "ressourcen.manage_closures",
        "destroy": "ressourcen.manage_closures",
    }
    organisation_actions = ("create",)
    filter_backends: list = []
    http_method_names = ["get", "post", "delete", "head", "options"]

    queryset = Closure.objects.select_related("organisation")

    def _organisation(self) -> Organisation:
        # Loaded first, also for list and destroy: an unknown organisation is a 404 (not an empty list),
        # and a pk lookup copes with ids beyond the integer range, a foreign-key filter does not.
        return get_object_or_404(Organisation, pk=self.kwargs["organisation_id"])

    def list(self, request: Request, organisation_id: str) -> Response:
        closures = self.get_queryset().filter(organisation=self._organisation())
        page = self.paginate_queryset(_closures_in_window(closures, request.query_params))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def create(self, request: Request, organisation_id: str) -> Response:
        organisation = self._organisation()
        self.check_object_permissions(request, organisation)
        serializer = OrganisationClosureWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        closure = services.closure_create(
            actor=request.user, organisation=organisation, **serializer.validated_data
        )
        location = reverse(
            "organisation-closure-detail",
            kwargs={"organisation_id": organisation.pk, "pk": closure.pk},
            request=request,
        )
        return Response(
            ClosureSerializer(closure).data, status=status.HTTP_201_CREATED, headers={"Location": location}
        )

    def destroy(self, request: Request, organisation_id: str, pk: str) -> Response:
        closure = get_object_or_404(self.get_queryset(), organisation=self._organisation(), pk=pk)
        self.check_object_permissions(request, closure)
        services.closure_delete(actor=request.user, closure=closure)
        return Response(status=status.HTTP_204_NO_CONTENT)

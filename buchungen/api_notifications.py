"""REST API of the notification centre (docs/notifications-centre.md): the caller's in-app notifications,
newest first, and marking them read. A person sees and marks only their own; any other id is a 404.
"""

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from buchungen import notifications as service
from buchungen.models import Notification
from buchungen.views.notifications import notifications_of, summary_of, target_of
from konten.api import error_responses
from ressourcen.api import LocalDateTimeField


class UnreadQuerySerializer(serializers.Serializer):
    unread = serializers.BooleanField(required=False)


class NotificationSerializer(serializers.ModelSerializer):
    # A plain string (not a second enum next to the booking's status): the kinds may grow.
    kind = serializers.CharField(
        read_only=True,
        help_text=(
            "`request_received`, `approval_needed`, `confirmed`, `declined`, `cancelled`, `expired`, "
            "`waitlist_offer`, `checked_out`, `returned`, `reminder`, `return_due`, `overdue` or `digest`."
        ),
    )
    booking = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="Id of the booking it is about, if any."
    )
    waitlist_entry = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="Id of the waitlist entry (for an offer), if any."
    )
    created = LocalDateTimeField(read_only=True)
    read = serializers.SerializerMethodField(help_text="Whether the caller has marked it read.")
    read_at = LocalDateTimeField(read_only=True, allow_null=True)
    summary = serializers.SerializerMethodField(
        help_text="One line about it, in the language of the request (Accept-Language)."
    )
    url = serializers.SerializerMethodField(
        help_text="The web page it is about: the booking, the waitlist for an offer, the requests inbox."
    )

    class Meta:
        model = Notification
        fields = ["id", "kind", "booking", "waitlist_entry", "created", "read", "read_at", "summary", "url"]
        read_only_fields = fields

    def get_read(self, notification: Notification) -> bool:
        return notification.read_at is not None

    def get_summary(self, notification: Notification) -> str:
        return summary_of(notification)

    def get_url(self, notification: Notification) -> str:
        path = target_of(notification)
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


MarkedSerializer = inline_serializer(
    "NotificationsMarked",
    {"marked": serializers.IntegerField(help_text="How many notifications were unread and are read now.")},
)


@extend_schema_view(
    list=extend_schema(
        tags=["notifications"],
        summary="The caller's notifications",
        description=(
            "Every in-app notification of the caller, newest first — also those not sent by e-mail "
            "(preferences, no address). `?unread=true` lists only the unread ones."
        ),
        parameters=[OpenApiParameter("unread", bool, description="`true`: only unread notifications.")],
        responses={200: NotificationSerializer(many=True), **error_responses(401)},
    ),
    read=extend_schema(
        tags=["notifications"],
        summary="Mark one notification read",
        description="Idempotent: an already read one keeps its time. Another person's id is a 404.",
        request=None,
        responses={200: NotificationSerializer, **error_responses(401, 403, 404)},
    ),
    read_all=extend_schema(
        tags=["notifications"],
        summary="Mark all of the caller's notifications read",
        request=None,
        responses={200: MarkedSerializer, **error_responses(401, 403)},
    ),
)
class NotificationViewSet(GenericViewSet):
    serializer_class = NotificationSerializer
    # Scoped to the caller's own rows: nobody else's exists for them (404); ``mark_read`` filters by the
    # person again.
    permission_classes = [IsAuthenticated]
    filter_backends: list = []
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> QuerySet[Notification]:
        if not self.request.user.is_authenticated:  # the schema generator asks without a login
            return Notification.objects.none()
        return notifications_of(self.request.user)

    def list(self, request: Request) -> Response:
        rows = self.get_queryset()
        # ``unread`` as a boolean (true/false, 1/0, yes/no); anything else is a 400, not "false".
        query = UnreadQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        if query.validated_data.get("unread"):
            rows = rows.filter(read_at__isnull=True)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str) -> Response:
        notification = self.get_object()
        service.mark_read(user=request.user, notification=notification)
        notification.refresh_from_db(fields=["read_at"])
        return Response(self.get_serializer(notification).data)

    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        return Response({"marked": service.mark_read(user=request.user)})

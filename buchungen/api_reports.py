"""REST API of the coordinator's reports (docs/reports-api-export.md): utilisation and lending flows.

Reports are small (one row per resource, organisation, kind or pair of organisations), so they are not
paginated: ``{"from", "to", "organisation", "results": [...]}``. ``from``/``to`` are Berlin dates, both
inclusive, at most ``exports.MAX_PERIOD_YEARS`` apart. The coordinator sees the whole network
(``organisation=<slug>`` narrows it); a manager always sees their own organisation (another one's slug,
or one nobody has: 404, as the contract says for what the caller may not see); everyone else who may
not see reports at all 403, anonymous callers 401.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from buchungen.exports import MAX_PERIOD_YEARS, may_see_reports, parse_period, report_scope
from buchungen.reports import GROUPS, KINDS
from konten.api import error_responses

PERIOD_PARAMETERS = [
    OpenApiParameter(
        "from", OpenApiTypes.DATE, required=True, description="First day (Europe/Berlin), YYYY-MM-DD."
    ),
    OpenApiParameter(
        "to",
        OpenApiTypes.DATE,
        required=True,
        description=f"Last day (Europe/Berlin), inclusive; before `from` + {MAX_PERIOD_YEARS} years.",
    ),
    OpenApiParameter(
        "organisation",
        str,
        description=(
            "Slug. The coordinator: only this organisation (default: the whole network). A manager: "
            "their own organisation (the default). An organisation the caller may not see, or none with "
            "this slug: 404."
        ),
    ),
]


class UtilisationRowSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="Resource slug, organisation slug or kind.")
    name = serializers.CharField()
    booked_hours = serializers.FloatField(help_text="Equipment in unit-hours (hours × quantity).")
    bookable_hours = serializers.FloatField(help_text="Opening hours minus closures in the period.")
    occupancy = serializers.FloatField(
        allow_null=True, help_text="booked / bookable (0–1); null when nothing was bookable."
    )


class LendingFlowRowSerializer(serializers.Serializer):
    owner = serializers.CharField(help_text="Slug of the organisation owning the resources.")
    owner_name = serializers.CharField()
    borrower = serializers.CharField(help_text="Slug of the borrowing organisation (never the owner).")
    borrower_name = serializers.CharField()
    bookings = serializers.IntegerField()
    hours = serializers.FloatField(help_text="Equipment in unit-hours (hours × quantity).")


class OwnAndPrivateUseRowSerializer(serializers.Serializer):
    owner = serializers.CharField(help_text="Slug of the organisation owning the resources.")
    owner_name = serializers.CharField()
    own_bookings = serializers.IntegerField(help_text="Bookings of its own resources by the organisation.")
    own_hours = serializers.FloatField()
    private_bookings = serializers.IntegerField(help_text="Bookings by private persons (no organisation).")
    private_hours = serializers.FloatField()


def _report(row_serializer, name: str, **more):
    return inline_serializer(
        name,
        {
            "from": serializers.DateField(),
            "to": serializers.DateField(help_text="Inclusive."),
            "organisation": serializers.CharField(
                allow_null=True, help_text="Slug of the organisation covered; null: the whole network."
            ),
            "results": row_serializer(many=True),
            **more,
        },
    )


class _ReportView(APIView):
    permission_classes = [IsAuthenticated]

    def scope(self, request: Request, errors: dict | None = None):
        """The period and the organisation (None = network), or the right error: 403 (may not see
        reports) before 404 (an organisation the caller may not see) before 400."""
        if not may_see_reports(request.user):
            raise PermissionDenied
        errors = dict(errors or {})
        period = organisation = None
        try:
            period = parse_period(request.query_params)
        except DjangoValidationError as exc:
            errors.update(exc.message_dict)
        try:
            organisation = report_scope(request.user, request.query_params.get("organisation"))
        except DjangoPermissionDenied as exc:
            raise PermissionDenied from exc
        except DjangoValidationError as exc:
            errors.update(exc.message_dict)
        if errors:
            raise ValidationError(errors)
        return period, organisation

    def answer(self, period, organisation, rows, **more) -> Response:
        return Response(
            {
                "from": period.first.isoformat(),
                "to": period.last.isoformat(),
                "organisation": organisation.slug if organisation else None,
                "results": rows,
                **more,
            }
        )


class UtilisationReportView(_ReportView):
    @extend_schema(
        tags=["reports"],
        summary="Utilisation: booked against bookable hours",
        description=(
            "Per resource, organisation (owner) or kind, sorted by name. Counts bookings that held the "
            "slot (confirmed, checked out, returned, completed, no-show), clipped to the period."
        ),
        parameters=[
            *PERIOD_PARAMETERS,
            OpenApiParameter("group_by", str, enum=list(GROUPS), description="Default `resource`."),
            OpenApiParameter(
                "kind",
                str,
                enum=list(KINDS),
                description="Only resources of this kind (combines with any `group_by`). Default: all.",
            ),
        ],
        responses={
            200: _report(UtilisationRowSerializer, "UtilisationReport"),
            **error_responses(400, 401, 403, 404),
        },
    )
    def get(self, request: Request) -> Response:
        from buchungen import reports

        group_by = request.query_params.get("group_by") or "resource"
        kind = request.query_params.get("kind") or None
        errors = {}
        if group_by not in GROUPS:
            errors["group_by"] = [_("Choose resource, organisation or kind.")]
        if kind is not None and kind not in KINDS:
            errors["kind"] = [_("Choose room, equipment or skill.")]
        period, organisation = self.scope(request, errors)
        rows = reports.utilisation(
            start=period.start, end=period.end, group_by=group_by, organisation=organisation, kind=kind
        )
        return self.answer(period, organisation, rows)


class LendingFlowsReportView(_ReportView):
    @extend_schema(
        tags=["reports"],
        summary="Lending flows between organisations",
        description=(
            "`results`: owner organisation × a different borrowing organisation, bookings and hours. A "
            "manager sees the rows where their organisation lends or borrows. What is not lending between "
            "organisations — an organisation using its own resources, bookings by private persons — is "
            "in `own_and_private_use`, one row per owning organisation."
        ),
        parameters=PERIOD_PARAMETERS,
        responses={
            200: _report(
                LendingFlowRowSerializer,
                "LendingFlowsReport",
                own_and_private_use=OwnAndPrivateUseRowSerializer(many=True),
            ),
            **error_responses(400, 401, 403, 404),
        },
    )
    def get(self, request: Request) -> Response:
        from buchungen import reports

        period, organisation = self.scope(request)
        flows, own_use = reports.flows_and_own_use(
            start=period.start, end=period.end, organisation=organisation
        )
        return self.answer(period, organisation, flows, own_and_private_use=own_use)

"""The application's URLs plus the floors of the booking benchmark (used only by ``bench/settings.py``).

- ``POST /bench/bare-insert/`` with ``{"resource", "organisation", "person", "start", "end"}`` writes one
  confirmed booking with the ORM and nothing else — no authentication, permissions, rules, conflict
  check, lock, transition or notification — behind the same gunicorn, middleware and database as the API.
- ``POST /bench/api-insert/`` with the API's own body (``{"resource", "organisation", "start", "end",
  "purpose"}``) goes through the same stack as ``POST /api/v1/bookings/``: Django REST framework, token
  authentication, JSON parsing, a serializer, the ORM insert and a JSON answer — and leaves out exactly
  what the booking engine adds: who may book, the rules, the lock, the conflict check, the transition
  record and the notifications. What the API's booking POST costs on top of it is the price of those.
"""

import json

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from buchungen.models import Booking
from config.urls import urlpatterns as application_urls


@csrf_exempt
@require_POST
def bare_insert(request: HttpRequest) -> JsonResponse:
    data = json.loads(request.body)
    start, end = parse_datetime(data["start"]), parse_datetime(data["end"])
    booking = Booking.objects.create(
        resource_id=data["resource"],
        organisation_id=data["organisation"],
        booked_by_id=data["person"],
        start=start,
        end=end,
        blocked_start=start,
        blocked_end=end,
        purpose=data.get("purpose", ""),
        status=Booking.Status.CONFIRMED,
        exclusive=True,
    )
    return JsonResponse({"id": booking.pk}, status=201)


class _InsertSerializer(serializers.Serializer):
    resource = serializers.IntegerField()
    organisation = serializers.IntegerField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    purpose = serializers.CharField(max_length=200)


class ApiInsert(APIView):
    """The API's stack around a plain insert (authentication and permission classes: the API's defaults)."""

    permission_classes = [IsAuthenticated]

    def post(self, request):
        body = _InsertSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        booking = Booking.objects.create(
            resource_id=data["resource"],
            organisation_id=data["organisation"],
            booked_by=request.user,
            start=data["start"],
            end=data["end"],
            blocked_start=data["start"],
            blocked_end=data["end"],
            purpose=data["purpose"],
            status=Booking.Status.CONFIRMED,
            exclusive=True,
        )
        return Response({"id": booking.pk, "status": booking.status}, status=status.HTTP_201_CREATED)


urlpatterns = [
    *application_urls,
    path("bench/bare-insert/", bare_insert),
    path("bench/api-insert/", ApiInsert.as_view()),
]

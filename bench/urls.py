"""The application's URLs plus the floor of the booking benchmark (used only by ``bench/settings.py``).

``POST /bench/bare-insert/`` with ``{"resource", "organisation", "person", "start", "end"}`` writes one
confirmed booking with the ORM and nothing else — no authentication, permissions, rules, conflict check,
lock, transition or notification — behind the same gunicorn, middleware and database as the API. What
the API's booking POST adds on top of it is the price of its checks.
"""

import json

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

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


urlpatterns = [*application_urls, path("bench/bare-insert/", bare_insert)]

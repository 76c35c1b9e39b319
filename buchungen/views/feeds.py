"""See buchungen/views/__init__.py. Calendar feeds (docs/booking-feeds.md):

- ``personal_feed``   kalender/<token>.ics — a person's bookings; no login, the secret token is the key
- ``resource_feed``   ressourcen/<slug>/kalender.ics — when a resource is taken or closed, never by whom
- ``feed_settings``   buchungen/kalender-abo/ — create (and see once) or revoke one's feed address
- ``feed_revoke``     buchungen/kalender-abo/widerrufen/ — confirmation, then revoke
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from buchungen import feeds
from buchungen.ical import calendar_build, calendar_response, feed_host
from ressourcen.models import Resource


@require_safe
def personal_feed(request, token: str):
    user = feeds.feed_user_by_token(token)
    if user is None:
        raise Http404
    now = timezone.now()
    # Calendar apps send no useful language and no session: the feed speaks the person's language.
    with translation.override(user.language or settings.LANGUAGE_CODE):
        events = feeds.personal_feed_events(
            user=user, now=now, host=feed_host(request), site_url=settings.SITE_URL
        )
        calendar = calendar_build(
            name=_("My bookings – %(site)s") % {"site": _("Ressourcennetz Soziokultur Meißen")},
            description=_(
                "Bookings made by you, for your organisations and of the resources you look after."
            ),
            events=events,
            now=now,
        )
    return calendar_response(calendar, filename="buchungen.ics", public=False)


@require_safe
def resource_feed(request, slug: str):
    resource = get_object_or_404(Resource.objects.select_related("organisation"), slug=slug)
    # The catalogue's rule: inactive resources exist only for their managers and the coordinator.
    if not request.user.has_perm("ressourcen.view_resource", resource):
        raise Http404
    now = timezone.now()
    calendar = calendar_build(
        name=_("%(resource)s – availability") % {"resource": resource.name},
        description=_("When %(resource)s is taken or closed. Offered by %(organisation)s.")
        % {"resource": resource.name, "organisation": resource.organisation.name},
        events=feeds.resource_feed_events(resource=resource, now=now, host=feed_host(request)),
        now=now,
    )
    # Only a resource everyone may see goes into shared caches.
    return calendar_response(calendar, filename=f"{resource.slug}.ics", public=resource.is_active)


def personal_feed_url(token: str) -> str:
    return f"{settings.SITE_URL}{reverse('buchungen:personal_feed', kwargs={'token': token})}"


@login_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def feed_settings(request):
    feed_url = ""
    if request.method == "POST":
        # The token exists only in this response: it is rendered, not redirected to (a redirect would
        # need it in the session or the address bar), and never_cache keeps it out of every cache.
        token = feeds.feed_issue(actor=request.user)
        feed_url = personal_feed_url(token)
    context = {
        "feed": feeds.feed_for(request.user),
        "feed_url": feed_url,
        "webcal_url": feed_url.replace("https://", "webcal://", 1).replace("http://", "webcal://", 1),
    }
    return render(request, "buchungen/feeds/settings.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def feed_revoke(request):
    feed = feeds.feed_for(request.user)
    if feed is None:
        return redirect("buchungen:feed_settings")
    if request.method == "POST":
        feeds.feed_revoke(actor=request.user)
        messages.success(
            request, _("Your calendar address has been revoked. Calendar apps can no longer read it.")
        )
        return redirect("buchungen:feed_settings")
    return render(request, "buchungen/feeds/revoke.html", {"feed": feed})


urlpatterns = [
    path("kalender/<str:token>.ics", personal_feed, name="personal_feed"),
    path("ressourcen/<slug:slug>/kalender.ics", resource_feed, name="resource_feed"),
    path("buchungen/kalender-abo/", feed_settings, name="feed_settings"),
    path("buchungen/kalender-abo/widerrufen/", feed_revoke, name="feed_revoke"),
]

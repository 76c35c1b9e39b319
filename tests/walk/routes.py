"""Every URL the project answers, read from the resolver, and the fixture-world objects to fill them.

``all_routes()`` walks ``get_resolver().url_patterns`` recursively (pages, allauth, the admin, the REST
router), so a new URL shows up in both walks by itself and fails them until someone writes down what
each role should get. DRF's format-suffix twins (``…\\.(?P<format>…)``) answer exactly as the route
they double; they are folded into it.

A route is keyed by its name (``namespace:name``); the admin's few unnamed routes by their pattern.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver

from ressourcen.models import Resource
from tests.walk.world import World

# ``<slug:slug>`` / ``(?P<pk>[^/.]+)``: the names of a route's parameters.
_PARAM = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>")


@dataclass(frozen=True)
class Route:
    key: str  # "konten:home"; unnamed admin routes: their pattern
    pattern: str  # the full pattern, prefixes joined
    params: tuple[str, ...]

    @property
    def is_api(self) -> bool:
        return self.pattern.startswith("api/v1/")

    @property
    def is_admin(self) -> bool:
        return self.pattern.startswith("admin/")


def _walk(patterns, prefix: str = "", namespace: str = ""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.name, namespace


def all_routes() -> list[Route]:
    routes: dict[str, Route] = {}
    for pattern, name, namespace in _walk(get_resolver().url_patterns):
        params = tuple(a or b for a, b in _PARAM.findall(pattern))
        if "format" in params:
            continue  # the format-suffix twin of a route listed without it
        key = (f"{namespace}:{name}" if namespace else name) if name else pattern
        routes.setdefault(key, Route(key=key, pattern=pattern, params=params))
    return list(routes.values())


def match_row(key: str, rows: dict[str, Any]) -> Any | None:
    """The row for ``key``: the exact name, else the first glob row (``admin:*_changelist``) it fits."""
    if key in rows:
        return rows[key]
    for pattern, row in rows.items():
        if any(c in pattern for c in "*?[") and fnmatchcase(key, pattern):
            return row
    return None


# Which world object fills which parameter, per route (the default: ``slug`` → A's room, ``org_slug`` →
# organisation A). Values: the name of a world object (its pk, or its slug for slug parameters), or
# ``token:<name>`` for a secret the world kept.
PARAMS: dict[str, dict[str, str]] = {
    "konten:organisation_detail": {"slug": "org_a"},
    "konten:organisation_edit": {"slug": "org_a"},
    "konten:organisation_members": {"slug": "org_a"},
    "konten:membership_role": {"slug": "org_a", "membership_id": "membership"},
    "konten:membership_remove": {"slug": "org_a", "membership_id": "membership"},
    "konten:invitation_revoke": {"slug": "org_a", "invitation_id": "invitation"},
    "konten:invitation_accept": {"token": "token:invitation"},
    "ressourcen:resource_toggle_active": {"slug": "hidden"},
    "buchungen:booking_detail": {"pk": "requested"},
    "buchungen:booking_cancel": {"pk": "confirmed"},
    "buchungen:booking_decide": {"pk": "requested"},
    "buchungen:booking_check_out": {"pk": "handover_due"},
    "buchungen:booking_return": {"pk": "checked_out"},
    "buchungen:booking_no_show": {"pk": "started"},
    "buchungen:series_detail": {"pk": "series"},
    "buchungen:bundle_detail": {"pk": "bundle"},
    "buchungen:bundle_cancel": {"pk": "bundle"},
    "buchungen:waitlist_accept": {"pk": "waitlist_entry"},
    "buchungen:waitlist_withdraw": {"pk": "waitlist_entry"},
    "buchungen:personal_feed": {"token": "token:feed"},
    "buchungen:notification_read": {"pk": "notification"},
    "buchungen:notification_open": {"pk": "notification"},
    "buchungen:report_export": {"table": "literal:bookings", "fmt": "literal:csv"},
    "account_confirm_email": {"key": "literal:not-a-key"},
    "account_reset_password_from_key": {"uidb36": "literal:1", "key": "literal:not-a-key"},
    "organisation-detail": {"pk": "org_a"},
    "organisation-closure-list": {"organisation_id": "org_a"},
    "organisation-closure-detail": {"organisation_id": "org_a", "pk": "closure"},
    "feature-detail": {"slug": "literal:aufzug"},
    "resource-detail": {"pk": "room"},
    "resource-availability": {"pk": "room"},
    "resource-closures": {"pk": "room"},
    "resource-closure-detail": {"pk": "room", "closure_id": "resource_closure"},
    "resource-opening-hours": {"pk": "room"},
    "booking-detail": {"pk": "requested"},
    "booking-approve": {"pk": "requested"},
    "booking-decline": {"pk": "requested"},
    "booking-cancel": {"pk": "confirmed"},
    "booking-check-out": {"pk": "handover_due"},
    "booking-return": {"pk": "checked_out"},
    "booking-no-show": {"pk": "started"},
    "booking-request-detail": {"pk": "bundle"},
    "booking-request-cancel": {"pk": "bundle"},
    "booking-series-detail": {"pk": "series"},
    "booking-series-cancel-rest": {"pk": "series"},
    "waitlist-detail": {"pk": "waitlist_entry"},
    "waitlist-accept": {"pk": "waitlist_entry"},
    "waitlist-withdraw": {"pk": "waitlist_entry"},
    "notification-read": {"pk": "notification"},
    "media": {"path": "literal:resources/nicht-da.png"},
    "admin/(?P<url>.*)$": {"url": "literal:gibt-es-nicht/"},
    "admin:app_list": {"app_label": "literal:buchungen"},
}
_DEFAULTS = {"slug": "room", "org_slug": "org_a"}
# Query strings a route needs to answer more than "which period?" (placeholders: World.query).
QUERY: dict[str, str] = {
    "resource-availability": "start={start}&end={end}",
    "resource-closures": "start={start}&end={end}",
    "report-utilisation": "from={from}&to={to}",
    "report-lending-flows": "from={from}&to={to}",
    "buchungen:reports": "from={from}&to={to}",
    "buchungen:report_export": "from={from}&to={to}",
    "buchungen:resource_calendar": "woche={week}",
}
# The same route walked once more with other objects: ``"<route key>~<variant>"`` rows in the tables.
VARIANTS: dict[str, dict[str, dict[str, str]]] = {
    "ressourcen:resource_detail": {"hidden": {"slug": "hidden"}, "own_only": {"slug": "own_only"}},
    "buchungen:resource_calendar": {
        "hidden": {"slug": "hidden"},
        "month": {"?": "ansicht=monat&monat={month}"},
    },
    "buchungen:resource_feed": {"hidden": {"slug": "hidden"}},
    "buchungen:booking_create": {"hidden": {"slug": "hidden"}, "own_only": {"slug": "own_only"}},
    "buchungen:booking_detail": {"b_booking": {"pk": "b_booking"}, "skill": {"pk": "skill_booking"}},
    "buchungen:report_export": {"xlsx": {"fmt": "literal:xlsx"}},
    "resource-detail": {"hidden": {"pk": "hidden"}},
    "resource-availability": {"hidden": {"pk": "hidden"}},
    "booking-detail": {"b_booking": {"pk": "b_booking"}, "skill": {"pk": "skill_booking"}},
    "organisation-closure-list": {"org_b": {"organisation_id": "org_b"}},
}
# Admin routes under admin/<app>/<model>/: the first object of that model.
_ADMIN_MODEL = re.compile(r"^admin/(\w+)/(\w+)/")


def _value(world: World, spec: str, param: str) -> str:
    if spec.startswith("literal:"):
        return spec.removeprefix("literal:")
    if spec.startswith("token:"):
        return world.tokens[spec.removeprefix("token:")]
    obj = world.objects[spec]
    return str(obj.slug if param in ("slug", "org_slug") else obj.pk)


def _admin_kwargs(route: Route) -> dict[str, str]:
    kwargs: dict[str, str] = {}
    match = _ADMIN_MODEL.match(route.pattern)
    if match and ("object_id" in route.params or "id" in route.params):
        model = apps.get_model(match[1], match[2])
        obj = model._default_manager.order_by("pk").first()
        assert obj is not None, f"{route.key}: the world has no {model.__name__} for the admin walk"
        kwargs["object_id" if "object_id" in route.params else "id"] = str(obj.pk)
    if "content_type_id" in route.params:
        kwargs["content_type_id"] = str(ContentType.objects.get_for_model(Resource).pk)
        kwargs["object_id"] = str(Resource.objects.order_by("pk").first().pk)
    return kwargs


def route_path(route: Route, world: World, variant: str = "") -> str:
    """The route's path with its parameters filled from the world (AssertionError if one can't be)."""
    kwargs = _admin_kwargs(route) if route.is_admin else {}
    specs = {**PARAMS.get(route.key, {}), **VARIANTS.get(route.key, {}).get(variant, {})}
    for param in route.params:
        if param in kwargs:
            continue
        spec = specs.get(param) or _DEFAULTS.get(param)
        assert spec, f"url {route.key} ({route.pattern}): no world object for parameter {param!r} in PARAMS"
        kwargs[param] = _value(world, spec, param)
    path = route.pattern
    for param, value in kwargs.items():
        path = re.sub(rf"<(?:\w+:)?{param}>|\(\?P<{param}>[^)]*\)", value, path, count=1)
    # What is left of a regular expression route: anchors and escapes.
    path = "/" + path.replace("^", "").replace("$", "").replace("\\.", ".").replace("/?", "/")
    path = path.replace(".*", "gibt-es-nicht")  # a catch-all without a named group (the API's 404)
    query = specs.get("?") or QUERY.get(route.key)
    return f"{path}?{query.format(**world.query)}" if query else path


@dataclass(frozen=True)
class Target:
    key: str  # the route's key, or "<key>~<variant>"
    route: Route
    path: str


def walk_targets(world: World) -> list[Target]:
    """Every route (and its variants) with its path filled from ``world``, sorted by key."""
    targets = []
    for route in all_routes():
        targets.append(Target(route.key, route, route_path(route, world)))
        for variant in VARIANTS.get(route.key, {}):
            targets.append(Target(f"{route.key}~{variant}", route, route_path(route, world, variant)))
    return sorted(targets, key=lambda target: target.key)

"""Content-Security-Policy header for every response.

Django 5.2 has no CSP support of its own; Django 6.0 brings ``django.middleware.csp`` with the settings
``SECURE_CSP`` / ``SECURE_CSP_REPORT_ONLY`` and the view decorators ``csp_override`` /
``csp_report_only_override``. This module copies that interface (same setting names, same response
attributes, directives as a dict of lists), so the move to 6.0 is: delete this file, point ``MIDDLEWARE``
and the imports at Django's. What 6.0 adds and we do not need is left out (nonces).

The policy itself lives in ``config/settings.py`` (docs/security.md explains each directive).
"""

import secrets
from collections.abc import Callable, Mapping, Sequence
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"
HEADER_REPORT_ONLY = "Content-Security-Policy-Report-Only"
# Django's technical 404 and 500 pages (DEBUG only) carry inline styles and scripts; a developer must be
# able to read them. Every page of ours is checked in development all the same.
_DEBUG_PAGE_STATUSES = {404, 500}


def build_policy(directives: Mapping[str, Sequence[str]]) -> str:
    """``{"img-src": ["'self'", "data:"], …}`` → ``"img-src 'self' data:; …"`` (empty values dropped)."""
    parts = []
    for name, sources in directives.items():
        if sources is None:
            continue
        if isinstance(sources, str):
            sources = [sources]
        parts.append(" ".join([name, *sources]) if sources else name)
    return "; ".join(parts)


class ContentSecurityPolicyMiddleware:
    """Add ``Content-Security-Policy`` (and/or ``…-Report-Only``) unless the view already set it.

    A view can replace the policy for its responses with :func:`csp_override` (an empty dict: none).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.DEBUG and response.status_code in _DEBUG_PAGE_STATUSES:
            return response
        for header, attribute, setting in (
            (HEADER, "_csp_config", "SECURE_CSP"),
            (HEADER_REPORT_ONLY, "_csp_ro_config", "SECURE_CSP_REPORT_ONLY"),
        ):
            if header in response.headers:
                continue
            directives = getattr(response, attribute, None)
            if directives is None:
                directives = getattr(settings, setting, None)
            if directives:
                response.headers[header] = build_policy(directives)
        return response


def _override(attribute: str, directives: Mapping[str, Sequence[str]]):
    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            setattr(response, attribute, dict(directives))
            return response

        return wrapped

    return decorator


def csp_override(directives: Mapping[str, Sequence[str]]):
    """Send ``directives`` instead of ``SECURE_CSP`` for this view (Django 6.0's decorator of that name)."""
    return _override("_csp_config", directives)


def csp_report_only_override(directives: Mapping[str, Sequence[str]]):
    """The same for the report-only header (``SECURE_CSP_REPORT_ONLY``)."""
    return _override("_csp_ro_config", directives)


def csp_extend(response: HttpResponse, directive: str, sources: Sequence[str]) -> None:
    """Add ``sources`` to one directive of this response's policy (enforced and report-only alike).

    A directive the policy lacks starts from ``default-src``, as the browser's fallback would.
    """
    for attribute, setting in (("_csp_config", "SECURE_CSP"), ("_csp_ro_config", "SECURE_CSP_REPORT_ONLY")):
        directives = getattr(response, attribute, None)
        if directives is None:
            directives = getattr(settings, setting, None)
        if directives:
            current = directives.get(directive, directives.get("default-src", []))
            setattr(response, attribute, {**directives, directive: [*current, *sources]})


def style_nonce(response: HttpResponse) -> str:
    """Allow ``<style>`` elements carrying a fresh nonce in this one response; return the nonce.

    For a vendor script that can only style itself by inserting ``<style>`` elements and takes a nonce
    for them (ReDoc's styled-components). Scripts stay as strict as everywhere else.
    """
    nonce = secrets.token_urlsafe(18)
    csp_extend(response, "style-src", [f"'nonce-{nonce}'"])
    return nonce

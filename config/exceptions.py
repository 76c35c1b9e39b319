"""The REST API's error format, in one place (API.md, "Errors").

Services raise Django's ``ValidationError`` and ``PermissionDenied`` so that pages and API share one
rule book. DRF's own handler already turns ``PermissionDenied`` and ``Http404`` into 403 and 404; this
handler adds ``ValidationError`` (400 ``{"field": ["message", …]}``, whole-object messages under
``non_field_errors``) and makes a missing or invalid login a 401 everywhere.
"""

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler


def _validation_detail(error: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {
            (api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field): messages
            for field, messages in error.message_dict.items()
        }
    return {api_settings.NON_FIELD_ERRORS_KEY: error.messages}


def _flat_list_errors(detail: Any) -> Any:
    """A list parameter's errors come from DRF as ``{index: [messages]}`` (``?feature=a&feature=b``);
    the contract is ``{"field": ["message", …]}``, so they become one list of the distinct messages.
    (Nested objects keep their field names; ``items`` of a booking request is already a list.)"""
    if not isinstance(detail, dict):
        return detail
    flat = {}
    for field, errors in detail.items():
        if isinstance(errors, dict) and errors and all(isinstance(index, int) for index in errors):
            messages = [message for index in sorted(errors) for message in _messages(errors[index])]
            errors = list(dict.fromkeys(messages))
        flat[field] = errors
    return flat


def _messages(errors: Any) -> list:
    if isinstance(errors, dict):
        return [message for value in errors.values() for message in _messages(value)]
    if isinstance(errors, list):
        return [message for value in errors for message in _messages(value)]
    return [errors]


def _authenticate_header(context: dict[str, Any]) -> str | None:
    """The first ``WWW-Authenticate`` challenge any of the view's authenticators offers."""
    view, request = context.get("view"), context.get("request")
    if view is None or request is None:
        return None
    for authenticator in view.get_authenticators():
        header = authenticator.authenticate_header(request)
        if header:
            return header
    return None


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_validation_detail(exc))

    response = drf_exception_handler(exc, context)

    if response is not None and isinstance(exc, exceptions.ValidationError):
        response.data = _flat_list_errors(response.data)

    if response is not None and isinstance(
        exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed
    ):
        # DRF asks only the *first* authenticator for a challenge. Session authentication (first, so
        # browsers get CSRF checks) has none, so DRF would answer 403 to a caller who simply did not
        # log in. Token authentication has one; with it the answer is the honest 401 (RFC 9110
        # requires the WWW-Authenticate header on a 401, so without any challenge we keep 403).
        challenge = _authenticate_header(context)
        if challenge:
            response.status_code = status.HTTP_401_UNAUTHORIZED
            response["WWW-Authenticate"] = challenge
    return response

"""The API's OpenAPI schema generator: drf-spectacular's, with corrections found by fuzzing the API
against its own schema (tests/api/test_fuzz.py, docs/api.md "Fuzzing").

- Read-only fields of a model's text columns that may be blank (``website``, ``contact_email``, an
  equipment's ``condition`` on a room) are documented as possibly empty. DRF drops ``allow_blank`` from
  read-only fields, so spectacular would promise a URL, an e-mail address or one of the choices where
  the answer carries ``""``.
- Lists of nested objects (``many=True``) state their ``minItems``/``maxItems`` from ``allow_empty``
  and ``max_length``; spectacular leaves them out.
- Optional query parameters say ``allowEmptyValue``: an empty one (``?kind=&from=``, as a form sends
  it) is ignored — by DRF's serializers for query data, by django-filter and by the resource search.
  (``page`` and ``page_size`` are the exception: config/pagination.py refuses them empty.)
- Every paginated list documents its 400 (``page``/``page_size`` not a whole number ≥ 1, see
  config/pagination.py) and its 404 (a ``page`` past the last one: ``{"detail": "Invalid page."}``).

Its own module, importing no app: spectacular's ``extend_schema`` resolves ``DEFAULT_SCHEMA_CLASS`` while
the apps' API modules are being imported.
"""

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

# The shapes of konten.api's error responses, inline (this module cannot import the apps).
_PAGE_ERRORS = {
    "400": OpenApiResponse(
        response={
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
        description="Invalid input, e.g. `page` or `page_size` not a whole number ≥ 1; one list of "
        "messages per parameter.",
    ),
    "404": OpenApiResponse(
        response={"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]},
        description="Not found, or a `page` past the last one (`Invalid page.`).",
    ),
}


def _blank_in_model(field: serializers.Field) -> bool:
    """Whether the model column behind a serializer field may hold ``""``."""
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if model is None or not field.source or "." in field.source or field.source == "*":
        return False
    try:
        model_field = model._meta.get_field(field.source)
    except FieldDoesNotExist:
        return False
    return isinstance(model_field, models.CharField | models.TextField) and model_field.blank


class AutoSchema(openapi.AutoSchema):
    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        if field.read_only and getattr(field, "allow_blank", None) is False and _blank_in_model(field):
            # The field instance belongs to this one schema run's serializer; the API's own
            # serializers are built afresh per request.
            field.allow_blank = True
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, serializers.ListSerializer) and schema.get("type") == "array":
            if not field.allow_empty:
                schema.setdefault("minItems", max(1, field.min_length or 0))
            elif field.min_length is not None:
                schema.setdefault("minItems", field.min_length)
            if field.max_length is not None:
                schema.setdefault("maxItems", field.max_length)
        return schema

    def _get_parameters(self):
        parameters = super()._get_parameters()
        paginator = self._get_paginator()
        page_parameters = (
            {paginator.page_query_param, paginator.page_size_query_param} if paginator else set()
        )
        for parameter in parameters:
            if (
                parameter["in"] == "query"
                and not parameter.get("required")
                and parameter["name"] not in page_parameters
            ):
                parameter["allowEmptyValue"] = True
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if self._is_paginated(responses):
            for code, response in _PAGE_ERRORS.items():
                if code not in responses:
                    responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses

    def _is_paginated(self, responses: dict) -> bool:
        if self._get_paginator() is None or not self._is_list_view():
            return False
        for code, response in responses.items():
            if not code.startswith("2"):
                continue
            for media in response.get("content", {}).values():
                schema = media.get("schema", {})
                if "results" in schema.get("properties", {}) or "Paginated" in schema.get("$ref", ""):
                    return True
        return False

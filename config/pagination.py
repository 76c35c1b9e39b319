"""Pagination of the REST API's lists: ``{"count", "next", "previous", "results"}`` (API.md).

Its own module, not config/api.py: DRF resolves ``DEFAULT_PAGINATION_CLASS`` while it defines its generic
views, and config/api.py imports the apps' viewsets, which import those generic views: a cycle.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination


def _positive_number(request, name: str) -> int | None:
    """The query parameter ``name`` as a whole number ≥ 1, ``None`` when absent.

    DRF's own pagination quietly falls back to the first page or the default size for ``page=abc``,
    ``page_size=0`` or a repeated parameter; a caller then gets a page it did not ask for. Here that is a
    400 naming the parameter, like every other bad query parameter.
    """
    values = request.query_params.getlist(name)
    if not values:
        return None
    if len(values) > 1:
        raise serializers.ValidationError({name: [_("Send this parameter only once.")]})
    try:
        return serializers.IntegerField(min_value=1).run_validation(values[0])
    except serializers.ValidationError as error:
        raise serializers.ValidationError({name: error.detail}) from None


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    last_page_strings = ()

    def get_page_size(self, request) -> int:
        page_size = _positive_number(request, self.page_size_query_param)
        return self.page_size if page_size is None else min(page_size, self.max_page_size)

    def get_page_number(self, request, paginator) -> int:
        # A number past the last page stays DRF's 404 ("Invalid page.").
        return _positive_number(request, self.page_query_param) or 1

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = (
                    f"Results per page (default {self.page_size}); more than {self.max_page_size} "
                    f"give {self.max_page_size}."
                )
        return parameters

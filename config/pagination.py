"""Pagination of the REST API's lists: ``{"count", "next", "previous", "results"}`` (API.md).

Its own module, not config/api.py: DRF resolves ``DEFAULT_PAGINATION_CLASS`` while it defines its generic
views, and config/api.py imports the apps' viewsets, which import those generic views: a cycle.
"""

from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

"""The REST API's router and shared pieces (pagination). Apps register their viewsets here."""

from django.urls import include, path
from rest_framework.pagination import PageNumberPagination
from rest_framework.routers import DefaultRouter


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


router = DefaultRouter()

urlpatterns = [
    path("", include(router.urls)),
]

"""See buchungen/views/__init__.py."""

urlpatterns: list = []

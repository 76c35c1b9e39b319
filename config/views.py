from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularRedocView

from config.security import csp_extend, style_nonce


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for docker-compose and load balancers: the process answers and the database too."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return JsonResponse({"status": "ok"})


# What the ReDoc bundle of drf-spectacular-sidecar inserts as <style> before it can know the nonce: the
# perfect-scrollbar CSS and an empty element. The hashes follow the bundle: after a sidecar update the
# CSP browser test (tests/browser/test_csp.py) names the new ones.
REDOC_STYLE_HASHES = [
    "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='",
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
]


class ApiRedocView(SpectacularRedocView):
    """ReDoc under the Content-Security-Policy.

    Its styled-components insert ``<style>`` elements, let through only with this response's nonce
    (static/js/redoc-init.js hands it to ReDoc) or, for the two it inserts at load, by their hashes. Its
    search runs in a Web Worker made from a ``blob:`` URL of its own script. Scripts stay ``'self'``.
    """

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response.data["style_nonce"] = style_nonce(response)
        csp_extend(response, "style-src", REDOC_STYLE_HASHES)
        csp_extend(response, "worker-src", ["blob:"])
        return response

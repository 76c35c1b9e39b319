"""GET /api/v1/features/: the seeded features, public, by slug."""

import pytest

from ressourcen.models import Feature

LIST_URL = "/api/v1/features/"
FIELDS = {"slug", "name", "name_en", "category", "description", "icon"}

pytestmark = pytest.mark.django_db


def test_visitor_lists_every_feature_by_category_and_position(api):
    response = api.get(LIST_URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == Feature.objects.count() >= 12
    assert [f["slug"] for f in body["results"]] == list(
        Feature.objects.order_by("category", "position", "name").values_list("slug", flat=True)
    )
    assert body["results"][0]["slug"] == "stufenloser-zugang"
    for feature in body["results"]:
        assert set(feature) == FIELDS
        assert feature["category"] in {"accessibility", "amenity", "technical"}


def test_name_is_the_stored_german_name_whatever_the_language(api):
    # Programs get a stable value; the English name comes separately.
    body = api.get(f"{LIST_URL}induktionsschleife/").json()

    assert body == {
        "slug": "induktionsschleife",
        "name": "Induktionsschleife",
        "name_en": "Hearing loop",
        "category": "accessibility",
        "description": "",
        "icon": "hearing-loop",
    }


def test_filter_by_category(api):
    body = api.get(LIST_URL, {"category": "technical"}).json()

    assert body["count"] == Feature.objects.filter(category="technical").count()
    assert {f["category"] for f in body["results"]} == {"technical"}
    assert "beamer" in {f["slug"] for f in body["results"]}


def test_unknown_category_is_a_field_error(api):
    response = api.get(LIST_URL, {"category": "magic"})

    assert response.status_code == 400
    assert list(response.json()) == ["category"]


def test_unknown_slug_is_404(api):
    assert api.get(f"{LIST_URL}gibt-es-nicht/").status_code == 404


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_features_cannot_be_written_through_the_api(api_as, coordinator, method):
    url = LIST_URL if method == "post" else f"{LIST_URL}aufzug/"

    response = getattr(api_as(coordinator), method)(url, {"slug": "x", "name": "X"}, format="json")

    assert response.status_code == 405
    assert Feature.objects.filter(slug="aufzug").exists()
    assert not Feature.objects.filter(slug="x").exists()


def test_list_takes_two_queries(api, django_assert_num_queries):
    with django_assert_num_queries(2):  # count + page
        api.get(LIST_URL)

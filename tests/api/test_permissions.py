"""RulesActionPermission: every viewset action must be named in the view's permission map."""

from types import SimpleNamespace

from konten.api import RulesActionPermission


def view(action: str | None, detail: bool = False) -> SimpleNamespace:
    return SimpleNamespace(
        action=action,
        detail=detail,
        action_perms={"list": None, "create": "konten.add_organisation"},
    )


def test_action_missing_from_the_map_is_refused(coordinator):
    request = SimpleNamespace(user=coordinator)

    assert not RulesActionPermission().has_permission(request, view("archive"))
    assert not RulesActionPermission().has_object_permission(request, view("archive"), None)


def test_public_action_is_open_to_anyone(outsider):
    assert RulesActionPermission().has_permission(SimpleNamespace(user=outsider), view("list"))


def test_named_permission_is_asked_of_rules(coordinator, outsider):
    permission = RulesActionPermission()

    assert permission.has_permission(SimpleNamespace(user=coordinator), view("create"))
    assert not permission.has_permission(SimpleNamespace(user=outsider), view("create"))


def test_anonymous_change_of_an_unknown_object_is_401_not_404(api, db):
    # Found by fuzzing: the 404 came before the login check.
    response = api.delete("/api/v1/resources/999999/")

    assert response.status_code == 401

"""The access-control walk: every URL and API endpoint, every method, as five people (issue 7).

Each route the resolver knows (tests/walk/routes.py: pages, allauth, the admin, the REST router) is
requested with GET and POST (pages) or GET, POST, PUT, PATCH and DELETE (API, with an empty JSON body) as

- ``visitor``: not logged in;
- ``member``: member of organisation A, which owns every resource in the walk;
- ``other_manager``: manager of organisation B, a party to nothing the walk's paths name;
- ``manager``: manager of organisation A;
- ``coordinator``: the network's coordinator (Django admin included),

in the world of tests/walk/world.py, and the answer is compared with the table in expected_answers.md.
A route without a row fails the walk: whoever adds a URL writes down who may use it. A row whose route
is gone fails too.

Beside the table, every refused write (4xx, or sent to the login) must have changed no row, and
nothing the visitor, the member or the other manager receives may name the borrower
(docs/permissions.md, "who booked").
"""

from pathlib import Path

import pytest

from tests.walk.harness import clients_for, send, snapshot
from tests.walk.routes import match_row, walk_targets
from tests.walk.world import BORROWER_EMAIL, BORROWER_NAME, BORROWER_ORGANISATION, ROLES

pytestmark = pytest.mark.django_db

TABLE = Path(__file__).with_name("expected_answers.md")

PAGE_METHODS = ("GET", "POST")
API_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# Roles that may not learn who booked (docs/permissions.md): the borrower is in organisation C.
NOT_TOLD_WHO = ("visitor", "member", "other_manager")
# Pages and endpoints that list every organisation of the network: C's name is public there.
ORGANISATIONS_LISTED = {
    "konten:home",
    "konten:organisation_list",
    "ressourcen:resource_list",
    "organisation-list",
}
# The borrower's own calendar feed: whoever holds its secret address is the borrower.
BORROWERS_OWN = {"buchungen:personal_feed"}


def parse_table(path: Path) -> dict[str, dict[str, dict[str, str]]]:
    """``{route key or glob: {method: {role: answer}}}`` from the Markdown table in ``path``."""
    lines = [line.strip().strip("|") for line in path.read_text().splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].split("|")]
    assert header[2:] == list(ROLES), header
    table: dict[str, dict[str, dict[str, str]]] = {}
    for line in lines[2:]:  # after the header and its |---| line
        key, methods, *answers = (cell.strip() for cell in line.split("|"))
        for method in methods.split(","):
            assert method not in table.get(key, {}), f"{key} {method}: two rows"
            table.setdefault(key, {})[method] = dict(zip(ROLES, answers, strict=True))
    return table


EXPECTED = parse_table(TABLE)


def test_every_route_has_a_row_and_every_row_a_route(world):
    keys = [target.key for target in walk_targets(world)]
    missing = [key for key in keys if match_row(key, EXPECTED) is None]
    assert not missing, "\n".join(f"url {key} has no expected answers in the walk table" for key in missing)
    stale = [row for row in EXPECTED if not any(match_row(key, {row: True}) for key in keys)]
    assert not stale, f"rows for routes that no longer exist: {stale}"


@pytest.mark.parametrize("role", ROLES)
def test_access_walk(world, role):
    clients = clients_for(world.persona[role])
    baseline = snapshot()
    wrong, wrote, leaks = [], [], []
    for target in walk_targets(world):
        methods = API_METHODS if target.route.is_api else PAGE_METHODS
        expected = match_row(target.key, EXPECTED) or {}
        for method in methods:
            sent = send(clients, target.route, target.path, method, baseline=baseline)
            want = expected.get(method, {}).get(role, "(no row)")
            if sent.answer != want:
                wrong.append(f"{method} {target.path} [{target.key}]: {sent.answer}, expected {want}")
            if sent.changed:
                wrote.append(f"{method} {target.path} answered {sent.answer} but changed {sent.changed}")
            if role in NOT_TOLD_WHO and target.key not in BORROWERS_OWN:
                told = [BORROWER_NAME, BORROWER_EMAIL]
                if target.key not in ORGANISATIONS_LISTED:
                    told.append(BORROWER_ORGANISATION)
                leaks += [f"{method} {target.path}: {secret!r}" for secret in told if secret in sent.text]
    assert not wrong, f"{len(wrong)} answers differ for {role}:\n" + "\n".join(wrong)
    assert not wrote, "refused requests that wrote:\n" + "\n".join(wrote)
    assert not leaks, f"who booked reached {role}:\n" + "\n".join(leaks)

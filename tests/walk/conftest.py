"""The fixture world of the walks (tests/walk/world.py), built per test: each test walks one role."""

import pytest

from tests.walk.world import build_world, plain_text


@pytest.fixture
def world(org_a, org_b, manager_a, member_a, manager_b, member_b, coordinator):
    return build_world(
        org_a=org_a,
        org_b=org_b,
        manager_a=manager_a,
        member_a=member_a,
        manager_b=manager_b,
        member_b=member_b,
        coordinator=coordinator,
        text=plain_text,
    )

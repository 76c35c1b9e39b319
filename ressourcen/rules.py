"""Who may do what with the catalogue (see konten/rules.py for the predicates)."""

import rules

from konten.rules import is_coordinator, is_manager_of


@rules.predicate
def is_skill_holder(user, resource) -> bool:
    return bool(
        resource is not None
        and user.is_authenticated
        and getattr(resource, "kind", None) == "skill"
        and resource.holder_id == user.pk
    )


@rules.predicate
def is_active_resource(user, resource) -> bool:
    return bool(resource is not None and resource.is_active)


# Organisation-level: may create resources, closures for the whole organisation, import a CSV.
rules.add_perm("ressourcen.add_resource", is_manager_of | is_coordinator)
rules.add_perm("ressourcen.view_resource", is_active_resource | is_manager_of | is_coordinator)
rules.add_perm("ressourcen.change_resource", is_manager_of | is_coordinator)
# The holder of a skill keeps their own offer up to date (description, languages, opening hours).
rules.add_perm("ressourcen.change_own_skill", is_skill_holder | is_manager_of | is_coordinator)
rules.add_perm("ressourcen.delete_resource", is_manager_of | is_coordinator)
rules.add_perm("ressourcen.manage_closures", is_manager_of | is_coordinator)
rules.add_perm("ressourcen.manage_features", is_coordinator)

"""Who may do what — the one place where permissions are decided.

Views, the API and the admin all ask ``user.has_perm("konten.<rule>", obj)``; nothing filters or checks
roles ad hoc. The predicates are reused by the other apps' rules (ressourcen, buchungen).
"""

import rules

from konten.models import Membership, Organisation


@rules.predicate
def is_coordinator(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_coordinator)


def _organisation_of(obj) -> Organisation | None:
    if obj is None:
        return None
    if isinstance(obj, Organisation):
        return obj
    return getattr(obj, "organisation", None)


@rules.predicate
def is_member_of(user, obj) -> bool:
    """The person belongs to the organisation (of ``obj``) in any role."""
    organisation = _organisation_of(obj)
    if organisation is None or not user.is_authenticated:
        return False
    return Membership.objects.filter(user=user, organisation=organisation).exists()


@rules.predicate
def is_manager_of(user, obj) -> bool:
    """The person manages the organisation (of ``obj``)."""
    organisation = _organisation_of(obj)
    if organisation is None or not user.is_authenticated:
        return False
    return Membership.objects.managers().filter(user=user, organisation=organisation).exists()


is_authenticated = rules.is_authenticated

rules.add_perm("konten.view_organisation", rules.always_allow)
rules.add_perm("konten.add_organisation", is_coordinator)
rules.add_perm("konten.change_organisation", is_manager_of | is_coordinator)
rules.add_perm("konten.delete_organisation", is_coordinator)
rules.add_perm("konten.view_organisation_members", is_member_of | is_coordinator)
rules.add_perm("konten.manage_organisation_members", is_manager_of | is_coordinator)
rules.add_perm("konten.view_accessibilityfeedback", is_coordinator)
rules.add_perm("konten.change_accessibilityfeedback", is_coordinator)
# The Django admin is the coordinator's housekeeping tool (see konten/admin.py).
rules.add_perm("konten.access_admin", is_coordinator)
# Beat's schedule (django_celery_beat's admin pages): the coordinator sees the periodic tasks and their
# schedules; they are code (settings.CELERY_BEAT_SCHEDULE), so nobody gets add/change/delete here.
# The bare app label is what the admin asks to list the app on its index (has_module_perms).
rules.add_perm("django_celery_beat", is_coordinator)
for _model in ("periodictask", "intervalschedule", "crontabschedule", "solarschedule", "clockedschedule"):
    rules.add_perm(f"django_celery_beat.view_{_model}", is_coordinator)

"""Reads on people and organisations, scoped in one place."""

from django.db.models import QuerySet

from konten.models import Invitation, Membership, Organisation, User


def organisation_memberships(*, organisation: Organisation) -> QuerySet[Membership]:
    """Members of an organisation, managers first; callers have checked view permission."""
    return (
        Membership.objects.filter(organisation=organisation)
        .select_related("user")
        # "manager" sorts before "member".
        .order_by("role", "user__name", "user__email")
    )


def organisation_pending_invitations(*, organisation: Organisation) -> QuerySet[Invitation]:
    return (
        Invitation.objects.pending()
        .filter(organisation=organisation)
        .select_related("invited_by")
        .order_by("-created")
    )


def organisations_managed_by(*, user: User) -> QuerySet[Organisation]:
    """Organisations the person manages; all of them for the coordinator."""
    if not user.is_authenticated:
        return Organisation.objects.none()
    if user.is_coordinator:
        return Organisation.objects.all()
    return Organisation.objects.filter(memberships__user=user, memberships__role=Membership.Role.MANAGER)


def user_memberships(*, user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("organisation").order_by("organisation__name")

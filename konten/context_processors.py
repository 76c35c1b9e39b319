from django.conf import settings

from konten.models import Membership


def platform(request):
    """What every page's layout needs: the person's organisations for the navigation."""
    user = getattr(request, "user", None)
    memberships = []
    if user is not None and user.is_authenticated:
        memberships = list(Membership.objects.filter(user=user).select_related("organisation"))
    return {
        "my_memberships": memberships,
        "is_manager_anywhere": any(m.role == Membership.Role.MANAGER for m in memberships),
        "platform_production": settings.PRODUCTION,
    }

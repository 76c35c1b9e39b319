"""Writes on people and organisations. Views, API, admin and tasks call these; none writes on its own.

Every service is one transaction, checks permissions itself (so no caller can forget), and raises
``PermissionDenied`` or ``ValidationError`` with a message a person can read — writing nothing then.
"""

import secrets
from datetime import timedelta
from typing import Any

from allauth.account.models import EmailAddress
from django.apps import apps
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from konten import tasks
from konten.models import (
    AccessibilityFeedback,
    Invitation,
    Membership,
    Organisation,
    User,
    invitation_token_hash,
)


def require_perm(user: User, perm: str, obj: Any = None) -> None:
    """Raise PermissionDenied unless ``user`` has ``perm`` (konten/rules.py and the apps' rules) on ``obj``.

    Every service of every app checks through this, so the message and the rule lookup are one."""
    if not user.has_perm(perm, obj):
        raise PermissionDenied(_("You are not allowed to do this."))


def _lock_organisation(organisation: Organisation) -> Organisation:
    """Lock the organisation row: membership changes of one organisation then run one after another.

    Without it two managers demoting each other at the same moment could both see "another manager
    remains" and leave the organisation with none.
    """
    return Organisation.objects.select_for_update().get(pk=organisation.pk)


# --- Organisations ------------------------------------------------------------------------------------


@transaction.atomic
def organisation_create(*, actor: User, data: dict[str, Any]) -> Organisation:
    """Create an organisation (coordinator only). ``data`` holds model field values."""
    require_perm(actor, "konten.add_organisation")
    organisation = Organisation(**data)
    organisation.full_clean()
    organisation.save()
    return organisation


@transaction.atomic
def organisation_update(*, actor: User, organisation: Organisation, data: dict[str, Any]) -> Organisation:
    """Change an organisation's public data (its managers and the coordinator)."""
    require_perm(actor, "konten.change_organisation", organisation)
    organisation = _lock_organisation(organisation)
    for field, value in data.items():
        setattr(organisation, field, value)
    organisation.full_clean()
    organisation.save()
    return organisation


# --- Invitations ------------------------------------------------------------------------------------


@transaction.atomic
def invitation_create(
    *, actor: User, organisation: Organisation, email: str, role: str = Membership.Role.MEMBER
) -> tuple[Invitation, str]:
    """Invite ``email`` into ``organisation``; returns the invitation and its (unstored) token.

    Managers of the organisation and the coordinator may invite. Someone who already belongs to the
    organisation is not invited again. An earlier pending invitation for the same address is revoked,
    so only the newest link works. The e-mail is queued after commit.
    """
    require_perm(actor, "konten.manage_organisation_members", organisation)
    email = User.objects.normalize_email(email.strip()).lower()
    if role not in Membership.Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    if Membership.objects.filter(organisation=organisation, user__email__iexact=email).exists():
        raise ValidationError(
            {"email": _("%(email)s already belongs to this organisation.") % {"email": email}}
        )
    now = timezone.now()
    Invitation.objects.pending().filter(organisation=organisation, email__iexact=email).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        organisation=organisation,
        email=email,
        role=role,
        token_hash=invitation_token_hash(token),
        invited_by=actor,
        expires_at=now + timedelta(days=settings.INVITATION_VALID_DAYS),
    )
    transaction.on_commit(lambda: tasks.send_invitation_email.delay(invitation.pk, token))
    return invitation, token


def invitation_get_by_token(*, token: str) -> Invitation:
    """Find the invitation for a token, or raise ValidationError saying why it cannot be used."""
    invitation = (
        Invitation.objects.select_related("organisation", "invited_by")
        .filter(token_hash=invitation_token_hash(token))
        .first()
    )
    if invitation is None:
        raise ValidationError(_("This invitation link is not valid."), code="invalid")
    if invitation.accepted_at is not None:
        raise ValidationError(_("This invitation has already been used."), code="used")
    if invitation.revoked_at is not None:
        raise ValidationError(_("This invitation was withdrawn or replaced by a newer one."), code="revoked")
    if invitation.is_expired:
        raise ValidationError(_("This invitation has expired. Please ask for a new one."), code="expired")
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, user: User) -> Membership:
    """Join the organisation of the invitation. Single use: the row is locked and marked accepted.

    Raises ValidationError for an unknown, used, withdrawn or expired token, and when the person
    already belongs to the organisation; nothing changes then.
    """
    invitation = invitation_get_by_token(token=token)
    # Lock, then check again: two clicks on the same link must not both succeed.
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_usable:
        raise ValidationError(_("This invitation has already been used."), code="used")
    if Membership.objects.filter(user=user, organisation=invitation.organisation).exists():
        raise ValidationError(
            _("You already belong to %(organisation)s.") % {"organisation": invitation.organisation.name},
            code="already_member",
        )
    membership = Membership.objects.create(
        user=user, organisation=invitation.organisation, role=invitation.role
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


@transaction.atomic
def invitation_revoke(*, actor: User, invitation: Invitation) -> None:
    """Withdraw a pending invitation (managers of its organisation, the coordinator)."""
    require_perm(actor, "konten.manage_organisation_members", invitation.organisation)
    Invitation.objects.pending().filter(pk=invitation.pk).update(revoked_at=timezone.now())


# --- Memberships --------------------------------------------------------------------------------------


def _other_managers(membership: Membership) -> bool:
    return (
        Membership.objects.managers()
        .filter(organisation_id=membership.organisation_id)
        .exclude(pk=membership.pk)
        .exists()
    )


@transaction.atomic
def membership_set_role(*, actor: User, membership: Membership, role: str) -> Membership:
    """Promote to manager or demote to member. The last manager can never be demoted."""
    require_perm(actor, "konten.manage_organisation_members", membership.organisation)
    if role not in Membership.Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    _lock_organisation(membership.organisation)
    membership = Membership.objects.select_related("user", "organisation").get(pk=membership.pk)
    if (
        membership.role == Membership.Role.MANAGER
        and role != Membership.Role.MANAGER
        and not _other_managers(membership)
    ):
        raise ValidationError(
            _(
                "%(name)s is the last manager of %(organisation)s and cannot be demoted. "
                "Appoint another manager first."
            )
            % {"name": membership.user.display_name, "organisation": membership.organisation}
        )
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_remove(*, actor: User, membership: Membership) -> None:
    """Remove a person from an organisation; they may also leave by themselves.

    The last manager can never be removed: an organisation always keeps someone who manages it.
    """
    if actor.pk != membership.user_id:
        require_perm(actor, "konten.manage_organisation_members", membership.organisation)
    _lock_organisation(membership.organisation)
    membership = Membership.objects.select_related("user", "organisation").get(pk=membership.pk)
    if membership.role == Membership.Role.MANAGER and not _other_managers(membership):
        raise ValidationError(
            _(
                "%(name)s is the last manager of %(organisation)s and cannot be removed. "
                "Appoint another manager first."
            )
            % {"name": membership.user.display_name, "organisation": membership.organisation}
        )
    membership.delete()


# --- API tokens ---------------------------------------------------------------------------------------


@transaction.atomic
def token_issue(*, user: User) -> Token:
    """The person's API token, created on first use; the same one until it is revoked."""
    token, _created = Token.objects.get_or_create(user=user)
    return token


@transaction.atomic
def token_revoke(*, user: User) -> None:
    """Delete the person's API token; requests with it get 401 from then on."""
    Token.objects.filter(user=user).delete()


# --- Profile and GDPR ----------------------------------------------------------------------------------


@transaction.atomic
def user_update_profile(*, user: User, data: dict[str, Any]) -> User:
    """Change one's own name, language and notification preferences."""
    allowed = {"name", "language", "notify_by_email", "notify_reminders", "notify_digest"}
    unknown = set(data) - allowed
    if unknown:
        raise ValidationError(
            _("These fields cannot be changed here: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    for field, value in data.items():
        setattr(user, field, value)
    user.full_clean(exclude=["password"])
    user.save(update_fields=list(data))
    return user


def user_export_data(*, user: User) -> dict[str, Any]:
    """Everything the platform stores about a person, as JSON-ready data (GDPR Art. 15 and 20)."""
    memberships = Membership.objects.filter(user=user).select_related("organisation")
    return {
        "exported_at": timezone.now().isoformat(),
        "account": {
            "id": user.pk,
            "email": user.email,
            "name": user.name,
            "language": user.language,
            "is_coordinator": user.is_coordinator,
            "date_joined": user.date_joined.isoformat(),
            "last_login": user.last_login.isoformat() if user.last_login else None,
            "notification_preferences": {
                "notify_by_email": user.notify_by_email,
                "notify_reminders": user.notify_reminders,
                "notify_digest": user.notify_digest,
            },
        },
        "email_addresses": [
            {"email": a.email, "verified": a.verified, "primary": a.primary}
            for a in EmailAddress.objects.filter(user=user).order_by("email")
        ],
        "memberships": [
            {
                "organisation": m.organisation.name,
                "organisation_slug": m.organisation.slug,
                "role": m.role,
                "since": m.created.isoformat(),
            }
            for m in memberships
        ],
        "invitations_accepted": [
            {"organisation": i.organisation.name, "accepted_at": i.accepted_at.isoformat()}
            for i in Invitation.objects.filter(accepted_by=user).select_related("organisation")
        ],
        # The apps built on konten add their part (bookings, …): an AppConfig with ``export_user_data``.
        **{
            key: value
            for config in apps.get_app_configs()
            if hasattr(config, "export_user_data")
            for key, value in config.export_user_data(user).items()
        },
    }


@transaction.atomic
def user_erase(*, user: User) -> None:
    """Delete a person's account for good.

    Refused while they are the last manager of an organisation (it would be left without one).
    Bookings they made stay for the network's statistics but lose the link to the person: every
    foreign key from the booking engine to the user is ``SET_NULL`` (see docs/gdpr.md).
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    for membership in Membership.objects.managers().filter(user=user).select_related("organisation"):
        _lock_organisation(membership.organisation)
        if not _other_managers(membership):
            raise ValidationError(
                _(
                    "You are the last manager of %(organisation)s. Appoint another manager or "
                    "ask the network coordination before you delete your account."
                )
                % {"organisation": membership.organisation.name}
            )
    user.delete()


# --- Accessibility feedback -------------------------------------------------------------------------


@transaction.atomic
def feedback_submit(*, name: str, email: str, page: str, message: str) -> AccessibilityFeedback:
    """Store a barrier report and send it to the network's coordinators after commit."""
    if not message.strip():
        raise ValidationError({"message": _("Please describe the barrier.")})
    feedback = AccessibilityFeedback(name=name, email=email, page=page, message=message)
    feedback.full_clean()
    feedback.save()
    transaction.on_commit(lambda: tasks.send_feedback_notification.delay(feedback.pk))
    return feedback

"""Background e-mails of the accounts app. Thin: take ids, load fresh rows, send.

Exactly-once comes from the database, never from the broker: the welcome task claims its row with a
conditional UPDATE (``welcome_email_sent_at IS NULL``) and only the worker whose UPDATE changed a row
sends. If sending fails the claim is released and the task retries with backoff.
"""

import logging
import smtplib

from celery import shared_task
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from konten.mail import mail_send
from konten.models import AccessibilityFeedback, Invitation, User

logger = logging.getLogger(__name__)

RETRY = {
    "autoretry_for": (smtplib.SMTPException, OSError),
    "retry_backoff": 30,
    "retry_backoff_max": 1800,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(**RETRY)
def send_welcome_email(user_id: int) -> bool:
    """Welcome a person once their address is confirmed. Returns whether this run sent it."""
    claimed = User.objects.filter(pk=user_id, welcome_email_sent_at__isnull=True).update(
        welcome_email_sent_at=timezone.now()
    )
    if not claimed:
        return False
    user = User.objects.get(pk=user_id)
    try:
        mail_send(
            template="welcome",
            to=[user.email],
            context={"user": user, "dashboard_path": reverse("konten:dashboard")},
            language=user.language,
        )
    except Exception:
        # Release the claim so the retry (or a later run) can send it.
        User.objects.filter(pk=user_id).update(welcome_email_sent_at=None)
        raise
    logger.info("welcome e-mail sent to user %s", user_id)
    return True


@shared_task(**RETRY)
def send_invitation_email(invitation_id: int, token: str) -> bool:
    """Send the invitation link. Skips invitations withdrawn or used before the worker got to them."""
    invitation = (
        Invitation.objects.select_related("organisation", "invited_by").filter(pk=invitation_id).first()
    )
    if invitation is None or not invitation.is_usable:
        return False
    existing = User.objects.filter(email__iexact=invitation.email).first()
    inviter = invitation.invited_by
    language = (existing or inviter).language if (existing or inviter) else "de"
    mail_send(
        template="invitation",
        to=[invitation.email],
        context={
            "invitation": invitation,
            "organisation": invitation.organisation,
            "inviter": inviter,
            "accept_path": reverse("konten:invitation_accept", kwargs={"token": token}),
        },
        language=language,
    )
    return True


@shared_task(**RETRY)
def send_feedback_notification(feedback_id: int) -> bool:
    """Forward an accessibility report to every active coordinator, each in their language."""
    feedback = AccessibilityFeedback.objects.filter(pk=feedback_id).first()
    if feedback is None:
        return False
    coordinators = User.objects.filter(is_coordinator=True, is_active=True)
    for coordinator in coordinators:
        mail_send(
            template="accessibility_feedback",
            to=[coordinator.email],
            context={"feedback": feedback, "coordinator": coordinator},
            language=coordinator.language,
        )
    return True


def welcome_email_queue(user: User) -> None:
    """Queue the welcome e-mail once the surrounding transaction has committed."""
    transaction.on_commit(lambda: send_welcome_email.delay(user.pk))

"""Rendering a notification as an e-mail, in its recipient's language (templates/email/notification_*)."""

from buchungen.models import Notification
from konten.mail import mail_send


def notification_send(notification: Notification) -> None:
    """Render and send ``notification`` to its recipient. Raises on failure (the caller records it)."""
    mail_send(
        template=f"notification_{notification.kind}",
        to=[notification.recipient.email],
        context={
            "notification": notification,
            "booking": notification.booking,
            "recipient": notification.recipient,
        },
        language=notification.recipient.language,
    )

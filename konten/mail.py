"""Sending e-mails rendered from templates, in the recipient's language.

Every message has three templates under ``templates/email/``: ``<name>_subject.txt``, ``<name>.txt``
and ``<name>.html``. They are rendered inside ``translation.override(language)`` so a German member gets
German mail even when an English-speaking manager triggered it.
"""

from collections.abc import Sequence

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation


def render_mail(*, template: str, context: dict, language: str) -> tuple[str, str, str]:
    """Return (subject, text body, HTML body) for ``template`` rendered in ``language``."""
    context = {"site_url": settings.SITE_URL, **context}
    with translation.override(language):
        subject = render_to_string(f"email/{template}_subject.txt", context)
        text = render_to_string(f"email/{template}.txt", context)
        html = render_to_string(f"email/{template}.html", context)
    subject = " ".join(subject.split())
    return settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject, text, html


def mail_send(
    *,
    template: str,
    to: Sequence[str],
    context: dict,
    language: str,
    attachments: Sequence[tuple[str, bytes, str]] = (),
    headers: dict[str, str] | None = None,
) -> None:
    """Render and send one message (text and HTML parts). Raises on SMTP failure: callers retry.
    ``headers``: extra headers, e.g. a stable ``Message-ID`` (notifications)."""
    subject, text, html = render_mail(template=template, context=context, language=language)
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=list(to), headers=headers
    )
    message.attach_alternative(html, "text/html")
    for filename, content, mimetype in attachments:
        message.attach(filename, content, mimetype)
    message.send(fail_silently=False)

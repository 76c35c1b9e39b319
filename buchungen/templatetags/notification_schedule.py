"""Template filters for the scheduled messages (templates/email/notification_digest*): the digest's
context is JSON, so its times arrive as ISO strings; ``instant`` turns them back into datetimes for the
``date`` filter (which shows them in Berlin time, in the recipient's language)."""

from datetime import datetime

from django import template

register = template.Library()


@register.filter
def instant(value: str) -> datetime | str:
    """An ISO 8601 string as an aware datetime; anything else as an empty string."""
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return ""

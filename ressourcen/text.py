"""Durations in words, for the catalogue's booking rules and the engine's messages alike."""

from django.utils.translation import ngettext


def duration_text(minutes: int) -> str:
    """ "90" → "1 hour 30 minutes"; whole days as days."""
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(ngettext("%(count)d day", "%(count)d days", days) % {"count": days})
    if hours:
        parts.append(ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours})
    if mins or not parts:
        parts.append(ngettext("%(count)d minute", "%(count)d minutes", mins) % {"count": mins})
    return " ".join(parts)

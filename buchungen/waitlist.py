"""The waitlist: joining it for a taken slot, offering a freed slot to the first eligible entry."""

from datetime import datetime

from ressourcen.models import Resource


def waitlist_offer_freed(*, resource: Resource, start: datetime, end: datetime) -> None:
    """Called inside the transaction that freed ``[start, end)`` of ``resource``."""

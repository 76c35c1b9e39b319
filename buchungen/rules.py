"""Who may do what with bookings (see konten/rules.py for the shared predicates).

Two organisations meet in every booking: the *borrowing* one (``booking.organisation``) and the
*owning* one (``booking.resource.organisation``). The konten predicates read ``obj.organisation``, so
for the owner they are asked with the booking's resource, never with the booking itself.

The coordinator sees every booking but decides nothing: approving, declining, cancelling and handing
over are the owners' (and borrowers') business.
"""

import rules

from konten.models import Membership
from konten.rules import is_coordinator, is_manager_of, is_member_of
from ressourcen.rules import is_skill_holder


@rules.predicate
def is_booker(user, booking) -> bool:
    return bool(booking is not None and user.is_authenticated and booking.booked_by_id == user.pk)


@rules.predicate
def is_member_of_borrower(user, booking) -> bool:
    """A member (any role) of the organisation the booking was made for."""
    return bool(booking is not None and booking.organisation_id is not None and is_member_of(user, booking))


@rules.predicate
def manages_booked_resource(user, booking) -> bool:
    """A manager of the organisation that owns the booked resource."""
    return bool(booking is not None and is_manager_of(user, booking.resource))


@rules.predicate
def holds_booked_skill(user, booking) -> bool:
    """The person whose skill (their time) is booked."""
    return bool(booking is not None and is_skill_holder(user, booking.resource))


is_borrower = is_booker | is_member_of_borrower

# Asked without an object: may the caller book or list at all (the services check the rest).
rules.add_perm("buchungen.add_booking", rules.is_authenticated)
rules.add_perm("buchungen.list_bookings", rules.is_authenticated)
# Asked with an organisation: may the caller book on its behalf.
rules.add_perm("buchungen.book_for_organisation", is_member_of)

rules.add_perm(
    "buchungen.view_booking", is_borrower | manages_booked_resource | holds_booked_skill | is_coordinator
)
# A skill is someone's time: its holder decides on requests for it, as do the owner's managers (who
# step in when the holder is away or has left). The coordinator is read-only.
rules.add_perm("buchungen.approve_booking", manages_booked_resource | holds_booked_skill)
rules.add_perm("buchungen.cancel_booking", is_borrower | manages_booked_resource | holds_booked_skill)
rules.add_perm("buchungen.handover_booking", manages_booked_resource)
# Recording that nobody came is the owner's word about the borrower: its managers, as for hand-overs.
rules.add_perm("buchungen.mark_no_show", manages_booked_resource)


@rules.predicate
def may_see_reports(user, organisation) -> bool:
    """Reports (issue 6): with an organisation, its managers; without one, any manager (of their own)."""
    if organisation is None:
        return bool(user.is_authenticated and Membership.objects.managers().filter(user=user).exists())
    return bool(is_manager_of(user, organisation))


# The coordinator sees the whole network's figures; a manager those of their own organisation.
rules.add_perm("buchungen.view_reports", is_coordinator | may_see_reports)

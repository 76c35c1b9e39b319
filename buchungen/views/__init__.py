"""The booking engine's pages, one module per room of the work:

borrower.py  booking form (errors, alternatives), resource calendar, "My bookings", booking detail
owner.py     the managers' inbox (approve / decline, several at once) and the handover screen
series.py    series form with preview, series detail (cancel one date or the rest)
bundles.py   one request for several resources (room + projector + technician)
waitlist.py  joining the waitlist for a taken slot, the offers
feeds.py     iCalendar feeds (personal behind a secret token, public per resource)
notifications.py  the notification centre: the person's messages, newest first, unread marked; mark read

Each module exports ``urlpatterns``; buchungen/urls.py joins them. The views render and call the
services (buchungen/services.py and siblings); permissions are checked on the server, per view.
"""

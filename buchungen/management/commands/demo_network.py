"""Load the demo network: the people and organisations (``konten.demo``), what they lend
(``ressourcen.demo``) — about thirty rooms, pieces of equipment and skills with opening hours and closures —
and bookings between them (``buchungen.demo``): a few weeks ahead made through the booking services, and
six months of history (see ``docs/booking-demo.md``).

The command lives in ``buchungen`` because it needs all three parts and imports flow
``buchungen → ressourcen → konten``. Idempotent: running it again updates the people and the catalogue
instead of duplicating them, and adds no bookings once the demo people have some. Passwords are only set
when a person is created; ``--reset-passwords`` sets every demo password back to ``demo1234``.

Never meant for a live installation: with ``APP_ENV=production`` it refuses unless
``--allow-production`` is given.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from buchungen.demo import DemoBookings, demo_bookings_load
from konten.demo import DEMO_PASSWORD, demo_accounts_load, demo_logins, demo_member_count
from ressourcen.demo import demo_resources_load


class Command(BaseCommand):
    help = (
        "Load the demo network with its catalogue and a few weeks of bookings (idempotent). "
        "Every demo password is demo1234."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Run even with APP_ENV=production (puts known passwords on a live system!).",
        )
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help=f"Set the password of every demo person back to {DEMO_PASSWORD}.",
        )

    def handle(self, *args, allow_production: bool, reset_passwords: bool, **options) -> None:
        if settings.PRODUCTION and not allow_production:
            raise CommandError(
                "Refusing to load the demo network in production (its passwords are public). "
                "Pass --allow-production if you really mean it."
            )
        # One transaction: a failing resource leaves no half-loaded network behind. A booking the rules
        # refuse is only logged (buchungen.demo), so the bookings never make the command fail.
        with transaction.atomic():
            accounts = demo_accounts_load(reset_passwords=reset_passwords, log=self.stdout.write)
            resources = demo_resources_load(accounts=accounts, log=self.stdout.write)
            bookings = demo_bookings_load(accounts=accounts, resources=resources, log=self.stdout.write)
        self._summary(bookings)

    def _summary(self, bookings: DemoBookings) -> None:
        self.stdout.write(self.style.SUCCESS(f"Demo network ready. Logins (password {DEMO_PASSWORD}):"))
        for email, role in demo_logins():
            self.stdout.write(f"  {email:<32} {role}")
        self.stdout.write(
            f"  … and {demo_member_count()} members, e.g. lena.hoffmann@example.org "
            "(Hafenstraße and Chor Elbklang)"
        )
        self.stdout.write(bookings.summary())
        if bookings.history_summary():
            self.stdout.write(bookings.history_summary())
        if not bookings.skipped:
            self.stdout.write(
                "  Requests to decide for martin.schulze@, sabine.krause@, ursula.becker@ and "
                "ines.vogel@example.org; lena.hoffmann@example.org has hers under “Meine Buchungen”."
            )

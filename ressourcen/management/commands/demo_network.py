"""Load the demo network: the people and organisations (``konten.demo``), then what they lend
(``ressourcen.demo``) — about thirty rooms, pieces of equipment and skills with opening hours and closures.

The command lives in ``ressourcen`` because it needs both parts and imports flow ``ressourcen → konten``.
Idempotent: running it again updates the demo data instead of duplicating it. Passwords are only set
when a person is created; ``--reset-passwords`` sets every demo password back to ``demo1234``.

Never meant for a live installation: with ``APP_ENV=production`` it refuses unless
``--allow-production`` is given.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from konten.demo import DEMO_PASSWORD, demo_accounts_load, demo_logins, demo_member_count
from ressourcen.demo import demo_resources_load


class Command(BaseCommand):
    help = "Load the demo network with its catalogue (idempotent). Every demo password is demo1234."

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
        # One transaction: a failing resource leaves no half-loaded network behind.
        with transaction.atomic():
            accounts = demo_accounts_load(reset_passwords=reset_passwords, log=self.stdout.write)
            demo_resources_load(accounts=accounts, log=self.stdout.write)
        self._summary()

    def _summary(self) -> None:
        self.stdout.write(self.style.SUCCESS(f"Demo network ready. Logins (password {DEMO_PASSWORD}):"))
        for email, role in demo_logins():
            self.stdout.write(f"  {email:<32} {role}")
        self.stdout.write(
            f"  … and {demo_member_count()} members, e.g. lena.hoffmann@example.org "
            "(Hafenstraße and Chor Elbklang)"
        )

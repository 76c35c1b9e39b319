"""Load the demo network: the three partners, four fictitious clubs, their people and the coordinator.

Idempotent: organisations are matched by slug, people by e-mail address, so running it again updates
the demo data instead of duplicating it. Passwords are only set when a person is created (hashing is
deliberately slow); ``--reset-passwords`` sets every demo password back to ``demo1234``.

Never meant for a live installation: with ``APP_ENV=production`` it refuses unless
``--allow-production`` is given.
"""

from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from konten.models import Membership, Organisation, User

DEMO_PASSWORD = "demo1234"  # noqa: S105 — documented demo login, refused in production
COORDINATOR_EMAIL = "koordination@example.org"

MANAGER = Membership.Role.MANAGER
MEMBER = Membership.Role.MEMBER


@dataclass(frozen=True)
class DemoOrganisation:
    slug: str
    name: str
    description: str
    address: str
    accessibility_notes: str
    # (e-mail, role) of the people who belong to it
    people: list[tuple[str, str]] = field(default_factory=list)


# e-mail → name. Fictitious people; example.org never delivers mail.
PEOPLE = {
    COORDINATOR_EMAIL: "Katrin Lehmann",
    "sabine.krause@example.org": "Sabine Krause",
    "thomas.richter@example.org": "Thomas Richter",
    "jana.wolf@example.org": "Jana Wolf",
    "martin.schulze@example.org": "Martin Schulze",
    "lena.hoffmann@example.org": "Lena Hoffmann",
    "paul.neumann@example.org": "Paul Neumann",
    "ursula.becker@example.org": "Ursula Becker",
    "frank.zimmermann@example.org": "Frank Zimmermann",
    "christine.meyer@example.org": "Christine Meyer",
    "heike.schmidt@example.org": "Heike Schmidt",
    "jonas.fischer@example.org": "Jonas Fischer",
    "mia.weber@example.org": "Mia Weber",
    "leon.schaefer@example.org": "Leon Schäfer",
    "anne.koehler@example.org": "Anne Köhler",
    "sarah.walter@example.org": "Sarah Walter",
    "dieter.hartmann@example.org": "Dieter Hartmann",
    "uwe.schroeder@example.org": "Uwe Schröder",
    "petra.koenig@example.org": "Petra König",
}

ORGANISATIONS = [
    DemoOrganisation(
        slug="vhs-meissen",
        name="Volkshochschule im Landkreis Meißen e.V.",
        description=(
            "Die Volkshochschule bietet Kurse in Sprachen, Gesundheit, Kultur und digitaler Bildung "
            "für alle Generationen an. Im Netzwerk teilt sie Seminarräume, einen Computerraum und "
            "Präsentationstechnik."
        ),
        address="Heinrich-Heine-Straße 12\n01662 Meißen",
        accessibility_notes=(
            "Stufenloser Zugang über den Hof, Aufzug in alle Etagen, barrierefreies WC im "
            "Erdgeschoss. Induktionsschleife im Saal 1."
        ),
        people=[
            ("sabine.krause@example.org", MANAGER),
            ("thomas.richter@example.org", MEMBER),
            ("jana.wolf@example.org", MEMBER),
        ],
    ),
    DemoOrganisation(
        slug="hafenstrasse",
        name="Soziokulturelles Zentrum Hafenstraße e.V.",
        description=(
            "Treffpunkt für Konzerte, Theater, Werkstätten und Vereinsarbeit direkt an der Elbe. "
            "Das Zentrum verleiht Bühnen- und Tontechnik und vermittelt Technikerinnen und Techniker."
        ),
        address="Hafenstraße 28\n01662 Meißen",
        accessibility_notes=(
            "Saal und Café ebenerdig erreichbar, barrierefreies WC vorhanden. Die Werkstatt im "
            "Obergeschoss ist nur über eine Treppe erreichbar."
        ),
        people=[
            ("martin.schulze@example.org", MANAGER),
            ("lena.hoffmann@example.org", MEMBER),
            ("paul.neumann@example.org", MEMBER),
        ],
    ),
    DemoOrganisation(
        slug="buergerstiftung",
        name="Bürgerstiftung Meißen",
        description=(
            "Die Bürgerstiftung fördert Projekte von Bürgerinnen und Bürgern für ihre Stadt und "
            "stellt ihren Besprechungsraum und einen Beamer für Vereine zur Verfügung."
        ),
        address="Burgstraße 7\n01662 Meißen",
        accessibility_notes=(
            "Besprechungsraum im Erdgeschoss, eine Stufe am Eingang (mobile Rampe auf Nachfrage). "
            "Kein barrierefreies WC."
        ),
        people=[
            ("ursula.becker@example.org", MANAGER),
            ("frank.zimmermann@example.org", MEMBER),
        ],
    ),
    DemoOrganisation(
        slug="chor-elbklang",
        name="Chor Elbklang e.V.",
        description=(
            "Gemischter Chor mit rund vierzig Sängerinnen und Sängern. Probt wöchentlich und "
            "verleiht Notenständer, ein E-Piano und eine kleine Beschallungsanlage."
        ),
        address="Elbstraße 5\n01662 Meißen",
        accessibility_notes=("Proberaum im Erdgeschoss, stufenlos. Noten in Großdruck auf Anfrage."),
        people=[
            ("christine.meyer@example.org", MANAGER),
            ("heike.schmidt@example.org", MEMBER),
            # Lena sings here and works at the Hafenstraße: one person in two organisations.
            ("lena.hoffmann@example.org", MEMBER),
        ],
    ),
    DemoOrganisation(
        slug="jugendinitiative-triebischtal",
        name="Jugendinitiative Triebischtal",
        description=(
            "Junge Leute aus dem Triebischtal organisieren Workshops, Filmabende und ein "
            "Sommerfest. Sie bieten Hilfe bei Videoschnitt und Social Media an."
        ),
        address="Talstraße 40\n01662 Meißen",
        accessibility_notes=(
            "Jugendraum im Souterrain, nur über sechs Stufen erreichbar. Treffen finden bei "
            "Bedarf in barrierefreien Räumen der Partner statt."
        ),
        people=[
            ("jonas.fischer@example.org", MANAGER),
            ("mia.weber@example.org", MEMBER),
            ("leon.schaefer@example.org", MEMBER),
        ],
    ),
    DemoOrganisation(
        slug="eltern-kind-treff-coelln",
        name="Eltern-Kind-Treff Cölln e.V.",
        description=(
            "Offener Treff für Familien mit kleinen Kindern im Stadtteil Cölln: Krabbelgruppe, "
            "Elterncafé und Beratung. Verleiht Spielmatten, Bollerwagen und einen Kinderwagen-Parkplatz."
        ),
        address="Dresdner Straße 21\n01662 Meißen",
        accessibility_notes=(
            "Ebenerdiger Zugang, breite Türen, Wickelraum und barrierefreies WC. Ruhiger Stillraum vorhanden."
        ),
        people=[
            ("anne.koehler@example.org", MANAGER),
            ("sarah.walter@example.org", MEMBER),
        ],
    ),
    DemoOrganisation(
        slug="fotoclub-albrechtsburg",
        name="Fotoclub Albrechtsburg e.V.",
        description=(
            "Hobbyfotografinnen und -fotografen treffen sich zu Bildbesprechungen und Exkursionen. "
            "Der Club verleiht Stative, ein Fotostudio-Set und gibt Einführungen in Bildbearbeitung."
        ),
        address="Freiheit 4\n01662 Meißen",
        accessibility_notes=(
            "Clubraum im ersten Obergeschoss ohne Aufzug. Einführungskurse finden auf Wunsch in "
            "der Volkshochschule statt."
        ),
        people=[
            ("dieter.hartmann@example.org", MANAGER),
            ("uwe.schroeder@example.org", MEMBER),
            ("petra.koenig@example.org", MEMBER),
        ],
    ),
]


class Command(BaseCommand):
    help = "Load the demo network (idempotent). Every demo password is demo1234."

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
        with transaction.atomic():
            users = self._people(reset_passwords=reset_passwords)
            for demo in ORGANISATIONS:
                self._organisation(demo, users)
        self._summary()

    def _people(self, *, reset_passwords: bool) -> dict[str, User]:
        users = {}
        created_count = 0
        for email, name in PEOPLE.items():
            is_coordinator = email == COORDINATOR_EMAIL
            user, created = User.objects.update_or_create(
                email=email,
                defaults={
                    "name": name,
                    "language": User.Language.GERMAN,
                    "is_active": True,
                    "is_coordinator": is_coordinator,
                    "is_staff": is_coordinator,
                },
            )
            if created or reset_passwords:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            created_count += created
            # allauth lets only confirmed addresses log in (mandatory verification).
            EmailAddress.objects.update_or_create(
                user=user, email=email, defaults={"verified": True, "primary": True}
            )
            users[email] = user
        self.stdout.write(f"People: {len(users)} ({created_count} new, {len(users) - created_count} updated)")
        return users

    def _organisation(self, demo: DemoOrganisation, users: dict[str, User]) -> None:
        organisation, created = Organisation.objects.update_or_create(
            slug=demo.slug,
            defaults={
                "name": demo.name,
                "description": demo.description,
                "address": demo.address,
                "contact_email": f"kontakt@{demo.slug}.example.org",
                "accessibility_notes": demo.accessibility_notes,
            },
        )
        for email, role in demo.people:
            Membership.objects.update_or_create(
                user=users[email], organisation=organisation, defaults={"role": role}
            )
        verb = "created" if created else "updated"
        self.stdout.write(f"  {verb}: {organisation.name} ({len(demo.people)} people)")

    def _summary(self) -> None:
        self.stdout.write(self.style.SUCCESS("Demo network ready. Logins (password demo1234):"))
        self.stdout.write(f"  {COORDINATOR_EMAIL:<32} network coordinator (admin: /admin/)")
        for demo in ORGANISATIONS:
            for email, role in demo.people:
                if role == MANAGER:
                    self.stdout.write(f"  {email:<32} manager of {demo.name}")
        members = sorted({email for demo in ORGANISATIONS for email, role in demo.people if role == MEMBER})
        self.stdout.write(
            f"  … and {len(members)} members, e.g. lena.hoffmann@example.org (Hafenstraße and Chor Elbklang)"
        )

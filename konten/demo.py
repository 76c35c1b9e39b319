"""The people and organisations of the demo network: the three partners, four fictitious clubs, their
people and the coordinator. ``manage.py demo_network`` loads them, then the catalogue's part
(``ressourcen.demo``) adds what they lend.

Idempotent: organisations are matched by slug, people by e-mail address, so loading again updates the
demo data instead of duplicating it. Passwords are only set when a person is created (hashing is
deliberately slow) or when ``reset_passwords`` asks for it.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from allauth.account.models import EmailAddress

from konten.models import Membership, Organisation, User

DEMO_PASSWORD = "demo1234"  # noqa: S105 — documented demo login, the command refuses production
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
    "ines.vogel@example.org": "Ines Vogel",
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
            # Teaches DGS courses and offers interpreting as a skill (ressourcen.demo).
            ("ines.vogel@example.org", MEMBER),
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


@dataclass(frozen=True)
class DemoAccounts:
    """What :func:`demo_accounts_load` made: the people by e-mail, the organisations by slug."""

    people: dict[str, User]
    organisations: dict[str, Organisation]

    @property
    def coordinator(self) -> User:
        return self.people[COORDINATOR_EMAIL]


def demo_accounts_load(*, reset_passwords: bool = False, log: Callable[[str], None]) -> DemoAccounts:
    """Create or update the demo people, organisations and memberships; ``log`` gets progress lines.

    Runs in the caller's transaction (the command wraps the whole demo network in one).
    """
    people = _people(reset_passwords=reset_passwords, log=log)
    organisations = {demo.slug: _organisation(demo, people, log=log) for demo in ORGANISATIONS}
    return DemoAccounts(people=people, organisations=organisations)


def demo_logins() -> list[tuple[str, str]]:
    """(e-mail, role) lines for the command's summary: the coordinator and every manager."""
    lines = [(COORDINATOR_EMAIL, "network coordinator (admin: /admin/)")]
    for demo in ORGANISATIONS:
        lines += [(email, f"manager of {demo.name}") for email, role in demo.people if role == MANAGER]
    return lines


def demo_member_count() -> int:
    return len({email for demo in ORGANISATIONS for email, role in demo.people if role == MEMBER})


def _people(*, reset_passwords: bool, log: Callable[[str], None]) -> dict[str, User]:
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
    log(f"People: {len(users)} ({created_count} new, {len(users) - created_count} updated)")
    return users


def _organisation(
    demo: DemoOrganisation, users: dict[str, User], *, log: Callable[[str], None]
) -> Organisation:
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
    log(f"  {verb}: {organisation.name} ({len(demo.people)} people)")
    return organisation

"""The catalogue of the demo network: what its organisations lend, when, and to whom.

``manage.py demo_network`` calls :func:`demo_resources_load` after ``konten.demo`` has made the people and
organisations. Everything is written through ``ressourcen.services`` with the coordinator as actor, so
the demo data passes the same checks as a manager's input (a skill's holder must be a member, only
equipment has a quantity …).

Idempotent: resources are matched by slug (created or updated), opening hours replaced, closures matched
by organisation, resource and reason. Closures lie in the future relative to the day of the run, so a
run on another day moves them; a second run on the same day changes nothing.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from konten.demo import DemoAccounts
from konten.models import Organisation, User
from ressourcen.models import Closure, Resource
from ressourcen.services import (
    closure_create,
    closure_delete,
    features_by_slugs,
    opening_hours_replace,
    resource_create,
    resource_update,
)

ROOM = Resource.Kind.ROOM
EQUIPMENT = Resource.Kind.EQUIPMENT
SKILL = Resource.Kind.SKILL
NETWORK = Resource.Audience.NETWORK
ORGANISATION = Resource.Audience.ORGANISATION
PUBLIC = Resource.Audience.PUBLIC

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
WEEKDAYS = (MON, TUE, WED, THU, FRI)
EVERY_DAY = tuple(range(7))
MIDNIGHT = datetime.time(0, 0)  # as an end: midnight at the end of the day
DAY = 24 * 60

ADDRESSES = {
    "vhs-meissen": "Heinrich-Heine-Straße 12\n01662 Meißen",
    "hafenstrasse": "Hafenstraße 28\n01662 Meißen",
    "buergerstiftung": "Burgstraße 7\n01662 Meißen",
    "chor-elbklang": "Elbstraße 5\n01662 Meißen",
    "jugendinitiative-triebischtal": "Talstraße 40\n01662 Meißen",
    "eltern-kind-treff-coelln": "Dresdner Straße 21\n01662 Meißen",
    "fotoclub-albrechtsburg": "Freiheit 4\n01662 Meißen",
}

Hours = tuple[tuple[int, datetime.time, datetime.time], ...]


def hours(days: tuple[int, ...], start: str, end: str) -> Hours:
    """Weekly ranges: the same ``start``–``end`` (HH:MM; an end of 00:00 is midnight) on each of ``days``."""
    return tuple((day, datetime.time.fromisoformat(start), datetime.time.fromisoformat(end)) for day in days)


@dataclass(frozen=True)
class DemoResource:
    organisation: str  # slug
    slug: str
    kind: str
    name: str
    description: str
    features: tuple[str, ...] = ()
    opening_hours: Hours = ()  # empty: bookable at any time
    building: str = ""
    floor: str = ""
    directions: str = ""
    # Room
    capacity: int | None = None
    capacity_standing: int | None = None
    area_m2: Decimal | None = None
    # Equipment
    quantity: int = 1
    condition: str = ""
    replacement_value: Decimal | None = None
    deposit_note: str = ""
    pickup_place: str = ""
    # Skill
    holder: str | None = None  # e-mail of a member of the organisation
    languages: str = ""
    max_hours_per_month: int | None = None
    # Policy
    audience: str = NETWORK
    requires_approval: bool = False
    lead_time_hours: int = 0
    max_advance_days: int = 365
    min_duration_minutes: int = 30
    max_duration_minutes: int = DAY
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 0
    quota_hours_per_month: int | None = None

    def data(self, holder: User | None) -> dict[str, object]:
        """The field values for ``resource_create``/``resource_update``: every field, so an update
        resets whatever someone changed by hand."""
        return {
            "kind": self.kind,
            "name": self.name,
            "slug": self.slug,
            "description": self.description,
            "is_active": True,
            "address": ADDRESSES[self.organisation],
            "building": self.building,
            "floor": self.floor,
            "directions": self.directions,
            "capacity": self.capacity,
            "capacity_standing": self.capacity_standing,
            "area_m2": self.area_m2,
            "quantity": self.quantity,
            "condition": self.condition,
            "replacement_value": self.replacement_value,
            "deposit_note": self.deposit_note,
            "pickup_place": self.pickup_place,
            "holder": holder,
            "languages": self.languages,
            "max_hours_per_month": self.max_hours_per_month,
            "audience": self.audience,
            "requires_approval": self.requires_approval,
            "lead_time_hours": self.lead_time_hours,
            "max_advance_days": self.max_advance_days,
            "min_duration_minutes": self.min_duration_minutes,
            "max_duration_minutes": self.max_duration_minutes,
            "buffer_before_minutes": self.buffer_before_minutes,
            "buffer_after_minutes": self.buffer_after_minutes,
            "quota_hours_per_month": self.quota_hours_per_month,
        }


VHS_HOURS = hours(WEEKDAYS, "08:00", "21:30") + hours((SAT,), "09:00", "14:00")
VHS_DIRECTIONS = (
    "Stufenloser Eingang über den Hof (Zufahrt Heinrich-Heine-Straße). Den Schlüssel gibt es im "
    "Sekretariat, Zimmer 0.04; abends schließt der Hausmeister auf."
)
HAFEN_DIRECTIONS = (
    "Haupteingang an der Elbseite, ebenerdig. Schlüsselübergabe im Café zu dessen Öffnungszeiten oder "
    "nach Absprache mit der Technik."
)
STIFTUNG_PICKUP = "Lager der Bürgerstiftung, Burgstraße 7 (Hofeinfahrt), Abholung nach Absprache"

RESOURCES: list[DemoResource] = [
    # --- Volkshochschule ---------------------------------------------------------------------------
    DemoResource(
        organisation="vhs-meissen",
        slug="vhs-seminarraum-1",
        kind=ROOM,
        name="Seminarraum 1",
        description=(
            "Heller Seminarraum mit Fenstern zum Hof, Tische in U-Form oder in Gruppen stellbar. "
            "Whiteboard, Flipchart und fest installierter Beamer."
        ),
        features=("stufenloser-zugang", "aufzug", "barrierefreies-wc", "bestuhlung", "beamer", "wlan"),
        opening_hours=VHS_HOURS,
        building="Hauptgebäude",
        floor="1. Obergeschoss",
        directions=VHS_DIRECTIONS,
        capacity=20,
        capacity_standing=30,
        area_m2=Decimal("45.0"),
        buffer_after_minutes=15,
    ),
    DemoResource(
        organisation="vhs-meissen",
        slug="vhs-seminarraum-2",
        kind=ROOM,
        name="Seminarraum 2",
        description=(
            "Kleiner, ruhiger Raum unter dem Dach für Gesprächsrunden, Beratung und Sprachkurse. "
            "Teppichboden, gute Akustik, abseits vom Kursbetrieb."
        ),
        features=(
            "stufenloser-zugang",
            "aufzug",
            "barrierefreies-wc",
            "induktionsschleife",
            "ruhiger-raum",
            "bestuhlung",
            "wlan",
        ),
        opening_hours=VHS_HOURS,
        building="Hauptgebäude",
        floor="2. Obergeschoss",
        directions=VHS_DIRECTIONS,
        capacity=12,
        capacity_standing=16,
        area_m2=Decimal("28.5"),
    ),
    DemoResource(
        organisation="vhs-meissen",
        slug="vhs-edv-raum",
        kind=ROOM,
        name="EDV-Raum",
        description=(
            "Computerraum mit zwölf Arbeitsplätzen (Linux und Windows), Drucker und Präsentationsbeamer. "
            "Eine Einweisung durch die VHS ist vor der ersten Nutzung nötig."
        ),
        features=("stufenloser-zugang", "aufzug", "barrierefreies-wc", "beamer", "wlan", "verdunkelung"),
        opening_hours=hours(WEEKDAYS, "08:00", "20:00"),
        building="Hauptgebäude",
        floor="1. Obergeschoss",
        directions=VHS_DIRECTIONS,
        capacity=12,
        area_m2=Decimal("52.0"),
        requires_approval=True,
        lead_time_hours=48,
    ),
    DemoResource(
        organisation="vhs-meissen",
        slug="vhs-vortragssaal",
        kind=ROOM,
        name="Vortragssaal",
        description=(
            "Großer Saal mit ansteigender Reihenbestuhlung, kleiner Bühne, Beschallung und "
            "Induktionsschleife. Geeignet für Vorträge, Lesungen und Bürgerversammlungen."
        ),
        features=(
            "stufenloser-zugang",
            "barrierefreies-wc",
            "induktionsschleife",
            "behindertenparkplatz",
            "blindenleitsystem",
            "bestuhlung",
            "beamer",
            "beschallung",
            "buehne",
            "verdunkelung",
            "wlan",
        ),
        opening_hours=VHS_HOURS,
        building="Hauptgebäude",
        floor="Erdgeschoss",
        directions=VHS_DIRECTIONS + " Zwei Behindertenparkplätze direkt am Eingang.",
        capacity=120,
        capacity_standing=160,
        area_m2=Decimal("150.0"),
        audience=PUBLIC,
        requires_approval=True,
        lead_time_hours=72,
        min_duration_minutes=60,
        buffer_before_minutes=30,
        buffer_after_minutes=30,
        quota_hours_per_month=16,
    ),
    DemoResource(
        organisation="vhs-meissen",
        slug="vhs-lehrkueche",
        kind=ROOM,
        name="Lehrküche",
        description=(
            "Voll ausgestattete Lehrküche mit vier Kochinseln, eine davon unterfahrbar. Geschirr für "
            "30 Personen; Lebensmittel bringen die Gruppen selbst mit."
        ),
        features=("stufenloser-zugang", "barrierefreies-wc", "kueche", "bestuhlung"),
        opening_hours=hours(WEEKDAYS, "09:00", "21:00"),
        building="Nebengebäude",
        floor="Erdgeschoss",
        directions="Nebengebäude links vom Hof, ebenerdiger Eingang. Schlüssel im Sekretariat.",
        capacity=14,
        capacity_standing=20,
        area_m2=Decimal("60.0"),
        requires_approval=True,
        min_duration_minutes=120,
        buffer_after_minutes=60,
    ),
    DemoResource(
        organisation="vhs-meissen",
        slug="vhs-moderation",
        kind=SKILL,
        name="Moderation von Workshops und Versammlungen",
        description=(
            "Jana moderiert Workshops, Zukunftswerkstätten und Mitgliederversammlungen – auch mit "
            "Konflikten. Vorgespräch und Ablaufplan inklusive."
        ),
        holder="jana.wolf@example.org",
        languages="Deutsch, Englisch",
        max_hours_per_month=10,
        requires_approval=True,
        lead_time_hours=7 * 24,
        min_duration_minutes=60,
        max_duration_minutes=8 * 60,
    ),
    DemoResource(
        organisation="vhs-meissen",
        slug="vhs-gebaerdensprache",
        kind=SKILL,
        name="Gebärdensprache (DGS)",
        description=(
            "Ines dolmetscht zwischen Deutscher Gebärdensprache und Lautsprache bei Veranstaltungen, "
            "Beratungen und Vereinssitzungen. Bei mehr als zwei Stunden kommt eine Kollegin dazu."
        ),
        features=("gebaerdensprache",),
        opening_hours=hours((MON, TUE, WED, THU), "09:00", "18:00"),
        holder="ines.vogel@example.org",
        languages="Deutsch, Deutsche Gebärdensprache (DGS)",
        max_hours_per_month=15,
        requires_approval=True,
        lead_time_hours=7 * 24,
        min_duration_minutes=60,
        max_duration_minutes=4 * 60,
    ),
    # --- Hafenstraße -------------------------------------------------------------------------------
    DemoResource(
        organisation="hafenstrasse",
        slug="hafenstrasse-saal",
        kind=ROOM,
        name="Saal",
        description=(
            "Der große Veranstaltungssaal mit Bühne (6 × 4 m), Licht- und Tontechnik. Konzerte bis 250 "
            "Stehplätze, bestuhlt 100 Plätze. Technik nur mit Technikerin oder Techniker des Hauses."
        ),
        features=(
            "stufenloser-zugang",
            "barrierefreies-wc",
            "behindertenparkplatz",
            "bestuhlung",
            "buehne",
            "beschallung",
            "beamer",
            "verdunkelung",
            "wlan",
        ),
        opening_hours=hours((TUE, WED, THU, FRI, SAT, SUN), "10:00", "00:00"),
        building="Haupthaus",
        floor="Erdgeschoss",
        directions=HAFEN_DIRECTIONS,
        capacity=100,
        capacity_standing=250,
        area_m2=Decimal("220.0"),
        requires_approval=True,
        lead_time_hours=14 * 24,
        min_duration_minutes=3 * 60,
        buffer_before_minutes=60,
        buffer_after_minutes=90,
        quota_hours_per_month=24,
    ),
    DemoResource(
        organisation="hafenstrasse",
        slug="hafenstrasse-bandprobenraum",
        kind=ROOM,
        name="Bandprobenraum",
        description=(
            "Schallgedämmter Proberaum im Keller mit Schlagzeug, zwei Gitarrenverstärkern, Bassverstärker "
            "und Gesangsanlage. Eigene Becken bitte mitbringen."
        ),
        features=("beschallung",),
        opening_hours=hours(EVERY_DAY, "14:00", "23:00"),
        building="Haupthaus",
        floor="Keller",
        directions="Treppe rechts neben dem Café hinunter (14 Stufen, kein Aufzug).",
        capacity=8,
        area_m2=Decimal("24.0"),
        min_duration_minutes=60,
        max_duration_minutes=4 * 60,
        quota_hours_per_month=12,
    ),
    DemoResource(
        organisation="hafenstrasse",
        slug="hafenstrasse-werkstatt",
        kind=ROOM,
        name="Werkstatt",
        description=(
            "Holz- und Metallwerkstatt mit Werkbänken, Ständerbohrmaschine und Kreissäge. Nur für "
            "eingewiesene Mitglieder des Zentrums (Versicherung)."
        ),
        opening_hours=hours(WEEKDAYS, "09:00", "13:00") + hours(WEEKDAYS, "14:00", "19:00"),
        building="Hofgebäude",
        floor="1. Obergeschoss",
        directions="Außentreppe im Hof, 18 Stufen, kein Aufzug.",
        capacity=10,
        area_m2=Decimal("70.0"),
        audience=ORGANISATION,
    ),
    DemoResource(
        organisation="hafenstrasse",
        slug="hafenstrasse-cafe",
        kind=ROOM,
        name="Café Hafenstraße",
        description=(
            "Gemütliches Café mit Blick auf die Elbe und Terrasse. Für Lesungen, Vereinsfeiern und "
            "Elterncafés; der Tresen kann mit eigenem Team betrieben werden."
        ),
        features=(
            "stufenloser-zugang",
            "barrierefreies-wc",
            "induktionsschleife",
            "kueche",
            "garten",
            "bestuhlung",
            "wlan",
        ),
        opening_hours=hours((TUE, WED, THU, FRI, SAT, SUN), "10:00", "22:00"),
        building="Haupthaus",
        floor="Erdgeschoss",
        directions=HAFEN_DIRECTIONS,
        capacity=40,
        capacity_standing=60,
        area_m2=Decimal("85.0"),
        requires_approval=True,
        lead_time_hours=72,
        min_duration_minutes=60,
        buffer_after_minutes=30,
    ),
    DemoResource(
        organisation="hafenstrasse",
        slug="hafenstrasse-galerie",
        kind=ROOM,
        name="Galerie",
        description=(
            "Weißer Ausstellungsraum mit Hängeschienen und Strahlern; auch für stille Formate wie "
            "Lesekreise oder Yoga geeignet."
        ),
        features=("stufenloser-zugang", "barrierefreies-wc", "ruhiger-raum", "wlan"),
        opening_hours=hours((WED, THU, FRI, SAT, SUN), "12:00", "19:00"),
        building="Haupthaus",
        floor="Erdgeschoss",
        directions=HAFEN_DIRECTIONS,
        capacity=30,
        capacity_standing=60,
        area_m2=Decimal("90.0"),
        max_duration_minutes=30 * DAY,
    ),
    DemoResource(
        organisation="hafenstrasse",
        slug="hafenstrasse-hof",
        kind=ROOM,
        name="Hof",
        description=(
            "Gepflasterter Innenhof mit Bäumen, Stromanschluss und Wasser. Für Hoffeste, Flohmärkte und "
            "Freiluftkino; ab 22 Uhr gilt Nachtruhe."
        ),
        features=("stufenloser-zugang", "behindertenparkplatz", "garten"),
        opening_hours=hours(EVERY_DAY, "10:00", "22:00"),
        building="Innenhof",
        directions="Tor an der Hafenstraße, ebenerdig.",
        capacity=80,
        capacity_standing=200,
        area_m2=Decimal("400.0"),
        requires_approval=True,
        lead_time_hours=7 * 24,
        min_duration_minutes=2 * 60,
        buffer_before_minutes=60,
        buffer_after_minutes=60,
    ),
    DemoResource(
        organisation="hafenstrasse",
        slug="hafenstrasse-tontechnik",
        kind=SKILL,
        name="Tontechnik",
        description=(
            "Paul betreut Konzerte und Lesungen am Mischpult: Aufbau, Soundcheck, Abbau. Bringt auf "
            "Wunsch die Technik des Zentrums mit."
        ),
        opening_hours=hours((FRI,), "16:00", "00:00") + hours((SAT,), "10:00", "00:00"),
        holder="paul.neumann@example.org",
        languages="Deutsch, Englisch",
        max_hours_per_month=20,
        requires_approval=True,
        lead_time_hours=7 * 24,
        min_duration_minutes=2 * 60,
        max_duration_minutes=8 * 60,
    ),
    # --- Bürgerstiftung ------------------------------------------------------------------------------
    DemoResource(
        organisation="buergerstiftung",
        slug="buergerstiftung-besprechungsraum",
        kind=ROOM,
        name="Besprechungsraum der Bürgerstiftung",
        description=(
            "Besprechungsraum mit großem Tisch für Vorstandssitzungen und Projekttreffen, Bildschirm "
            "für Präsentationen, Kaffeemaschine."
        ),
        features=("bestuhlung", "wlan"),
        opening_hours=hours(WEEKDAYS, "08:00", "18:00"),
        floor="Erdgeschoss",
        directions="Eine Stufe am Eingang; eine mobile Rampe liegt bereit, bitte bei der Buchung angeben.",
        capacity=10,
        area_m2=Decimal("30.0"),
    ),
    DemoResource(
        organisation="buergerstiftung",
        slug="buergerstiftung-beamer",
        kind=EQUIPMENT,
        name="Beamer (Full HD)",
        description="Lichtstarker Beamer (4000 Lumen) mit HDMI- und USB-C-Kabel, in einer Transporttasche.",
        features=("beamer",),
        quantity=3,
        condition=Resource.Condition.GOOD,
        replacement_value=Decimal("650.00"),
        deposit_note="50 € Pfand pro Gerät",
        pickup_place=STIFTUNG_PICKUP,
        min_duration_minutes=2 * 60,
        max_duration_minutes=3 * DAY,
    ),
    DemoResource(
        organisation="buergerstiftung",
        slug="buergerstiftung-leinwand",
        kind=EQUIPMENT,
        name="Stativleinwand 2 × 1,5 m",
        description="Leinwand mit Dreibeinstativ, in 2 Minuten aufgebaut, passt in jeden Kofferraum.",
        quantity=2,
        condition=Resource.Condition.USED,
        replacement_value=Decimal("120.00"),
        pickup_place=STIFTUNG_PICKUP,
        max_duration_minutes=3 * DAY,
    ),
    DemoResource(
        organisation="buergerstiftung",
        slug="buergerstiftung-musikanlage",
        kind=EQUIPMENT,
        name="Musikanlage",
        description=(
            "Zwei Aktivboxen (je 600 W) auf Stativen, 8-Kanal-Mischpult, zwei Kabelmikrofone; reicht "
            "für Feste bis etwa 150 Personen."
        ),
        features=("beschallung",),
        condition=Resource.Condition.GOOD,
        replacement_value=Decimal("1800.00"),
        deposit_note="100 € Pfand",
        pickup_place=STIFTUNG_PICKUP,
        requires_approval=True,
        lead_time_hours=48,
        max_duration_minutes=3 * DAY,
    ),
    DemoResource(
        organisation="buergerstiftung",
        slug="buergerstiftung-funkmikrofone",
        kind=EQUIPMENT,
        name="Funkmikrofon",
        description="Hand-Funkmikrofone mit Empfänger und Akkus; passen an die Musikanlage.",
        features=("beschallung",),
        quantity=4,
        condition=Resource.Condition.NEW,
        replacement_value=Decimal("280.00"),
        deposit_note="30 € Pfand pro Mikrofon",
        pickup_place=STIFTUNG_PICKUP,
        max_duration_minutes=3 * DAY,
    ),
    DemoResource(
        organisation="buergerstiftung",
        slug="buergerstiftung-festzeltgarnitur",
        kind=EQUIPMENT,
        name="Festzeltgarnitur",
        description="Ein Biertisch und zwei Bänke (2,20 m) je Garnitur, für Hof- und Straßenfeste.",
        quantity=10,
        condition=Resource.Condition.USED,
        replacement_value=Decimal("110.00"),
        pickup_place=STIFTUNG_PICKUP + "; Transport mit Anhänger nötig",
        lead_time_hours=48,
        min_duration_minutes=4 * 60,
        max_duration_minutes=4 * DAY,
    ),
    DemoResource(
        organisation="buergerstiftung",
        slug="buergerstiftung-lastenrad",
        kind=EQUIPMENT,
        name="Lastenrad „Elbe“",
        description=(
            "Freies Lastenrad mit Elektromotor und Kiste für zwei Kinder oder 80 kg Ladung. Für alle "
            "Meißnerinnen und Meißner, auch ohne Verein. Schloss und Regenplane sind dabei."
        ),
        quantity=2,
        condition=Resource.Condition.GOOD,
        replacement_value=Decimal("4500.00"),
        deposit_note="Personalausweis wird bei der Übergabe vorgelegt",
        pickup_place="Fahrradständer am Rathaus, Markt 1",
        audience=PUBLIC,
        max_advance_days=30,
        min_duration_minutes=60,
        max_duration_minutes=3 * DAY,
    ),
    DemoResource(
        organisation="buergerstiftung",
        slug="buergerstiftung-pavillon",
        kind=EQUIPMENT,
        name="Faltpavillon 3 × 3 m",
        description="Wasserdichter Faltpavillon mit zwei Seitenwänden und Gewichten für die Füße.",
        quantity=3,
        condition=Resource.Condition.GOOD,
        replacement_value=Decimal("240.00"),
        pickup_place=STIFTUNG_PICKUP,
        max_duration_minutes=3 * DAY,
    ),
    DemoResource(
        organisation="buergerstiftung",
        slug="buergerstiftung-laptop",
        kind=EQUIPMENT,
        name="Laptop für Präsentationen",
        description=(
            "14-Zoll-Laptop mit LibreOffice, Browser und HDMI-Adapter; eigene Daten werden nach der "
            "Rückgabe gelöscht."
        ),
        quantity=2,
        condition=Resource.Condition.GOOD,
        replacement_value=Decimal("700.00"),
        deposit_note="50 € Pfand",
        pickup_place="Büro der Bürgerstiftung, Burgstraße 7",
        requires_approval=True,
        max_duration_minutes=7 * DAY,
    ),
    DemoResource(
        organisation="buergerstiftung",
        slug="buergerstiftung-foerdermittelantraege",
        kind=SKILL,
        name="Fördermittelanträge schreiben",
        description=(
            "Frank hilft bei Anträgen an Stiftungen, Landkreis und Land: passendes Programm finden, "
            "Finanzplan aufstellen, Text gegenlesen."
        ),
        opening_hours=hours((TUE, THU), "09:00", "15:00"),
        holder="frank.zimmermann@example.org",
        languages="Deutsch",
        max_hours_per_month=8,
        requires_approval=True,
        lead_time_hours=72,
        min_duration_minutes=60,
        max_duration_minutes=3 * 60,
    ),
    # --- Chor Elbklang -------------------------------------------------------------------------------
    DemoResource(
        organisation="chor-elbklang",
        slug="elbklang-proberaum",
        kind=ROOM,
        name="Chorproberaum",
        description=(
            "Großer Proberaum mit Flügel und Stuhlreihen im Halbkreis. Donnerstags probt der Chor, an den "
            "übrigen Tagen steht der Raum dem Netzwerk offen."
        ),
        features=("stufenloser-zugang", "bestuhlung"),
        opening_hours=hours((MON, TUE, WED, FRI), "09:00", "22:00") + hours((SAT, SUN), "10:00", "18:00"),
        floor="Erdgeschoss",
        directions="Eingang im Hof, stufenlos. Schlüssel bei Christine Meyer.",
        capacity=45,
        capacity_standing=60,
        area_m2=Decimal("95.0"),
        buffer_after_minutes=15,
    ),
    DemoResource(
        organisation="chor-elbklang",
        slug="elbklang-notenstaender",
        kind=EQUIPMENT,
        name="Notenständer",
        description="Stabile Orchester-Notenständer, zusammenklappbar, mit Tragetasche je fünf Stück.",
        quantity=15,
        condition=Resource.Condition.USED,
        replacement_value=Decimal("35.00"),
        pickup_place="Chorproberaum, Elbstraße 5",
        max_duration_minutes=7 * DAY,
    ),
    DemoResource(
        organisation="chor-elbklang",
        slug="elbklang-e-piano",
        kind=EQUIPMENT,
        name="E-Piano mit Ständer",
        description="88 gewichtete Tasten, Sustainpedal, Kopfhörer-Anschluss. Transport im Kombi möglich.",
        condition=Resource.Condition.WORN,
        replacement_value=Decimal("900.00"),
        deposit_note="Nach Absprache",
        pickup_place="Chorproberaum, Elbstraße 5",
        requires_approval=True,
        max_duration_minutes=3 * DAY,
    ),
    # --- Jugendinitiative Triebischtal -----------------------------------------------------------------
    DemoResource(
        organisation="jugendinitiative-triebischtal",
        slug="triebischtal-jugendraum",
        kind=ROOM,
        name="Jugendraum Triebischtal",
        description=(
            "Gemütlicher Raum mit Sofas, Kicker und Beamer für Filmabende. Der Raum gehört den "
            "Jugendlichen – deshalb nur für die eigene Gruppe buchbar."
        ),
        features=("beamer", "wlan", "kueche"),
        opening_hours=hours(WEEKDAYS, "15:00", "21:00"),
        floor="Souterrain",
        directions="Sechs Stufen hinunter vom Seiteneingang, kein Handlauf.",
        capacity=25,
        capacity_standing=35,
        area_m2=Decimal("50.0"),
        audience=ORGANISATION,
    ),
    DemoResource(
        organisation="jugendinitiative-triebischtal",
        slug="triebischtal-videoschnitt",
        kind=SKILL,
        name="Videoschnitt und Social Media",
        description=(
            "Mia schneidet kurze Vereinsvideos und zeigt, wie man Veranstaltungen auf Instagram und "
            "Mastodon ankündigt."
        ),
        holder="mia.weber@example.org",
        languages="Deutsch, Englisch",
        max_hours_per_month=6,
        min_duration_minutes=60,
        max_duration_minutes=4 * 60,
    ),
    # --- Eltern-Kind-Treff Cölln ------------------------------------------------------------------------
    DemoResource(
        organisation="eltern-kind-treff-coelln",
        slug="coelln-familienraum",
        kind=ROOM,
        name="Familienraum",
        description=(
            "Heller Gruppenraum mit Spielecke, Krabbelmatten und Teeküche; nebenan Wickel- und Stillraum."
        ),
        features=("stufenloser-zugang", "barrierefreies-wc", "wickelraum", "ruhiger-raum", "kueche"),
        opening_hours=hours(WEEKDAYS, "09:00", "17:00"),
        floor="Erdgeschoss",
        directions=(
            "Ebenerdiger Eingang an der Dresdner Straße, breite Türen, Kinderwagen-Stellplatz im Flur."
        ),
        capacity=15,
        capacity_standing=20,
        area_m2=Decimal("40.0"),
    ),
    DemoResource(
        organisation="eltern-kind-treff-coelln",
        slug="coelln-bollerwagen",
        kind=EQUIPMENT,
        name="Bollerwagen",
        description="Faltbarer Bollerwagen mit Sonnendach, trägt bis 100 kg – für Ausflüge und Feste.",
        quantity=2,
        condition=Resource.Condition.USED,
        replacement_value=Decimal("130.00"),
        pickup_place="Eltern-Kind-Treff, Dresdner Straße 21",
        max_duration_minutes=2 * DAY,
    ),
    DemoResource(
        organisation="eltern-kind-treff-coelln",
        slug="coelln-leichte-sprache",
        kind=SKILL,
        name="Leichte-Sprache-Übersetzung",
        description=(
            "Sarah übersetzt Einladungen, Flyer und Webseiten in Leichte Sprache und lässt sie von einer "
            "Prüfgruppe gegenlesen."
        ),
        features=("leichte-sprache",),
        opening_hours=hours(WEEKDAYS, "09:00", "14:00"),
        holder="sarah.walter@example.org",
        languages="Deutsch, Leichte Sprache",
        max_hours_per_month=10,
        requires_approval=True,
        lead_time_hours=5 * 24,
        min_duration_minutes=60,
        max_duration_minutes=4 * 60,
    ),
    # --- Fotoclub Albrechtsburg ---------------------------------------------------------------------------
    DemoResource(
        organisation="fotoclub-albrechtsburg",
        slug="fotoclub-studio-set",
        kind=EQUIPMENT,
        name="Fotostudio-Set",
        description=(
            "Zwei Dauerlichtleuchten mit Softboxen, Hintergrundsystem mit weißem und grauem Karton, "
            "Reflektoren. Einweisung bei der Übergabe."
        ),
        condition=Resource.Condition.GOOD,
        replacement_value=Decimal("850.00"),
        deposit_note="80 € Pfand",
        pickup_place="Clubraum, Freiheit 4 (1. Obergeschoss)",
        requires_approval=True,
        max_duration_minutes=3 * DAY,
    ),
    DemoResource(
        organisation="fotoclub-albrechtsburg",
        slug="fotoclub-fotografie",
        kind=SKILL,
        name="Fotografie bei Veranstaltungen",
        description=(
            "Petra fotografiert Vereinsfeste, Konzerte und Porträts für Webseite und Presse; Bilder "
            "innerhalb einer Woche, mit Einverständniserklärungen."
        ),
        holder="petra.koenig@example.org",
        languages="Deutsch",
        max_hours_per_month=12,
        lead_time_hours=72,
        min_duration_minutes=60,
        max_duration_minutes=6 * 60,
    ),
]


def demo_resources_load(*, accounts: DemoAccounts, log: Callable[[str], None]) -> list[Resource]:
    """Create or update the demo catalogue through the services; ``log`` gets progress lines.

    Runs in the caller's transaction, after :func:`konten.demo.demo_accounts_load`.
    """
    actor = accounts.coordinator
    resources = []
    counts = {"created": 0, "updated": 0}
    for demo in RESOURCES:
        resource, created = _resource(demo, accounts=accounts, actor=actor)
        counts["created" if created else "updated"] += 1
        resources.append(resource)
        log(f"  {'created' if created else 'updated'}: {resource.name} ({resource.organisation.name})")
    log(f"Resources: {len(resources)} ({counts['created']} new, {counts['updated']} updated)")
    by_slug = {resource.slug: resource for resource in resources}
    for closure, created in _closures(accounts=accounts, resources=by_slug, actor=actor):
        start, end = timezone.localtime(closure.start), timezone.localtime(closure.end)
        place = closure.resource.name if closure.resource else f"all of {closure.organisation.name}"
        log(
            f"Closure {'created' if created else 'kept'}: {closure.reason}, {place} "
            f"({start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M})"
        )
    return resources


def _resource(demo: DemoResource, *, accounts: DemoAccounts, actor: User) -> tuple[Resource, bool]:
    holder = accounts.people[demo.holder] if demo.holder else None
    features = features_by_slugs(demo.features)
    existing = Resource.objects.filter(slug=demo.slug).first()
    if existing is None:
        resource = resource_create(
            actor=actor,
            organisation=accounts.organisations[demo.organisation],
            data=demo.data(holder),
            features=features,
        )
    else:
        resource = resource_update(actor=actor, resource=existing, data=demo.data(holder), features=features)
    opening_hours_replace(actor=actor, resource=resource, ranges=demo.opening_hours)
    return resource, existing is None


def _closures(
    *, accounts: DemoAccounts, resources: dict[str, Resource], actor: User
) -> list[tuple[Closure, bool]]:
    """The VHS closes between Christmas and New Year; the Hafenstraße's band room gets new sound
    insulation in the week after next."""
    zone = ZoneInfo(settings.TIME_ZONE)
    today = timezone.localdate()
    # The next holidays that have not ended yet (a run on 28 December finds the current ones).
    year = today.year - 1 if today < datetime.date(today.year, 1, 2) else today.year
    holidays = (
        datetime.datetime(year, 12, 23, tzinfo=zone),
        datetime.datetime(year + 1, 1, 2, tzinfo=zone),
    )
    monday = today + datetime.timedelta(days=14 - today.weekday())
    repair = (
        datetime.datetime.combine(monday, datetime.time(8, 0), tzinfo=zone),
        datetime.datetime.combine(monday + datetime.timedelta(days=4), datetime.time(18, 0), tzinfo=zone),
    )
    wanted = [
        (accounts.organisations["vhs-meissen"], None, holidays, "Betriebsferien zwischen den Jahren"),
        (
            accounts.organisations["hafenstrasse"],
            resources["hafenstrasse-bandprobenraum"],
            repair,
            "Reparatur: neue Schalldämmung",
        ),
    ]
    return [
        _closure(organisation=organisation, resource=resource, span=span, reason=reason, actor=actor)
        for organisation, resource, span, reason in wanted
    ]


def _closure(
    *,
    organisation: Organisation,
    resource: Resource | None,
    span: tuple[datetime.datetime, datetime.datetime],
    reason: str,
    actor: User,
) -> tuple[Closure, bool]:
    start, end = span
    existing = list(Closure.objects.filter(organisation=organisation, resource=resource, reason=reason))
    if len(existing) == 1 and (existing[0].start, existing[0].end) == (start, end):
        return existing[0], False
    # There is no closure_update: a closure of an earlier run (another date) is replaced.
    for closure in existing:
        closure_delete(actor=actor, closure=closure)
    closure = closure_create(
        actor=actor, organisation=organisation, resource=resource, start=start, end=end, reason=reason
    )
    return closure, True

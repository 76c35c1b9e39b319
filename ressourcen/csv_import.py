"""Reading a resource import file: CSV text → rows of model values, with every problem found on the way.

The file is what a spreadsheet saves: UTF-8 (a BOM is fine), ``;`` or ``,`` between the columns (told
apart with ``csv.Sniffer`` on the header), one header row naming the columns in any order. Line numbers
count records as a spreadsheet shows its rows — the header is line 1, so the first resource is line 2
(a quoted cell with a line break in it stays one line).

Parsing only checks what the model cannot (is this a number, a known kind, a known feature, a member's
e-mail, a name twice in the file); ``services.resources_import_csv`` then runs every row through
``resource_create`` and so through the very rules of the form. 2,000 rows take a few seconds; no
progress display is needed below that.
"""

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from konten.models import Membership, Organisation
from ressourcen.models import Feature, Resource
from ressourcen.services import ImportProblem, ImportRow

MAX_BYTES = 1_000_000
MAX_ROWS = 2_000

COLUMNS = (
    "kind",
    "name",
    "description",
    "address",
    "building",
    "floor",
    "capacity",
    "capacity_standing",
    "area_m2",
    "quantity",
    "condition",
    "pickup_place",
    "deposit_note",
    "holder_email",
    "languages",
    "features",
    "audience",
    "requires_approval",
    "min_duration_minutes",
    "max_duration_minutes",
    "buffer_before_minutes",
    "buffer_after_minutes",
    "lead_time_hours",
    "max_advance_days",
)
REQUIRED_COLUMNS = ("kind", "name")
# Columns that belong to one kind; a value there for another kind is a mistake in the file.
KIND_COLUMNS = {
    Resource.Kind.ROOM: ("capacity", "capacity_standing", "area_m2"),
    Resource.Kind.EQUIPMENT: ("quantity", "condition", "pickup_place", "deposit_note"),
    Resource.Kind.SKILL: ("holder_email", "languages"),
}
FEATURE_SEPARATOR = "|"
TRUE_WORDS = frozenset({"ja", "j", "yes", "y", "true", "wahr", "1", "x"})
FALSE_WORDS = frozenset({"nein", "n", "no", "false", "falsch", "0"})
# German words people type instead of the codes (the labels in both languages are accepted, too).
KIND_ALIASES = {
    "raum": Resource.Kind.ROOM,
    "ausstattung": Resource.Kind.EQUIPMENT,
    "gerät": Resource.Kind.EQUIPMENT,
    "geraet": Resource.Kind.EQUIPMENT,
    "technik": Resource.Kind.EQUIPMENT,
    "kompetenz": Resource.Kind.SKILL,
    "fähigkeit": Resource.Kind.SKILL,
    "faehigkeit": Resource.Kind.SKILL,
}
AUDIENCE_ALIASES = {
    "organisation": Resource.Audience.ORGANISATION,
    "netzwerk": Resource.Audience.NETWORK,
    "öffentlich": Resource.Audience.PUBLIC,
    "oeffentlich": Resource.Audience.PUBLIC,
}
CONDITION_ALIASES = {
    "neu": Resource.Condition.NEW,
    "gut": Resource.Condition.GOOD,
    "gebraucht": Resource.Condition.USED,
    "abgenutzt": Resource.Condition.WORN,
}
WHOLE_NUMBER = re.compile(r"\d+")
DECIMAL_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")

# Example rows for the template file: one per kind.
TEMPLATE_ROWS = (
    {
        "kind": "room",
        "name": "Großer Saal",
        "description": "Heller Saal im Erdgeschoss mit Bühne und Garderobe.",
        "address": "Hafenstraße 31, 01662 Meißen",
        "building": "Haupthaus",
        "floor": "Erdgeschoss",
        "capacity": "80",
        "capacity_standing": "150",
        "area_m2": "140,5",
        "features": "stufenloser-zugang|barrierefreies-wc|induktionsschleife|buehne",
        "audience": "network",
        "requires_approval": "ja",
        "min_duration_minutes": "60",
        "max_duration_minutes": "720",
        "buffer_before_minutes": "30",
        "buffer_after_minutes": "30",
        "lead_time_hours": "48",
        "max_advance_days": "365",
    },
    {
        "kind": "equipment",
        "name": "Beamer Full HD",
        "description": "Beamer mit HDMI-Kabel und Fernbedienung, im Koffer.",
        "quantity": "2",
        "condition": "good",
        "pickup_place": "Büro im 1. OG, Raum 104",
        "deposit_note": "50 € Pfand",
        "features": "beamer",
        "audience": "network",
        "requires_approval": "nein",
        "min_duration_minutes": "60",
        "max_duration_minutes": "4320",
        "lead_time_hours": "24",
        "max_advance_days": "180",
    },
    {
        "kind": "skill",
        "name": "Moderation von Workshops",
        "description": "Ich moderiere Workshops und Versammlungen, auch in Leichter Sprache.",
        "holder_email": "",  # filled with the downloading manager's address
        "languages": "Deutsch, Englisch",
        "features": "leichte-sprache",
        "audience": "network",
        "requires_approval": "ja",
        "min_duration_minutes": "60",
        "max_duration_minutes": "240",
        "lead_time_hours": "72",
        "max_advance_days": "120",
    },
)


class ImportFileError(Exception):
    """The file as a whole cannot be read (encoding, size, header)."""


@dataclass
class ParseResult:
    rows: list[ImportRow] = field(default_factory=list)
    # Problems of the whole file (unreadable, no header, too many rows); rows then are not checked.
    problems: list[ImportProblem] = field(default_factory=list)


def decode(raw: bytes) -> str:
    """The text of an uploaded file; raises ``ImportFileError`` with a message a person can act on."""
    if len(raw) > MAX_BYTES:
        raise ImportFileError(
            _("The file is too large: at most %(size)s MB.") % {"size": f"{MAX_BYTES / 1_000_000:g}"}
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            _(
                "The file is not saved as UTF-8. In your spreadsheet choose “CSV UTF-8” when saving "
                "and upload it again."
            )
        ) from exc


def template_csv(*, holder_email: str) -> str:
    """The template file: header and one example row per kind, ``;``-separated as German Excel expects."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, delimiter=";", lineterminator="\r\n")
    writer.writeheader()
    for row in TEMPLATE_ROWS:
        if row["kind"] == Resource.Kind.SKILL:
            row = {**row, "holder_email": holder_email}
        writer.writerow(row)
    return out.getvalue()


def _delimiter(header_line: str) -> str:
    try:
        return csv.Sniffer().sniff(header_line, delimiters=";,").delimiter
    except csv.Error:
        # One column only, or nothing to tell them apart: whichever appears more often.
        return ";" if header_line.count(";") >= header_line.count(",") else ","


def _choice_map(choices: type, aliases: dict[str, str]) -> dict[str, str]:
    """Codes, their labels in German and English, and the aliases — all in lower case — to codes."""
    mapping = {code: code for code in choices.values}
    for language in ("de", "en"):
        with translation.override(language):
            mapping.update({str(label).casefold(): code for code, label in choices.choices})
    mapping.update(aliases)
    return mapping


class _RowReader:
    """Turns the cells of one row into model values; problems are collected, not raised."""

    def __init__(self, *, organisation: Organisation) -> None:
        self.kinds = _choice_map(Resource.Kind, KIND_ALIASES)
        self.audiences = _choice_map(Resource.Audience, AUDIENCE_ALIASES)
        self.conditions = _choice_map(Resource.Condition, CONDITION_ALIASES)
        self.features = {feature.slug: feature for feature in Feature.objects.all()}
        self.members = {
            membership.user.email.casefold(): membership.user
            for membership in Membership.objects.filter(organisation=organisation).select_related("user")
        }
        self.existing_names = {
            name.casefold() for name in organisation.resources.values_list("name", flat=True)
        }
        self.names_seen: dict[str, int] = {}
        self.converters: dict[str, Callable[[str], Any]] = {
            "capacity": self._whole_number,
            "capacity_standing": self._whole_number,
            "quantity": self._whole_number,
            "min_duration_minutes": self._whole_number,
            "max_duration_minutes": self._whole_number,
            "buffer_before_minutes": self._whole_number,
            "buffer_after_minutes": self._whole_number,
            "lead_time_hours": self._whole_number,
            "max_advance_days": self._whole_number,
            "area_m2": self._decimal,
            "condition": lambda value: self._choice(value, self.conditions),
            "audience": lambda value: self._choice(value, self.audiences),
            "requires_approval": self._yes_no,
        }

    def read(self, line: int, cells: dict[str, str]) -> ImportRow:
        row = ImportRow(line=line, data={})

        def problem(column: str | None, message: str) -> None:
            row.problems.append(ImportProblem(line, column, message))

        kind = self.kinds.get(cells.get("kind", "").casefold())
        if kind is None:
            problem(
                "kind",
                _("Unknown kind “%(value)s”: please use room, equipment or skill.")
                % {"value": cells.get("kind", "")},
            )
        else:
            row.data["kind"] = kind
            for other_kind, columns in KIND_COLUMNS.items():
                if other_kind == kind:
                    continue
                for column in columns:
                    if cells.get(column):
                        problem(
                            column,
                            _("Only for the kind “%(kind)s”: please leave it empty here.")
                            % {"kind": Resource.Kind(other_kind).label},
                        )

        name = cells.get("name", "")
        if name:
            key = name.casefold()
            if key in self.names_seen:
                problem(
                    "name",
                    _("“%(name)s” appears more than once in the file (also in line %(line)s).")
                    % {"name": name, "line": self.names_seen[key]},
                )
            elif key in self.existing_names:
                problem(
                    "name",
                    _("Your organisation already has a resource called “%(name)s”.") % {"name": name},
                )
            self.names_seen.setdefault(key, line)
        row.data["name"] = name

        for column, value in cells.items():
            if column in {"kind", "name", "features", "holder_email"} or not value:
                continue
            if any(column in columns for k, columns in KIND_COLUMNS.items() if k != kind):
                continue  # reported above
            converter = self.converters.get(column)
            if converter is None:
                row.data[column] = value
                continue
            try:
                row.data[column] = converter(value)
            except ValueError as exc:
                problem(column, str(exc))

        if cells.get("holder_email") and kind == Resource.Kind.SKILL:
            holder = self.members.get(cells["holder_email"].casefold())
            if holder is None:
                problem(
                    "holder_email",
                    _("Nobody in your organisation has the e-mail address “%(email)s”.")
                    % {"email": cells["holder_email"]},
                )
            else:
                row.data["holder"] = holder

        slugs = [slug.strip() for slug in cells.get("features", "").split(FEATURE_SEPARATOR) if slug.strip()]
        unknown = [slug for slug in slugs if slug not in self.features]
        if unknown:
            problem("features", _("Unknown feature: %(slugs)s.") % {"slugs": ", ".join(unknown)})
        row.features = [self.features[slug] for slug in dict.fromkeys(slugs) if slug in self.features]
        return row

    @staticmethod
    def _whole_number(value: str) -> int:
        if not WHOLE_NUMBER.fullmatch(value):
            raise ValueError(_("Please enter a whole number ≥ 0."))
        return int(value)

    @staticmethod
    def _decimal(value: str) -> Decimal:
        if not DECIMAL_NUMBER.fullmatch(value):
            raise ValueError(_("Please enter a number ≥ 0, for example 42 or 42,5."))
        return Decimal(value.replace(",", "."))

    @staticmethod
    def _choice(value: str, mapping: dict[str, str]) -> str:
        code = mapping.get(value.casefold())
        if code is None:
            allowed = ", ".join(sorted(set(mapping.values())))
            raise ValueError(
                _("Unknown value “%(value)s”: please use one of %(allowed)s.")
                % {"value": value, "allowed": allowed}
            )
        return code

    @staticmethod
    def _yes_no(value: str) -> bool:
        word = value.casefold()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ValueError(_("Please enter ja or nein."))


def parse(text: str, *, organisation: Organisation) -> ParseResult:
    """Read the CSV ``text`` for ``organisation``: rows with their values and problems, or file problems."""
    result = ParseResult()

    def file_problem(message: str, line: int | None = None) -> ParseResult:
        result.problems.append(ImportProblem(line, None, message))
        return result

    if len(text.encode("utf-8")) > MAX_BYTES:
        return file_problem(
            _("The file is too large: at most %(size)s MB.") % {"size": f"{MAX_BYTES / 1_000_000:g}"}
        )
    text = text.removeprefix("\ufeff")
    header_line = text.split("\n", 1)[0].strip()
    if not header_line:
        return file_problem(_("The file is empty. The first line must name the columns."), 1)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(header_line))
    try:
        records = list(reader)
    except csv.Error as exc:
        return file_problem(
            _("The file cannot be read as CSV near line %(line)s: %(error)s")
            % {"line": reader.line_num, "error": exc}
        )

    header = [cell.strip().casefold() for cell in records[0]]
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        file_problem(
            _("Unknown column: %(columns)s. The template lists the columns this import knows.")
            % {"columns": ", ".join(f"“{name}”" for name in unknown)},
            1,
        )
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        file_problem(_("These columns appear twice: %(columns)s.") % {"columns": ", ".join(duplicates)}, 1)
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        file_problem(
            _("The first line must name the columns; missing: %(columns)s.")
            % {"columns": ", ".join(missing)},
            1,
        )
    if result.problems:
        return result

    # Blank records (empty lines, a trailing line of separators) are skipped but keep their number.
    numbered = [
        (line, record)
        for line, record in enumerate(records[1:], start=2)
        if any(cell.strip() for cell in record)
    ]
    if not numbered:
        return file_problem(_("The file contains no resources below the header line."))
    if len(numbered) > MAX_ROWS:
        return file_problem(
            _("The file has %(count)s resources; at most %(max)s can be imported at once.")
            % {"count": len(numbered), "max": MAX_ROWS}
        )

    row_reader = _RowReader(organisation=organisation)
    for line, record in numbered:
        if len(record) != len(header):
            result.rows.append(
                ImportRow(
                    line=line,
                    data={},
                    problems=[
                        ImportProblem(
                            line,
                            None,
                            _("The line has %(found)s columns, the header %(expected)s.")
                            % {"found": len(record), "expected": len(header)},
                        )
                    ],
                )
            )
            continue
        cells = {name: cell.strip() for name, cell in zip(header, record, strict=True)}
        result.rows.append(row_reader.read(line, cells))
    return result

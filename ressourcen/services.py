"""Writes on the catalogue. Pages, API, admin and the CSV import call these; none writes on its own.

Each service is one transaction, checks the permission itself and raises ``PermissionDenied`` or a
``ValidationError`` keyed by field, writing nothing then.
"""

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from itertools import pairwise
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _
from PIL import Image

from konten.models import Membership, Organisation, User
from konten.services import require_perm
from konten.uploads import BROWSER_IMAGE_FORMATS, image_dimensions_check, image_storage_name
from ressourcen.models import Closure, Feature, OpeningHours, Resource, ResourcePhoto, Weekday

# What the holder of a skill may change on their own offer; everything else is the managers' call.
SKILL_HOLDER_FIELDS = frozenset({"description", "languages", "max_hours_per_month", "directions"})
NOT_WRITABLE = frozenset({"id", "pk", "organisation", "organisation_id", "created", "updated", "features"})


def _lock(resource: Resource) -> Resource:
    """Lock the resource row: catalogue changes and (later) bookings of one resource run one by one."""
    return Resource.objects.select_for_update().get(pk=resource.pk)


# slugify drops what it cannot fold to ASCII ("Großer Saal" → "groer-saal"); German spells these out.
GERMAN_TRANSLITERATION = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"}
)


def unique_resource_slug(name: str, *, exclude_pk: int | None = None) -> str:
    base = slugify(name.translate(GERMAN_TRANSLITERATION))[:100] or "ressource"
    slug, n = base, 2
    taken = Resource.objects.exclude(pk=exclude_pk) if exclude_pk else Resource.objects.all()
    while taken.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def features_by_slugs(slugs: Iterable[str]) -> list[Feature]:
    """The features for ``slugs``; an unknown slug is a ValidationError naming it."""
    wanted = list(dict.fromkeys(s.strip() for s in slugs if s.strip()))
    found = {f.slug: f for f in Feature.objects.filter(slug__in=wanted)}
    unknown = [slug for slug in wanted if slug not in found]
    if unknown:
        raise ValidationError({"features": _("Unknown feature: %(slugs)s.") % {"slugs": ", ".join(unknown)}})
    return [found[slug] for slug in wanted]


def resource_validate_kind_details(resource: Resource) -> None:
    errors: dict[str, str] = {}
    if resource.kind == Resource.Kind.SKILL:
        if resource.holder_id is None:
            errors["holder"] = _("A skill needs the person who offers it.")
        elif not Membership.objects.filter(
            user_id=resource.holder_id, organisation_id=resource.organisation_id
        ).exists():
            errors["holder"] = _("The holder must be a member of the organisation.")
    elif resource.holder_id is not None:
        errors["holder"] = _("Only a skill has a holder.")
    if resource.kind != Resource.Kind.EQUIPMENT and resource.quantity != 1:
        errors["quantity"] = _("Only equipment can have a quantity above one.")
    # Either may be missing or malformed here; full_clean reports that on the field itself.
    minimum, maximum = resource.min_duration_minutes, resource.max_duration_minutes
    if isinstance(minimum, int) and isinstance(maximum, int) and minimum > maximum:
        errors["max_duration_minutes"] = _("The maximum duration must not be shorter than the minimum.")
    if errors:
        raise ValidationError(errors)


def _apply(resource: Resource, data: dict[str, Any]) -> None:
    forbidden = sorted(set(data) & NOT_WRITABLE)
    if forbidden:
        raise ValidationError(
            _("These fields cannot be changed here: %(fields)s") % {"fields": ", ".join(forbidden)}
        )
    for field, value in data.items():
        setattr(resource, field, value)


def _save(resource: Resource, features: Sequence[Feature] | None) -> Resource:
    """Validate field by field and the kind rules, then write.

    Field errors and kind errors are collected together, so a form or the CSV import shows all of them
    at once, each on its field. The table's check constraints are not validated in Python: the field
    validators and ``resource_validate_kind_details`` cover each of them with a message on the right
    field, and the database still enforces them as the last guard (their Python check costs a query per
    constraint — half the time of a 2,000-row CSV import).
    """
    exclude = {"slug"} if not resource.slug else set()
    errors: dict[str, list[ValidationError]] = {}
    try:
        resource.full_clean(exclude=exclude, validate_constraints=False)
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    try:
        resource_validate_kind_details(resource)
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)
    resource.save()
    if features is not None:
        resource.features.set(features)
    return resource


@transaction.atomic
def resource_create(
    *,
    actor: User,
    organisation: Organisation,
    data: dict[str, Any],
    features: Sequence[Feature] | None = None,
) -> Resource:
    """Create a resource of ``organisation`` (its managers, the coordinator)."""
    require_perm(actor, "ressourcen.add_resource", organisation)
    resource = Resource(organisation=organisation)
    _apply(resource, data)
    if not resource.slug:
        resource.slug = unique_resource_slug(resource.name)
    return _save(resource, features or [])


@transaction.atomic
def resource_update(
    *,
    actor: User,
    resource: Resource,
    data: dict[str, Any],
    features: Sequence[Feature] | None = None,
) -> Resource:
    """Change a resource. Managers change everything; a skill's holder only ``SKILL_HOLDER_FIELDS``."""
    if not actor.has_perm("ressourcen.change_resource", resource):
        require_perm(actor, "ressourcen.change_own_skill", resource)
        beyond = sorted(set(data) - SKILL_HOLDER_FIELDS)
        if beyond or features is not None:
            raise PermissionDenied(_("As the holder you can change the description, languages and hours."))
    resource = _lock(resource)
    if "kind" in data and data["kind"] != resource.kind:
        raise ValidationError({"kind": _("The kind of a resource cannot be changed.")})
    _apply(resource, data)
    return _save(resource, features)


@transaction.atomic
def resource_set_active(*, actor: User, resource: Resource, active: bool) -> Resource:
    """Hide a resource from the catalogue (or show it again). Nothing is deleted: history stays."""
    require_perm(actor, "ressourcen.change_resource", resource)
    resource = _lock(resource)
    resource.is_active = active
    resource.save(update_fields=["is_active", "updated"])
    return resource


# --- Opening hours and closures --------------------------------------------------------------------


def _minutes(value: time, *, end: bool = False) -> int:
    minutes = value.hour * 60 + value.minute
    return 24 * 60 if end and minutes == 0 else minutes


@transaction.atomic
def opening_hours_replace(
    *, actor: User, resource: Resource, ranges: Sequence[tuple[int, time, time]]
) -> list[OpeningHours]:
    """Replace all weekly opening hours of ``resource`` with ``ranges`` (weekday, start, end).

    Ranges of one weekday must not overlap; an end of 00:00 means midnight. An empty list means "no
    fixed hours: bookable any time". All or nothing.
    """
    require_perm(actor, "ressourcen.change_own_skill", resource)
    errors: list[str] = []
    by_day: dict[int, list[tuple[int, int]]] = {}
    for weekday, start, end in ranges:
        if weekday not in range(7):
            errors.append(_("Unknown weekday."))
            continue
        s, e = _minutes(start), _minutes(end, end=True)
        if e <= s:
            errors.append(
                _("%(day)s: the end (%(end)s) must be after the start (%(start)s).")
                % {"day": _weekday_name(weekday), "start": f"{start:%H:%M}", "end": f"{end:%H:%M}"}
            )
            continue
        by_day.setdefault(weekday, []).append((s, e))
    for weekday, spans in sorted(by_day.items()):
        spans.sort()
        for (_s1, e1), (s2, _e2) in pairwise(spans):
            if s2 < e1:
                errors.append(_("%(day)s: the opening hours overlap.") % {"day": _weekday_name(weekday)})
                break
    if errors:
        raise ValidationError({"opening_hours": errors})
    resource = _lock(resource)
    resource.opening_hours.all().delete()
    return OpeningHours.objects.bulk_create(
        [OpeningHours(resource=resource, weekday=w, start=s, end=e) for w, s, e in ranges]
    )


def _weekday_name(weekday: int) -> str:
    return str(Weekday(weekday).label)


@transaction.atomic
def closure_create(
    *,
    actor: User,
    organisation: Organisation,
    start: datetime,
    end: datetime,
    reason: str,
    resource: Resource | None = None,
) -> Closure:
    """Close one resource, or every resource of the organisation when ``resource`` is None."""
    if resource is not None and resource.organisation_id != organisation.pk:
        raise ValidationError({"resource": _("The resource belongs to another organisation.")})
    require_perm(actor, "ressourcen.manage_closures", organisation)
    closure = Closure(
        organisation=organisation, resource=resource, start=start, end=end, reason=reason.strip()
    )
    if start and end and end <= start:
        raise ValidationError({"end": _("A closure must end after it starts.")})
    closure.full_clean()
    closure.save()
    return closure


@transaction.atomic
def closure_delete(*, actor: User, closure: Closure) -> None:
    require_perm(actor, "ressourcen.manage_closures", closure.organisation)
    closure.delete()


# --- Photos ---------------------------------------------------------------------------------------------


# Formats every browser shows; Pillow opens many more (TIFF, PSD …) that a page could not display.
PHOTO_FORMATS = frozenset(BROWSER_IMAGE_FORMATS)


def photo_validate_image(image) -> None:
    """The upload is a real picture in a format browsers show, not larger than the limit and of sane
    dimensions (konten/uploads.py). It is then renamed to a random name with the extension of its real
    format, which is what the storage saves it under."""
    limit = settings.MAX_IMAGE_UPLOAD_BYTES
    if image.size is not None and image.size > limit:
        raise ValidationError(
            {"image": _("The photo may be at most %(size)s MB.") % {"size": f"{limit / 1024 / 1024:g}"}}
        )
    try:
        image.seek(0)
        with Image.open(image) as picture:
            image_format = picture.format
            width, height = picture.size
            picture.verify()
    except Exception as exc:  # Pillow raises many kinds of errors on broken or foreign files.
        raise ValidationError(
            {"image": _("This file is not a photo. Please upload a JPEG, PNG, GIF or WebP file.")}
        ) from exc
    finally:
        image.seek(0)
    if image_format not in PHOTO_FORMATS:
        raise ValidationError({"image": _("Please upload a JPEG, PNG, GIF or WebP file.")})
    try:
        image_dimensions_check(width, height)
    except ValidationError as error:
        raise ValidationError({"image": error}) from error
    image.name = image_storage_name(image_format)


@transaction.atomic
def photo_add(*, actor: User, resource: Resource, image, alt_text: str) -> ResourcePhoto:
    """Add a photo (managers). The alternative text is required (and checked by the database too); the
    file must be a real JPEG/PNG/GIF/WebP picture within ``settings.MAX_IMAGE_UPLOAD_BYTES``. Pages and API
    both come through here, so the check is made here once."""
    require_perm(actor, "ressourcen.change_resource", resource)
    errors: dict[str, list[ValidationError]] = {}
    if not (alt_text or "").strip():
        errors["alt_text"] = [ValidationError(_("Please describe the photo for people who cannot see it."))]
    try:
        photo_validate_image(image)
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)
    position = resource.photos.count()
    photo = ResourcePhoto(resource=resource, image=image, alt_text=alt_text.strip(), position=position)
    photo.full_clean()
    photo.save()
    return photo


@transaction.atomic
def photo_delete(*, actor: User, photo: ResourcePhoto) -> None:
    require_perm(actor, "ressourcen.change_resource", photo.resource)
    photo.image.delete(save=False)
    photo.delete()


# --- CSV import -----------------------------------------------------------------------------------------


@dataclass
class ImportProblem:
    """One thing wrong with an import file: its row (1 is the header; None for the whole file) and column."""

    line: int | None
    column: str | None
    message: str


@dataclass
class ImportRow:
    """One parsed row of an import file: model field values, features, and what parsing found wrong."""

    line: int
    data: dict[str, Any]
    features: list[Feature] = dataclasses.field(default_factory=list)
    problems: list[ImportProblem] = dataclasses.field(default_factory=list)


@dataclass
class ImportResult:
    created: list[tuple[ImportRow, Resource]]
    problems: list[ImportProblem]
    imported: bool


# Model fields whose CSV column has another name.
IMPORT_COLUMN_OF_FIELD = {"holder": "holder_email"}


def _import_problems(line: int, error: ValidationError) -> list[ImportProblem]:
    if not hasattr(error, "error_dict"):
        return [ImportProblem(line, None, message) for message in error.messages]
    return [
        ImportProblem(
            line, None if name == NON_FIELD_ERRORS else IMPORT_COLUMN_OF_FIELD.get(name, name), message
        )
        for name, messages in error.message_dict.items()
        for message in messages
    ]


def resources_import_csv(
    *, actor: User, organisation: Organisation, rows: Sequence[ImportRow], dry_run: bool
) -> ImportResult:
    """Create one resource per row of an import file (``ressourcen.csv_import`` parses it) — all or nothing.

    Every row goes through ``resource_create`` (same rules, permission and slugs as the form) inside one
    transaction; a row that fails is recorded and the next one tried, so the result lists every problem
    of the file with its line (a row that already failed parsing is reported as parsed and not tried).
    When any row had a problem, or on a dry run, the transaction is rolled back: nothing is written.
    Raises ``PermissionDenied`` unless ``actor`` may add resources to ``organisation``. The created
    resources of a dry run are unsaved previews (their features are in ``ImportRow.features``, not in the
    database). Up to 2,000 rows take seconds, so there is no progress display and no background task.
    """
    require_perm(actor, "ressourcen.add_resource", organisation)
    created: list[tuple[ImportRow, Resource]] = []
    problems: list[ImportProblem] = []
    with transaction.atomic():
        for row in rows:
            if row.problems:
                problems.extend(row.problems)
                continue
            try:
                resource = resource_create(
                    actor=actor, organisation=organisation, data=dict(row.data), features=row.features
                )
            except ValidationError as error:
                problems.extend(_import_problems(row.line, error))
            else:
                created.append((row, resource))
        if dry_run or problems:
            transaction.set_rollback(True)
    problems.sort(key=lambda problem: problem.line or 0)
    return ImportResult(created=created, problems=problems, imported=not dry_run and not problems)

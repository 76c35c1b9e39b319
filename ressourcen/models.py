"""The catalogue: what the network's organisations lend, and when it can be had.

A Resource is a room, a piece of equipment or a skill (a person's know-how). Kind-specific details live
on the same row (nullable columns checked per kind) rather than in three tables: the catalogue filters
across kinds, and one row per resource keeps those filters single-query.

The catalogue knows what exists and when it is open (opening hours minus closures); what is taken is the
booking engine's business (``buchungen``), which adds bookings to the availability computed here.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from konten.models import Organisation


class Feature(models.Model):
    """Accessibility, amenity or technical feature a resource has (step-free access, hearing loop …)."""

    class Category(models.TextChoices):
        ACCESSIBILITY = "accessibility", _("Accessibility")
        AMENITY = "amenity", _("Amenity")
        TECHNICAL = "technical", _("Technical")

    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    name = models.CharField(_("name (German)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    description = models.TextField(_("description"), blank=True)
    icon = models.CharField(
        _("icon"),
        max_length=40,
        blank=True,
        help_text=_("Name of a symbol in static/img/features/ (without .svg)."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=100)

    class Meta:
        verbose_name = _("feature")
        verbose_name_plural = _("features")
        ordering = ["category", "position", "name"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name in the active language (German is the stored default)."""
        if translation.get_language() == "en" and self.name_en:
            return self.name_en
        return self.name


# The booking policy a resource carries; forms, admin and API list these fields in this order.
POLICY_FIELDS = (
    "audience",
    "requires_approval",
    "lead_time_hours",
    "max_advance_days",
    "min_duration_minutes",
    "max_duration_minutes",
    "buffer_before_minutes",
    "buffer_after_minutes",
    "quota_hours_per_month",
    "reminder_hours",
)


class ResourceQuerySet(models.QuerySet["Resource"]):
    def active(self) -> "ResourceQuerySet":
        return self.filter(is_active=True)


class Resource(models.Model):
    class Kind(models.TextChoices):
        ROOM = "room", pgettext_lazy("resource kind", "Room")
        EQUIPMENT = "equipment", pgettext_lazy("resource kind", "Equipment")
        SKILL = "skill", pgettext_lazy("resource kind", "Skill")

    class Audience(models.TextChoices):
        ORGANISATION = "organisation", _("Own organisation only")
        NETWORK = "network", _("Whole network")
        PUBLIC = "public", _("Everyone, also people without an organisation")

    class Condition(models.TextChoices):
        NEW = "new", pgettext_lazy("equipment condition", "New")
        GOOD = "good", pgettext_lazy("equipment condition", "Good")
        USED = "used", pgettext_lazy("equipment condition", "Used, works")
        WORN = "worn", pgettext_lazy("equipment condition", "Worn, with limitations")

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="resources",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive resources are hidden from the catalogue.")
    )

    # Location
    address = models.TextField(_("address"), blank=True)
    building = models.CharField(_("building"), max_length=200, blank=True)
    floor = models.CharField(_("floor"), max_length=50, blank=True)
    directions = models.TextField(
        _("directions"), blank=True, help_text=_("How to get there, entrance, who opens the door.")
    )
    features = models.ManyToManyField(
        Feature, verbose_name=_("features"), related_name="resources", blank=True
    )

    # Room
    capacity = models.PositiveIntegerField(
        _("seated capacity"), null=True, blank=True, help_text=_("People who can sit.")
    )
    capacity_standing = models.PositiveIntegerField(_("standing capacity"), null=True, blank=True)
    area_m2 = models.DecimalField(
        _("area (m²)"),
        max_digits=7,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )

    # Equipment
    quantity = models.PositiveIntegerField(
        _("quantity"), default=1, validators=[MinValueValidator(1)], help_text=_("Units that can be lent.")
    )
    condition = models.CharField(_("condition"), max_length=10, choices=Condition.choices, blank=True)
    replacement_value = models.DecimalField(
        _("replacement value (€)"),
        max_digits=9,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    deposit_note = models.CharField(_("deposit"), max_length=200, blank=True)
    pickup_place = models.CharField(_("pick-up place"), max_length=200, blank=True)

    # Skill
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("holder"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="skills",
        help_text=_("The member of the organisation who offers this skill."),
    )
    languages = models.CharField(
        _("languages"), max_length=200, blank=True, help_text=_("For example: German, English, DGS.")
    )
    max_hours_per_month = models.PositiveIntegerField(_("maximum hours per month"), null=True, blank=True)

    # Booking policy
    audience = models.CharField(
        _("who may book"), max_length=15, choices=Audience.choices, default=Audience.NETWORK
    )
    requires_approval = models.BooleanField(
        _("approval required"),
        default=False,
        help_text=_("Requests wait for a manager (for a skill: its holder) to confirm them."),
    )
    lead_time_hours = models.PositiveIntegerField(
        _("lead time (hours)"), default=0, help_text=_("How long before the start a request must come in.")
    )
    max_advance_days = models.PositiveIntegerField(
        _("maximum advance (days)"),
        default=365,
        validators=[MinValueValidator(1)],
        help_text=_("How far ahead it can be booked."),
    )
    min_duration_minutes = models.PositiveIntegerField(
        _("minimum duration (minutes)"), default=30, validators=[MinValueValidator(1)]
    )
    max_duration_minutes = models.PositiveIntegerField(
        _("maximum duration (minutes)"),
        default=24 * 60,
        validators=[MinValueValidator(1), MaxValueValidator(60 * 24 * 62)],
    )
    buffer_before_minutes = models.PositiveIntegerField(
        _("buffer before (minutes)"), default=0, help_text=_("Kept free before each booking: setting up.")
    )
    buffer_after_minutes = models.PositiveIntegerField(
        _("buffer after (minutes)"), default=0, help_text=_("Kept free after each booking: tidying up.")
    )
    quota_hours_per_month = models.PositiveIntegerField(
        _("quota per organisation (hours per month)"),
        null=True,
        blank=True,
        help_text=_("Leave empty for no limit."),
    )
    reminder_hours = models.PositiveSmallIntegerField(
        _("reminder (hours before the start)"),
        default=24,
        validators=[MaxValueValidator(24 * 14)],
        help_text=_(
            "When the borrower is reminded, in hours before the start (wall-clock time); 0 for none."
        ),
    )

    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    objects = ResourceQuerySet.as_manager()

    class Meta:
        verbose_name = _("resource")
        verbose_name_plural = _("resources")
        ordering = ["name"]
        indexes = [models.Index(fields=["kind", "is_active"]), models.Index(fields=["capacity"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_duration_minutes__lte=models.F("max_duration_minutes")),
                name="resource_min_duration_not_above_max",
                violation_error_message=_("The minimum duration must not exceed the maximum duration."),
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="resource_quantity_at_least_one"),
            models.CheckConstraint(
                condition=Q(kind="equipment") | Q(quantity=1),
                name="resource_only_equipment_has_quantity",
                violation_error_message=_("Only equipment can have a quantity above one."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("ressourcen:resource_detail", kwargs={"slug": self.slug})

    @property
    def is_exclusive(self) -> bool:
        """Rooms and skills are booked whole; equipment by units."""
        return self.kind != self.Kind.EQUIPMENT


class ResourcePhoto(models.Model):
    resource = models.ForeignKey(
        Resource, verbose_name=_("resource"), on_delete=models.CASCADE, related_name="photos"
    )
    image = models.ImageField(_("photo"), upload_to="resources/")
    alt_text = models.CharField(
        _("alternative text"),
        max_length=300,
        help_text=_("Describe what the photo shows for people who cannot see it."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(alt_text=""),
                name="resource_photo_needs_alt_text",
                violation_error_message=_("A photo needs an alternative text."),
            )
        ]

    def __str__(self) -> str:
        return self.alt_text


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class OpeningHours(models.Model):
    """One weekly range in local (Europe/Berlin) wall-clock time; a weekday may have several.

    ``end`` 00:00 means midnight at the end of the day. A resource without any opening hours can be
    booked at any time (equipment lent for days, for instance).
    """

    resource = models.ForeignKey(
        Resource, verbose_name=_("resource"), on_delete=models.CASCADE, related_name="opening_hours"
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start = models.TimeField(_("from"))
    end = models.TimeField(_("until"), help_text=_("00:00 means midnight."))

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ["weekday", "start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")) | Q(end="00:00"),
                name="opening_hours_end_after_start",
                violation_error_message=_("The end must be after the start."),
            ),
            # The API and the forms offer Monday (0) … Sunday (6) only; the database holds to it too.
            models.CheckConstraint(
                condition=Q(weekday__lte=6),
                name="opening_hours_weekday",
                violation_error_message=_("Not a weekday."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"


class Closure(models.Model):
    """A period in which a resource — or every resource of an organisation — cannot be booked."""

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="closures"
    )
    resource = models.ForeignKey(
        Resource,
        verbose_name=_("resource"),
        on_delete=models.CASCADE,
        related_name="closures",
        null=True,
        blank=True,
        help_text=_("Leave empty to close every resource of the organisation."),
    )
    start = models.DateTimeField(_("from"))
    end = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=200)

    class Meta:
        verbose_name = _("closure")
        verbose_name_plural = _("closures")
        ordering = ["start"]
        indexes = [models.Index(fields=["organisation", "end"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")),
                name="closure_end_after_start",
                violation_error_message=_("A closure must end after it starts."),
            )
        ]

    def __str__(self) -> str:
        start, end = timezone.localtime(self.start), timezone.localtime(self.end)
        return f"{self.reason} ({start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M})"

"""Forms of the borrower's pages: the booking form and the cancel confirmation.

The forms check what a person typed (dates, numbers, a choice among their own organisations); every
rule of the booking policy is checked by ``buchungen.services``, whose ``ValidationError`` the view puts
back on these fields (``konten.forms.form_apply_errors``), so the page and the API never disagree.
"""

from datetime import UTC, datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from konten.models import Membership, Organisation, User
from ressourcen.models import Resource
from ressourcen.selectors import local_zone

LOCAL_INPUT_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M")
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
YEARS = range(2000, 2101)


def local_input(moment: datetime) -> str:
    """An instant as the value of an ``<input type="datetime-local">``: Berlin wall-clock time."""
    return moment.astimezone(UTC).astimezone(local_zone()).strftime(LOCAL_FORMAT)


def parse_local_input(value: str) -> datetime:
    """Berlin wall-clock text ("2026-12-01T10:00") → an aware datetime in UTC.

    A time the spring clock change skips (02:30 on the last Sunday of March) raises ``ValueError``
    with ``args[0] == "nonexistent"``: a booking form must not silently move it. A time the autumn
    change repeats is taken at its first occurrence (summer time), as the catalogue does.
    """
    text = (value or "").strip()
    for pattern in LOCAL_INPUT_FORMATS:
        try:
            naive = datetime.strptime(text, pattern)  # noqa: DTZ007 - made aware just below
        except ValueError:
            continue
        break
    else:
        raise ValueError("invalid")
    if naive.year not in YEARS:
        raise ValueError("invalid")
    local = naive.replace(tzinfo=local_zone())
    instant = local.astimezone(UTC)
    # In the gap the wall-clock reading does not survive the round trip through UTC.
    if instant.astimezone(local_zone()).replace(tzinfo=None) != naive:
        raise ValueError("nonexistent")
    return instant


class LocalDateTimeField(forms.Field):
    """A date and time typed in Berlin wall-clock time (``<input type="datetime-local">``)."""

    widget = forms.DateTimeInput(format=LOCAL_FORMAT, attrs={"type": "datetime-local"})
    default_error_messages = {
        "invalid": _("Enter a date and time, for example 2026-12-01 10:00."),
        "nonexistent": _(
            "This time does not exist: the clocks are put forward by one hour that night "
            "(from 2:00 to 3:00). Choose a time before 2:00 or from 3:00."
        ),
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return value
        try:
            return parse_local_input(str(value))
        except ValueError as exc:
            code = "nonexistent" if exc.args and exc.args[0] == "nonexistent" else "invalid"
            raise ValidationError(self.error_messages[code], code=code) from exc

    def prepare_value(self, value):
        if isinstance(value, datetime):
            return local_input(value)
        return value


def organisations_for(user: User, resource: Resource) -> list[Organisation]:
    """The organisations ``user`` may book ``resource`` for under its audience policy (one query)."""
    memberships = Membership.objects.filter(user=user).select_related("organisation")
    organisations = sorted((m.organisation for m in memberships), key=lambda o: o.name.casefold())
    if resource.audience == Resource.Audience.ORGANISATION:
        return [o for o in organisations if o.pk == resource.organisation_id]
    return organisations


class BookingForm(forms.Form):
    """Book one resource. ``quantity`` exists only for equipment; ``organisation`` lists the person's
    organisations the policy allows, with "as a private person" only where everyone may book."""

    start = LocalDateTimeField(label=_("Start"), help_text=_("Local time in Meißen."))
    end = LocalDateTimeField(
        label=_("End"),
        help_text=_("Local time in Meißen. The end is free again: until 12:00 means 12:00 is free."),
    )
    quantity = forms.IntegerField(
        label=_("Quantity"), min_value=1, max_value=100_000, initial=1, help_text=_("How many units.")
    )
    organisation = forms.TypedChoiceField(
        label=_("Book for"), coerce=int, empty_value=None, help_text=_("The organisation the booking is for.")
    )
    purpose = forms.CharField(
        label=_("Purpose"),
        required=False,
        max_length=500,
        help_text=_("What is it for? The managers of the resource read this."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    participants = forms.IntegerField(
        label=_("Expected participants"),
        required=False,
        min_value=0,
        max_value=100_000,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args, resource: Resource, organisations: list[Organisation], **kwargs):
        super().__init__(*args, **kwargs)
        self.resource = resource
        self.organisations = {organisation.pk: organisation for organisation in organisations}
        if resource.kind != Resource.Kind.EQUIPMENT:
            del self.fields["quantity"]
        else:
            self.fields["quantity"].max_value = resource.quantity
            self.fields["quantity"].widget.attrs["max"] = resource.quantity
        choices = [(organisation.pk, organisation.name) for organisation in organisations]
        field = self.fields["organisation"]
        if resource.audience == Resource.Audience.PUBLIC:
            field.required = False
            field.choices = [("", _("As a private person")), *choices]
        else:
            field.choices = choices
            if choices:
                field.initial = choices[0][0]

    @property
    def may_book(self) -> bool:
        """Whether the person can book at all (a public resource, or one of their organisations may)."""
        return self.resource.audience == Resource.Audience.PUBLIC or bool(self.organisations)

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "start": data["start"],
            "end": data["end"],
            "quantity": data.get("quantity") or 1,
            "organisation": self.organisations.get(data.get("organisation")),
            "purpose": data.get("purpose", ""),
            "participants": data.get("participants"),
        }


class CancelForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        help_text=_("Optional: why you cancel. Everyone involved in the booking can read it."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

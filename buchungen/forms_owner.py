"""Forms of the owners' pages: the inbox (decide on several requests at once), one decision, hand over,
take back, no-show. They check the shape of the input; the services (buchungen/services.py) check who
may and what the booking's status allows, and their ValidationErrors land on these forms' fields."""

from django import forms
from django.utils.translation import gettext_lazy as _

from buchungen.services import HANDED_OVER_TO_MAX_LENGTH, NOTE_MAX_LENGTH

# A page shows the requests of a few organisations; more ids in one POST are not a person's work.
MAX_SELECTED = 200

APPROVE = "approve"
DECLINE = "decline"
DECISIONS = [(APPROVE, _("Approve")), (DECLINE, _("Decline"))]


def is_id(value: str) -> bool:
    """A database id as posted: ASCII digits that fit a signed 64-bit integer (no overflow, no "²")."""
    return value.isascii() and value.isdigit() and 0 < len(value) <= 18


def _textarea(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, "maxlength": NOTE_MAX_LENGTH})


class InboxFilterForm(forms.Form):
    """Which owning organisation's requests to show (one of those the person manages)."""

    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=None, required=False, empty_label=_("All my organisations")
    )

    def __init__(self, *args, organisations, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations


class _DecisionMixin:
    """A decision and its comment: optional when approving, the required reason when declining."""

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == DECLINE and not cleaned.get("comment", "").strip():
            self.add_error("comment", _("Please give a reason for declining; the borrower reads it."))
        return cleaned


class DecisionForm(_DecisionMixin, forms.Form):
    # Posted by the button pressed ("Approve" or "Decline"), never shown as a field.
    decision = forms.ChoiceField(
        choices=DECISIONS,
        widget=forms.HiddenInput,
        error_messages={"required": _("Choose whether to approve or decline.")},
    )
    comment = forms.CharField(
        label=_("Comment or reason"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=_textarea(),
        help_text=_("Optional when approving, required when declining. The borrower reads it."),
    )


class InboxDecisionForm(DecisionForm):
    """Several requests at once: ``bookings`` are the ticked ids (checked one by one in the view)."""

    bookings = forms.TypedMultipleChoiceField(
        label=_("Requests"),
        coerce=int,
        error_messages={"required": _("Select at least one request.")},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Any whole number is accepted here: whether the person may decide on it is the view's (and the
        # service's) question, answered per booking, so a stale or foreign id cannot spoil the others.
        raw = self.data.getlist("bookings") if hasattr(self.data, "getlist") else []
        self.fields["bookings"].choices = [(value, value) for value in raw if is_id(value)]
        # The checkboxes are rendered in the table, row by row: the error summary links to the table.
        self.fields["bookings"].error_anchor = "inbox-requests"

    def clean_bookings(self) -> list[int]:
        ids = list(dict.fromkeys(self.cleaned_data["bookings"]))
        if len(ids) > MAX_SELECTED:
            raise forms.ValidationError(
                _("Select at most %(count)d requests at once.") % {"count": MAX_SELECTED}
            )
        return ids


class CheckOutForm(forms.Form):
    handed_over_to = forms.CharField(
        label=_("Handed over to"),
        required=False,
        max_length=HANDED_OVER_TO_MAX_LENGTH,
        help_text=_("The person who received the key or the equipment."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    comment = forms.CharField(
        label=_("Condition at hand-over"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=_textarea(),
        help_text=_("For example: complete with bag and cables, scratch on the lid."),
    )


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label=_("Condition at return"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=_textarea(),
        help_text=_("For example: clean, complete, key returned."),
    )
    damage_report = forms.CharField(
        label=_("Damage report"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=_textarea(4),
        help_text=_("Damage or missing parts. Leave empty when everything is fine."),
    )


class NoShowForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=_textarea(),
        help_text=_("Optional, for example whether you tried to reach the borrower."),
    )

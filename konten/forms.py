from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from konten.models import AccessibilityFeedback, Membership, Organisation, User
from konten.uploads import BROWSER_IMAGE_FORMATS, image_dimensions_check, image_storage_name


def form_apply_errors(form, error: ValidationError, field_map: dict[str, str] | None = None) -> None:
    """Put a service's ValidationError on ``form``: on the field it names (``field_map`` renames service
    fields to form fields), otherwise at the top. Pages of every app use this."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        target = (field_map or {}).get(name, name)
        form.add_error(target if target in form.fields else None, errors)


class SignupForm(forms.Form):
    """Extra fields on allauth's sign-up form (allauth calls ``signup`` after creating the user)."""

    name = forms.CharField(
        label=_("Name"),
        max_length=150,
        required=False,
        help_text=_("How others in the network see you. Optional."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )

    def signup(self, request, user: User) -> None:
        user.name = self.cleaned_data.get("name", "")
        user.save(update_fields=["name"])


class OrganisationForm(forms.ModelForm):
    website = forms.URLField(
        label=Organisation._meta.get_field("website").verbose_name,
        required=False,
        assume_scheme="https",
    )

    class Meta:
        model = Organisation
        fields = [
            "name",
            "slug",
            "description",
            "address",
            "contact_email",
            "phone",
            "website",
            "logo",
            "logo_alt",
            "accessibility_notes",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 5}),
            "address": forms.Textarea(attrs={"rows": 3}),
            "accessibility_notes": forms.Textarea(attrs={"rows": 4}),
        }

    def clean_logo(self):
        logo = self.cleaned_data.get("logo")
        if logo and hasattr(logo, "size") and logo.size > settings.MAX_IMAGE_UPLOAD_BYTES:
            raise ValidationError(
                _("The logo may be at most %(size)s MB.")
                % {"size": settings.MAX_IMAGE_UPLOAD_BYTES // (1024 * 1024)}
            )
        # A new upload: Django's ImageField has opened and verified it with Pillow (``logo.image``).
        # Only formats browsers show, of sane dimensions, stored under a name that says what it is.
        picture = getattr(logo, "image", None)
        if picture is not None:
            if picture.format not in BROWSER_IMAGE_FORMATS:
                raise ValidationError(_("Please upload a JPEG, PNG, GIF or WebP file."))
            image_dimensions_check(*picture.size)
            logo.name = image_storage_name(picture.format)
        return logo

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("logo") and not cleaned.get("logo_alt", "").strip():
            self.add_error("logo_alt", _("Please describe the logo for people who cannot see it."))
        return cleaned


class InvitationForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"), widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices, initial=Membership.Role.MEMBER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices)


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["name", "language", "notify_by_email", "notify_reminders", "notify_digest"]


class AccountDeleteForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand that my account will be deleted for good."), required=True
    )
    password = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise ValidationError(_("The password is not correct."))
        return password


class AccessibilityFeedbackForm(forms.ModelForm):
    class Meta:
        model = AccessibilityFeedback
        fields = ["name", "email", "page", "message"]
        widgets = {
            "message": forms.Textarea(attrs={"rows": 6}),
            "name": forms.TextInput(attrs={"autocomplete": "name"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
        }

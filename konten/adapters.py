"""allauth glue: where people land after login, and the welcome e-mail after confirmation."""

from allauth.account.adapter import DefaultAccountAdapter
from django.urls import reverse

from konten.tasks import welcome_email_queue

PENDING_INVITATION_SESSION_KEY = "pending_invitation_token"


def _pending_invitation_url(request) -> str | None:
    token = request.session.get(PENDING_INVITATION_SESSION_KEY)
    return reverse("konten:invitation_accept", kwargs={"token": token}) if token else None


class AccountAdapter(DefaultAccountAdapter):
    # Someone who opened an invitation link before logging in or signing up comes back to it: after a
    # login, and after the e-mail confirmation that logs a new person in (allauth asks the sign-up
    # redirect then).
    def get_login_redirect_url(self, request):
        return _pending_invitation_url(request) or super().get_login_redirect_url(request)

    def get_signup_redirect_url(self, request):
        return _pending_invitation_url(request) or super().get_signup_redirect_url(request)

    def confirm_email(self, request, email_address):
        confirmed = super().confirm_email(request, email_address)
        user = email_address.user
        if confirmed and user.welcome_email_sent_at is None:
            welcome_email_queue(user)
        return confirmed

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        language = getattr(request, "LANGUAGE_CODE", None)
        if language in {"de", "en"}:
            user.language = language
        if commit:
            user.save()
        return user

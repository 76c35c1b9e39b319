"""allauth glue: where people land after login, and the welcome e-mail after confirmation."""

from allauth.account.adapter import DefaultAccountAdapter
from django.urls import reverse

from konten.tasks import welcome_email_queue

PENDING_INVITATION_SESSION_KEY = "pending_invitation_token"


class AccountAdapter(DefaultAccountAdapter):
    def get_login_redirect_url(self, request):
        # Someone who opened an invitation link before logging in or signing up comes back to it.
        token = request.session.get(PENDING_INVITATION_SESSION_KEY)
        if token:
            return reverse("konten:invitation_accept", kwargs={"token": token})
        return super().get_login_redirect_url(request)

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

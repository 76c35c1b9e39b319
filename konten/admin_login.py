"""The admin's login form, throttled like the site's login.

Django's admin login (``/admin/login/``) authenticates on its own and knows no rate limit. This form
authenticates through allauth's adapter instead, so it counts against the same limits as the site's login
form (``ACCOUNT_RATE_LIMITS["login_failed"]``: per client address and per account, one counter for both
pages): after too many failures even the right password is refused until the window has passed.
"""

from allauth.account.adapter import get_adapter
from django.contrib.admin.forms import AdminAuthenticationForm


class ThrottledAdminAuthenticationForm(AdminAuthenticationForm):
    def clean(self):
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if email is not None and password:
            # Raises "Too many failed login attempts" (allauth's message) before checking the password.
            self.user_cache = get_adapter(self.request).authenticate(
                self.request, email=email, password=password
            )
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data

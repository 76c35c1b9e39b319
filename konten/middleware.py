"""Activate the language a logged-in person chose in their profile.

The language switch in the page header sets Django's language cookie; that explicit choice wins.
Otherwise a logged-in person sees the language of their profile, anonymous visitors German (or what
their browser asks for, through LocaleMiddleware).
"""

from django.conf import settings
from django.utils import translation


class UserLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES
            and user.language
        ):
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)

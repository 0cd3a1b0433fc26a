"""Language selection: Vietnamese unless the visitor chose English.

Django's LocaleMiddleware also follows the browser's Accept-Language header,
which would show English to anyone whose phone is set to English. The portal
is Vietnamese first, so only an explicit choice (the language cookie set by
the switch in the navigation bar) changes the language.
"""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


def language_from_request(request):
    """Return the language chosen with the switch, or the default (Vietnamese)."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    supported = {code for code, _name in settings.LANGUAGES}
    return chosen if chosen in supported else settings.LANGUAGE_CODE


class LanguageMiddleware(LocaleMiddleware):
    def process_request(self, request):
        language = language_from_request(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()

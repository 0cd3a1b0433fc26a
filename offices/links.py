"""The signed survey link printed on a dossier's receipt, and its QR code.

The token is ``django.core.signing`` over the dossier code only (nothing
personal), with a timestamp so links expire. The survey page that opens it
(``/s/d/<token>/``) belongs to the surveys app.
"""

import datetime as dt

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.core import signing

from offices.models import Dossier

SALT = "surveys.dossier-link"
MAX_AGE_DAYS = 90


class SurveyLinkError(Exception):
    """A survey token that cannot be used; ``reason`` is "expired", "forged" or "unknown"."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


def dossier_survey_token(dossier: Dossier) -> str:
    """Return a signed, timestamped, URL-safe token carrying the dossier code."""
    return signing.dumps(dossier.code, salt=SALT)


def dossier_survey_url(dossier: Dossier) -> str:
    """Return the absolute URL a citizen opens to rate ``dossier``."""
    return f"{settings.SITE_URL}/s/d/{dossier_survey_token(dossier)}/"


def dossier_from_survey_token(token: str, *, max_age_days: int = MAX_AGE_DAYS) -> Dossier:
    """Return the dossier a token was signed for (one query).

    Raises ``SurveyLinkError`` with reason "expired" (older than
    ``max_age_days``), "forged" (bad signature or content) or "unknown" (no
    such dossier any more).
    """
    try:
        code = signing.loads(token, salt=SALT, max_age=dt.timedelta(days=max_age_days))
    except signing.SignatureExpired as exc:
        raise SurveyLinkError("expired") from exc
    except signing.BadSignature as exc:
        raise SurveyLinkError("forged") from exc
    if not isinstance(code, str):
        raise SurveyLinkError("forged")
    dossier = Dossier.objects.filter(code=code).select_related("office", "procedure").first()
    if dossier is None:
        raise SurveyLinkError("unknown")
    return dossier


def qr_svg(data: str) -> str:
    """Return ``data`` as a QR code in SVG (a single path, no raster library needed)."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    return image.to_string(encoding="unicode")

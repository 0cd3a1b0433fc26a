"""Kiosk devices: one-time setup links, device tokens and their DRF authentication.

An admin or office staff registers a device and gets a setup link (valid
``KIOSK_SETUP_HOURS``, single use). Opening it on the tablet exchanges it for
a long-lived device token that the kiosk page keeps in localStorage and sends
as ``Authorization: Device <token>``. Only SHA-256 hashes of both secrets are
stored. Revoking a device makes its next request fail with 401.
"""

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions, permissions

from offices.models import Office
from surveys.models import KioskDevice

KEYWORD = "Device"
# Writing last_seen_at on every request would turn each read into a write.
LAST_SEEN_EVERY = dt.timedelta(seconds=60)


class KioskError(Exception):
    """A kiosk action that cannot be done; the message says why."""


def token_hash(token: str) -> str:
    """Return the hex SHA-256 of a setup or device token."""
    return hashlib.sha256(token.encode()).hexdigest()


def setup_hours() -> int:
    return int(getattr(settings, "KIOSK_SETUP_HOURS", 24))


def kiosk_register(*, office: Office, name: str, by) -> tuple[KioskDevice, str]:
    """Create a device for ``office``; return it and its one-time setup token (shown once)."""
    name = (name or "").strip()
    if not name:
        raise KioskError(_("Hãy đặt tên cho thiết bị (ví dụ: Quầy số 1)."))
    if len(name) > 100:
        raise KioskError(_("Tên thiết bị dài tối đa 100 ký tự."))
    setup_token = secrets.token_urlsafe(32)
    device = KioskDevice.objects.create(
        office=office,
        name=name,
        setup_token_hash=token_hash(setup_token),
        setup_expires_at=timezone.now() + dt.timedelta(hours=setup_hours()),
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    return device, setup_token


def kiosk_setup_device(*, setup_token: str) -> KioskDevice | None:
    """Return the device a still-valid setup token belongs to, without using it up."""
    if not setup_token:
        return None
    return (
        KioskDevice.objects.select_related("office")
        .filter(
            setup_token_hash=token_hash(setup_token),
            setup_expires_at__gt=timezone.now(),
            revoked_at__isnull=True,
        )
        .first()
    )


def kiosk_activate(*, setup_token: str) -> tuple[KioskDevice, str]:
    """Exchange a setup token for a device token; the setup token stops working.

    A conditional update on the setup hash makes the exchange single-use even
    when two tablets open the link at once. Raises KioskError when the link
    is unknown, used, expired or the device was revoked.
    """
    device = kiosk_setup_device(setup_token=setup_token)
    if device is None:
        raise KioskError(
            _("Đường dẫn cài đặt không hợp lệ, đã dùng hoặc đã hết hạn. Hãy tạo đường dẫn mới.")
        )
    device_token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        claimed = KioskDevice.objects.filter(
            pk=device.pk,
            setup_token_hash=token_hash(setup_token),
            revoked_at__isnull=True,
        ).update(
            setup_token_hash="",
            setup_expires_at=None,
            token_hash=token_hash(device_token),
            activated_at=now,
            last_seen_at=now,
        )
    if claimed != 1:
        raise KioskError(_("Đường dẫn cài đặt đã được dùng trên một thiết bị khác."))
    device.refresh_from_db()
    return device, device_token


def kiosk_revoke(*, device: KioskDevice) -> KioskDevice:
    """Revoke ``device``: its token and any unused setup link stop working at once."""
    KioskDevice.objects.filter(pk=device.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), setup_token_hash="", setup_expires_at=None
    )
    device.refresh_from_db()
    return device


class DeviceAuthentication(authentication.BaseAuthentication):
    """``Authorization: Device <token>`` → ``request.auth`` is the KioskDevice.

    The user stays anonymous. An unknown or revoked token is refused with 401
    on the spot (one indexed lookup per request), so revoking takes effect on
    the device's next request.
    """

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Mã thiết bị không hợp lệ."))
        try:
            token = header[1].decode()
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed(_("Mã thiết bị không hợp lệ.")) from exc
        device = (
            KioskDevice.objects.select_related("office")
            .filter(token_hash=token_hash(token))
            .exclude(token_hash="")
            .first()
        )
        if device is None:
            raise exceptions.AuthenticationFailed(_("Thiết bị chưa được đăng ký."))
        if device.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("Thiết bị đã bị thu hồi."))
        now = timezone.now()
        if device.last_seen_at is None or now - device.last_seen_at > LAST_SEEN_EVERY:
            KioskDevice.objects.filter(pk=device.pk).update(last_seen_at=now)
            device.last_seen_at = now
        return AnonymousUser(), device

    def authenticate_header(self, request):
        return KEYWORD


class IsKioskDevice(permissions.BasePermission):
    """Allow requests authenticated by an active kiosk device."""

    message = _("Chỉ thiết bị đánh giá tại quầy đã kích hoạt mới được dùng chức năng này.")

    def has_permission(self, request, view):
        return isinstance(request.auth, KioskDevice)

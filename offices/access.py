"""The one place that decides what a user may see and do.

Every view and API asks ``scope_for(user)`` and filters through the returned
``Scope``; nothing else reads roles. An admin sees everything, an official
(or an integration client) one unit and everything below it, office staff
one office.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from offices.models import AdministrativeUnit, Office, Role


@dataclass(frozen=True)
class Scope:
    role: str | None
    unit: AdministrativeUnit | None = None
    office: Office | None = None

    @property
    def is_admin(self):
        return self.role == Role.ADMIN

    @property
    def is_empty(self):
        return self.role is None

    @property
    def can_manage_office(self):
        """Return True when the user may answer complaints, run kiosks, issue apologies."""
        return self.role in (Role.ADMIN, Role.OFFICE_STAFF)

    def office_q(self, prefix=""):
        """Return a Q limiting a queryset to visible offices.

        ``prefix`` is the lookup path to the office, e.g. ``"office__"`` for
        dossiers or responses; empty for Office itself.
        """
        if self.is_admin:
            return Q()
        if self.office is not None:
            return Q(**{f"{prefix}pk": self.office.pk})
        if self.unit is not None:
            return Q(
                **{
                    f"{prefix}unit__unit_set": self.unit.unit_set,
                    f"{prefix}unit__path__startswith": self.unit.path,
                }
            )
        return Q(pk__in=[])

    def unit_q(self, prefix=""):
        """Return a Q limiting a queryset of units to visible ones."""
        if self.is_admin:
            return Q()
        unit = self.unit or (self.office.unit if self.office else None)
        if unit is None or self.office is not None:
            # Office staff see only their own unit, not its siblings or children.
            return Q(**{f"{prefix}pk": unit.pk}) if unit else Q(pk__in=[])
        return Q(**{f"{prefix}unit_set": unit.unit_set, f"{prefix}path__startswith": unit.path})

    def offices(self):
        """Return the offices this user may see."""
        return Office.objects.filter(self.office_q())

    def units(self):
        """Return the administrative units this user may see."""
        return AdministrativeUnit.objects.filter(self.unit_q())

    def can_see_office(self, office):
        if self.is_admin:
            return True
        if self.office is not None:
            return office.pk == self.office.pk
        if self.unit is not None:
            return self.unit.is_ancestor_of(office.unit)
        return False

    def can_see_unit(self, unit):
        if self.is_admin:
            return True
        if self.office is not None:
            return unit.pk == self.office.unit_id
        if self.unit is not None:
            return self.unit.is_ancestor_of(unit)
        return False


EMPTY = Scope(role=None)


def scope_for(user):
    """Return the Scope of ``user``; anonymous or role-less users see nothing.

    Reads the user's profile (one query, cached on the user object).
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return EMPTY
    if user.is_superuser:
        return Scope(role=Role.ADMIN)
    cached = getattr(user, "_portal_scope", None)
    if cached is not None:
        return cached
    from offices.models import Profile

    profile = (
        Profile.objects.select_related("unit", "office", "office__unit").filter(user=user).first()
    )
    if profile is None:
        scope = EMPTY
    elif profile.role == Role.ADMIN:
        scope = Scope(role=Role.ADMIN)
    elif profile.role == Role.OFFICE_STAFF:
        scope = Scope(role=profile.role, office=profile.office)
    else:
        scope = Scope(role=profile.role, unit=profile.unit)
    user._portal_scope = scope
    return scope


def office_for_user_or_404(user, **lookup):
    """Return the office matching ``lookup`` if ``user`` may see it, else raise Http404."""
    office = Office.objects.select_related("unit").filter(**lookup).first()
    if office is None or not scope_for(user).can_see_office(office):
        raise Http404
    return office


def unit_for_user_or_404(user, **lookup):
    """Return the unit matching ``lookup`` if ``user`` may see it, else raise Http404."""
    unit = AdministrativeUnit.objects.filter(**lookup).first()
    if unit is None or not scope_for(user).can_see_unit(unit):
        raise Http404
    return unit


def require_office_manager(user, office):
    """Raise PermissionDenied unless ``user`` may act for ``office`` (staff or admin)."""
    scope = scope_for(user)
    if not (scope.can_manage_office and scope.can_see_office(office)):
        raise PermissionDenied

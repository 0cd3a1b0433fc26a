"""factory-boy factories shared by every test module."""

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from offices.models import (
    AdministrativeUnit,
    Dossier,
    Field,
    Office,
    OfficeKind,
    Officer,
    Procedure,
    Profile,
    Role,
    UnitLevel,
    UnitSet,
)


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AdministrativeUnit

    unit_set = UnitSet.Y2024
    level = UnitLevel.PROVINCE
    code = factory.Sequence(lambda n: str(900 + n))
    name = factory.LazyAttribute(lambda o: f"Unit {o.code}")
    division_type = "tỉnh"


class OfficeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Office

    code = factory.Sequence(lambda n: f"OFF{n:04d}")
    name = factory.LazyAttribute(lambda o: f"Office {o.code}")
    kind = OfficeKind.DISTRICT_ONE_STOP
    unit = factory.SubFactory(UnitFactory)
    slug = factory.LazyAttribute(lambda o: o.code.lower())


class FieldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Field
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Field {n}")
    code = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "-"))


class ProcedureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Procedure

    code = factory.Sequence(lambda n: f"1.{n:06d}")
    name = factory.Sequence(lambda n: f"Procedure {n}")
    field = factory.SubFactory(FieldFactory)
    level = "district"
    legal_days = 5
    day_kind = "working"


class OfficerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Officer

    office = factory.SubFactory(OfficeFactory)
    code = factory.Sequence(lambda n: f"CB{n:05d}")
    full_name = factory.Sequence(lambda n: f"Officer {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pass-Word-123")


def make_user(role=None, *, unit=None, office=None, username=None, **kwargs):
    """Return a user with ``role`` scoped to ``unit`` or ``office`` (admin: superuser)."""
    user = UserFactory(**({"username": username} if username else {}), **kwargs)
    if role == Role.ADMIN:
        user.is_staff = user.is_superuser = True
        user.save()
    elif role is not None:
        Profile.objects.create(user=user, role=role, unit=unit, office=office)
    return user


def local_dt(y, m, d, hh=9, mm=0):
    """Return an aware datetime in Asia/Ho_Chi_Minh."""
    return timezone.make_aware(dt.datetime(y, m, d, hh, mm))


class DossierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dossier

    code = factory.Sequence(lambda n: f"HS-{n:08d}")
    office = factory.SubFactory(OfficeFactory)
    procedure = factory.SubFactory(ProcedureFactory)
    received_at = factory.LazyFunction(lambda: local_dt(2025, 3, 3))
    due_at = factory.LazyFunction(lambda: local_dt(2025, 3, 10, 17, 0))

import datetime as dt
import random
import time

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from offices.access import scope_for
from offices.demo import demo_catalogue_seed
from offices.models import Field, Holiday, HolidayKind, Office, Officer, Procedure, Role
from tests.factories import DossierFactory


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Hashing real passwords dominates these tests; the hasher is not under test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def snapshot():
    return {
        "offices": sorted(Office.objects.values_list("code", "name", "unit__code", "parent__code")),
        "procedures": Procedure.objects.count(),
        "links": Procedure.offices.through.objects.count(),
        "officers": sorted(Officer.objects.values_list("code", "full_name", "office__code")),
        "holidays": Holiday.objects.count(),
        "users": get_user_model().objects.count(),
    }


@pytest.mark.django_db
class TestDemoCatalogueSeed:
    def test_it_builds_quang_binh_quickly(self):
        started = time.monotonic()
        catalogue = demo_catalogue_seed(rng=random.Random(1), password="pw-demo-1")
        assert time.monotonic() - started < 10
        assert catalogue.province.name == "Tỉnh Quảng Bình"
        assert catalogue.centre.name == "Trung tâm Phục vụ hành chính công tỉnh Quảng Bình"
        assert len(catalogue.district_offices) == 8
        assert all(o.parent == catalogue.centre for o in catalogue.departments)
        assert 3 * 8 <= len(catalogue.commune_offices) <= 4 * 8
        assert catalogue.demo_office.name == "Bộ phận Một cửa UBND Thành phố Đồng Hới"
        assert Procedure.objects.count() >= 40
        assert Field.objects.count() >= 8
        counts = Officer.objects.values("office").distinct().count()
        assert counts == len(catalogue.offices)
        for office in catalogue.offices:
            assert 3 <= office.officers.count() <= 8

    def test_procedures_are_offered_by_offices_of_their_level(self):
        catalogue = demo_catalogue_seed(rng=random.Random(1), password="pw-demo-1")
        for procedure in Procedure.objects.prefetch_related("offices"):
            kinds = {o.kind for o in procedure.offices.all()}
            expected = {
                "province": {"department"},
                "district": {"district_one_stop"},
                "commune": {"commune_one_stop"},
            }[procedure.level]
            assert kinds == expected, procedure
        births = Procedure.objects.get(name="Đăng ký khai sinh")
        assert births.offices.count() == len(catalogue.commune_offices)

    def test_it_is_deterministic_and_idempotent(self):
        demo_catalogue_seed(rng=random.Random(5), password="pw-demo-1")
        first = snapshot()
        demo_catalogue_seed(rng=random.Random(5), password="pw-demo-1")
        assert snapshot() == first

    def test_it_stores_real_2025_holidays_and_the_swapped_working_day(self):
        demo_catalogue_seed(rng=random.Random(1), password="pw-demo-1")
        tet = Holiday.objects.filter(date__range=(dt.date(2025, 1, 25), dt.date(2025, 2, 2)))
        assert tet.count() == 9
        for day in ["2025-01-01", "2025-04-30", "2025-05-01", "2025-09-01", "2025-09-02"]:
            assert Holiday.objects.get(date=day).kind == HolidayKind.HOLIDAY
        assert Holiday.objects.get(date="2025-04-26").kind == HolidayKind.WORKING_DAY
        assert Holiday.objects.filter(date__year=2026).count() >= 15

    def test_the_demo_users_have_the_right_scopes(self):
        catalogue = demo_catalogue_seed(rng=random.Random(1), password="pw-demo-1")
        users = get_user_model().objects
        admin = users.get(username="demo-admin")
        assert admin.is_superuser and admin.check_password("pw-demo-1")
        province = scope_for(users.get(username="demo-province"))
        assert (province.role, province.unit.code) == (Role.OFFICIAL, "44")
        district = scope_for(users.get(username="demo-district"))
        assert district.unit.code == "450"
        assert district.offices().count() < province.offices().count()
        office_user = users.get(username="demo-office")
        assert office_user.is_staff
        assert scope_for(office_user).office == catalogue.demo_office
        assert office_user.has_perm("offices.change_office")


@pytest.mark.django_db
class TestSeedDemoCommand:
    def test_it_runs_twice_and_prints_the_password(self, capsys, monkeypatch):
        from portal.management.commands import seed_demo

        # Only the catalogue step: the other apps test their own steps.
        monkeypatch.setattr(seed_demo, "STEPS", seed_demo.STEPS[:1])
        call_command("seed_demo", "--password", "pw-demo-2", "--seed", "3")
        call_command("seed_demo", "--password", "pw-demo-2", "--seed", "3")
        out = capsys.readouterr().out
        assert "[1/" in out
        assert "pw-demo-2" in out
        assert get_user_model().objects.filter(username__startswith="demo-").count() == 4

    def test_if_empty_skips_the_heavy_steps_once_the_demo_has_dossiers(self, monkeypatch):
        from portal.management.commands import seed_demo

        calls = []

        def step_dossiers(context):
            calls.append("dossiers")
            DossierFactory(office=context["catalogue"].centre)
            return "ok"

        def step_responses(context):
            calls.append("responses")
            return "ok"

        monkeypatch.setattr(
            seed_demo,
            "STEPS",
            [seed_demo.STEPS[0], ("dossiers", step_dossiers), ("responses", step_responses)],
        )
        call_command("seed_demo", "--if-empty")
        assert calls == ["dossiers", "responses"]
        call_command("seed_demo", "--if-empty")
        assert calls == ["dossiers", "responses"]
        call_command("seed_demo")
        assert calls == ["dossiers", "responses", "dossiers", "responses"]

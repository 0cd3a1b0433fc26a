import pytest
from django.contrib.auth.models import Permission
from django.http import Http404
from django.urls import reverse

from offices.access import office_for_user_or_404, scope_for, unit_for_user_or_404
from offices.models import Office, Role
from tests.factories import DossierFactory, OfficeFactory, UnitFactory, make_user


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Hashing real passwords dominates these tests; the hasher is not under test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def tree(db):
    """Two 2024 provinces, two districts, communes; a 2025 province sharing a code."""
    p44 = UnitFactory(unit_set="2024", level="province", code="44")
    p45 = UnitFactory(unit_set="2024", level="province", code="45")
    d450 = UnitFactory(unit_set="2024", level="district", code="450", parent=p44)
    d452 = UnitFactory(unit_set="2024", level="district", code="452", parent=p44)
    c1 = UnitFactory(unit_set="2024", level="commune", code="19000", parent=d450)
    c2 = UnitFactory(unit_set="2024", level="commune", code="19100", parent=d452)
    new44 = UnitFactory(unit_set="2025", level="province", code="44")
    new_commune = UnitFactory(unit_set="2025", level="commune", code="19000", parent=new44)
    offices = {
        "province": OfficeFactory(code="P44", unit=p44),
        "other_province": OfficeFactory(code="P45", unit=p45),
        "d450": OfficeFactory(code="D450", unit=d450),
        "d452": OfficeFactory(code="D452", unit=d452),
        "c1": OfficeFactory(code="C1", unit=c1),
        "c2": OfficeFactory(code="C2", unit=c2),
        "new": OfficeFactory(code="NEW", unit=new_commune),
    }
    return {"p44": p44, "u450": d450, "u452": d452, "uc1": c1, "new44": new44, **offices}


def codes(qs):
    return set(qs.values_list("code", flat=True))


class TestScopeFor:
    def test_an_admin_sees_everything(self, tree):
        scope = scope_for(make_user(Role.ADMIN))
        assert scope.is_admin
        assert codes(scope.offices()) == codes(Office.objects.all())

    def test_a_profile_admin_sees_everything_too(self, tree):
        user = make_user(Role.OFFICE_STAFF, office=tree["c1"])
        user.profile.role = Role.ADMIN
        user.profile.office = None
        user.profile.save()
        user = type(user).objects.get(pk=user.pk)
        assert scope_for(user).is_admin

    def test_a_province_official_sees_the_province_subtree_of_its_set_only(self, tree):
        scope = scope_for(make_user(Role.OFFICIAL, unit=tree["p44"]))
        assert codes(scope.offices()) == {"P44", "D450", "D452", "C1", "C2"}
        assert codes(scope.units()) == {"44", "450", "452", "19000", "19100"}
        # The 2025 province 44 and its commune 19000 share codes but not the set.
        assert not scope.units().filter(unit_set="2025").exists()

    def test_a_district_official_cannot_see_another_district(self, tree):
        user = make_user(Role.OFFICIAL, unit=tree["u450"])
        scope = scope_for(user)
        assert codes(scope.offices()) == {"D450", "C1"}
        assert not scope.can_see_office(tree["d452"])
        assert not scope.can_see_unit(tree["p44"])
        with pytest.raises(Http404):
            office_for_user_or_404(user, code="D452")
        with pytest.raises(Http404):
            unit_for_user_or_404(user, pk=tree["u452"].pk)
        assert office_for_user_or_404(user, code="C1") == tree["c1"]

    def test_an_official_of_the_2025_set_does_not_see_2024_offices(self, tree):
        scope = scope_for(make_user(Role.OFFICIAL, unit=tree["new44"]))
        assert codes(scope.offices()) == {"NEW"}
        assert not scope.can_see_office(tree["province"])

    def test_office_staff_see_only_their_office(self, tree):
        scope = scope_for(make_user(Role.OFFICE_STAFF, office=tree["d450"]))
        assert codes(scope.offices()) == {"D450"}
        assert codes(scope.units()) == {"450"}
        assert scope.can_manage_office
        assert not scope.can_see_office(tree["c1"])

    def test_an_integration_client_is_limited_like_an_official(self, tree):
        scope = scope_for(make_user(Role.INTEGRATION, unit=tree["u452"]))
        assert codes(scope.offices()) == {"D452", "C2"}
        assert not scope.can_manage_office

    def test_a_user_without_a_role_sees_nothing(self, tree):
        scope = scope_for(make_user(None))
        assert scope.is_empty
        assert not scope.offices().exists()
        assert not scope.units().exists()

    def test_an_inactive_user_sees_nothing(self, tree):
        user = make_user(Role.OFFICIAL, unit=tree["p44"], is_active=False)
        assert scope_for(user).is_empty

    def test_the_subtree_is_a_prefix_query_on_the_path(self, tree):
        assert tree["uc1"].path == "/44/450/19000/"
        assert set(type(tree["p44"]).objects.subtree(tree["u450"])) == {tree["u450"], tree["uc1"]}


@pytest.fixture
def staff_client(client, tree):
    """An office-staff user of D450 with admin access and the demo staff permissions."""
    user = make_user(Role.OFFICE_STAFF, office=tree["d450"], is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="offices",
            codename__in=[
                "view_office",
                "change_office",
                "view_dossier",
                "view_administrativeunit",
            ],
        )
    )
    client.force_login(user)
    return client


class TestAdminScope:
    def test_office_staff_see_only_their_office_in_the_admin(self, staff_client, tree):
        response = staff_client.get(reverse("admin:offices_office_changelist"))
        assert response.status_code == 200
        shown = {o.code for o in response.context["cl"].result_list}
        assert shown == {"D450"}

    def test_another_office_cannot_be_opened(self, staff_client, tree):
        url = reverse("admin:offices_office_change", args=[tree["d452"].pk])
        response = staff_client.get(url)
        assert response.status_code == 302  # "does not exist" redirect to the admin index
        url = reverse("admin:offices_office_change", args=[tree["d450"].pk])
        assert staff_client.get(url).status_code == 200

    def test_dossiers_are_limited_to_their_office(self, staff_client, tree):
        DossierFactory(office=tree["d450"], code="MINE")
        DossierFactory(office=tree["d452"], code="THEIRS")
        response = staff_client.get(reverse("admin:offices_dossier_changelist"))
        assert {d.code for d in response.context["cl"].result_list} == {"MINE"}

    def test_unit_autocomplete_is_limited_to_their_unit(self, staff_client, tree):
        response = staff_client.get(
            reverse("admin:autocomplete"),
            {"app_label": "offices", "model_name": "office", "field_name": "unit", "term": ""},
        )
        assert response.status_code == 200
        assert {r["id"] for r in response.json()["results"]} == {str(tree["u450"].pk)}

    def test_they_cannot_move_their_office_to_another_unit(self, staff_client, tree):
        office = tree["d450"]
        url = reverse("admin:offices_office_change", args=[office.pk])
        data = {
            "code": office.code,
            "name": office.name,
            "kind": office.kind,
            "unit": tree["u452"].pk,
            "slug": office.slug,
            "opens_at": "07:30",
            "closes_at": "17:00",
            "active": "on",
            "officers-TOTAL_FORMS": "0",
            "officers-INITIAL_FORMS": "0",
        }
        response = staff_client.post(url, data)
        assert response.status_code == 200  # form redisplayed with an error
        office.refresh_from_db()
        assert office.unit == tree["u450"]

    def test_a_superuser_sees_every_office(self, client, tree):
        client.force_login(make_user(Role.ADMIN))
        response = client.get(reverse("admin:offices_office_changelist"))
        assert len(response.context["cl"].result_list) == Office.objects.count()

    def test_the_user_admin_edits_the_profile_inline(self, client, tree):
        client.force_login(make_user(Role.ADMIN))
        target = make_user(Role.OFFICIAL, unit=tree["p44"])
        response = client.get(reverse("admin:auth_user_change", args=[target.pk]))
        assert response.status_code == 200
        assert "profile-0-role" in response.content.decode()


class TestAdminPages:
    @pytest.mark.parametrize(
        "model",
        [
            "administrativeunit",
            "communechange",
            "office",
            "field",
            "procedure",
            "officer",
            "profile",
            "holiday",
            "dossier",
        ],
    )
    def test_every_offices_changelist_opens_for_a_superuser(self, client, tree, model):
        client.force_login(make_user(Role.ADMIN))
        response = client.get(reverse(f"admin:offices_{model}_changelist"), {"q": "4"})
        assert response.status_code == 200

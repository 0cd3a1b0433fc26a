"""Every dashboard, export, print view and target page, for every role: 200 inside the
user's scope, 404 outside it, 403 without a dashboard role, a login redirect when anonymous."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from offices.models import OfficeKind, Role, UnitLevel
from tests.factories import OfficeFactory, ProcedureFactory, UnitFactory, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    province = UnitFactory(code="44", name="Tỉnh A")
    district = UnitFactory(code="450", level=UnitLevel.DISTRICT, parent=province)
    sibling = UnitFactory(code="451", level=UnitLevel.DISTRICT, parent=province)
    other = UnitFactory(code="45", name="Tỉnh B")
    o1 = OfficeFactory(code="O1", unit=district)
    OfficeFactory(code="O3", unit=sibling)
    OfficeFactory(code="OP", unit=province, kind=OfficeKind.DEPARTMENT)
    o4 = OfficeFactory(code="O4", unit=other)
    ProcedureFactory(code="1.000001")
    users = {
        "admin": make_user(Role.ADMIN, username="admin"),
        "province": make_user(Role.OFFICIAL, unit=province, username="tinh"),
        "district": make_user(Role.OFFICIAL, unit=district, username="huyen"),
        "other_province": make_user(Role.OFFICIAL, unit=other, username="tinhb"),
        "staff_o1": make_user(Role.OFFICE_STAFF, office=o1, username="o1"),
        "staff_o4": make_user(Role.OFFICE_STAFF, office=o4, username="o4"),
        "integration": make_user(Role.INTEGRATION, unit=province, username="api"),
        "nobody": make_user(None, username="nobody"),
    }
    return users


def unit_pages(level, code):
    return {
        f"{level}-{code}-dashboard": reverse("reports-unit", args=[level, code]),
        f"{level}-{code}-csv": reverse("reports-unit-export", args=[level, code, "csv"])
        + "?table=units",
        f"{level}-{code}-xlsx": reverse("reports-unit-export", args=[level, code, "xlsx"])
        + "?table=criteria",
        f"{level}-{code}-print": reverse("reports-unit-print", args=[level, code]),
    }


def office_pages(code):
    proc = "1.000001"
    return {
        f"office-{code}": reverse("reports-office", args=[code]),
        f"office-{code}-csv": reverse("reports-office-export", args=[code, "csv"])
        + "?table=procedures",
        f"office-{code}-xlsx": reverse("reports-office-export", args=[code, "xlsx"])
        + "?table=late_dossiers",
        f"office-{code}-print": reverse("reports-office-print", args=[code]),
        f"procedure-{code}": reverse("reports-procedure", args=[code, proc]),
        f"procedure-{code}-csv": reverse("reports-procedure-export", args=[code, proc, "csv"])
        + "?table=months",
        f"procedure-{code}-print": reverse("reports-procedure-print", args=[code, proc]),
    }


PROVINCE = unit_pages("province", "44")
DISTRICT = unit_pages("district", "450")
SIBLING = unit_pages("district", "451")
OTHER = unit_pages("province", "45")
O1 = office_pages("O1")
O3 = office_pages("O3")
O4 = office_pages("O4")
TARGETS = {
    "targets-province": reverse("reports-targets", args=["province", "44"]),
    "targets-district": reverse("reports-targets", args=["district", "450"]),
}
ALL = {**PROVINCE, **DISTRICT, **SIBLING, **OTHER, **O1, **O3, **O4, **TARGETS}

ALLOWED = {
    "admin": set(ALL),
    "province": {*PROVINCE, *DISTRICT, *SIBLING, *O1, *O3, *TARGETS},
    "district": {*DISTRICT, *O1, "targets-district"},
    "other_province": {*OTHER, *O4},
    "staff_o1": {*O1},
    "staff_o4": {*O4},
}
FORBIDDEN_ROLES = ("integration", "nobody")

CASES = [pytest.param(role, name, id=f"{role}-{name}") for role in ALLOWED for name in sorted(ALL)]


class TestScopePerPageAndRole:
    @pytest.mark.parametrize(("role", "page_name"), CASES)
    def test_a_page_answers_only_inside_the_users_scope(self, client, tree, role, page_name):
        client.force_login(tree[role])
        response = client.get(ALL[page_name])
        expected = 200 if page_name in ALLOWED[role] else 404
        assert response.status_code == expected, (role, page_name, response.status_code)

    @pytest.mark.parametrize("role", FORBIDDEN_ROLES)
    @pytest.mark.parametrize("page_name", sorted(ALL))
    def test_a_user_without_a_dashboard_role_is_refused(self, client, tree, role, page_name):
        client.force_login(tree[role])
        assert client.get(ALL[page_name]).status_code == 403

    @pytest.mark.parametrize("page_name", sorted(ALL))
    def test_an_anonymous_visitor_is_sent_to_sign_in(self, client, tree, page_name):
        response = client.get(ALL[page_name])
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


class TestScopeEdges:
    def test_an_unknown_table_is_not_found(self, client, tree):
        client.force_login(tree["province"])
        url = reverse("reports-unit-export", args=["province", "44", "csv"]) + "?table=nope"
        assert client.get(url).status_code == 404

    def test_the_officer_table_is_not_exported_from_a_unit_page(self, client, tree):
        client.force_login(tree["province"])
        url = reverse("reports-unit-export", args=["province", "44", "csv"]) + "?table=officers"
        assert client.get(url).status_code == 404

    def test_an_unknown_unit_set_is_not_found(self, client, tree):
        client.force_login(tree["province"])
        url = reverse("reports-unit", args=["province", "44"]) + "?set=1999"
        assert client.get(url).status_code == 404

    def test_an_unknown_level_is_not_found(self, client, tree):
        client.force_login(tree["admin"])
        assert client.get(reverse("reports-unit", args=["planet", "44"])).status_code == 404

    def test_office_staff_may_not_post_targets(self, client, tree):
        client.force_login(tree["staff_o1"])
        url = reverse("reports-targets", args=["district", "450"])
        response = client.post(url, {"metric": "satisfaction_rate", "threshold": "90"})
        assert response.status_code == 404

    def test_the_public_scoreboard_needs_no_sign_in(self, client, tree):
        assert client.get(reverse("reports-public")).status_code == 200
        assert (
            client.get(reverse("reports-public-province", args=["44"]) + "?set=2024").status_code
            == 200
        )

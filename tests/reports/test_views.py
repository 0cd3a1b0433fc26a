"""Dashboard pages: figures shown, filters in the URL, drill-down links, print view."""

import re

import pytest
from django.urls import reverse

from tests.reports.dashboard_world import dash_world  # noqa: F401 - the dash fixture

pytestmark = pytest.mark.django_db


def province_url(**params):
    from urllib.parse import urlencode

    url = reverse("reports-unit", args=["province", "44"])
    return url + ("?" + urlencode(params) if params else "")


class TestIndex:
    def test_it_sends_an_official_to_their_unit(self, client, dash):
        client.force_login(dash.users["province"])
        response = client.get(reverse("reports-index"))
        assert response.status_code == 302
        assert response.url == "/bao-cao/don-vi/province/44/?set=2024"

    def test_it_sends_office_staff_to_their_office(self, client, dash):
        client.force_login(dash.users["staff_o1"])
        response = client.get(reverse("reports-index"))
        assert response.url == reverse("reports-office", args=["O1"])

    def test_it_lists_provinces_for_an_admin(self, client, dash):
        client.force_login(dash.users["admin"])
        response = client.get(reverse("reports-index"))
        assert response.status_code == 200
        assert "Tỉnh A" in response.content.decode()

    def test_it_refuses_a_user_without_a_role(self, client, dash):
        client.force_login(dash.users["nobody"])
        assert client.get(reverse("reports-index")).status_code == 403


class TestProvinceDashboard:
    def test_it_shows_the_tiles_with_n_and_change(self, client, dash):
        client.force_login(dash.users["province"])
        response = client.get(province_url())
        assert response.status_code == 200
        body = response.content.decode()
        page = response.context["page"]
        tile = next(t for t in page.tiles if t["key"] == "satisfaction_rate")
        # O1 38/40, O2 20/41 (one flagged left out, one complaint bad), O3 32/40, OP 36/40.
        assert tile["value"] == pytest.approx(page.summary["satisfaction_rate"])
        assert tile["display"] in body
        assert re.search(r"\d+,\d\d%", tile["display"])
        assert tile["change"] is not None
        assert 'data-tile="late_without_apology"' in body

    def test_it_ranks_districts_and_names_the_worst(self, client, dash):
        client.force_login(dash.users["province"])
        response = client.get(province_url())
        page = response.context["page"]
        labels = [r["label"] for r in page.child_rows]
        assert labels == ["Huyện A1", "Huyện A2"]
        worst = min(page.child_rows, key=lambda r: r["satisfaction_rate"])
        assert worst["label"] == "Huyện A1"
        assert any(
            f.startswith("Đơn vị có tỷ lệ hài lòng thấp nhất: Huyện A1") for f in page.findings
        )
        # …and on which criterion: O2's unhappy citizens rated the officer, not the result.
        assert any(f.startswith("Tiêu chí yếu nhất của Huyện A1: Công chức") for f in page.findings)
        body = response.content.decode()
        assert reverse("reports-unit", args=["district", "450"]) in body

    def test_it_shows_departments_beside_the_districts(self, client, dash):
        client.force_login(dash.users["province"])
        page = client.get(province_url()).context["page"]
        assert [r["label"] for r in page.own_office_rows] == ["Sở Tư pháp"]
        assert {r["label"] for r in page.unit_rows} == {"Huyện A1", "Huyện A2", "Sở Tư pháp"}

    def test_it_lists_offices_with_late_dossiers_without_apology(self, client, dash):
        client.force_login(dash.users["province"])
        page = client.get(province_url()).context["page"]
        late = {r["key"]: r["late_without_apology"] for r in page.late_office_rows}
        assert late == {"O2": 1, "O3": 1}

    def test_the_weakest_criterion_comes_first(self, client, dash):
        client.force_login(dash.users["province"])
        page = client.get(province_url()).context["page"]
        rates = [c["rate"] for c in page.criterion_rows]
        assert rates
        block = next(b for b in page.blocks if b.id == "criteria")
        assert block.figure is not None

    def test_it_compares_with_the_previous_calendar_quarter(self, client, dash):
        client.force_login(dash.users["province"])
        page = client.get(province_url()).context["page"]
        assert str(page.flt.previous.start) == "2024-10-01"
        assert str(page.flt.previous.end) == "2024-12-31"
        assert page.summary["previous"]["responses"] == 80


class TestFilters:
    def test_the_period_preset_changes_the_figures(self, client, dash):
        client.force_login(dash.users["province"])
        page = client.get(province_url(period="last_quarter")).context["page"]
        assert str(page.flt.start) == "2024-10-01"
        assert page.summary["responses"] == 80

    def test_a_custom_range_is_kept_in_the_drill_down_links(self, client, dash):
        client.force_login(dash.users["province"])
        response = client.get(province_url(period="custom", start="2025-01-01", end="2025-01-31"))
        page = response.context["page"]
        assert page.summary["responses"] == 80  # January: O1 40 + O2 40
        url = next(r["url"] for r in page.child_rows if r["label"] == "Huyện A1")
        assert "period=custom" in url and "start=2025-01-01" in url and "end=2025-01-31" in url

    def test_a_bad_range_shows_an_error_and_the_default_period(self, client, dash):
        client.force_login(dash.users["province"])
        response = client.get(province_url(period="custom", start="2025-02-01", end="2025-01-01"))
        assert response.status_code == 200
        assert "Ngày kết thúc trước ngày bắt đầu" in response.content.decode()
        assert response.context["page"].flt.preset == "quarter"

    def test_flagged_responses_count_only_when_asked(self, client, dash):
        client.force_login(dash.users["province"])
        without = client.get(province_url()).context["page"].summary
        with_flagged = client.get(province_url(flagged="1")).context["page"].summary
        assert with_flagged["satisfaction_n"] > without["satisfaction_n"]

    def test_an_unknown_procedure_code_is_reported(self, client, dash):
        client.force_login(dash.users["province"])
        response = client.get(province_url(procedure="NOPE"))
        assert "Không có thủ tục mã" in response.content.decode()

    def test_a_field_filter_narrows_the_figures(self, client, dash):
        client.force_login(dash.users["province"])
        field = dash.procedures[1].field
        page = client.get(province_url(field=field.code)).context["page"]
        assert page.flt.field == field
        assert page.summary["responses"] == 0


class TestDistrictDashboard:
    def test_it_lists_procedures_comments_follow_ups_and_late_dossiers(self, client, dash):
        client.force_login(dash.users["district"])
        response = client.get(reverse("reports-unit", args=["district", "450"]))
        assert response.status_code == 200
        page = response.context["page"]
        body = response.content.decode()
        assert "Chờ quá lâu" in body and "Cán bộ nhiệt tình" in body
        flagged = next(c for c in page.comment_rows if c["text"] == "Phiếu nghi vấn")
        assert flagged["flagged"] is True
        assert [d["code"] for d in page.late_dossier_rows] == ["HS-LATE-O2"]
        assert len(page.follow_up_rows) == 1 and page.follow_up_rows[0]["overdue"] is True
        assert page.procedure_rows
        # No communes in this world: the district's own offices are its rows.
        assert {r["key"] for r in page.unit_rows} == {"O1", "O2"}
        assert {r["key"] for r in page.office_rows} == {"O1", "O2"}


class TestOfficePage:
    def test_an_official_sees_the_officers(self, client, dash):
        client.force_login(dash.users["district"])
        page = client.get(reverse("reports-office", args=["O2"])).context["page"]
        labels = [r["label"] for r in page.officer_rows]
        assert labels == ["Nguyễn Văn A", "(Chưa gắn công chức)"]
        assert page.officer_rows[0]["late"] == 1

    def test_office_staff_see_only_their_own_officer_row(self, client, dash):
        client.force_login(dash.users["staff_o1"])
        response = client.get(reverse("reports-office", args=["O1"]))
        assert response.status_code == 200
        page = response.context["page"]
        assert all(r["officer_id"] == dash.officer.pk for r in page.officer_rows)

    def test_procedure_rows_link_to_the_procedure_page(self, client, dash):
        client.force_login(dash.users["district"])
        page = client.get(reverse("reports-office", args=["O1"])).context["page"]
        code = dash.procedures[0].code
        row = next(r for r in page.procedure_rows if r["key"] == code)
        assert row["url"].startswith(reverse("reports-procedure", args=["O1", code]))
        response = client.get(row["url"])
        assert response.status_code == 200
        assert response.context["page"].summary["responses"] == 40

    def test_the_breadcrumbs_lead_back_up(self, client, dash):
        client.force_login(dash.users["province"])
        page = client.get(reverse("reports-office", args=["O1"])).context["page"]
        labels = [c.label for c in page.breadcrumbs]
        assert labels == ["Tỉnh A", "Huyện A1", "Một cửa O1"]
        assert page.breadcrumbs[0].url.startswith(reverse("reports-unit", args=["province", "44"]))

    def test_breadcrumbs_above_the_users_scope_are_not_links(self, client, dash):
        client.force_login(dash.users["district"])
        page = client.get(reverse("reports-office", args=["O1"])).context["page"]
        assert page.breadcrumbs[0].url is None
        assert page.breadcrumbs[1].url is not None


class TestPrintView:
    def test_it_prints_figures_weakest_criteria_and_units_below_target(self, client, dash):
        from reports.targets import target_set

        target_set(unit=dash.province, metric="satisfaction_rate", threshold=0.9, user=None)
        client.force_login(dash.users["province"])
        response = client.get(reverse("reports-unit-print", args=["province", "44"]))
        assert response.status_code == 200
        body = response.content.decode()
        assert "Báo cáo kết quả khảo sát sự hài lòng" in body
        below = [r["label"] for r in response.context["below_block"].rows]
        assert "Huyện A1" in below
        assert "css/reports.css" in body

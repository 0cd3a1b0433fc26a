"""An official reads the province dashboard in a real browser: sign in, change the period,
drill down by a bar and a row to an office, download an XLSX holding the figures shown."""

import io

import openpyxl
import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from tests.reports.dashboard_world import DashboardWorld

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def desktop_context(browser, live_server):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="vi-VN", base_url=live_server.url
    )
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def world(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    return DashboardWorld()


def sign_in(page, username):
    page.goto("/login/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill("pass-Word-123")
    page.get_by_role("button", name="Đăng nhập").last.click()
    page.wait_for_url("**/")


class TestDashboardInABrowser:
    def test_an_official_drills_down_and_downloads_the_figures(self, desktop_context, world):
        page = desktop_context.new_page()
        sign_in(page, "tinh")
        page.get_by_role("link", name="Báo cáo").first.click()
        page.wait_for_url("**/bao-cao/don-vi/province/44/**")
        expect(page.get_by_role("heading", level=1)).to_have_text("Tỉnh A")

        # The demo data are in Q1 2025: pick a custom range.
        page.locator("#id_period").select_option("custom")
        page.locator("#id_start").fill("2025-01-01")
        page.locator("#id_end").fill("2025-03-31")
        page.get_by_role("button", name="Xem", exact=True).click()
        page.wait_for_url("**period=custom**")
        assert "start=2025-01-01" in page.url
        tile = page.locator('[data-tile="responses"] .value')
        expect(tile).to_have_text("161")  # O1 40, O2 41, O3 40, Sở Tư pháp 40 in Q1
        chart = page.locator("#rank-satisfaction .report-chart")
        expect(chart.locator(".main-svg").first).to_be_visible()

        # Drill down: click the district's bar in the ranking.
        # Plotly's drag layer takes the pointer events: click where the bar is drawn.
        bar = chart.locator("g.point").last
        bar.scroll_into_view_if_needed()
        box = bar.bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_url("**/bao-cao/don-vi/district/**")
        expect(page.get_by_role("heading", level=1)).to_have_text("Huyện A1")
        assert "start=2025-01-01" in page.url  # the filters travel with the link

        # …then click an office's row in the table of units.
        page.locator("#all-units").get_by_role("link", name="Một cửa O1").click()
        page.wait_for_url("**/bao-cao/co-quan/O1/**")
        crumbs = page.locator(".breadcrumb li")
        expect(crumbs).to_have_text(["Tỉnh A", "Huyện A1", "Một cửa O1"])

        # The procedure table's XLSX holds the figures shown on the page.
        shown = page.locator('#procedures table[data-table="procedures"] tbody tr').first
        shown_rate = shown.locator("td").nth(2).inner_text().strip()
        shown_responses = shown.locator("td").nth(1).inner_text().strip()
        with page.expect_download() as download_info:
            page.locator('#procedures a[data-export="xlsx"]').click()
        download = download_info.value
        assert download.suggested_filename == ("thu-tuc_mot-cua-o1_2025-01-01_2025-03-31.xlsx")
        with open(download.path(), "rb") as handle:  # the saved file has no .xlsx suffix
            sheet = openpyxl.load_workbook(io.BytesIO(handle.read())).active
        headers = [c.value for c in sheet[1]]
        first = [c.value for c in sheet[2]]
        rate = first[headers.index("Tỷ lệ hài lòng")]
        assert f"{rate * 100:.2f}".replace(".", ",") + "%" == shown_rate
        assert str(first[headers.index("Số phiếu")]) == shown_responses

"""The counter kiosk in a real browser: setup, rating, reset, a network cut, revoking."""

import pytest
from playwright.sync_api import expect

from surveys.kiosk_auth import kiosk_register, kiosk_revoke
from surveys.models import KioskDevice, Response
from tests.factories import OfficeFactory, ProcedureFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def kiosk(settings, tablet_context):
    """Return a page showing an activated kiosk (set up through its one-time link)."""
    settings.KIOSK_THANKS_SECONDS = 1
    settings.KIOSK_IDLE_SECONDS = 2
    office = OfficeFactory(name="UBND phường Bến Nghé")
    ProcedureFactory(name="Đăng ký khai sinh").offices.add(office)
    _device, setup_token = kiosk_register(office=office, name="Quầy 1", by=None)
    page = tablet_context.new_page()
    page.goto(f"/kiosk/setup/{setup_token}/")
    page.get_by_role("button", name="Kích hoạt thiết bị này").click()
    page.wait_for_url("**/kiosk/")
    expect(page.locator("#k-office")).to_have_text("UBND phường Bến Nghé")
    expect(page.locator("section[data-screen=rate]")).to_be_visible()
    return page


def rate(page, label):
    page.get_by_role("button", name=label, exact=True).click()
    expect(page.locator("section[data-screen=details]")).to_be_visible()


def send_and_see_thanks(page):
    page.get_by_role("button", name="Gửi đánh giá").click()
    expect(page.locator("section[data-screen=thanks]")).to_be_visible()


class TestKiosk:
    def test_a_citizen_rates_with_a_reason_and_the_kiosk_resets(self, kiosk):
        page = kiosk
        expect(page.get_by_role("button", name="Rất hài lòng")).to_be_visible()
        page.locator("#k-procedure").select_option(label="Đăng ký khai sinh")
        rate(page, "Không hài lòng")
        page.get_by_role("button", name="Thời gian giải quyết").click()
        page.get_by_label("Góp ý thêm (không bắt buộc)").fill("Chờ quá lâu")
        send_and_see_thanks(page)
        expect(page.locator("body")).to_have_attribute("data-pending", "0")
        response = Response.objects.get()
        assert response.channel == "kiosk" and response.device.name == "Quầy 1"
        assert response.procedure.name == "Đăng ký khai sinh"
        answers = {a.question.code: a for a in response.answers.select_related("question")}
        assert answers["rating"].value_int == 1
        assert answers["reason"].value_choices == ["time"]
        assert answers["comment"].value_text == "Chờ quá lâu"
        # After the thank-you screen the kiosk is ready for the next citizen.
        expect(page.locator("section[data-screen=rate]")).to_be_visible()
        expect(page.locator("#k-procedure")).to_have_value("")

    def test_a_citizen_may_rate_in_english_and_the_next_one_starts_in_vietnamese(self, kiosk):
        page = kiosk
        page.get_by_role("button", name="English").click()
        expect(page.get_by_role("heading", name="How satisfied are you")).to_be_visible()
        rate(page, "Very satisfied")
        page.get_by_role("button", name="Send rating").click()
        expect(page.get_by_role("heading", name="Thank you for your rating!")).to_be_visible()
        expect(page.locator("body")).to_have_attribute("data-pending", "0")
        assert Response.objects.get().language == "en"
        expect(page.get_by_role("button", name="Rất hài lòng")).to_be_visible()

    def test_an_unfinished_rating_is_dropped_after_idle_time(self, kiosk):
        rate(kiosk, "Hài lòng")
        expect(kiosk.locator("section[data-screen=rate]")).to_be_visible()
        assert not Response.objects.exists()

    def test_answers_given_offline_are_sent_once_the_network_returns(self, kiosk, tablet_context):
        page = kiosk
        tablet_context.set_offline(True)
        rate(page, "Rất hài lòng")
        send_and_see_thanks(page)
        expect(page.locator("#k-pending")).to_contain_text("1 đánh giá đang chờ gửi")
        expect(page.locator("section[data-screen=rate]")).to_be_visible()
        rate(page, "Hài lòng")
        send_and_see_thanks(page)
        expect(page.locator("body")).to_have_attribute("data-pending", "2")
        page.evaluate("window.kiosk.flush()")
        expect(page.locator("body")).to_have_attribute("data-pending", "2")
        assert not Response.objects.exists()

        queued = page.evaluate(
            "JSON.parse(localStorage.getItem('kiosk.outbox')).map(i => i.payload.client_id)"
        )
        tablet_context.set_offline(False)
        expect(page.locator("body")).to_have_attribute("data-pending", "0")
        expect(page.locator("#k-pending")).to_be_hidden()
        page.evaluate("window.kiosk.flush()")
        stored = sorted(str(r.client_id) for r in Response.objects.all())
        assert stored == sorted(queued)
        assert sorted(Response.objects.values_list("answers__value_int", flat=True)) == [2, 3]

    def test_a_resent_answer_does_not_make_a_duplicate(self, kiosk):
        page = kiosk
        rate(page, "Rất hài lòng")
        send_and_see_thanks(page)
        expect(page.locator("body")).to_have_attribute("data-pending", "0")
        stored = Response.objects.get()
        # Put the delivered answer back in the outbox, as if the reply had been lost.
        page.evaluate(
            """(id) => {
              const item = {payload: {client_id: id, questionnaire: "counter",
                            answers: {rating: 3}, language: "vi"}, tries: 0};
              localStorage.setItem("kiosk.outbox", JSON.stringify([item]));
              return window.kiosk.flush();
            }""",
            str(stored.client_id),
        )
        expect(page.locator("body")).to_have_attribute("data-pending", "0")
        assert Response.objects.count() == 1

    def test_a_revoked_kiosk_says_so_and_keeps_the_answer(self, kiosk):
        page = kiosk
        kiosk_revoke(device=KioskDevice.objects.get())
        rate(page, "Rất hài lòng")
        page.get_by_role("button", name="Gửi đánh giá").click()
        expect(page.locator("section[data-screen=revoked]")).to_be_visible()
        expect(page.get_by_role("heading", name="Thiết bị đã bị thu hồi")).to_be_visible()
        assert page.evaluate("window.kiosk.pending()") == 1
        assert not Response.objects.exists()

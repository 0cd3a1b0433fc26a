"""Text messages: phone numbers, the console and in-memory backends, the setting."""

import io

import pytest

from surveys import sms


class TestPhoneNormalize:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("0912345678", "+84912345678"),
            ("091 234 5678", "+84912345678"),
            ("+84 912.345.678", "+84912345678"),
            ("84912345678", "+84912345678"),
            ("02838123456", "+842838123456"),
        ],
    )
    def test_it_writes_vietnamese_numbers_in_international_form(self, raw, expected):
        assert sms.phone_normalize(phone=raw) == expected

    @pytest.mark.parametrize("raw", ["", "12345", "0912-ABC-678", "+1 202 555 0100"])
    def test_it_refuses_what_is_not_a_vietnamese_number(self, raw):
        with pytest.raises(sms.SMSError, match="Số điện thoại không hợp lệ"):
            sms.phone_normalize(phone=raw)


class TestBackends:
    def test_the_console_backend_writes_each_message(self):
        stream = io.StringIO()
        sent = sms.ConsoleSMSBackend(stream=stream).send_messages(
            [sms.SMSMessage(to="+84912345678", text="Xin chào")]
        )
        assert sent == 1
        assert "SMS to +84912345678:\nXin chào" in stream.getvalue()

    def test_sms_send_uses_the_configured_backend(self, settings):
        settings.SMS_BACKEND = "surveys.sms.LocMemSMSBackend"
        sms.outbox.clear()
        assert sms.sms_send(to="0912 345 678", text="  Đã trả lời  ") == 1
        assert sms.outbox == [sms.SMSMessage(to="+84912345678", text="Đã trả lời")]

    def test_the_default_backend_is_the_console(self, settings, capsys):
        assert settings.SMS_BACKEND == "surveys.sms.ConsoleSMSBackend"
        sms.sms_send(to="0912345678", text="Thử")
        assert "SMS to +84912345678" in capsys.readouterr().out

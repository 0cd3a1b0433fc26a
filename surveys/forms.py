"""The citizen's survey form, built from a questionnaire's questions.

The form only collects raw values: every answer is validated by
``response_submit`` (the same rules for every channel), whose errors are put
back on the matching fields.
"""

import time
import uuid

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Field, Fieldset, Layout
from django import forms
from django.core import signing
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from surveys.models import QuestionKind

STARTED_SALT = "surveys.form.started"
# A form left open longer than this gives no time taken.
STARTED_MAX_AGE = 24 * 3600

SCALE_CHOICES = {
    QuestionKind.SCALE5: [
        ("5", _("5 – Rất hài lòng")),
        ("4", _("4 – Hài lòng")),
        ("3", _("3 – Bình thường")),
        ("2", _("2 – Không hài lòng")),
        ("1", _("1 – Rất không hài lòng")),
    ],
    QuestionKind.SCALE3: [
        ("3", _("Rất hài lòng")),
        ("2", _("Hài lòng")),
        ("1", _("Không hài lòng")),
    ],
}
YES_NO_CHOICES = [("1", _("Có")), ("0", _("Không"))]
HONEYPOT = "website"


def started_sign(now=None):
    """Return a signed timestamp put in the form when it is shown."""
    return signing.dumps(int(now if now is not None else time.time()), salt=STARTED_SALT)


def started_seconds(value, now=None):
    """Return the seconds since the signed ``value`` was issued, or None if forged or stale."""
    try:
        started = signing.loads(value or "", salt=STARTED_SALT, max_age=STARTED_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(started, int):
        return None
    elapsed = int((now if now is not None else time.time()) - started)
    return elapsed if elapsed >= 0 else None


def field_name(question):
    return f"q_{question.code}"


def _question_field(question, language):
    """Return a form field for ``question`` that only collects the raw value.

    Choices are not checked here: ``response_submit`` validates every answer
    and its messages are the ones the citizen sees.
    """
    common = {"label": question.text(language), "required": False}
    if question.kind in SCALE_CHOICES:
        return forms.CharField(
            widget=forms.RadioSelect(choices=SCALE_CHOICES[question.kind]), **common
        )
    if question.kind == QuestionKind.YES_NO:
        return forms.CharField(widget=forms.RadioSelect(choices=YES_NO_CHOICES), **common)
    options = [
        (value, question.option_label(value, language)) for value in question.option_values()
    ]
    if question.kind == QuestionKind.SINGLE:
        return forms.CharField(widget=forms.RadioSelect(choices=options), **common)
    if question.kind == QuestionKind.MULTIPLE:
        return forms.Field(widget=forms.CheckboxSelectMultiple(choices=options), **common)
    if question.kind == QuestionKind.SHORT_TEXT:
        attrs = {"maxlength": question.SHORT_TEXT_MAX}
        return forms.CharField(widget=forms.TextInput(attrs=attrs), strip=False, **common)
    attrs = {"rows": 3, "maxlength": question.LONG_TEXT_MAX}
    return forms.CharField(widget=forms.Textarea(attrs=attrs), strip=False, **common)


class SurveyForm(forms.Form):
    """Questions (one fieldset per criterion), optional contact, honeypot and timing.

    ``procedures`` is the list offered by the searchable picker; pass None
    when the procedure is already known (QR link) and no picker is shown.
    """

    client_id = forms.UUIDField(widget=forms.HiddenInput)
    started = forms.CharField(widget=forms.HiddenInput, required=False)
    contact_requested = forms.BooleanField(
        label=_("Tôi muốn cơ quan liên hệ lại với tôi về ý kiến này"), required=False
    )
    contact_phone = forms.CharField(
        label=_("Số điện thoại"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    contact_email = forms.CharField(
        label=_("Email"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    contact_consent = forms.BooleanField(
        label=_(
            "Tôi đồng ý để cơ quan dùng số điện thoại hoặc email này chỉ để trả lời ý kiến của tôi"
        ),
        required=False,
    )

    def __init__(self, *args, questions, language="vi", procedures=None, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("client_id", uuid.uuid4())
        kwargs["initial"].setdefault("started", started_sign())
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        self.procedures = procedures
        self.fields[HONEYPOT] = forms.CharField(
            label=_("Để trống ô này"),
            required=False,
            widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
        )
        if procedures is not None:
            self.fields["procedure"] = forms.CharField(
                label=_("Thủ tục hành chính bạn vừa làm"),
                required=False,
                help_text=_("Gõ vài chữ của tên hoặc mã thủ tục rồi chọn trong danh sách."),
                widget=forms.TextInput(
                    attrs={"list": "procedure-list", "autocomplete": "off", "maxlength": 600}
                ),
            )
        for question in self.questions:
            self.fields[field_name(question)] = _question_field(question, language)
        self.helper = self._helper(language)

    def _helper(self, language):
        helper = FormHelper()
        helper.form_tag = False
        helper.disable_csrf = True
        parts = [
            Field("client_id"),
            Field("started"),
            Div(Field(HONEYPOT), css_class="survey-hp", aria_hidden="true"),
        ]
        if self.procedures is not None:
            parts.append(
                Fieldset(
                    _("Thủ tục"),
                    Field("procedure", css_class="form-control-lg"),
                    HTML('{% include "surveys/_procedure_datalist.html" %}'),
                    css_class="survey-procedure",
                )
            )
        groups = []
        for question in self.questions:
            key = question.criterion_id
            if not groups or groups[-1][0] != key:
                groups.append((key, question.criterion, []))
            groups[-1][2].append(question)
        for _key, criterion, questions in groups:
            legend = ""
            if criterion is not None:
                legend = (criterion.name_en if language == "en" else "") or criterion.name_vi
            parts.append(
                Fieldset(
                    legend,
                    *(self._layout_field(question) for question in questions),
                    css_class="survey-criterion",
                )
            )
        parts.append(
            Fieldset(
                _("Liên hệ lại (không bắt buộc)"),
                HTML(
                    format_html(
                        '<p class="small text-body-secondary">{}</p>',
                        _(
                            "Phiếu đánh giá là ẩn danh. Chỉ ghi số điện thoại hoặc email "
                            "nếu bạn muốn được trả lời."
                        ),
                    )
                ),
                Field("contact_requested"),
                Field("contact_phone"),
                Field("contact_email"),
                Field("contact_consent"),
                css_class="survey-contact",
            )
        )
        helper.layout = Layout(*parts)
        return helper

    def _layout_field(self, question):
        name = field_name(question)
        css = {
            QuestionKind.SCALE5: "survey-choices survey-scale5",
            QuestionKind.SCALE3: "survey-choices survey-scale3",
            QuestionKind.YES_NO: "survey-choices survey-yesno",
            QuestionKind.SINGLE: "survey-choices",
            QuestionKind.MULTIPLE: "survey-choices",
        }.get(question.kind, "survey-text")
        if question.required:
            self.fields[name].label = format_html(
                '{} <span class="text-danger" aria-hidden="true">*</span>'
                '<span class="visually-hidden">{}</span>',
                self.fields[name].label,
                _("(bắt buộc)"),
            )
        return Field(name, wrapper_class=css)

    def answers(self):
        """Return {question code: raw value} for the answered questions."""
        answers = {}
        for question in self.questions:
            value = self.cleaned_data.get(field_name(question))
            if value in (None, "", []):
                continue
            answers[question.code] = value
        return answers

    def contact(self):
        """Return the contact dict for ``response_submit``, or None when nothing was given."""
        data = self.cleaned_data
        if not (
            data.get("contact_requested")
            or data.get("contact_phone")
            or data.get("contact_email")
            or data.get("contact_consent")
        ):
            return None
        return {
            "requested": data.get("contact_requested"),
            "consent": data.get("contact_consent"),
            "phone": data.get("contact_phone", ""),
            "email": data.get("contact_email", ""),
        }

    def is_bot(self):
        """Return True when the hidden honeypot field was filled in."""
        return bool((self.data.get(HONEYPOT) or "").strip())

    def duration_seconds(self):
        return started_seconds(self.cleaned_data.get("started"))

    def add_service_errors(self, errors):
        """Put ``ResponseError.errors_in(language)`` on the matching fields."""
        mapping = {question.code: field_name(question) for question in self.questions}
        for key, messages in errors.items():
            name = mapping.get(key, key)
            target = name if name in self.fields else None
            for message in messages:
                self.add_error(target, message)

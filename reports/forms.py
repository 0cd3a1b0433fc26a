"""Forms of the reports pages: the dashboard filter (carried in the URL) and targets."""

import datetime
from dataclasses import dataclass

from django import forms
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from offices.models import Field, Procedure
from portal.lib.periods import Period, period_for
from reports.models import TargetMetric
from surveys.models import ResponseChannel

PERIOD_CHOICES = [
    ("month", _("Tháng này")),
    ("last_month", _("Tháng trước")),
    ("quarter", _("Quý này")),
    ("last_quarter", _("Quý trước")),
    ("year", _("Năm nay")),
    ("last_year", _("Năm trước")),
    ("custom", _("Tùy chọn")),
]
DEFAULT_PERIOD = "quarter"
MAX_CUSTOM_DAYS = 3 * 366 + 1


def preset_period(preset, today):
    """Return the Period of ``preset`` seen on ``today`` (last_* = the one before)."""
    if preset == "last_month":
        return period_for("month", today.replace(day=1) - datetime.timedelta(days=1))
    if preset == "last_quarter":
        current = period_for("quarter", today)
        return period_for("quarter", current.start - datetime.timedelta(days=1))
    if preset == "last_year":
        return period_for("year", today.replace(year=today.year - 1, month=1, day=1))
    return period_for(preset, today)


def previous_period(preset, period):
    """Return the period to compare with: the calendar month/quarter/year before, or
    the period of equal length just before a custom range."""
    if preset in ("month", "last_month"):
        return period_for("month", period.start - datetime.timedelta(days=1))
    if preset in ("quarter", "last_quarter"):
        return period_for("quarter", period.start - datetime.timedelta(days=1))
    if preset in ("year", "last_year"):
        return period_for("year", period.start - datetime.timedelta(days=1))
    return period.previous()


@dataclass(frozen=True)
class DashboardFilter:
    """The resolved filters of a dashboard, as the selectors and the URL want them."""

    preset: str
    period: Period
    previous: Period
    field: Field | None = None
    procedure: Procedure | None = None
    channel: str | None = None
    include_flagged: bool = False

    @property
    def start(self):
        return self.period.start

    @property
    def end(self):
        return self.period.end

    def selector_kwargs(self):
        """Return the filter keywords for ``stats_compute`` / ``stats_grouped``."""
        return {
            "field": self.field,
            "procedure": self.procedure,
            "channel": self.channel,
            "include_flagged": self.include_flagged,
        }

    def query_params(self):
        """Return the URL parameters that reproduce this view (defaults left out)."""
        params = {"period": self.preset}
        if self.preset == "custom":
            params["start"] = self.start.isoformat()
            params["end"] = self.end.isoformat()
        if self.field is not None:
            params["field"] = self.field.code
        if self.procedure is not None:
            params["procedure"] = self.procedure.code
        if self.channel:
            params["channel"] = self.channel
        if self.include_flagged:
            params["flagged"] = "1"
        return params

    def querystring(self, **extra):
        params = {**self.query_params(), **{k: v for k, v in extra.items() if v is not None}}
        return "?" + urlencode(params)


class DashboardFilterForm(forms.Form):
    """Filters read from the query string, so a link reproduces the view."""

    period = forms.ChoiceField(label=_("Kỳ báo cáo"), choices=PERIOD_CHOICES, required=False)
    start = forms.DateField(
        label=_("Từ ngày"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("Đến ngày"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    field = forms.ModelChoiceField(
        label=_("Lĩnh vực"),
        queryset=Field.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=_("Tất cả lĩnh vực"),
    )
    procedure = forms.CharField(
        label=_("Mã thủ tục"),
        required=False,
        max_length=50,
        widget=forms.TextInput(attrs={"placeholder": _("Tất cả thủ tục")}),
    )
    channel = forms.ChoiceField(
        label=_("Kênh đánh giá"),
        choices=[("", _("Tất cả kênh"))] + list(ResponseChannel.choices),
        required=False,
    )
    flagged = forms.BooleanField(label=_("Tính cả phiếu nghi vấn"), required=False)

    def __init__(self, data=None, *, today=None, fixed_procedure=None, **kwargs):
        super().__init__(data, **kwargs)
        self.today = today or timezone.localdate()
        self.fixed_procedure = fixed_procedure
        if fixed_procedure is not None:
            del self.fields["procedure"]
            del self.fields["field"]

    def clean_procedure(self):
        code = (self.cleaned_data.get("procedure") or "").strip()
        if not code:
            return None
        procedure = Procedure.objects.filter(code=code).first()
        if procedure is None:
            raise forms.ValidationError(
                _("Không có thủ tục mã “%(code)s”."),
                params={"code": code},
            )
        return procedure

    def clean(self):
        data = super().clean()
        preset = data.get("period") or DEFAULT_PERIOD
        data["period"] = preset
        if preset == "custom":
            start, end = data.get("start"), data.get("end")
            if start is None or end is None:
                raise forms.ValidationError(_("Kỳ tùy chọn cần cả ngày bắt đầu và ngày kết thúc."))
            if end < start:
                raise forms.ValidationError(_("Ngày kết thúc trước ngày bắt đầu."))
            if (end - start).days > MAX_CUSTOM_DAYS:
                raise forms.ValidationError(_("Kỳ tùy chọn dài tối đa 3 năm."))
        return data

    def resolve(self):
        """Return the DashboardFilter; invalid input falls back to the default view.

        Call ``is_valid()`` first to show the errors beside the form.
        """
        if not self.is_bound or not self.is_valid():
            period = preset_period(DEFAULT_PERIOD, self.today)
            return DashboardFilter(
                preset=DEFAULT_PERIOD,
                period=period,
                previous=previous_period(DEFAULT_PERIOD, period),
                procedure=self.fixed_procedure,
            )
        data = self.cleaned_data
        preset = data["period"]
        if preset == "custom":
            period = Period(data["start"], data["end"])
        else:
            period = preset_period(preset, self.today)
        return DashboardFilter(
            preset=preset,
            period=period,
            previous=previous_period(preset, period),
            field=data.get("field"),
            procedure=self.fixed_procedure or data.get("procedure"),
            channel=data.get("channel") or None,
            include_flagged=bool(data.get("flagged")),
        )


PUBLIC_PERIOD_CHOICES = [
    ("quarter", _("Quý này")),
    ("last_quarter", _("Quý trước")),
    ("year", _("Năm nay")),
    ("last_year", _("Năm trước")),
]


class TargetForm(forms.Form):
    """A minimum for one figure, typed as a percentage (90 or 90,5)."""

    metric = forms.ChoiceField(label=_("Chỉ số"), choices=TargetMetric.choices)
    threshold = forms.DecimalField(
        label=_("Mức tối thiểu (%)"),
        min_value=0,
        max_value=100,
        decimal_places=2,
        localize=True,
        error_messages={
            "max_value": _("Mức tối thiểu không quá 100%%."),
            "min_value": _("Mức tối thiểu không âm."),
        },
    )

    def clean_threshold(self):
        """Return the threshold as a fraction (90 → 0.9)."""
        return self.cleaned_data["threshold"] / 100

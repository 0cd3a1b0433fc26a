"""Forms of the dossier pages: file upload and apology letter."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MAX_UPLOAD_MB = 100


class DossierImportForm(forms.Form):
    file = forms.FileField(
        label=_("Tệp hồ sơ (.csv hoặc .xlsx)"),
        help_text=_("Tệp xuất từ hệ thống một cửa điện tử, theo mẫu."),
    )
    skip_invalid = forms.BooleanField(
        label=_("Ghi các dòng hợp lệ, bỏ qua dòng lỗi"),
        required=False,
        help_text=_("Mặc định: chỉ cần một dòng lỗi là không ghi gì."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("Chỉ nhận tệp .csv hoặc .xlsx."))
        if upload.size > MAX_UPLOAD_MB * 1024 * 1024:
            raise forms.ValidationError(
                _("Tệp lớn hơn %(max)s MB, hãy chia nhỏ hoặc dùng lệnh import_dossiers."),
                params={"max": MAX_UPLOAD_MB},
            )
        return upload


class ApologyForm(forms.Form):
    reason = forms.CharField(
        label=_("Lý do trễ hạn"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    new_due_on = forms.DateField(
        label=_("Ngày hẹn trả mới"), widget=forms.DateInput(attrs={"type": "date"})
    )
    issued_on = forms.DateField(
        label=_("Ngày lập phiếu"),
        widget=forms.DateInput(attrs={"type": "date"}),
        initial=timezone.localdate,
    )

    def clean(self):
        data = super().clean()
        issued, new_due = data.get("issued_on"), data.get("new_due_on")
        if issued and new_due and new_due < issued:
            self.add_error("new_due_on", _("Ngày hẹn trả mới không được trước ngày lập phiếu."))
        if issued and issued > timezone.localdate():
            self.add_error("issued_on", _("Ngày lập phiếu không được ở tương lai."))
        return data

"""Admin for questionnaires (versioned), their criteria and questions, and assignments.

Questionnaires are global configuration: only admins (``scope_for(user).is_admin``)
see them. Saving a questionnaire that already has answers (``frozen``) does not
change it: the change is applied to a new version (``questionnaire_new_version``)
that becomes current, so old responses keep the questions they answered.
"""

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from offices.access import scope_for
from surveys.models import (
    Criterion,
    Question,
    QuestionKind,
    Questionnaire,
    QuestionnaireAssignment,
)
from surveys.services import questionnaire_new_version

CHOICE_KINDS = (QuestionKind.SINGLE, QuestionKind.MULTIPLE)


class AdminOnly:
    """Visible to portal admins only."""

    def has_module_permission(self, request):
        return scope_for(request.user).is_admin

    def has_view_permission(self, request, obj=None):
        return scope_for(request.user).is_admin

    def has_add_permission(self, request, obj=None):
        return scope_for(request.user).is_admin

    def has_change_permission(self, request, obj=None):
        return scope_for(request.user).is_admin

    def has_delete_permission(self, request, obj=None):
        # A questionnaire with answers is kept for them; deleting it is refused.
        if obj is not None and getattr(obj, "frozen", False):
            return False
        return scope_for(request.user).is_admin


class QuestionForm(forms.ModelForm):
    class Meta:
        model = Question
        fields = (
            "order",
            "code",
            "criterion",
            "text_vi",
            "text_en",
            "kind",
            "options",
            "required",
            "counts_toward_satisfaction",
        )

    def clean(self):
        data = super().clean()
        kind, options = data.get("kind"), data.get("options") or []
        if kind in CHOICE_KINDS:
            if not isinstance(options, list) or not options:
                self.add_error(
                    "options",
                    _(
                        "Câu hỏi chọn một/chọn nhiều cần danh sách lựa chọn: "
                        '[{"value": "...", "label_vi": "...", "label_en": "..."}].'
                    ),
                )
            elif not all(
                isinstance(o, dict) and str(o.get("value") or "").strip() and o.get("label_vi")
                for o in options
            ):
                self.add_error("options", _("Mỗi lựa chọn cần có “value” và “label_vi”."))
            elif len({str(o["value"]) for o in options}) != len(options):
                self.add_error("options", _("Giá trị (value) của các lựa chọn phải khác nhau."))
        elif options:
            self.add_error("options", _("Chỉ câu hỏi chọn một/chọn nhiều mới có lựa chọn."))
        if data.get("counts_toward_satisfaction") and kind not in Question.SCALE_LEVELS:
            self.add_error(
                "counts_toward_satisfaction",
                _("Chỉ câu hỏi thang 5 mức hoặc 3 mức mới tính vào mức độ hài lòng."),
            )
        return data


class CriterionInline(admin.TabularInline):
    model = Criterion
    fields = ("order", "code", "name_vi", "name_en", "weight")
    extra = 0


class QuestionInline(admin.StackedInline):
    model = Question
    form = QuestionForm
    extra = 0

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "criterion":
            object_id = request.resolver_match.kwargs.get("object_id")
            kwargs["queryset"] = Criterion.objects.filter(questionnaire_id=object_id or 0)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Questionnaire)
class QuestionnaireAdmin(AdminOnly, admin.ModelAdmin):
    list_display = ("code", "version", "name_vi", "is_current", "frozen", "created_at")
    list_filter = ("code", "is_current", "frozen")
    search_fields = ("code", "name_vi", "name_en")
    fields = (
        "code",
        "version",
        "name_vi",
        "name_en",
        "description_vi",
        "description_en",
        "is_current",
        "frozen",
    )
    readonly_fields = ("version", "is_current", "frozen")
    inlines = (CriterionInline, QuestionInline)

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return (*fields, "code") if obj is not None else fields

    def save_model(self, request, obj, form, change):
        stored = Questionnaire.objects.filter(pk=obj.pk).first() if change else None
        if stored is None or not stored.frozen:
            super().save_model(request, obj, form, change)
            return
        # Frozen: apply the change to the next version instead.
        with transaction.atomic():
            new = questionnaire_new_version(questionnaire=stored)
            for name in form.changed_data:
                setattr(new, name, form.cleaned_data[name])
            new.save()
        request._questionnaire_new_version = new

    def save_formset(self, request, form, formset, change):
        new = getattr(request, "_questionnaire_new_version", None)
        if new is None:
            super().save_formset(request, form, formset, change)
            return
        # Nothing is saved on the frozen version; the admin's change log reads these.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        model = formset.model
        criteria = {c.code: c for c in new.criteria.all()}
        for inline_form in formset.forms:
            if not inline_form.has_changed() and inline_form.instance.pk is not None:
                continue
            old_code = inline_form.initial.get("code")
            copy = (
                model.objects.filter(questionnaire=new, code=old_code).first() if old_code else None
            )
            if inline_form in formset.deleted_forms:
                if copy is not None:
                    copy.delete()
                continue
            if copy is None:
                copy = model(questionnaire=new)
            for name in inline_form.changed_data if old_code else inline_form.cleaned_data:
                if name in ("id", "DELETE", "questionnaire"):
                    continue
                value = inline_form.cleaned_data.get(name)
                if name == "criterion" and value is not None:
                    value = criteria.get(value.code)
                setattr(copy, name, value)
            copy.save()
            if model is Criterion:
                criteria[copy.code] = copy

    def response_change(self, request, obj):
        new = getattr(request, "_questionnaire_new_version", None)
        if new is None:
            return super().response_change(request, obj)
        messages.success(
            request,
            _(
                "Bộ câu hỏi đã có câu trả lời nên không sửa trực tiếp: đã tạo phiên bản "
                "%(version)s với thay đổi của bạn; các phiếu cũ vẫn giữ phiên bản %(old)s."
            )
            % {"version": new.version, "old": obj.version},
        )
        return HttpResponseRedirect(reverse("admin:surveys_questionnaire_change", args=[new.pk]))


class AssignmentForm(forms.ModelForm):
    questionnaire_code = forms.ChoiceField(label=_("bộ câu hỏi"))

    class Meta:
        model = QuestionnaireAssignment
        fields = ("questionnaire_code", "unit", "office")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = Questionnaire.objects.filter(is_current=True).order_by("code")
        self.fields["questionnaire_code"].choices = [
            (q.code, f"{q.code} – {q.name_vi}") for q in current
        ]

    def clean(self):
        data = super().clean()
        if bool(data.get("unit")) == bool(data.get("office")):
            raise forms.ValidationError(
                _(
                    "Chọn một đơn vị hành chính (áp dụng cho các cơ quan thuộc đơn vị) "
                    "hoặc một cơ quan."
                )
            )
        return data


@admin.register(QuestionnaireAssignment)
class QuestionnaireAssignmentAdmin(AdminOnly, admin.ModelAdmin):
    form = AssignmentForm
    list_display = ("questionnaire_code", "unit", "office")
    list_filter = ("questionnaire_code",)
    search_fields = ("questionnaire_code", "unit__name", "office__name")
    autocomplete_fields = ("unit", "office")


# Kiosk devices and follow-ups (helper C2): lists for admins; the office pages do the work.
from surveys.kiosk_auth import kiosk_revoke  # noqa: E402
from surveys.models import FollowUp, KioskDevice  # noqa: E402


@admin.register(KioskDevice)
class KioskDeviceAdmin(AdminOnly, admin.ModelAdmin):
    list_display = ("name", "office", "activated_at", "last_seen_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "office__name", "office__code")
    fields = ("office", "name", "activated_at", "last_seen_at", "revoked_at", "created_by")
    readonly_fields = ("office", "activated_at", "last_seen_at", "revoked_at", "created_by")
    actions = ("revoke",)

    def has_add_permission(self, request, obj=None):
        # Devices are registered from the office's kiosk page, which shows the setup link.
        return False

    @admin.action(description=_("Thu hồi các thiết bị đã chọn"))
    def revoke(self, request, queryset):
        for device in queryset.filter(revoked_at__isnull=True):
            kiosk_revoke(device=device)


@admin.register(FollowUp)
class FollowUpAdmin(AdminOnly, admin.ModelAdmin):
    list_display = ("office", "status", "opened_at", "due_at", "replied_at", "escalated_at")
    list_filter = ("status",)
    search_fields = ("office__name", "reason", "reply")
    readonly_fields = ("response", "office", "opened_at", "due_at", "replied_at", "escalated_at")
    raw_id_fields = ("assignee",)

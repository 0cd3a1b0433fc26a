"""Admin for units, offices, procedures, officers, roles, holidays and dossiers.

Staff who are not superusers see only what ``offices.access.scope_for``
allows: every queryset and every unit/office choice is limited to their
scope (an office's staff see their own office). Units and offices are large
tables, so foreign keys to them use autocomplete. Offices and procedures can
be imported from CSV/XLSX with the same validation as the commands.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from offices.access import scope_for
from offices.importing import ImportFileError
from offices.imports import offices_import, procedures_import
from offices.models import (
    AdministrativeUnit,
    CommuneChange,
    Dossier,
    Field,
    Holiday,
    Office,
    Officer,
    Procedure,
    Profile,
    UnitSet,
)


class ScopedAdmin(admin.ModelAdmin):
    """Limit rows and unit/office choices to the user's scope (superusers see all)."""

    def scope_filter(self, scope):
        """Return a Q limiting this admin's rows to ``scope``."""
        return scope.office_q("office__")

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        scope = scope_for(request.user)
        if scope.is_admin:
            return qs
        return qs.filter(self.scope_filter(scope))

    def _scoped_choices(self, request, model):
        if request.user.is_superuser:
            return None
        scope = scope_for(request.user)
        if model is Office:
            return scope.offices()
        if model is AdministrativeUnit:
            return scope.units()
        return None

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        qs = self._scoped_choices(request, db_field.related_model)
        if qs is not None:
            kwargs["queryset"] = qs
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        qs = self._scoped_choices(request, db_field.related_model)
        if qs is not None:
            kwargs["queryset"] = qs
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Tệp CSV (UTF-8) hoặc XLSX"),
        help_text=_("Dòng đầu là tiêu đề cột."),
    )
    skip_invalid = forms.BooleanField(
        label=_("Bỏ qua dòng lỗi"),
        required=False,
        help_text=_("Mặc định, chỉ cần một dòng lỗi là không ghi dòng nào."),
    )


class OfficeImportForm(ImportForm):
    unit_set = forms.ChoiceField(
        label=_("Bộ đơn vị hành chính"), choices=UnitSet.choices, initial=UnitSet.Y2025
    )


class CsvImportMixin:
    """Add an "Import" page to a changelist; only administrators may import."""

    change_list_template = "admin/offices/change_list_import.html"
    import_form = ImportForm
    import_columns = ""

    def run_import(self, *, source, name, skip_invalid, data):
        raise NotImplementedError

    def can_import(self, request):
        return request.user.is_superuser or scope_for(request.user).is_admin

    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="{}_{}_import".format(*info),
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        if self.can_import(request):
            info = self.model._meta.app_label, self.model._meta.model_name
            extra_context["import_url"] = reverse("admin:{}_{}_import".format(*info))
        return super().changelist_view(request, extra_context)

    def import_view(self, request):
        if not self.can_import(request):
            raise PermissionDenied
        report = None
        file_error = None
        form = self.import_form(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                report = self.run_import(
                    source=upload,
                    name=upload.name,
                    skip_invalid=form.cleaned_data["skip_invalid"],
                    data=form.cleaned_data,
                )
            except ImportFileError as exc:
                file_error = str(exc)
            if report is not None and report.written:
                messages.success(request, report.summary())
        opts = self.model._meta
        context = {
            **self.admin_site.each_context(request),
            "opts": opts,
            "title": _("Nhập %(name)s từ tệp") % {"name": opts.verbose_name_plural},
            "form": form,
            "report": report,
            "file_error": file_error,
            "columns": self.import_columns,
            "changelist_url": reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
        }
        return TemplateResponse(request, "admin/offices/import.html", context)


@admin.register(AdministrativeUnit)
class AdministrativeUnitAdmin(ScopedAdmin):
    list_display = ("name", "code", "level", "unit_set", "division_type", "parent", "valid_to")
    list_filter = ("unit_set", "level", "division_type")
    search_fields = ("name", "code", "path")
    autocomplete_fields = ("parent",)
    readonly_fields = ("path", "depth")
    list_select_related = ("parent",)
    show_full_result_count = False
    list_per_page = 50

    def scope_filter(self, scope):
        return scope.unit_q()


@admin.register(CommuneChange)
class CommuneChangeAdmin(ScopedAdmin):
    list_display = ("old_unit", "new_unit", "partly_merged")
    list_filter = ("partly_merged",)
    search_fields = ("old_unit__name", "old_unit__code", "new_unit__name", "new_unit__code")
    autocomplete_fields = ("old_unit", "new_unit")
    list_select_related = ("old_unit", "new_unit")
    show_full_result_count = False

    def scope_filter(self, scope):
        return scope.unit_q("old_unit__") | scope.unit_q("new_unit__")


class OfficerInline(admin.TabularInline):
    model = Officer
    extra = 0
    fields = ("code", "full_name", "position", "active")
    show_change_link = True


@admin.register(Office)
class OfficeAdmin(CsvImportMixin, ScopedAdmin):
    list_display = ("name", "code", "kind", "unit", "parent", "active")
    list_filter = ("kind", "active", "unit__unit_set", "unit__level")
    search_fields = ("code", "name", "slug", "unit__name")
    autocomplete_fields = ("unit", "parent")
    list_select_related = ("unit", "parent")
    readonly_fields = ("created_at", "updated_at")
    inlines = (OfficerInline,)
    import_form = OfficeImportForm
    import_columns = "code, name, kind, unit_level, unit_code, parent_office (address, active)"

    def scope_filter(self, scope):
        return scope.office_q()

    def run_import(self, *, source, name, skip_invalid, data):
        return offices_import(
            source=source, name=name, unit_set=data["unit_set"], skip_invalid=skip_invalid
        )


@admin.register(Field)
class FieldAdmin(admin.ModelAdmin):
    list_display = ("name", "code")
    search_fields = ("name", "code")


@admin.register(Procedure)
class ProcedureAdmin(CsvImportMixin, ScopedAdmin):
    list_display = ("code", "name", "field", "level", "legal_days", "day_kind", "fee", "active")
    list_filter = ("level", "day_kind", "active", "field")
    search_fields = ("code", "name")
    autocomplete_fields = ("field", "offices")
    list_select_related = ("field",)
    import_columns = "code, name, field, level, legal_days, day_kind, fee, offices (active)"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.distinct()

    def scope_filter(self, scope):
        return Q(offices__in=scope.offices())

    def run_import(self, *, source, name, skip_invalid, data):
        return procedures_import(source=source, name=name, skip_invalid=skip_invalid)


@admin.register(Officer)
class OfficerAdmin(ScopedAdmin):
    list_display = ("full_name", "code", "office", "position", "active")
    list_filter = ("active", "office__kind")
    search_fields = ("code", "full_name", "office__name", "office__code")
    autocomplete_fields = ("office", "user")
    list_select_related = ("office",)


@admin.register(Profile)
class ProfileAdmin(ScopedAdmin):
    list_display = ("user", "role", "unit", "office", "language")
    list_filter = ("role", "language")
    search_fields = ("user__username", "user__email", "unit__name", "office__name")
    autocomplete_fields = ("user", "unit", "office")
    list_select_related = ("user", "unit", "office")


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ("date", "name", "kind")
    list_filter = ("kind",)
    search_fields = ("name",)
    date_hierarchy = "date"


@admin.register(Dossier)
class DossierAdmin(ScopedAdmin):
    list_display = (
        "code",
        "office",
        "procedure",
        "channel",
        "status",
        "received_at",
        "due_at",
        "finished_at",
        "outcome",
    )
    list_filter = ("status", "channel", "outcome", ("office", admin.RelatedOnlyFieldListFilter))
    search_fields = ("code",)
    autocomplete_fields = ("office", "procedure", "officer")
    list_select_related = ("office", "procedure")
    readonly_fields = (
        "code",
        "office",
        "procedure",
        "channel",
        "status",
        "received_at",
        "due_at",
        "finished_at",
        "returned_at",
        "supplement_days",
        "supplement_requests",
        "received_on",
        "due_on",
        "finished_on",
        "outcome",
        "created_at",
        "updated_at",
    )
    show_full_result_count = False
    date_hierarchy = "received_at"

    def has_add_permission(self, request):
        # Dossiers come from the one-stop electronic system (import or API).
        return False


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = True
    autocomplete_fields = ("unit", "office")
    extra = 0
    max_num = 1


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    inlines = (*UserAdmin.inlines, ProfileInline)
    list_display = (*UserAdmin.list_display, "profile_role")
    list_select_related = ("profile",)

    @admin.display(description=_("vai trò"))
    def profile_role(self, obj):
        profile = getattr(obj, "profile", None)
        return profile.get_role_display() if profile else "–"

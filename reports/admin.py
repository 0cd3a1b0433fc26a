from django.contrib import admin

from reports.models import AlertLog, Target


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ("unit", "metric", "threshold", "set_by", "updated_at")
    list_filter = ("metric", "unit__unit_set", "unit__level")
    search_fields = ("unit__name", "unit__code")
    raw_id_fields = ("unit", "set_by")


@admin.register(AlertLog)
class AlertLogAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "subject_key", "window_key", "recipients")
    list_filter = ("kind",)
    search_fields = ("subject_key", "window_key")
    date_hierarchy = "created_at"
    readonly_fields = ("kind", "subject_key", "window_key", "recipients", "detail", "created_at")

    def has_add_permission(self, request):
        return False

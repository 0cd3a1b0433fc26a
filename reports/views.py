"""Dashboards (province, district, commune, office, procedure), exports, print view,
targets and the public scoreboard.

Every signed-in view asks ``offices.access`` first: a unit page needs a user
whose scope holds the unit (office staff only get their office's pages), an
office page one whose scope holds the office; anything else is a 404.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from offices.access import office_for_user_or_404, scope_for, unit_for_user_or_404
from offices.models import AdministrativeUnit, Field, Office, Procedure, Role, UnitLevel, UnitSet
from reports.dashboards import Block, DashboardPage
from reports.exports import TABLES, export_response
from reports.forms import PUBLIC_PERIOD_CHOICES, DashboardFilterForm, TargetForm, preset_period
from reports.models import Target
from reports.selectors import stats_grouped
from reports.targets import TARGET_METRICS, may_set_targets, target_delete, target_set

DASHBOARD_ROLES = (Role.ADMIN, Role.OFFICIAL, Role.OFFICE_STAFF)


def _require_dashboard_user(user):
    scope = scope_for(user)
    if scope.role not in DASHBOARD_ROLES:
        raise PermissionDenied
    return scope


def _unit_or_404(request, level, code):
    """Return (unit, explicit set) for a unit page; office staff get no unit pages.

    Without ``?set=`` the current (2025) tree is tried first, then 2024.
    """
    scope = _require_dashboard_user(request.user)
    if scope.office is not None or level not in UnitLevel.values:
        raise Http404
    requested = request.GET.get("set")
    if requested is not None and requested not in UnitSet.values:
        raise Http404
    sets = [requested] if requested else [UnitSet.Y2025, UnitSet.Y2024]
    for index, unit_set in enumerate(sets):
        try:
            unit = unit_for_user_or_404(request.user, unit_set=unit_set, level=level, code=code)
        except Http404:
            if index == len(sets) - 1:
                raise
            continue
        return unit, (unit.unit_set if unit.unit_set != UnitSet.Y2025 else requested)
    raise Http404


def _office_or_404(request, office_code):
    _require_dashboard_user(request.user)
    return office_for_user_or_404(request.user, code=office_code)


def _page(request, *, unit=None, office=None, procedure=None, unit_set_param=None):
    form = DashboardFilterForm(request.GET or None, fixed_procedure=procedure)
    if form.is_bound:
        form.is_valid()
    flt = form.resolve()
    page = DashboardPage(
        user=request.user,
        flt=flt,
        unit=unit,
        office=office,
        procedure=procedure,
        unit_set_param=unit_set_param,
    )
    return page, form


def _render_dashboard(request, page, form):
    unit = page.scope_unit
    ctx = {
        "page": page,
        "form": form,
        "flt": page.flt,
        "tiles": page.tiles,
        "blocks": page.blocks,
        "findings": page.findings,
        "breadcrumbs": page.breadcrumbs,
        "unit_set_param": page.unit_set_param,
        "field_choices": Field.objects.only("pk", "code", "name") if "field" in form.fields else (),
        "print_url": page.page_url("print"),
        "targets_url": (
            reverse("reports-targets", args=[unit.level, unit.code])
            + (f"?set={unit.unit_set}" if page.unit_set_param else "")
            if page.office is None and may_set_targets(request.user, unit)
            else None
        ),
        "comments": page.comment_rows if page.has_details else None,
    }
    if page.has_details:
        ctx["comments_csv_url"], ctx["comments_xlsx_url"] = page.export_urls("comments")
    return render(request, "reports/dashboard.html", ctx)


@login_required
def index(request):
    """Send the user to the widest dashboard they may see; admins pick a province."""
    scope = _require_dashboard_user(request.user)
    if scope.office is not None:
        return redirect("reports-office", office_code=scope.office.code)
    if scope.unit is not None:
        url = reverse("reports-unit", args=[scope.unit.level, scope.unit.code])
        if scope.unit.unit_set != UnitSet.Y2025:
            url += f"?set={scope.unit.unit_set}"
        return redirect(url)
    provinces = AdministrativeUnit.objects.filter(level=UnitLevel.PROVINCE).order_by(
        "-unit_set", "name"
    )
    return render(request, "reports/index.html", {"provinces": provinces})


@login_required
def unit_dashboard(request, level, code):
    unit, unit_set_param = _unit_or_404(request, level, code)
    page, form = _page(request, unit=unit, unit_set_param=unit_set_param)
    return _render_dashboard(request, page, form)


@login_required
def office_dashboard(request, office_code):
    office = _office_or_404(request, office_code)
    page, form = _page(request, office=office)
    return _render_dashboard(request, page, form)


@login_required
def procedure_dashboard(request, office_code, procedure_code):
    office = _office_or_404(request, office_code)
    procedure = Procedure.objects.filter(code=procedure_code).select_related("field").first()
    if procedure is None:
        raise Http404
    page, form = _page(request, office=office, procedure=procedure)
    return _render_dashboard(request, page, form)


def _export(request, page, fmt):
    found = page.table_rows(request.GET.get("table", ""))
    if found is None:
        raise Http404
    table, rows = found
    return export_response(
        table=table,
        rows=rows,
        fmt=fmt,
        unit_name=page.name_for_files,
        start=page.flt.start,
        end=page.flt.end,
    )


@login_required
def unit_export(request, level, code, fmt):
    unit, unit_set_param = _unit_or_404(request, level, code)
    page, _form = _page(request, unit=unit, unit_set_param=unit_set_param)
    return _export(request, page, fmt)


@login_required
def office_export(request, office_code, fmt):
    office = _office_or_404(request, office_code)
    page, _form = _page(request, office=office)
    return _export(request, page, fmt)


@login_required
def procedure_export(request, office_code, procedure_code, fmt):
    office = _office_or_404(request, office_code)
    procedure = Procedure.objects.filter(code=procedure_code).first()
    if procedure is None:
        raise Http404
    page, _form = _page(request, office=office, procedure=procedure)
    return _export(request, page, fmt)


def _render_print(request, page):
    summary_block = Block("summary", _("Kết quả chung"), TABLES["summary"], page.summary_rows())
    weakest = sorted(
        (c for c in page.criterion_rows if c.get("rate") is not None), key=lambda c: c["rate"]
    )[:5]
    below = [r for r in page.unit_rows if r.get("below_target")] if page.office is None else []
    ctx = {
        "page": page,
        "flt": page.flt,
        "findings": page.findings,
        "summary_block": summary_block,
        "weakest_block": Block("weakest", "", TABLES["criteria"], weakest),
        "below_block": Block("below", "", TABLES["units"], below),
        "blocks": [
            b for b in page.blocks if b.figure is not None or b.table.name == "late_dossiers"
        ],
        "generated_at": timezone.localtime(),
        "back_url": page.page_url(),
    }
    return render(request, "reports/print.html", ctx)


@login_required
def unit_print(request, level, code):
    unit, unit_set_param = _unit_or_404(request, level, code)
    page, _form = _page(request, unit=unit, unit_set_param=unit_set_param)
    return _render_print(request, page)


@login_required
def office_print(request, office_code):
    office = _office_or_404(request, office_code)
    page, _form = _page(request, office=office)
    return _render_print(request, page)


@login_required
def procedure_print(request, office_code, procedure_code):
    office = _office_or_404(request, office_code)
    procedure = Procedure.objects.filter(code=procedure_code).first()
    if procedure is None:
        raise Http404
    page, _form = _page(request, office=office, procedure=procedure)
    return _render_print(request, page)


@login_required
@require_http_methods(["GET", "POST"])
def targets(request, level, code):
    """List and set the targets of a unit (officials of the unit or above, admins)."""
    unit, unit_set_param = _unit_or_404(request, level, code)
    if not may_set_targets(request.user, unit):
        raise PermissionDenied
    form = TargetForm(request.POST or None)
    if request.method == "POST":
        if "delete" in request.POST:
            metric = request.POST["delete"]
            if metric not in TARGET_METRICS:
                raise Http404
            target_delete(unit=unit, metric=metric)
            messages.success(request, _("Đã xoá mục tiêu."))
            return redirect(request.get_full_path())
        if form.is_valid():
            with transaction.atomic():
                target_set(
                    unit=unit,
                    metric=form.cleaned_data["metric"],
                    threshold=form.cleaned_data["threshold"],
                    user=request.user,
                )
            messages.success(request, _("Đã lưu mục tiêu."))
            return redirect(request.get_full_path())
    own = Target.objects.filter(unit=unit).select_related("set_by")
    inherited = (
        Target.objects.filter(unit__unit_set=unit.unit_set)
        .filter(unit__path__in=_ancestor_paths(unit))
        .select_related("unit")
    )
    below = (
        Target.objects.filter(unit__unit_set=unit.unit_set, unit__path__startswith=unit.path)
        .exclude(unit=unit)
        .select_related("unit")[:200]
    )
    back = reverse("reports-unit", args=[unit.level, unit.code])
    if unit_set_param:
        back += f"?set={unit_set_param}"
    ctx = {
        "unit": unit,
        "form": form,
        "own": own,
        "inherited": inherited,
        "below": below,
        "back_url": back,
    }
    return render(request, "reports/targets.html", ctx)


def _ancestor_paths(unit):
    codes = [c for c in unit.path.strip("/").split("/") if c]
    return ["/" + "/".join(codes[: i + 1]) + "/" for i in range(len(codes) - 1)]


# ----- public scoreboard (no sign-in, no personal data) ---------------------------


def public_index(request):
    unit_set = request.GET.get("set") or UnitSet.Y2025
    if unit_set not in UnitSet.values:
        raise Http404
    provinces = AdministrativeUnit.objects.filter(
        level=UnitLevel.PROVINCE, unit_set=unit_set
    ).order_by("name")
    return render(
        request,
        "reports/public_index.html",
        {"provinces": provinces, "unit_set": unit_set, "sets": UnitSet.choices},
    )


def _public_period(request):
    preset = request.GET.get("period") or "year"
    if preset not in dict(PUBLIC_PERIOD_CHOICES):
        preset = "year"
    return preset, preset_period(preset, timezone.localdate())


def public_province(request, province_code):
    unit_set = request.GET.get("set") or UnitSet.Y2025
    province = AdministrativeUnit.objects.filter(
        unit_set=unit_set, level=UnitLevel.PROVINCE, code=province_code
    ).first()
    if province is None:
        raise Http404
    preset, period = _public_period(request)
    offices = Office.objects.filter(
        active=True, unit__unit_set=province.unit_set, unit__path__startswith=province.path
    )
    min_answers = settings.PUBLIC_SCOREBOARD_MIN_ANSWERS
    rows = stats_grouped(
        offices=offices,
        start=period.start,
        end=period.end,
        group_by="office",
        min_answers=min_answers,
    )
    units = dict(offices.values_list("pk", "unit__name"))
    public = []
    for row in rows:
        if row.get("small_sample") or row.get("satisfaction_rate") is None:
            continue
        public.append(
            {
                "label": row["label"],
                "unit_label": units.get(row.get("office_id"), ""),
                "satisfaction_rate": row.get("satisfaction_rate"),
                "satisfaction_n": row.get("satisfaction_n"),
                "on_time_rate": row.get("on_time_rate"),
                "finished": row.get("finished"),
            }
        )
    by_satisfaction = _ranked(public, "satisfaction_rate")
    by_on_time = _ranked([r for r in public if r["on_time_rate"] is not None], "on_time_rate")
    ctx = {
        "province": province,
        "preset": preset,
        "period": period,
        "periods": PUBLIC_PERIOD_CHOICES,
        "min_answers": min_answers,
        "by_satisfaction": Block("public-sat", "", TABLES["scoreboard"], by_satisfaction),
        "by_on_time": Block("public-on-time", "", TABLES["scoreboard"], by_on_time),
        "hidden": len(rows) - len(public),
    }
    return render(request, "reports/public_province.html", ctx)


def _ranked(rows, key):
    ordered = sorted(rows, key=lambda r: (-r[key], r["label"]))
    return [{**row, "rank": index} for index, row in enumerate(ordered, start=1)]

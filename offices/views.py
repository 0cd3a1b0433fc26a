"""Dossier pages: upload of the one-stop system's exports, apology letters."""

import csv
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from offices import tasks
from offices.access import office_for_user_or_404, require_office_manager, scope_for
from offices.dossier_import import COLUMN_ORDER
from offices.forms import ApologyForm, DossierImportForm
from offices.models import Dossier, DossierImportJob
from offices.selectors import dossiers_late_without_apology
from offices.services import DossierError, dossier_apology_issue

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require_importer(user):
    scope = scope_for(user)
    if not scope.can_manage_office:
        raise PermissionDenied
    return scope


def _job_for_user_or_404(user, pk):
    scope = _require_importer(user)
    job = get_object_or_404(DossierImportJob, pk=pk)
    if not scope.is_admin and job.office_id != scope.office.pk:
        raise Http404
    return job


@login_required
@require_http_methods(["GET", "POST"])
def dossier_import(request):
    scope = _require_importer(request.user)
    form = DossierImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        job = DossierImportJob.objects.create(
            created_by=request.user,
            office=None if scope.is_admin else scope.office,
            file=upload,
            original_name=upload.name[:255],
            skip_invalid=form.cleaned_data["skip_invalid"],
        )
        transaction.on_commit(lambda: tasks.dossier_import_job_run.delay(job.pk))
        return redirect("offices-dossier-import-job", pk=job.pk)
    jobs = DossierImportJob.objects.select_related("created_by")
    if not scope.is_admin:
        jobs = jobs.filter(office=scope.office)
    ctx = {"form": form, "jobs": jobs[:10], "office": scope.office, "columns": COLUMN_ORDER}
    return render(request, "offices/dossier_import.html", ctx)


@login_required
@require_GET
def dossier_import_job(request, pk):
    job = _job_for_user_or_404(request.user, pk)
    return render(request, "offices/dossier_import_job.html", {"job": job})


@login_required
@require_GET
def dossier_import_progress(request, pk):
    job = _job_for_user_or_404(request.user, pk)
    return render(request, "offices/_dossier_import_progress.html", {"job": job})


@login_required
@require_GET
def dossier_import_errors(request, pk):
    job = _job_for_user_or_404(request.user, pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="loi-nhap-ho-so-{job.pk}.csv"'
    response.write("\ufeff")  # so Excel opens it as UTF-8
    writer = csv.writer(response)
    writer.writerow(["row", "column", "message", "message_en"])
    for error in job.errors:
        writer.writerow([error["row"], error["column"], error["message"], error["message_en"]])
    return response


@login_required
@require_GET
def dossier_import_template(request, fmt):
    _require_importer(request.user)
    if fmt == "csv":
        buffer = io.StringIO()
        csv.writer(buffer).writerow(COLUMN_ORDER)
        response = HttpResponse(
            "\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8"
        )
    else:
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.title = "ho_so"
        ws.append(list(COLUMN_ORDER))
        help_sheet = wb.create_sheet("huong_dan")
        help_sheet.append([_("Cột"), _("Nội dung")])
        for column, text in _column_help().items():
            help_sheet.append([column, text])
        buffer = io.BytesIO()
        wb.save(buffer)
        response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="mau-nhap-ho-so.{fmt}"'
    return response


def _column_help():
    return {
        "code": _("Mã hồ sơ in trên giấy tiếp nhận (bắt buộc, duy nhất)"),
        "office": _("Mã cơ quan tiếp nhận (bắt buộc)"),
        "procedure": _("Mã thủ tục hành chính (bắt buộc)"),
        "channel": _("direct (trực tiếp), online (trực tuyến), postal (bưu chính)"),
        "status": _("Mã trạng thái 1–10 theo Cổng Dịch vụ công quốc gia"),
        "received_at": _(
            "Ngày giờ tiếp nhận: YYYY-MM-DD HH:MM hoặc dd/mm/yyyy HH:MM, giờ Việt Nam"
        ),
        "due_at": _("Ngày hẹn trả kết quả"),
        "finished_at": _("Ngày có kết quả (bắt buộc với trạng thái 9, 10)"),
        "returned_at": _("Ngày trả kết quả cho công dân"),
        "supplement_days": _("Số ngày chờ công dân bổ sung giấy tờ (mặc định 0)"),
        "supplement_requests": _("Số lần yêu cầu bổ sung (mặc định 0)"),
        "apology_issued_at": _("Ngày gửi phiếu xin lỗi (để trống: giữ nguyên)"),
    }


# --- apology letters (form 04) ------------------------------------------------


@login_required
@require_GET
def apology_list(request, slug):
    office = office_for_user_or_404(request.user, slug=slug)
    today = timezone.localdate()
    late = (
        dossiers_late_without_apology(dossiers=office.dossiers.all(), as_of=today)
        .select_related("procedure")
        .order_by("due_on", "code")
    )
    issued = (
        office.dossiers.filter(apology_issued_at__isnull=False)
        .select_related("procedure")
        .order_by("-apology_issued_at", "code")
    )
    ctx = {
        "office": office,
        "late": late[:500],
        "late_count": late.count(),
        "issued": issued[:50],
        "today": today,
        "can_manage": scope_for(request.user).can_manage_office,
    }
    return render(request, "offices/apology_list.html", ctx)


@login_required
@require_http_methods(["GET", "POST"])
def apology_letter(request, slug, code):
    office = office_for_user_or_404(request.user, slug=slug)
    dossier = get_object_or_404(
        Dossier.objects.select_related("procedure", "office"), office=office, code=code
    )
    scope = scope_for(request.user)
    can_manage = scope.can_manage_office
    form = None
    if can_manage:
        initial = {"reason": dossier.apology_reason, "new_due_on": dossier.apology_new_due_at}
        form = ApologyForm(request.POST or None, initial=initial)
    if request.method == "POST":
        require_office_manager(request.user, office)
        if form.is_valid():
            try:
                dossier_apology_issue(
                    dossier=dossier,
                    reason=form.cleaned_data["reason"],
                    new_due_on=form.cleaned_data["new_due_on"],
                    issued_on=form.cleaned_data["issued_on"],
                )
            except DossierError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("Đã ghi nhận phiếu xin lỗi, có thể in."))
                return redirect("offices-apology-letter", slug=office.slug, code=dossier.code)
    ctx = {"office": office, "dossier": dossier, "form": form, "can_manage": can_manage}
    return render(request, "offices/apology_letter.html", ctx)

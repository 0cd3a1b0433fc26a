"""Administrative units, offices, procedures, officers, roles, holidays and dossiers."""

import datetime

from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UnitSet(models.TextChoices):
    """The two trees of administrative units that live side by side."""

    Y2024 = "2024", _("3 cấp (đến 30/6/2025)")
    Y2025 = "2025", _("2 cấp (từ 1/7/2025)")


class UnitLevel(models.TextChoices):
    PROVINCE = "province", _("Tỉnh/thành phố")
    DISTRICT = "district", _("Quận/huyện")
    COMMUNE = "commune", _("Xã/phường")


class AdministrativeUnitQuerySet(models.QuerySet):
    def subtree(self, unit):
        """Return ``unit`` and every unit below it (one indexed prefix query)."""
        return self.filter(unit_set=unit.unit_set, path__startswith=unit.path)

    def current(self, on=None):
        """Return units valid on date ``on`` (today when omitted)."""
        from django.utils import timezone

        on = on or timezone.localdate()
        return self.filter(Q(valid_from__lte=on) | Q(valid_from__isnull=True)).filter(
            Q(valid_to__gte=on) | Q(valid_to__isnull=True)
        )


class AdministrativeUnit(models.Model):
    """A province, district or commune of one unit set, stored as a tree.

    ``path`` is a materialized path of codes ("/44/450/19009/"), so a unit's
    subtree is ``path LIKE '/44/450/%'`` on an indexed column.
    """

    unit_set = models.CharField(_("bộ đơn vị"), max_length=4, choices=UnitSet.choices)
    level = models.CharField(_("cấp"), max_length=10, choices=UnitLevel.choices)
    code = models.CharField(_("mã"), max_length=10)
    name = models.CharField(_("tên"), max_length=200)
    division_type = models.CharField(_("loại"), max_length=50, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("đơn vị cấp trên"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("đường dẫn"), max_length=64, editable=False)
    depth = models.PositiveSmallIntegerField(_("độ sâu"), editable=False, default=0)
    valid_from = models.DateField(_("hiệu lực từ"), null=True, blank=True)
    valid_to = models.DateField(_("hiệu lực đến"), null=True, blank=True)

    objects = AdministrativeUnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("đơn vị hành chính")
        verbose_name_plural = _("đơn vị hành chính")
        ordering = ["unit_set", "path"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit_set", "level", "code"], name="unit_unique_code_per_level"
            ),
            models.UniqueConstraint(fields=["unit_set", "path"], name="unit_unique_path"),
        ]
        indexes = [
            models.Index(
                fields=["path"], name="unit_path_prefix_idx", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["unit_set", "level"], name="unit_set_level_idx"),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        old_path = None
        if self.pk is not None:
            old_path = (
                AdministrativeUnit.objects.filter(pk=self.pk).values_list("path", flat=True).first()
            )
        self.path = self.build_path()
        self.depth = self.path.count("/") - 2
        with transaction.atomic():
            super().save(*args, **kwargs)
            if old_path and old_path != self.path:
                self._move_descendants(old_path)

    def _move_descendants(self, old_path):
        """Rewrite the paths below this unit after its code or parent changed (one UPDATE)."""
        depth_delta = self.path.count("/") - old_path.count("/")
        AdministrativeUnit.objects.filter(
            unit_set=self.unit_set, path__startswith=old_path
        ).exclude(pk=self.pk).update(
            path=Concat(Value(self.path), Substr("path", len(old_path) + 1)),
            depth=F("depth") + depth_delta,
        )

    def build_path(self):
        """Return the materialized path from the parent's path and this code."""
        prefix = self.parent.path if self.parent_id else "/"
        return f"{prefix}{self.code}/"

    @property
    def key(self):
        """Return the public key used in URLs and the API, e.g. ``province:44``."""
        return f"{self.level}:{self.code}"

    def is_ancestor_of(self, other):
        """Return True when ``other`` is this unit or lies below it."""
        return other.unit_set == self.unit_set and other.path.startswith(self.path)


class CommuneChange(models.Model):
    """Which 2025 commune a pre-reform commune went into (a split gives several rows)."""

    old_unit = models.ForeignKey(
        AdministrativeUnit, on_delete=models.CASCADE, related_name="successors"
    )
    new_unit = models.ForeignKey(
        AdministrativeUnit, on_delete=models.CASCADE, related_name="predecessors"
    )
    partly_merged = models.BooleanField(_("sáp nhập một phần"), default=False)

    class Meta:
        verbose_name = _("thay đổi đơn vị cấp xã 2025")
        verbose_name_plural = _("thay đổi đơn vị cấp xã 2025")
        constraints = [
            models.UniqueConstraint(fields=["old_unit", "new_unit"], name="commune_change_unique")
        ]

    def __str__(self):
        return f"{self.old_unit} → {self.new_unit}"


class OfficeKind(models.TextChoices):
    SERVICE_CENTRE = "service_centre", _("Trung tâm Phục vụ hành chính công")
    DEPARTMENT = "department", _("Bộ phận Một cửa sở, ban, ngành")
    DISTRICT_ONE_STOP = "district_one_stop", _("Bộ phận Một cửa cấp huyện")
    COMMUNE_ONE_STOP = "commune_one_stop", _("Bộ phận Một cửa cấp xã")
    OTHER = "other", _("Khác")


class Office(models.Model):
    """A one-stop counter or service centre where citizens are served."""

    code = models.CharField(_("mã"), max_length=50, unique=True)
    name = models.CharField(_("tên"), max_length=255)
    kind = models.CharField(_("loại"), max_length=20, choices=OfficeKind.choices)
    unit = models.ForeignKey(
        AdministrativeUnit,
        verbose_name=_("đơn vị hành chính"),
        on_delete=models.PROTECT,
        related_name="offices",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("cơ quan cấp trên"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
    )
    slug = models.SlugField(_("đường dẫn công khai"), max_length=80, unique=True)
    address = models.CharField(_("địa chỉ"), max_length=255, blank=True)
    opens_at = models.TimeField(_("giờ mở cửa"), default="07:30")
    closes_at = models.TimeField(_("giờ đóng cửa"), default="17:00")
    active = models.BooleanField(_("đang hoạt động"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("cơ quan một cửa")
        verbose_name_plural = _("cơ quan một cửa")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Field(models.Model):
    """A field of administrative procedures (lĩnh vực): land, civil status, …"""

    name = models.CharField(_("tên"), max_length=200, unique=True)
    code = models.SlugField(_("mã"), max_length=80, unique=True)

    class Meta:
        verbose_name = _("lĩnh vực")
        verbose_name_plural = _("lĩnh vực")
        ordering = ["name"]

    def __str__(self):
        return self.name


class ProcedureLevel(models.TextChoices):
    PROVINCE = "province", _("Cấp tỉnh")
    DISTRICT = "district", _("Cấp huyện")
    COMMUNE = "commune", _("Cấp xã")


class DayKind(models.TextChoices):
    WORKING = "working", _("Ngày làm việc")
    CALENDAR = "calendar", _("Ngày (lịch)")


class Procedure(models.Model):
    """An administrative procedure (thủ tục hành chính) with its national code."""

    code = models.CharField(_("mã thủ tục"), max_length=50, unique=True)
    name = models.CharField(_("tên"), max_length=500)
    field = models.ForeignKey(
        Field, verbose_name=_("lĩnh vực"), on_delete=models.PROTECT, related_name="procedures"
    )
    level = models.CharField(_("cấp thực hiện"), max_length=10, choices=ProcedureLevel.choices)
    legal_days = models.PositiveSmallIntegerField(_("thời hạn giải quyết (ngày)"))
    day_kind = models.CharField(
        _("loại ngày"), max_length=10, choices=DayKind.choices, default=DayKind.WORKING
    )
    fee = models.DecimalField(_("lệ phí (đồng)"), max_digits=14, decimal_places=0, default=0)
    offices = models.ManyToManyField(
        Office, verbose_name=_("cơ quan thực hiện"), related_name="procedures", blank=True
    )
    active = models.BooleanField(_("đang áp dụng"), default=True)

    class Meta:
        verbose_name = _("thủ tục hành chính")
        verbose_name_plural = _("thủ tục hành chính")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} – {self.name}"


class Officer(models.Model):
    """A civil servant working at an office's counter."""

    office = models.ForeignKey(
        Office, verbose_name=_("cơ quan"), on_delete=models.PROTECT, related_name="officers"
    )
    code = models.CharField(_("mã cán bộ"), max_length=50, unique=True)
    full_name = models.CharField(_("họ tên"), max_length=200)
    position = models.CharField(_("chức vụ"), max_length=200, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("tài khoản"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="officer",
    )
    active = models.BooleanField(_("đang công tác"), default=True)

    class Meta:
        verbose_name = _("công chức")
        verbose_name_plural = _("công chức")
        ordering = ["office", "full_name"]

    def __str__(self):
        return self.full_name


class Role(models.TextChoices):
    ADMIN = "admin", _("Quản trị")
    OFFICIAL = "official", _("Lãnh đạo, chuyên viên theo dõi")
    OFFICE_STAFF = "office_staff", _("Cán bộ bộ phận một cửa")
    INTEGRATION = "integration", _("Hệ thống một cửa điện tử (API)")


class Profile(models.Model):
    """A user's role and the unit or office it is limited to.

    Access is decided in one place, ``offices.access``; views never read this
    model directly.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    role = models.CharField(_("vai trò"), max_length=20, choices=Role.choices)
    unit = models.ForeignKey(
        AdministrativeUnit,
        verbose_name=_("đơn vị hành chính"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="profiles",
        help_text=_("Lãnh đạo và tài khoản API: đơn vị này và mọi đơn vị trực thuộc."),
    )
    office = models.ForeignKey(
        Office,
        verbose_name=_("cơ quan"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="profiles",
        help_text=_("Cán bộ một cửa: chỉ cơ quan này."),
    )
    language = models.CharField(
        _("ngôn ngữ"), max_length=5, choices=settings.LANGUAGES, default="vi"
    )

    class Meta:
        verbose_name = _("phân quyền người dùng")
        verbose_name_plural = _("phân quyền người dùng")
        constraints = [
            models.CheckConstraint(
                condition=Q(role="admin")
                | Q(role__in=["official", "integration"], unit__isnull=False)
                | Q(role="office_staff", office__isnull=False),
                name="profile_scope_matches_role",
            )
        ]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()})"


class HolidayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Ngày nghỉ lễ, Tết")
    WORKING_DAY = "working_day", _("Ngày làm việc bù")


class Holiday(models.Model):
    """A day off on a weekday, or a compensating working day on a weekend."""

    date = models.DateField(_("ngày"), unique=True)
    name = models.CharField(_("tên"), max_length=200)
    kind = models.CharField(
        _("loại"), max_length=12, choices=HolidayKind.choices, default=HolidayKind.HOLIDAY
    )

    class Meta:
        verbose_name = _("ngày nghỉ, ngày làm bù")
        verbose_name_plural = _("lịch ngày nghỉ, ngày làm bù")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date:%d/%m/%Y} {self.name}"


class Channel(models.TextChoices):
    DIRECT = "direct", _("Trực tiếp")
    ONLINE = "online", _("Trực tuyến")
    POSTAL = "postal", _("Bưu chính công ích")


class DossierStatus(models.IntegerChoices):
    SUBMITTED = 1, _("Mới đăng ký")
    RECEIVED = 2, _("Được tiếp nhận")
    REFUSED = 3, _("Không được tiếp nhận")
    IN_PROGRESS = 4, _("Đang xử lý")
    SUPPLEMENT = 5, _("Yêu cầu bổ sung giấy tờ")
    PAYMENT = 6, _("Yêu cầu nghĩa vụ tài chính")
    WITHDRAWN = 7, _("Công dân rút hồ sơ")
    STOPPED = 8, _("Dừng xử lý")
    FINISHED = 9, _("Đã xử lý xong")
    RETURNED = 10, _("Đã trả kết quả")


class Dossier(models.Model):
    """One citizen's request (hồ sơ), as sent by the one-stop electronic system."""

    code = models.CharField(_("mã hồ sơ"), max_length=64, unique=True)
    # No index of its own: the (office, …) indexes below serve it.
    office = models.ForeignKey(
        Office,
        verbose_name=_("cơ quan"),
        on_delete=models.PROTECT,
        related_name="dossiers",
        db_index=False,
    )
    procedure = models.ForeignKey(
        Procedure,
        verbose_name=_("thủ tục"),
        on_delete=models.PROTECT,
        related_name="dossiers",
    )
    channel = models.CharField(
        _("kênh nộp"), max_length=10, choices=Channel.choices, default=Channel.DIRECT
    )
    status = models.PositiveSmallIntegerField(
        _("trạng thái"), choices=DossierStatus.choices, default=DossierStatus.RECEIVED
    )
    received_at = models.DateTimeField(_("ngày tiếp nhận"))
    due_at = models.DateTimeField(_("ngày hẹn trả"))
    finished_at = models.DateTimeField(_("ngày có kết quả"), null=True, blank=True)
    returned_at = models.DateTimeField(_("ngày trả kết quả"), null=True, blank=True)
    supplement_days = models.PositiveSmallIntegerField(_("số ngày chờ bổ sung"), default=0)
    supplement_requests = models.PositiveSmallIntegerField(_("số lần yêu cầu bổ sung"), default=0)
    apology_issued_at = models.DateField(_("ngày gửi thư xin lỗi"), null=True, blank=True)
    apology_reason = models.TextField(_("lý do trễ hạn"), blank=True)
    apology_new_due_at = models.DateField(_("ngày hẹn trả mới"), null=True, blank=True)
    # Derived from the fields above in ``refresh_derived()`` (called by save()
    # and by every bulk upsert), so rates can be computed in SQL: local dates in
    # Asia/Ho_Chi_Minh and the outcome of a finished dossier.
    received_on = models.DateField(_("ngày tiếp nhận (ngày)"), editable=False, null=True)
    due_on = models.DateField(
        _("hạn trả thực tế (sau thời gian chờ bổ sung)"), editable=False, null=True
    )
    finished_on = models.DateField(_("ngày có kết quả (ngày)"), editable=False, null=True)
    outcome = models.CharField(
        _("kết quả đúng hạn"),
        max_length=8,
        choices=[("early", _("Trước hạn")), ("on_time", _("Đúng hạn")), ("late", _("Trễ hạn"))],
        blank=True,
        editable=False,
    )
    officer = models.ForeignKey(
        Officer,
        verbose_name=_("cán bộ xử lý"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="dossiers",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("hồ sơ")
        verbose_name_plural = _("hồ sơ")
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["office", "received_at"], name="dossier_office_received_idx"),
            models.Index(fields=["office", "finished_at"], name="dossier_office_finished_idx"),
            # Timeliness rates filter on the local-date columns.
            models.Index(fields=["office", "finished_on"], name="dossier_office_finished_on_idx"),
            models.Index(fields=["office", "received_on"], name="dossier_office_received_on_idx"),
            # "Late, no apology yet" is a dashboard figure and the apology list.
            models.Index(
                fields=["office", "finished_on"],
                condition=Q(outcome="late", apology_issued_at__isnull=True),
                name="dossier_late_no_apology_idx",
            ),
        ]

    def __str__(self):
        return self.code

    def save(self, *args, **kwargs):
        self.refresh_derived()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = set(update_fields) | {
                "received_on",
                "due_on",
                "finished_on",
                "outcome",
            }
        super().save(*args, **kwargs)

    EXCLUDED_STATUSES = (DossierStatus.REFUSED, DossierStatus.WITHDRAWN, DossierStatus.STOPPED)

    @property
    def is_excluded(self):
        """Return True for refused, withdrawn or stopped dossiers (outside every rate)."""
        return self.status in self.EXCLUDED_STATUSES

    def effective_due_at(self):
        """Return the promised time moved on by the days spent waiting for extra papers."""
        return self.due_at + datetime.timedelta(days=self.supplement_days or 0)

    def finished_outcome(self):
        """Return "early", "on_time" or "late" for a finished dossier, else "".

        Days are compared in Asia/Ho_Chi_Minh: finished before the promised day
        is early, on that day on time, after it late. More than one request for
        extra papers makes the dossier late whatever the dates.
        """
        if self.finished_at is None or self.is_excluded:
            return ""
        if (self.supplement_requests or 0) > 1:
            return "late"
        finished = timezone.localdate(self.finished_at)
        due = timezone.localdate(self.effective_due_at())
        if finished < due:
            return "early"
        if finished == due:
            return "on_time"
        return "late"

    def refresh_derived(self):
        """Recompute the derived date and outcome columns from the source fields."""
        self.received_on = timezone.localdate(self.received_at) if self.received_at else None
        self.due_on = timezone.localdate(self.effective_due_at()) if self.due_at else None
        self.finished_on = timezone.localdate(self.finished_at) if self.finished_at else None
        self.outcome = self.finished_outcome() if self.due_at else ""

    DUE_SOON_WORKING_DAYS = 2

    def timeliness(self, as_of, *, holidays=None, extra_working_days=None):
        """Return this dossier's timeliness on the local date ``as_of``.

        Finished on or before ``as_of``: its outcome ("early", "on_time",
        "late"). Still open then: "overdue" when the effective due day is
        before ``as_of``, "due_soon" when it is at most two working days after
        it, else "within". Refused, withdrawn, stopped or not yet received: "".
        Without ``holidays``/``extra_working_days`` it reads the Holiday table
        between ``as_of`` and the due day (one query, only for open dossiers).
        """
        from portal.lib.workdays import working_days_between

        if self.is_excluded or self.received_at is None or self.due_at is None:
            return ""
        if timezone.localdate(self.received_at) > as_of:
            return ""
        if self.finished_at is not None and timezone.localdate(self.finished_at) <= as_of:
            return self.finished_outcome()
        due = timezone.localdate(self.effective_due_at())
        if due < as_of:
            return "overdue"
        if holidays is None or extra_working_days is None:
            days = Holiday.objects.filter(date__gt=as_of, date__lte=due)
            calendar = list(days.values_list("date", "kind"))
            if holidays is None:
                holidays = {d for d, k in calendar if k == HolidayKind.HOLIDAY}
            if extra_working_days is None:
                extra_working_days = {d for d, k in calendar if k == HolidayKind.WORKING_DAY}
        left = working_days_between(
            as_of, due, holidays=holidays, extra_working_days=extra_working_days
        )
        return "due_soon" if left <= self.DUE_SOON_WORKING_DAYS else "within"


class DossierImportJob(models.Model):
    """One uploaded dossier file, imported by a Celery task with visible progress."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Đang chờ")
        CHECKING = "checking", _("Đang kiểm tra")
        WRITING = "writing", _("Đang ghi dữ liệu")
        DONE = "done", _("Hoàn thành")
        REJECTED = "rejected", _("Không ghi dữ liệu (tệp có dòng lỗi)")
        FAILED = "failed", _("Lỗi")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người tải lên"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="dossier_import_jobs",
    )
    office = models.ForeignKey(
        Office,
        verbose_name=_("chỉ cho cơ quan"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="dossier_import_jobs",
        help_text=_("Cán bộ một cửa chỉ được nhập hồ sơ của cơ quan mình."),
    )
    file = models.FileField(_("tệp"), upload_to="dossier-imports/%Y/%m/")
    original_name = models.CharField(_("tên tệp"), max_length=255)
    skip_invalid = models.BooleanField(_("bỏ qua dòng lỗi"), default=False)
    status = models.CharField(
        _("trạng thái"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    total = models.PositiveIntegerField(_("số dòng"), default=0)
    done = models.PositiveIntegerField(_("đã kiểm tra"), default=0)
    created_count = models.PositiveIntegerField(_("thêm mới"), default=0)
    updated_count = models.PositiveIntegerField(_("cập nhật"), default=0)
    unchanged_count = models.PositiveIntegerField(_("không đổi"), default=0)
    invalid_count = models.PositiveIntegerField(_("dòng lỗi"), default=0)
    errors = models.JSONField(_("lỗi"), default=list, blank=True)
    message = models.TextField(_("thông báo"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("lần nhập hồ sơ")
        verbose_name_plural = _("các lần nhập hồ sơ")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def is_finished(self):
        return self.status in (self.Status.DONE, self.Status.REJECTED, self.Status.FAILED)

    @property
    def percent(self):
        """Return the share of rows checked, 0–100."""
        if self.is_finished:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0

"""Roll-ups: small per-office-per-day tables of counts every rate needs.

Two grains of the same counts:

* ``*Day`` rows per (office, day) feed the unfiltered dashboards;
* ``*DayDetail`` rows per (office, day, procedure, channel) feed queries
  filtered by field, procedure or channel;
* ``*Month`` rows per (office, month; ``day`` = the month's first day) are
  the sums of the ``*Day`` rows of that month, so an unfiltered read of a
  year touches 12 rows per office instead of 365: whole months of a period
  come from them, the days at its edges from ``*Day``.

A coarser figure (district, province, month, year) is always a sum of these
rows; a rate is computed from the summed counts (``reports.selectors``).

Roll-ups are derived data rebuilt by ``stats_refresh``: their foreign keys
carry no database constraint (measured: the deferred FK checks doubled the
time of a full refresh) and a deleted office's rows go at the next refresh.
Nor indexes of their own: every read names offices and days, which the
unique (office, day, …) keys serve (the per-office tables also have a
(day, office) index); each extra index was upkeep on tens of millions of
rows at every full refresh.

Open dossiers are a snapshot, not a flow: "open within deadline at the end of
day E" is an interval count. Each dossier is open within deadline on the days
[received, min(finished, due + 1) − 1] and open overdue on the days
[max(received, due + 1), finished − 1]. Rows store the interval starts
(``*_in``) and ends (``*_out``) keyed by the day they happen, so the snapshot
at E is Σ_{day ≤ E} (in − out) over the offices wanted (see
``reports.selectors``).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from offices.models import Channel, Office, Procedure
from surveys.models import Question


class DossierCounts(models.Model):
    """Dossier counts of one day (received / finished that day; open-interval events)."""

    day = models.DateField(_("ngày"))
    received = models.PositiveIntegerField(_("tiếp nhận"), default=0)
    excluded = models.PositiveIntegerField(_("không tiếp nhận, rút, dừng"), default=0)
    finished = models.PositiveIntegerField(_("đã giải quyết"), default=0)
    early = models.PositiveIntegerField(_("trước hạn"), default=0)
    on_time = models.PositiveIntegerField(_("đúng hạn"), default=0)
    late = models.PositiveIntegerField(_("trễ hạn"), default=0)
    late_without_apology = models.PositiveIntegerField(_("trễ hạn chưa xin lỗi"), default=0)
    evaluated = models.PositiveIntegerField(_("được đánh giá"), default=0)
    evaluated_flagged = models.PositiveIntegerField(_("được đánh giá (phiếu nghi vấn)"), default=0)
    negative = models.PositiveIntegerField(_("có phản ánh hoặc đánh giá không hài lòng"), default=0)
    negative_flagged = models.PositiveIntegerField(
        _("có phản ánh hoặc không hài lòng (phiếu nghi vấn)"), default=0
    )
    within_in = models.PositiveIntegerField(default=0)
    within_out = models.PositiveIntegerField(default=0)
    overdue_in = models.PositiveIntegerField(default=0)
    overdue_out = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.office_id} {self.day}"


class DossierDay(DossierCounts):
    office = models.ForeignKey(
        Office, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )

    class Meta:
        verbose_name = _("tổng hợp hồ sơ theo ngày")
        verbose_name_plural = _("tổng hợp hồ sơ theo ngày")
        constraints = [
            models.UniqueConstraint(fields=["office", "day"], name="dossierday_unique"),
        ]
        indexes = [models.Index(fields=["day", "office"], name="dossierday_day_idx")]


class DossierMonth(DossierCounts):
    """DossierDay summed over a calendar month (``day`` = the 1st)."""

    office = models.ForeignKey(
        Office, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )

    class Meta:
        verbose_name = _("tổng hợp hồ sơ theo tháng")
        verbose_name_plural = _("tổng hợp hồ sơ theo tháng")
        constraints = [
            models.UniqueConstraint(fields=["office", "day"], name="dossiermonth_unique"),
        ]


class DossierDayDetail(DossierCounts):
    office = models.ForeignKey(
        Office, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )
    procedure = models.ForeignKey(
        Procedure,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)

    class Meta:
        verbose_name = _("tổng hợp hồ sơ theo ngày, thủ tục, kênh")
        verbose_name_plural = _("tổng hợp hồ sơ theo ngày, thủ tục, kênh")
        constraints = [
            models.UniqueConstraint(
                fields=["office", "day", "procedure", "channel"], name="dossierdaydetail_unique"
            ),
        ]


class ResponseCounts(models.Model):
    day = models.DateField(_("ngày"))
    responses = models.PositiveIntegerField(_("phiếu (không nghi vấn)"), default=0)
    responses_flagged = models.PositiveIntegerField(_("phiếu nghi vấn"), default=0)

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.office_id} {self.day}"


class ResponseDay(ResponseCounts):
    office = models.ForeignKey(
        Office, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )

    class Meta:
        verbose_name = _("tổng hợp phiếu theo ngày")
        verbose_name_plural = _("tổng hợp phiếu theo ngày")
        constraints = [
            models.UniqueConstraint(fields=["office", "day"], name="responseday_unique"),
        ]
        indexes = [models.Index(fields=["day", "office"], name="responseday_day_idx")]


class ResponseMonth(ResponseCounts):
    """ResponseDay summed over a calendar month (``day`` = the 1st)."""

    office = models.ForeignKey(
        Office, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )

    class Meta:
        verbose_name = _("tổng hợp phiếu theo tháng")
        verbose_name_plural = _("tổng hợp phiếu theo tháng")
        constraints = [
            models.UniqueConstraint(fields=["office", "day"], name="responsemonth_unique"),
        ]


class ResponseDayDetail(ResponseCounts):
    office = models.ForeignKey(
        Office, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )
    # 0 stands for "no procedure" so the unique key has no NULL in it.
    procedure_id = models.BigIntegerField(default=0)
    channel = models.CharField(max_length=10)

    class Meta:
        verbose_name = _("tổng hợp phiếu theo ngày, thủ tục, kênh")
        verbose_name_plural = _("tổng hợp phiếu theo ngày, thủ tục, kênh")
        constraints = [
            models.UniqueConstraint(
                fields=["office", "day", "procedure_id", "channel"],
                name="responsedaydetail_unique",
            ),
        ]


# Answer levels kept as columns: scales store 1–5 (or 1–3), yes/no stores 0/1.
ANSWER_LEVELS = (0, 1, 2, 3, 4, 5)


class AnswerCounts(models.Model):
    """Answers to one question: how many at each level, valid (toward satisfaction), satisfied.

    One row per question, the levels as columns (``n_level_<L>``), so a day
    of an office holds one row per question asked instead of one per level.
    ``*_flagged`` columns count the answers of flagged responses.
    """

    day = models.DateField(_("ngày"))
    question = models.ForeignKey(
        Question, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )
    n_level_0 = models.PositiveIntegerField(default=0)
    n_level_1 = models.PositiveIntegerField(default=0)
    n_level_2 = models.PositiveIntegerField(default=0)
    n_level_3 = models.PositiveIntegerField(default=0)
    n_level_4 = models.PositiveIntegerField(default=0)
    n_level_5 = models.PositiveIntegerField(default=0)
    valid = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)
    n_level_0_flagged = models.PositiveIntegerField(default=0)
    n_level_1_flagged = models.PositiveIntegerField(default=0)
    n_level_2_flagged = models.PositiveIntegerField(default=0)
    n_level_3_flagged = models.PositiveIntegerField(default=0)
    n_level_4_flagged = models.PositiveIntegerField(default=0)
    n_level_5_flagged = models.PositiveIntegerField(default=0)
    valid_flagged = models.PositiveIntegerField(default=0)
    satisfied_flagged = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.office_id} {self.day}"


class AnswerDay(AnswerCounts):
    office = models.ForeignKey(
        Office, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )

    class Meta:
        verbose_name = _("tổng hợp câu trả lời theo ngày")
        verbose_name_plural = _("tổng hợp câu trả lời theo ngày")
        constraints = [
            models.UniqueConstraint(
                fields=["office", "day", "question"], name="answerday_unique_question"
            ),
        ]
        indexes = [models.Index(fields=["day", "office"], name="answerday_day_idx")]


class AnswerMonth(AnswerCounts):
    """AnswerDay summed over a calendar month (``day`` = the 1st)."""

    office = models.ForeignKey(
        Office, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )

    class Meta:
        verbose_name = _("tổng hợp câu trả lời theo tháng")
        verbose_name_plural = _("tổng hợp câu trả lời theo tháng")
        constraints = [
            models.UniqueConstraint(
                fields=["office", "day", "question"], name="answermonth_unique_question"
            ),
        ]


class AnswerDayDetail(AnswerCounts):
    office = models.ForeignKey(
        Office, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )
    procedure_id = models.BigIntegerField(default=0)
    channel = models.CharField(max_length=10)

    class Meta:
        verbose_name = _("tổng hợp câu trả lời theo ngày, thủ tục, kênh")
        verbose_name_plural = _("tổng hợp câu trả lời theo ngày, thủ tục, kênh")
        constraints = [
            models.UniqueConstraint(
                fields=["office", "day", "procedure_id", "channel", "question"],
                name="answerdaydetail_unique_question",
            ),
        ]


class ComplaintCounts(models.Model):
    """Complaints (follow-ups) opened on ``day`` and due on ``due_on``."""

    day = models.DateField(_("ngày tiếp nhận"))
    due_on = models.DateField(_("hạn xử lý"))
    complaints = models.PositiveIntegerField(default=0)
    answered_on_time = models.PositiveIntegerField(default=0)
    answered_late = models.PositiveIntegerField(default=0)
    unanswered = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.office_id} {self.day}"


class ComplaintDay(ComplaintCounts):
    office = models.ForeignKey(
        Office, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )

    class Meta:
        verbose_name = _("tổng hợp phản ánh theo ngày")
        verbose_name_plural = _("tổng hợp phản ánh theo ngày")
        constraints = [
            models.UniqueConstraint(fields=["office", "day", "due_on"], name="complaintday_unique"),
        ]
        indexes = [models.Index(fields=["day", "office"], name="complaintday_day_idx")]


class ComplaintDayDetail(ComplaintCounts):
    office = models.ForeignKey(
        Office, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )
    procedure_id = models.BigIntegerField(default=0)
    channel = models.CharField(max_length=10)

    class Meta:
        verbose_name = _("tổng hợp phản ánh theo ngày, thủ tục, kênh")
        verbose_name_plural = _("tổng hợp phản ánh theo ngày, thủ tục, kênh")
        constraints = [
            models.UniqueConstraint(
                fields=["office", "day", "due_on", "procedure_id", "channel"],
                name="complaintdaydetail_unique",
            ),
        ]


class ResponseChange(models.Model):
    """A survey response the roll-ups have not counted yet, or whose counted values changed.

    Written only by database triggers on ``surveys_response`` (``reports.triggers``),
    in the transaction that writes the response, so no path that stores, edits or
    deletes a response (ORM, bulk insert, the one-statement submission, COPY, SQL
    by hand) can bypass it:

    * ``kind = "n"``: a new response. The per-office survey roll-ups hold every
      response except these; ``stats_refresh`` adds their counts (a delta)
      and deletes the row in the same transaction.
    * ``kind = "t"``: a counted response whose office, day, procedure, channel,
      dossier, questionnaire or flag changed, or that was deleted: one row with
      the old values and (for an update) one with the new. Its (office, day)
      blocks are rebuilt from the raw rows.

    ``batch`` marks the rows one refresh claimed, so rows committed while it
    runs wait for the next one.
    """

    NEW = "n"
    TOUCHED = "t"

    kind = models.CharField(max_length=1)
    # No database constraint: the row outlives a deleted response (its "t" row).
    response = models.ForeignKey(
        "surveys.Response",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="queued",
    )
    office_id = models.BigIntegerField(null=True)
    submitted_at = models.DateTimeField(null=True)
    dossier_id = models.BigIntegerField(null=True)
    batch = models.BigIntegerField(null=True)

    class Meta:
        indexes = [
            # The refresh's "not yet counted" test on every response it aggregates.
            models.Index(
                fields=["response_id"], condition=models.Q(kind="n"), name="responsechange_new_idx"
            )
        ]

    def __str__(self):
        return f"{self.kind} {self.response_id}"


class RefreshState(models.Model):
    """Where the incremental refresh stopped: rows changed after ``watermark`` are new."""

    name = models.CharField(max_length=50, unique=True)
    watermark = models.DateTimeField(null=True, blank=True)
    last_full_at = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_blocks = models.PositiveIntegerField(default=0)
    last_seconds = models.FloatField(default=0)

    class Meta:
        verbose_name = _("trạng thái tổng hợp số liệu")
        verbose_name_plural = _("trạng thái tổng hợp số liệu")

    def __str__(self):
        return self.name


class TargetMetric(models.TextChoices):
    """Figures an official can set a target for (all rates, as fractions)."""

    SATISFACTION = "satisfaction_rate", _("Tỷ lệ hài lòng")
    ON_TIME = "on_time_rate", _("Tỷ lệ đúng hạn")
    EVALUATION = "evaluation_rate", _("Tỷ lệ đánh giá")
    COMPLAINT_ON_TIME = "complaint_on_time_rate", _("Tỷ lệ phản ánh xử lý đúng hạn")


class Target(models.Model):
    """A minimum an official sets for a unit's figure; units below it inherit it.

    The target nearest up the tree applies: a province's 90% holds for every
    district and office below it unless a district sets its own.
    """

    unit = models.ForeignKey(
        "offices.AdministrativeUnit",
        verbose_name=_("đơn vị"),
        on_delete=models.CASCADE,
        related_name="report_targets",
    )
    metric = models.CharField(_("chỉ số"), max_length=30, choices=TargetMetric.choices)
    threshold = models.DecimalField(
        _("mức tối thiểu"),
        max_digits=5,
        decimal_places=4,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("Tỷ lệ từ 0 đến 1 (0,9 = 90%)."),
    )
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người đặt"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    class Meta:
        verbose_name = _("mục tiêu")
        verbose_name_plural = _("mục tiêu")
        ordering = ["unit__path", "metric"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "metric"], name="target_unique_metric"),
            models.CheckConstraint(
                condition=models.Q(threshold__gte=0, threshold__lte=1), name="target_threshold_0_1"
            ),
        ]

    def __str__(self):
        return f"{self.unit} – {self.get_metric_display()} ≥ {self.threshold:.2%}"


class AlertKind(models.TextChoices):
    NEGATIVE_BURST = "negative_burst", _("Nhiều đánh giá không hài lòng")
    SILENT_OFFICE = "silent_office", _("Cơ quan không có đánh giá")
    SILENT_KIOSK = "silent_kiosk", _("Thiết bị không gửi đánh giá")
    WEEKLY_DIGEST = "weekly_digest", _("Bản tin tuần")


class AlertLog(models.Model):
    """One alert or digest sent; the unique key stops a second send for the same window."""

    kind = models.CharField(_("loại"), max_length=20, choices=AlertKind.choices)
    subject_key = models.CharField(_("đối tượng"), max_length=64)  # "office:12", "user:5"
    window_key = models.CharField(_("khung thời gian"), max_length=40)
    recipients = models.PositiveIntegerField(_("số người nhận"), default=0)
    detail = models.JSONField(_("chi tiết"), default=dict, blank=True)
    created_at = models.DateTimeField(_("gửi lúc"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("cảnh báo đã gửi")
        verbose_name_plural = _("cảnh báo đã gửi")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject_key", "window_key"], name="alertlog_once_per_window"
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.subject_key} {self.window_key}"

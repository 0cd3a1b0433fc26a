"""Dashboard pages assembled from the stats selectors (roll-ups only).

A ``DashboardPage`` knows its scope (a unit, an office, or an office and a
procedure), the resolved filters and who is looking; each table is a cached
property returning plain dicts, so the page, its charts, its print view and
its exports all read the same rows. Figures come from
``reports.selectors.stats_compute`` / ``stats_grouped``; the only raw rows
read here are bounded lists (recent comments, open follow-ups, late dossiers
without an apology), each one indexed query with a LIMIT.
"""

import datetime
import hashlib
from dataclasses import dataclass, field
from functools import cached_property

from django.conf import settings
from django.core.cache import cache
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from offices.access import scope_for
from offices.models import AdministrativeUnit, Dossier, Office, OfficeKind, Role, UnitLevel
from portal.lib import rates
from reports import charts
from reports.exports import TABLES, Table
from reports.models import RefreshState
from reports.selectors import stats_compute, stats_grouped, stats_office_counts
from reports.targets import TARGET_METRICS, TargetResolver
from reports.templatetags.reports_tags import format_change, format_number, format_rate
from surveys.models import Answer, FollowUp, FollowUpStatus, QuestionKind

RECENT_COMMENTS = 20
OPEN_FOLLOW_UPS = 50
LATE_DOSSIERS = 50
TREND_MONTHS = 6  # months in the trend of a preset period (a custom range shows its own)

# key, label, kind, n key, which direction is better
TILES = (
    ("satisfaction_rate", gettext_lazy("Tỷ lệ hài lòng"), "rate", "satisfaction_n", 1),
    ("on_time_rate", gettext_lazy("Tỷ lệ đúng hạn"), "rate", "on_time_n", 1),
    ("evaluation_rate", gettext_lazy("Tỷ lệ đánh giá"), "rate", "finished", 1),
    ("responses", gettext_lazy("Số phiếu đánh giá"), "int", None, 0),
    ("received", gettext_lazy("Hồ sơ tiếp nhận"), "int", None, 0),
    ("late_without_apology", gettext_lazy("Trễ hạn chưa xin lỗi"), "int", "late", -1),
    ("complaints_open", gettext_lazy("Phản ánh đang mở"), "int", None, -1),
    ("complaints_overdue", gettext_lazy("Phản ánh quá hạn"), "int", None, -1),
)


@dataclass
class Block:
    """One chart (or table) with the table behind it and its export links."""

    id: str
    title: str
    table: Table
    rows: list
    figure: str | None = None
    csv_url: str = ""
    xlsx_url: str = ""
    sortable: bool = False
    wide: bool = False
    note: str = ""

    @cached_property
    def body_html(self):
        return self.table.body_html(
            self.rows,
            small_sample_label=_("ít mẫu"),
            empty_label=_("Không có dữ liệu trong kỳ này."),
        )


@dataclass
class Crumb:
    label: str
    url: str | None = None


@dataclass
class DashboardPage:
    user: object
    flt: object  # reports.forms.DashboardFilter
    unit: AdministrativeUnit | None = None
    office: Office | None = None
    procedure: object = None
    unit_set_param: str | None = None
    extra: dict = field(default_factory=dict)

    # ----- scope -------------------------------------------------------------
    @cached_property
    def scope(self):
        return scope_for(self.user)

    @property
    def kind(self):
        if self.procedure is not None:
            return "procedure"
        if self.office is not None:
            return "office"
        return self.unit.level

    @cached_property
    def offices(self):
        """Return the offices the page covers (a lazy queryset, used as a subquery)."""
        if self.office is not None:
            return Office.objects.filter(pk=self.office.pk)
        return Office.objects.filter(
            unit__unit_set=self.unit.unit_set, unit__path__startswith=self.unit.path
        )

    @property
    def scope_unit(self):
        return self.office.unit if self.office is not None else self.unit

    @property
    def title(self):
        if self.procedure is not None:
            return f"{self.procedure.code} – {self.procedure.name}"
        if self.office is not None:
            return self.office.name
        return self.unit.name

    @property
    def subtitle(self):
        if self.procedure is not None:
            return self.office.name
        if self.office is not None:
            return self.office.get_kind_display()
        return f"{self.unit.get_level_display()} · {self.unit.get_unit_set_display()}"

    @property
    def name_for_files(self):
        if self.procedure is not None:
            return f"{self.office.code}-{self.procedure.code}"
        return self.title

    @property
    def has_details(self):
        """District, commune, office and procedure pages list procedures, comments, …"""
        return self.kind != UnitLevel.PROVINCE

    @cached_property
    def may_see_officers(self):
        """Officials and admins see every officer's figures; office staff only their own."""
        return self.scope.is_admin or self.scope.role in (Role.OFFICIAL, Role.OFFICE_STAFF)

    # ----- urls ---------------------------------------------------------------
    def unit_url(self, unit):
        url = reverse("reports-unit", args=[unit.level, unit.code])
        return url + self.flt.querystring(set=self._set_param(unit))

    def office_url(self, office_code):
        return reverse("reports-office", args=[office_code]) + self.flt.querystring()

    def procedure_url(self, office_code, procedure_code):
        return (
            reverse("reports-procedure", args=[office_code, procedure_code])
            + self.flt.querystring()
        )

    @staticmethod
    def _set_param(unit):
        """Return ``?set=`` for units outside the current (2025) tree, so codes never clash."""
        return unit.unit_set if unit.unit_set != "2025" else None

    def page_url(self, name="", **extra):
        """Return this page's URL (or its ``xuat.csv`` / ``in`` sibling) with the filters."""
        if self.procedure is not None:
            args = [self.office.code, self.procedure.code]
            prefix = "reports-procedure"
        elif self.office is not None:
            args, prefix = [self.office.code], "reports-office"
        else:
            args, prefix = [self.unit.level, self.unit.code], "reports-unit"
        if name in ("csv", "xlsx"):
            url = reverse(f"{prefix}-export", args=[*args, name])
        elif name:
            url = reverse(f"{prefix}-{name}", args=args)
        else:
            url = reverse(prefix, args=args)
        params = {**extra}
        if self.unit_set_param:
            params["set"] = self.unit_set_param
        return url + self.flt.querystring(**params)

    def export_urls(self, table_name):
        return self.page_url("csv", table=table_name), self.page_url("xlsx", table=table_name)

    @cached_property
    def breadcrumbs(self):
        """Return the visible ancestors, from the widest down to this page (one query)."""
        unit = self.scope_unit
        codes = [c for c in unit.path.strip("/").split("/") if c]
        prefixes = ["/" + "/".join(codes[: i + 1]) + "/" for i in range(len(codes))]
        ancestors = AdministrativeUnit.objects.filter(unit_set=unit.unit_set, path__in=prefixes)
        crumbs = [
            Crumb(a.name, self.unit_url(a) if self.scope.can_see_unit(a) else None)
            for a in sorted(ancestors, key=lambda a: a.depth)
        ]
        if self.office is not None:
            crumbs.append(Crumb(self.office.name, self.office_url(self.office.code)))
        if self.procedure is not None:
            crumbs.append(Crumb(self.procedure.code, None))
        return crumbs

    # ----- figures --------------------------------------------------------------
    @cached_property
    def _cache_prefix(self):
        """Return the cache key prefix: scope, filters, today and the roll-up version.

        The version is the last roll-up refresh (one query), so a refresh makes
        every cached figure stale at once.
        """
        version = RefreshState.objects.aggregate(v=Max("last_run_at"), w=Max("watermark"))
        scope = f"office:{self.office.pk}" if self.office is not None else f"unit:{self.unit.pk}"
        raw = "|".join(
            [
                str(version["v"]),
                str(version["w"]),
                scope,
                self.flt.querystring(),
                timezone.localdate().isoformat(),
            ]
        )
        return "reports:page:" + hashlib.sha256(raw.encode()).hexdigest()[:32]

    def _cached(self, name, compute):
        """Return ``compute()``, kept in the cache for ``REPORTS_CACHE_SECONDS`` (0: never)."""
        seconds = getattr(settings, "REPORTS_CACHE_SECONDS", 0)
        if not seconds:
            return compute()
        key = f"{self._cache_prefix}:{name}"
        value = cache.get(key)
        if value is None:
            value = compute()
            cache.set(key, value, seconds)
        return value

    def _compute(self, name, **overrides):
        kwargs = {
            "offices": self.offices,
            "start": self.flt.start,
            "end": self.flt.end,
            **self.flt.selector_kwargs(),
        }
        kwargs.update(overrides)
        return self._cached(f"compute:{name}", lambda: stats_compute(**kwargs))

    def _grouped(self, group_by, name=None, **overrides):
        kwargs = {
            "offices": self.offices,
            "start": self.flt.start,
            "end": self.flt.end,
            "group_by": group_by,
            **self.flt.selector_kwargs(),
        }
        kwargs.update(overrides)

        def compute():
            if group_by in ("child", "office") and not {"offices", "start", "end"} & set(overrides):
                # The child units and the offices are sums of the same per-office counts.
                kwargs["office_counts"] = self._office_counts
            return stats_grouped(**kwargs)

        return self._cached(f"grouped:{name or group_by}", compute)

    @cached_property
    def _office_counts(self):
        """Return the per-office counts of the page (read once, shared by two groupings)."""
        return stats_office_counts(
            offices=self.offices,
            start=self.flt.start,
            end=self.flt.end,
            **self.flt.selector_kwargs(),
        )

    @cached_property
    def summary(self):
        current = self._compute("current", with_previous=False)
        previous = self._compute(
            "previous",
            start=self.flt.previous.start,
            end=self.flt.previous.end,
            with_previous=False,
        )
        current["previous"] = _augment(previous)
        return _augment(current)

    @cached_property
    def targets(self):
        return TargetResolver.for_unit(self.scope_unit)

    @cached_property
    def tiles(self):
        summary, previous = self.summary, self.summary.get("previous") or {}
        own_targets = self.targets.thresholds_for(self.scope_unit.path)
        tiles = []
        for key, label, kind, n_key, better in TILES:
            value, before = summary.get(key), previous.get(key)
            fmt = format_rate if kind == "rate" else format_number
            change = None if value is None or before is None else value - before
            if kind == "rate":
                points = _("điểm")  # percentage points
                change_display = f"{format_change(change)} {points}" if change is not None else ""
            else:
                change_display = (
                    "" if change is None else f"{'+' if change > 0 else ''}{format_number(change)}"
                )
            target = own_targets.get(key)
            tiles.append(
                {
                    "key": key,
                    "label": str(label),
                    "value": value,
                    "display": fmt(value),
                    "n_display": format_number(summary.get(n_key)) if n_key else "",
                    "previous_display": fmt(before),
                    "change": change,
                    "change_display": change_display,
                    "change_good": None if not change or not better else (change * better > 0),
                    "target_display": format_rate(target) if target is not None else "",
                    "below_target": target is not None and value is not None and value < target,
                }
            )
        return tiles

    def _mark_targets(self, rows, path_of):
        """Add ``below_target`` and a readable list of missed targets to each row."""
        for row in rows:
            missed = []
            for metric, threshold in self.targets.thresholds_for(path_of(row)).items():
                value = row.get(metric)
                if value is not None and value < threshold:
                    missed.append(f"{TARGET_METRICS[metric]} < {format_rate(threshold)}")
            row["below_target"] = bool(missed)
            row["below_target_label"] = "; ".join(str(m) for m in missed)
        return rows

    @cached_property
    def _children(self):
        if self.office is not None:
            return []
        return list(AdministrativeUnit.objects.filter(parent=self.unit))

    @cached_property
    def child_rows(self):
        """Return the child units (districts, or communes) with their figures."""
        if self.office is not None or self.unit.level == UnitLevel.COMMUNE:
            return []
        rows = self._grouped("child", parent_unit=self.unit)
        units = {u.pk: u for u in self._children}
        for row in rows:
            _augment(row)
            unit = units.get(row.get("unit_id"))
            row["kind_label"] = unit.get_level_display() if unit else ""
            row["url"] = self.unit_url(unit) if unit else None
            row["path"] = unit.path if unit else self.unit.path
        return self._mark_targets(rows, lambda r: r["path"])

    def _office_rows(self):
        rows = self._grouped("office")
        meta = {o.pk: o for o in self.offices.select_related("unit")}
        kinds = dict(OfficeKind.choices)
        for row in rows:
            _augment(row)
            office = meta.get(row.get("office_id"))
            row["kind_label"] = str(kinds.get(office.kind, "")) if office else ""
            row["url"] = self.office_url(office.code) if office else None
            row["path"] = office.unit.path if office else self.scope_unit.path
            row["unit_label"] = office.unit.name if office else ""
            row["unit_id"] = office.unit_id if office else None
        return self._mark_targets(rows, lambda r: r["path"])

    @cached_property
    def own_office_rows(self):
        """Return the offices attached to this unit itself (departments, service centre)."""
        if self.office is not None:
            return []
        return [r for r in self.office_rows if r.get("unit_id") == self.unit.pk]

    @cached_property
    def office_rows(self):
        """Return every office of the page with its figures."""
        if self.office is not None:
            return []
        return self._office_rows()

    @cached_property
    def unit_rows(self):
        return self.child_rows + self.own_office_rows

    @cached_property
    def late_office_rows(self):
        rows = [r for r in self.office_rows if (r.get("late_without_apology") or 0) > 0]
        return sorted(rows, key=lambda r: -r["late_without_apology"])

    @cached_property
    def month_rows(self):
        """Return the months of the period (a preset goes back ``TREND_MONTHS`` months).

        One grouped roll-up read per family for all months (``stats_grouped(group_by="month")``).
        """
        end = self.flt.end
        start = self.flt.start
        if self.flt.preset != "custom":
            start = min(start, _months_back(end, TREND_MONTHS))
        rows = self._grouped("month", name=f"month:{start}", start=start, end=end)
        for row in rows:
            _augment(row)
            key = str(row.get("key") or "")
            if len(key) == 7 and key[4] == "-":
                row["label"] = f"{key[5:7]}/{key[:4]}"
        return rows

    @cached_property
    def criterion_rows(self):
        return [
            {**criterion, "label": _criterion_label(criterion)}
            for criterion in self.summary.get("criteria") or []
        ]

    @cached_property
    def procedure_rows(self):
        rows = self._grouped("procedure")
        for row in rows:
            _augment(row)
            code = row.get("key")
            row["label"] = f"{code} – {row['label']}" if code else row["label"]
            if self.office is not None and code:
                row["url"] = self.procedure_url(self.office.code, code)
        return rows

    @cached_property
    def field_rows(self):
        return [_augment(row) for row in self._grouped("field")]

    @cached_property
    def officer_rows(self):
        if not self.may_see_officers:
            return []
        rows = self._grouped("officer")
        if self.scope.role == Role.OFFICE_STAFF:
            own = getattr(getattr(self.user, "officer", None), "pk", None)
            rows = [r for r in rows if r.get("officer_id") == own]
        for row in rows:
            _augment(row)
            if not row.get("officer_id"):
                row["label"] = _("(Chưa gắn công chức)")
        return sorted(rows, key=lambda r: (not r.get("officer_id"), r["label"]))

    # ----- bounded raw lists ------------------------------------------------------
    @cached_property
    def late_dossier_rows(self):
        """Return up to 50 late dossiers without an apology letter finished in the period."""
        dossiers = (
            Dossier.objects.filter(
                office__in=self.offices,
                outcome="late",
                apology_issued_at__isnull=True,
                finished_on__range=(self.flt.start, self.flt.end),
            )
            .select_related("office", "procedure")
            .order_by("-finished_on", "code")
        )
        if self.flt.procedure is not None:
            dossiers = dossiers.filter(procedure=self.flt.procedure)
        elif self.flt.field is not None:
            dossiers = dossiers.filter(procedure__field=self.flt.field)
        rows = []
        for d in dossiers[:LATE_DOSSIERS]:
            rows.append(
                {
                    "code": d.code,
                    "office": d.office.name,
                    "procedure": f"{d.procedure.code} – {d.procedure.name}",
                    "received_on": d.received_on,
                    "due_on": d.due_on,
                    "finished_on": d.finished_on,
                    "days_late": (d.finished_on - d.due_on).days if d.due_on else None,
                }
            )
        return rows

    @cached_property
    def follow_up_rows(self):
        """Return up to 50 open follow-ups, soonest due first."""
        now = timezone.now()
        follow_ups = (
            FollowUp.objects.filter(
                office__in=self.offices,
                status__in=[FollowUpStatus.OPEN, FollowUpStatus.ASSIGNED],
            )
            .select_related("office")
            .order_by("due_at")
        )
        if self.procedure is not None:
            follow_ups = follow_ups.filter(response__procedure=self.procedure)
        statuses = dict(FollowUpStatus.choices)
        return [
            {
                "office": f.office.name,
                "opened_on": timezone.localdate(f.opened_at),
                "due_on": timezone.localdate(f.due_at),
                "status": str(statuses.get(f.status, f.status)),
                "overdue": f.due_at < now,
                "reason": f.reason[:300],
            }
            for f in follow_ups[:OPEN_FOLLOW_UPS]
        ]

    @cached_property
    def comment_rows(self):
        """Return the 20 latest free-text answers of the period (flagged ones included, marked)."""
        answers = (
            Answer.objects.filter(
                response__office__in=self.offices,
                question__kind__in=[QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT],
                response__submitted_at__gte=_local_midnight(self.flt.start),
                response__submitted_at__lt=_local_midnight(self.flt.end, days=1),
            )
            .exclude(value_text="")
            .select_related("response__office", "question")
            .order_by("-response__submitted_at")
        )
        if self.flt.procedure is not None:
            answers = answers.filter(response__procedure=self.flt.procedure)
        language = (get_language() or "vi")[:2]
        return [
            {
                "submitted_on": timezone.localdate(a.response.submitted_at),
                "office": a.response.office.name,
                "question": (a.question.text_en if language == "en" else "") or a.question.text_vi,
                "text": a.value_text,
                "flagged": a.response.flagged,
            }
            for a in answers[:RECENT_COMMENTS]
        ]

    # ----- tables, blocks ------------------------------------------------------------
    def summary_rows(self):
        return [
            {
                "label": t["label"],
                "display": t["display"],
                "n_display": t["n_display"],
                "previous_display": t["previous_display"],
                "change_display": t["change_display"],
            }
            for t in self.tiles
        ]

    # export name -> the table spec it uses, when it is not the same name
    EXPORT_TABLES = {
        "offices": "units",
        "late_offices": "units",
        "own_offices": "rank_satisfaction",
    }

    def table_rows(self, name):
        """Return (Table, rows) of export ``name`` if this page shows it, else None."""
        providers = {
            "summary": self.summary_rows,
            "criteria": lambda: self.criterion_rows,
            "months": lambda: self.month_rows,
        }
        if self.office is None:
            providers["units"] = lambda: self.unit_rows
            providers["offices"] = lambda: self.office_rows
            providers["late_offices"] = lambda: self.late_office_rows
            providers["rank_satisfaction"] = lambda: self.child_rows
            providers["rank_on_time"] = lambda: self.child_rows
            providers["own_offices"] = lambda: self.own_office_rows
            providers["timeliness"] = lambda: self.unit_rows
        if self.has_details:
            providers["late_dossiers"] = lambda: self.late_dossier_rows
            providers["follow_ups"] = lambda: self.follow_up_rows
            providers["comments"] = lambda: self.comment_rows
            if self.procedure is None:
                providers["procedures"] = lambda: self.procedure_rows
                providers["fields"] = lambda: self.field_rows
        if self.office is not None and self.procedure is None and self.may_see_officers:
            providers["officers"] = lambda: self.officer_rows
        provider = providers.get(name)
        if provider is None:
            return None
        return TABLES[self.EXPORT_TABLES.get(name, name)], provider()

    def _block(self, block_id, title, export_name, rows, figure=None, **kwargs):
        csv_url, xlsx_url = self.export_urls(export_name)
        return Block(
            id=block_id,
            title=title,
            table=TABLES[self.EXPORT_TABLES.get(export_name, export_name)],
            rows=rows,
            figure=charts.figure_json(figure) if figure is not None else None,
            csv_url=csv_url,
            xlsx_url=xlsx_url,
            **kwargs,
        )

    @cached_property
    def blocks(self):
        blocks = []
        target_sat = self.targets.thresholds_for(self.scope_unit.path).get("satisfaction_rate")
        target_on_time = self.targets.thresholds_for(self.scope_unit.path).get("on_time_rate")
        if self.office is None and self.child_rows:
            children = self.child_rows
            child_name = (
                _("xã, phường")
                if self.unit.unit_set == "2025" or self.unit.level == "district"
                else _("quận, huyện")
            )
            blocks.append(
                self._block(
                    "rank-satisfaction",
                    _("Xếp hạng %(children)s theo tỷ lệ hài lòng") % {"children": child_name},
                    "rank_satisfaction",
                    children,
                    charts.rate_ranking(
                        [
                            _rank_row(r, "satisfaction_rate", "satisfaction_ci", "satisfaction_n")
                            for r in children
                        ],
                        title="",
                        metric_label=_("Tỷ lệ hài lòng"),
                        target=target_sat,
                    ),
                    sortable=True,
                )
            )
            blocks.append(
                self._block(
                    "rank-on-time",
                    _("Xếp hạng %(children)s theo tỷ lệ đúng hạn") % {"children": child_name},
                    "rank_on_time",
                    children,
                    charts.rate_ranking(
                        [_rank_row(r, "on_time_rate", "on_time_ci", "on_time_n") for r in children],
                        title="",
                        metric_label=_("Tỷ lệ đúng hạn"),
                        target=target_on_time,
                        colour=charts.COLOURS["on_time"],
                    ),
                    sortable=True,
                )
            )
        if self.office is None and self.own_office_rows:
            own = self.own_office_rows
            blocks.append(
                self._block(
                    "own-offices",
                    _("Sở, ban, ngành và Trung tâm Phục vụ hành chính công")
                    if self.unit.level == UnitLevel.PROVINCE
                    else _("Cơ quan trực thuộc %(unit)s") % {"unit": self.unit.name},
                    "own_offices",
                    own,
                    charts.rate_ranking(
                        [
                            _rank_row(r, "satisfaction_rate", "satisfaction_ci", "satisfaction_n")
                            for r in own
                        ],
                        title="",
                        metric_label=_("Tỷ lệ hài lòng"),
                        target=target_sat,
                    ),
                    sortable=True,
                )
            )
        blocks.append(
            self._block(
                "trend",
                _("Diễn biến theo tháng"),
                "months",
                self.month_rows,
                charts.monthly_trend(self.month_rows, title=""),
            )
        )
        blocks.append(
            self._block(
                "criteria",
                _("Tiêu chí, từ yếu nhất đến mạnh nhất"),
                "criteria",
                self.criterion_rows,
                charts.criteria_bars(self.criterion_rows, title=""),
            )
        )
        if self.office is None:
            stack_rows = self.unit_rows
            blocks.append(
                self._block(
                    "timeliness",
                    _("Trước hạn, đúng hạn, trễ hạn theo đơn vị"),
                    "timeliness",
                    stack_rows,
                    charts.timeliness_stacked(stack_rows, title=""),
                    wide=True,
                )
            )
            blocks.append(
                self._block(
                    "all-units",
                    _("Bảng số liệu các đơn vị"),
                    "units",
                    self.unit_rows,
                    sortable=True,
                    wide=True,
                )
            )
            blocks.append(
                self._block(
                    "late-offices",
                    _("Cơ quan có hồ sơ trễ hạn chưa xin lỗi"),
                    "late_offices",
                    self.late_office_rows,
                    sortable=True,
                    wide=True,
                )
            )
        if self.has_details and self.procedure is None:
            blocks.append(
                self._block(
                    "procedures",
                    _("Theo thủ tục"),
                    "procedures",
                    self.procedure_rows,
                    charts.timeliness_stacked(self.procedure_rows[:30], title="")
                    if self.procedure_rows
                    else None,
                    sortable=True,
                    wide=True,
                )
            )
            blocks.append(
                self._block(
                    "fields",
                    _("Theo lĩnh vực"),
                    "fields",
                    self.field_rows,
                    sortable=True,
                    wide=True,
                )
            )
        if self.office is not None and self.procedure is None and self.may_see_officers:
            blocks.append(
                self._block(
                    "officers",
                    _("Theo công chức"),
                    "officers",
                    self.officer_rows,
                    sortable=True,
                    wide=True,
                )
            )
        if self.has_details:
            blocks.append(
                self._block(
                    "late-dossiers",
                    _("Hồ sơ trễ hạn chưa có thư xin lỗi"),
                    "late_dossiers",
                    self.late_dossier_rows,
                    wide=True,
                    note=_("Tối đa %(n)s hồ sơ gần nhất.") % {"n": LATE_DOSSIERS},
                )
            )
            blocks.append(
                self._block(
                    "follow-ups",
                    _("Phản ánh, kiến nghị đang mở"),
                    "follow_ups",
                    self.follow_up_rows,
                    wide=True,
                )
            )
        return blocks

    def _weakest_criterion_of(self, child_row):
        """Return the weakest criterion of one child unit (one more roll-up read)."""
        unit = next((u for u in self._children if u.pk == child_row.get("unit_id")), None)
        if unit is None:
            return None
        offices = Office.objects.filter(
            unit__unit_set=unit.unit_set, unit__path__startswith=unit.path
        )
        figures = self._compute(f"unit:{unit.pk}", offices=offices, with_previous=False)
        criteria = [c for c in figures.get("criteria") or [] if c.get("rate") is not None]
        if not criteria:
            return None
        weakest = min(criteria, key=lambda c: c["rate"])
        return {**weakest, "label": _criterion_label(weakest)}

    @cached_property
    def findings(self):
        """Return short sentences answering: worst unit, weakest criterion, late without
        apology, better or worse than last period."""
        out = []
        ranked = [
            r
            for r in self.child_rows
            if r.get("satisfaction_rate") is not None and not r.get("small_sample")
        ]
        if ranked:
            worst = min(ranked, key=lambda r: r["satisfaction_rate"])
            out.append(
                _("Đơn vị có tỷ lệ hài lòng thấp nhất: %(name)s (%(rate)s, n = %(n)s).")
                % {
                    "name": worst["label"],
                    "rate": format_rate(worst["satisfaction_rate"]),
                    "n": format_number(worst.get("satisfaction_n")),
                }
            )
            weakest = self._weakest_criterion_of(worst)
            if weakest is not None:
                out.append(
                    _("Tiêu chí yếu nhất của %(unit)s: %(name)s (%(rate)s, n = %(n)s).")
                    % {
                        "unit": worst["label"],
                        "name": weakest["label"],
                        "rate": format_rate(weakest["rate"]),
                        "n": format_number(weakest["n"]),
                    }
                )
        criteria = [c for c in self.criterion_rows if c.get("rate") is not None]
        if criteria:
            weakest = min(criteria, key=lambda c: c["rate"])
            out.append(
                _("Tiêu chí yếu nhất: %(name)s (%(rate)s).")
                % {"name": weakest["label"], "rate": format_rate(weakest["rate"])}
            )
        late = self.summary.get("late_without_apology") or 0
        if late:
            out.append(_("%(n)s hồ sơ trễ hạn chưa có thư xin lỗi.") % {"n": format_number(late)})
        for tile in self.tiles[:2]:
            if tile["change"] is not None:
                direction = (
                    _("tăng")
                    if tile["change"] > 0
                    else _("giảm")
                    if tile["change"] < 0
                    else _("không đổi")
                )
                out.append(
                    _("%(label)s %(direction)s so với kỳ trước: %(before)s → %(now)s.")
                    % {
                        "label": tile["label"],
                        "direction": direction,
                        "before": tile["previous_display"],
                        "now": tile["display"],
                    }
                )
        below = [r["label"] for r in self.unit_rows if r.get("below_target")]
        if below:
            out.append(_("Dưới mục tiêu: %(names)s.") % {"names": ", ".join(below[:10])})
        return out


def _local_midnight(day, days=0):
    """Return the aware start of ``day`` (+ ``days``) in the portal's time zone."""
    moment = datetime.datetime.combine(day + datetime.timedelta(days=days), datetime.time())
    return timezone.make_aware(moment)


def _criterion_label(criterion):
    language = (get_language() or "vi")[:2]
    label = criterion.get("name_en") if language == "en" else None
    return label or criterion.get("name_vi") or criterion["code"]


def _months_back(end, months):
    """Return the first day of the month ``months - 1`` months before ``end``'s month."""
    year, month = end.year, end.month - (months - 1)
    while month < 1:
        year, month = year - 1, month + 12
    return datetime.date(year, month, 1)


def _augment(row):
    """Add the on-time rate's n and 95% interval (Decision 766 denominator) to ``row``."""
    if row is None or "finished" not in row:
        return row
    n = (row.get("finished") or 0) + (row.get("open_within") or 0) + (row.get("open_overdue") or 0)
    good = (row.get("early") or 0) + (row.get("on_time") or 0) + (row.get("open_within") or 0)
    interval = rates.wilson_interval(good, n) if n else None
    row["on_time_n"] = n
    row["on_time_ci"] = list(interval) if interval else None
    return row


def _rank_row(row, rate_key, ci_key, n_key):
    return {
        "label": row.get("label"),
        "rate": row.get(rate_key),
        "ci": row.get(ci_key),
        "n": row.get(n_key),
        "small_sample": row.get("small_sample", False),
        "below_target": row.get("below_target", False),
        "url": row.get("url"),
    }

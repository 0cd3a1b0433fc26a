"""``stats_refresh``: rebuild the roll-up rows of ``reports.models`` from the raw rows.

Each refresh is a set of *blocks*: a day range (or single day), optionally a
set of offices, and the families to rebuild (dossiers, survey answers,
complaints). A block deletes its roll-up rows and re-inserts them with one
``INSERT … SELECT … GROUP BY`` per table, inside one transaction that first
takes a database-wide lock (a PostgreSQL advisory lock; SQLite's IMMEDIATE
transactions serialize writers by themselves). Two refreshes running at once
therefore run their blocks one after the other and a block is always a pure
function of the raw rows: running it twice, or twice at once, gives the same
rows.

New survey responses are not rebuilt but added: database triggers queue
every response written (``reports.triggers``, ``ResponseChange``), the
roll-ups count every response except the queued new ones, and a refresh
claims the queue, adds the claimed responses' counts to the survey tables
(``_add_new_responses``) and deletes the claim in one transaction, so a
burst of ratings costs what the ratings cost, not what their days hold. A
counted response that changes or goes is queued with its old and new values
and its (office, day) blocks are rebuilt like any other.

The detail tables (office, day, procedure, channel) are computed from the raw
rows; the per-office tables are sums of the detail tables. The monthly tables
are sums of the per-office daily rows: a full refresh rebuilds them, any
other block takes its old daily rows out of them before rebuilding its days
and adds the new ones after (so a one-day block costs one day, not a month).
"""

import datetime
import logging
import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import (
    Count,
    DateField,
    F,
    FilteredRelation,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Value,
)
from django.db.models import Exists as _Exists
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from offices.models import Dossier
from portal.lib.periods import month_end
from reports import models as rm
from reports import swap
from surveys.models import Answer, FollowUp, Response

logger = logging.getLogger(__name__)

FAMILIES = ("dossier", "survey", "complaint")
# Rows changed up to this long before the previous run started are looked at
# again: a transaction that stamped updated_at earlier may have committed later.
WATERMARK_OVERLAP = datetime.timedelta(minutes=2)
ADVISORY_LOCK_KEY = 7660766  # any constant shared by every refresh
INCREMENTAL = "incremental"
# Above this many touched days in one family, refresh one range block instead.
MAX_DAY_BLOCKS = 31


class NextDay(Func):
    """Return the day after a date column, on PostgreSQL and SQLite."""

    output_field = DateField()

    def as_sql(self, compiler, conn, **extra):
        return super().as_sql(compiler, conn, template="(%(expressions)s + 1)", **extra)

    def as_sqlite(self, compiler, conn, **extra):
        return super().as_sql(compiler, conn, template="date(%(expressions)s, '+1 day')", **extra)


@dataclass(frozen=True)
class Block:
    """Roll-up rows to rebuild: days [start, end] (None = unbounded) of ``offices`` (None = all)."""

    start: datetime.date | None
    end: datetime.date | None
    offices: frozenset[int] | None = None
    families: tuple[str, ...] = FAMILIES


def _local_bounds(start, end):
    """Return aware datetimes [start 00:00, end + 1 00:00) in the local time zone."""
    tz = timezone.get_current_timezone()
    lo = (
        timezone.make_aware(datetime.datetime.combine(start, datetime.time()), tz)
        if start
        else None
    )
    hi = (
        timezone.make_aware(
            datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time()), tz
        )
        if end
        else None
    )
    return lo, hi


def _range_q(block, *, date_field=None, datetime_field=None, shift=0):
    """Return a Q for ``block``'s days on a date or (local) datetime column.

    ``shift`` = 1 means the key day is the column's day + 1.
    """
    q = Q()
    if date_field:
        if block.start:
            q &= Q(**{f"{date_field}__gte": block.start - datetime.timedelta(days=shift)})
        if block.end:
            q &= Q(**{f"{date_field}__lte": block.end - datetime.timedelta(days=shift)})
    if datetime_field:
        lo, hi = _local_bounds(block.start, block.end)
        if lo:
            q &= Q(**{f"{datetime_field}__gte": lo})
        if hi:
            q &= Q(**{f"{datetime_field}__lt": hi})
    return q


def _office_q(block, field="office_id"):
    return Q(**{f"{field}__in": sorted(block.offices)}) if block.offices is not None else Q()


def _local_day(field):
    return TruncDate(field, tzinfo=timezone.get_current_timezone())


# Count columns of each family, in the order of the roll-up models.
DOSSIER_COLS = [
    "received",
    "excluded",
    "finished",
    "early",
    "on_time",
    "late",
    "late_without_apology",
    "evaluated",
    "evaluated_flagged",
    "negative",
    "negative_flagged",
    "within_in",
    "within_out",
    "overdue_in",
    "overdue_out",
]
RESPONSE_COLS = ["responses", "responses_flagged"]
ANSWER_COLS = (
    [f"n_level_{level}" for level in rm.ANSWER_LEVELS]
    + ["valid", "satisfied"]
    + [f"n_level_{level}_flagged" for level in rm.ANSWER_LEVELS]
    + ["valid_flagged", "satisfied_flagged"]
)
COMPLAINT_COLS = ["complaints", "answered_on_time", "answered_late", "unanswered"]


def _arm(qs, keys, counts, cols):
    """Return ``qs`` grouped by ``keys`` with one ``c_<col>`` column per count (0 when absent)."""
    zero = Value(0, output_field=IntegerField())
    annotations = {f"c_{c}": counts.get(c, zero) for c in cols}
    return qs.order_by().values(**keys).annotate(**annotations)


def _not_excluded():
    return ~Q(status__in=Dossier.EXCLUDED_STATUSES)


DOSSIER_KEYS = {"k_office": F("office_id"), "k_proc": F("procedure_id"), "k_channel": F("channel")}


def _queued_new(path):
    """Return the relation to the queue's "new" row of the response at ``path``, if any."""
    return FilteredRelation(path, condition=Q(**{f"{path}__kind": rm.ResponseChange.NEW}))


def _rating_counts(answered):
    """Return the dossier counts a rating makes: evaluated and negative, clean and flagged.

    ``answered``: the Q that says the dossier's rating is to be counted.
    """
    unflagged = answered & Q(response__flagged=False)
    flagged = answered & Q(response__flagged=True)
    complaint_or_negative = Q(response__follow_up__isnull=False) | Q(
        _Exists(Answer.objects.filter(response_id=OuterRef("response__pk"), satisfied=False))
    )
    return {
        "evaluated": Count("pk", filter=unflagged),
        "evaluated_flagged": Count("pk", filter=flagged),
        "negative": Count("pk", filter=unflagged & complaint_or_negative),
        "negative_flagged": Count("pk", filter=flagged & complaint_or_negative),
    }


def _rating_arm(batch):
    """Return the dossier detail counts that ``batch``'s new responses add: their ratings.

    Keyed like the finished arm of ``_dossier_arms`` (finished day), for the
    finished, counted dossiers those responses rate.
    """
    claimed = rm.ResponseChange.objects.filter(kind=rm.ResponseChange.NEW, batch=batch)
    rated = Dossier.objects.filter(
        _not_excluded(),
        finished_on__isnull=False,
        response__pk__in=claimed.values("response_id"),
    )
    return _arm(
        rated,
        {**DOSSIER_KEYS, "k_day": F("finished_on")},
        _rating_counts(Q(response__isnull=False)),
        DOSSIER_COLS,
    )


def _dossier_arms(block):
    """Return the three querysets whose union gives the dossier detail rows of ``block``.

    Keyed by received day, finished day and due day + 1 (when an open
    dossier turns overdue).
    """
    base = Dossier.objects.filter(_office_q(block))
    keys = DOSSIER_KEYS
    ok = _not_excluded()
    not_finished_by_received = Q(finished_on__isnull=True) | Q(finished_on__gt=F("received_on"))
    # More than one request for extra papers makes a dossier late whatever the dates
    # (Dossier.finished_outcome), so such an open dossier is overdue from its first day.
    one_request = Q(supplement_requests__lte=1)
    can_be_within = one_request & Q(received_on__lte=F("due_on"))

    received = _arm(
        base.filter(_range_q(block, date_field="received_on", datetime_field="received_at")),
        {**keys, "k_day": F("received_on")},
        {
            "received": Count("pk", filter=ok),
            "excluded": Count("pk", filter=~ok),
            # Open on its own received day: within when not yet due, else overdue.
            "within_in": Count("pk", filter=ok & not_finished_by_received & can_be_within),
            "overdue_in": Count("pk", filter=ok & not_finished_by_received & ~can_be_within),
        },
        DOSSIER_COLS,
    )

    finished = _arm(
        # A rating still queued as new is left out: the delta adds it (_rating_arm).
        base.alias(queued_new=_queued_new("response__queued"))
        .filter(ok, finished_on__isnull=False)
        .filter(_range_q(block, date_field="finished_on", datetime_field="finished_at")),
        {**keys, "k_day": F("finished_on")},
        {
            "finished": Count("pk"),
            "early": Count("pk", filter=Q(outcome="early")),
            "on_time": Count("pk", filter=Q(outcome="on_time")),
            "late": Count("pk", filter=Q(outcome="late")),
            "late_without_apology": Count(
                "pk", filter=Q(outcome="late", apology_issued_at__isnull=True)
            ),
            **_rating_counts(Q(response__isnull=False, queued_new__isnull=True)),
            # Within-deadline interval ends on the finished day when it came first.
            "within_out": Count(
                "pk",
                filter=one_request
                & Q(finished_on__gt=F("received_on"), finished_on__lte=F("due_on")),
            ),
            # Overdue interval [max(received, due + 1), finished − 1] ends here when not empty.
            "overdue_out": Count(
                "pk",
                filter=Q(finished_on__gt=F("received_on"))
                & (~one_request | Q(finished_on__gt=NextDay(F("due_on")))),
            ),
        },
        DOSSIER_COLS,
    )

    still_open_after_due = Q(finished_on__isnull=True) | Q(finished_on__gt=F("due_on"))
    due = _arm(
        base.filter(ok, can_be_within)
        .filter(still_open_after_due)
        .filter(_range_q(block, date_field="due_on", shift=1)),
        {**keys, "k_day": NextDay(F("due_on"))},
        {
            "within_out": Count("pk"),
            "overdue_in": Count(
                "pk",
                filter=Q(finished_on__isnull=True) | Q(finished_on__gt=NextDay(F("due_on"))),
            ),
        },
        DOSSIER_COLS,
    )
    return [received, finished, due]


def _counted(batch=None, response="pk"):
    """Return a Q on the responses the survey roll-ups count (``response``: their id's path).

    ``batch=None``: every response but the new ones still queued (their counts are
    added by a later delta, ``_add_new_responses``). Else only the new responses
    that refresh claimed as ``batch``.
    """
    new = rm.ResponseChange.objects.filter(kind=rm.ResponseChange.NEW)
    if batch is None:
        return ~Q(_Exists(new.filter(response_id=OuterRef(response))))
    return Q(**{f"{response}__in": new.filter(batch=batch).values("response_id")})


def _response_arms(block, batch=None):
    """Return the queryset of the response detail rows of ``block`` (one arm).

    ``batch``: only the new responses of that claim (``_counted``).
    """
    responses = Response.objects.filter(
        _office_q(block), _range_q(block, datetime_field="submitted_at"), _counted(batch)
    )
    response_arm = _arm(
        responses,
        {
            "k_office": F("office_id"),
            "k_day": _local_day("submitted_at"),
            "k_proc": Coalesce("procedure_id", 0),
            "k_channel": F("channel"),
        },
        {
            "responses": Count("pk", filter=Q(flagged=False)),
            "responses_flagged": Count("pk", filter=Q(flagged=True)),
        },
        RESPONSE_COLS,
    )
    return [response_arm]


def _answer_arms(block, batch=None):
    """Return the queryset of the answer detail rows of ``block`` (one arm).

    ``batch``: only the answers of that claim's new responses (``_counted``).
    """
    answers = Answer.objects.filter(
        _office_q(block, "response__office_id"),
        _range_q(block, datetime_field="response__submitted_at"),
        _counted(batch, "response_id"),
        value_int__in=rm.ANSWER_LEVELS,
    )
    clean, dirty = Q(response__flagged=False), Q(response__flagged=True)
    valid = Q(satisfied__isnull=False)
    answer_arm = _arm(
        answers,
        {
            "k_office": F("response__office_id"),
            "k_day": _local_day("response__submitted_at"),
            "k_proc": Coalesce("response__procedure_id", 0),
            "k_channel": F("response__channel"),
            "k_question": F("question_id"),
        },
        {
            **{
                f"n_level_{level}": Count("pk", filter=clean & Q(value_int=level))
                for level in rm.ANSWER_LEVELS
            },
            "valid": Count("pk", filter=clean & valid),
            "satisfied": Count("pk", filter=clean & Q(satisfied=True)),
            **{
                f"n_level_{level}_flagged": Count("pk", filter=dirty & Q(value_int=level))
                for level in rm.ANSWER_LEVELS
            },
            "valid_flagged": Count("pk", filter=dirty & valid),
            "satisfied_flagged": Count("pk", filter=dirty & Q(satisfied=True)),
        },
        ANSWER_COLS,
    )
    return [answer_arm]


def _complaint_arms(block):
    """Return the queryset of the complaint detail rows of ``block`` (one arm)."""
    qs = FollowUp.objects.filter(_office_q(block), _range_q(block, datetime_field="opened_at"))
    complaint_arm = _arm(
        qs,
        {
            "k_office": F("office_id"),
            "k_day": _local_day("opened_at"),
            "k_due": _local_day("due_at"),
            "k_proc": Coalesce("response__procedure_id", 0),
            "k_channel": Coalesce("response__channel", Value("")),
        },
        {
            "complaints": Count("pk"),
            "answered_on_time": Count(
                "pk", filter=Q(replied_at__isnull=False, replied_at__lte=F("due_at"))
            ),
            "answered_late": Count(
                "pk", filter=Q(replied_at__isnull=False, replied_at__gt=F("due_at"))
            ),
            "unanswered": Count("pk", filter=Q(replied_at__isnull=True)),
        },
        COMPLAINT_COLS,
    )
    return [complaint_arm]


def _sql(qs):
    return qs.query.get_compiler(using=qs.db).as_sql()


def _q(name):
    return connection.ops.quote_name(name)


def _union_select(arms, key_cols, cols):
    """Return (SELECT, params): the per-key sums of the UNION ALL of ``arms``.

    ``key_cols`` maps the target key column to the arms' key alias; the
    SELECT names its columns as the target's. One arm is already grouped by
    these keys: it is read as it is, without a second aggregation.
    """
    parts, params = [], []
    for arm in arms:
        sql, p = _sql(arm)
        parts.append(sql)
        params.extend(p)
    union = " UNION ALL ".join(parts)
    keys = ", ".join(_q(a) for a in key_cols.values())
    named_keys = ", ".join(f"{_q(a)} AS {_q(k)}" for k, a in key_cols.items())
    if len(arms) == 1:
        counts = ", ".join(f"{_q('c_' + c)} AS {_q(c)}" for c in cols)
        return f"SELECT {named_keys}, {counts} FROM ({union}) u", params
    counts = ", ".join(f"SUM({_q('c_' + c)}) AS {_q(c)}" for c in cols)
    return f"SELECT {named_keys}, {counts} FROM ({union}) u GROUP BY {keys}", params


def _insert_union(model, arms, key_cols, cols):
    """INSERT INTO ``model`` the per-key sums of the UNION ALL of ``arms`` (``_union_select``)."""
    select, params = _union_select(arms, key_cols, cols)
    target = ", ".join(_q(c) for c in [*key_cols, *cols])
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {_q(model._meta.db_table)} ({target}) {select}", params)
        return cursor.rowcount


def _day_where(start, end, offices, table=None):
    """Return (SQL condition, params) on a roll-up's ``day`` and ``office_id`` columns.

    ``start``/``end`` bound the days (None: open), ``offices`` the offices (None: all);
    ``table`` qualifies the columns (a statement joining another row source).
    """
    prefix = f"{_q(table)}." if table else ""
    where, params = ["1=1"], []
    if start:
        where.append(f"{prefix}{_q('day')} >= %s")
        params.append(start)
    if end:
        where.append(f"{prefix}{_q('day')} <= %s")
        params.append(end)
    if offices is not None:
        ids = sorted(offices)
        where.append(f"{prefix}{_q('office_id')} IN ({', '.join(['%s'] * len(ids))})")
        params.extend(ids)
    return " AND ".join(where), params


def _rollup_select(source, key_cols, cols, block):
    """Return (SELECT, params): the sums of table ``source``'s rows by ``key_cols`` in ``block``."""
    where, params = _day_where(block.start, block.end, block.offices)
    keys = ", ".join(_q(k) for k in key_cols)
    sums = ", ".join(f"SUM({_q(c)}) AS {_q(c)}" for c in cols)
    return f"SELECT {keys}, {sums} FROM {_q(source)} WHERE {where} GROUP BY {keys}", params


def _insert_rollup_from_detail(model, detail, key_cols, cols, block):
    """INSERT INTO ``model`` the sums of ``detail`` rows over procedure and channel."""
    select, params = _rollup_select(detail._meta.db_table, key_cols, cols, block)
    keys = ", ".join(_q(k) for k in key_cols)
    sql = (
        f"INSERT INTO {_q(model._meta.db_table)} ({keys}, {', '.join(_q(c) for c in cols)}) "
        # In key order, so one office's days sit on neighbouring pages: a read of a
        # province-year touches a few pages per office instead of one per row.
        f"{select} ORDER BY {keys}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _month_start_sql(column):
    if connection.vendor == "sqlite":
        return f"date({column}, 'start of month')"
    return f"date_trunc('month', {column})::date"


@dataclass(frozen=True)
class MonthSpec:
    """A monthly roll-up: the sums of ``day_model`` rows by ``keys`` and calendar month."""

    model: type
    day_model: type
    keys: tuple[str, ...]
    cols: tuple[str, ...]

    def sums_sql(self, block, source=None):
        """Return (SELECT of the block's daily rows summed by keys and month, params).

        ``source`` reads another table than the daily model's (a full rebuild's new one).
        """
        where, params = _day_where(block.start, block.end, block.offices)
        keys = ", ".join(_q(k) for k in self.keys)
        sums = ", ".join(f"SUM({_q(c)}) AS {_q('s_' + c)}" for c in self.cols)
        month = _month_start_sql(_q("day"))
        table = _q(source or self.day_model._meta.db_table)
        return (
            f"SELECT {keys}, {month} AS {_q('s_month')}, {sums} "
            f"FROM {table} WHERE {where} GROUP BY {keys}, {month}",
            params,
        )


MONTHS = {
    "dossier": [MonthSpec(rm.DossierMonth, rm.DossierDay, ("office_id",), tuple(DOSSIER_COLS))],
    "survey": [
        MonthSpec(rm.ResponseMonth, rm.ResponseDay, ("office_id",), tuple(RESPONSE_COLS)),
        MonthSpec(rm.AnswerMonth, rm.AnswerDay, ("office_id", "question_id"), tuple(ANSWER_COLS)),
    ],
    "complaint": [],
}


def _months_rebuild(spec: MonthSpec) -> int:
    """Rebuild every monthly row of ``spec`` from the daily rows (a full refresh)."""
    table, keys = _q(spec.model._meta.db_table), ", ".join(_q(k) for k in spec.keys)
    sql, params = spec.sums_sql(Block(start=None, end=None))
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")
        cursor.execute(
            f"INSERT INTO {table} ({keys}, {_q('day')}, {', '.join(_q(c) for c in spec.cols)}) "
            f"{sql} ORDER BY {', '.join(_q(k) for k in spec.keys)}, {_q('s_month')}",
            params,
        )
        return cursor.rowcount


def _block_months(block: Block, table=None):
    """Return (SQL condition, params) on the monthly rows of the months and offices of ``block``."""
    return _day_where(
        block.start.replace(day=1) if block.start else None,
        month_end(block.end) if block.end else None,
        block.offices,
        table,
    )


def _months_subtract(spec: MonthSpec, block: Block):
    """Take the block's daily rows (about to be rebuilt) out of the monthly sums."""
    sql, params = spec.sums_sql(block)
    table = _q(spec.model._meta.db_table)
    sets = ", ".join(f"{_q(c)} = {_q(c)} - d.{_q('s_' + c)}" for c in spec.cols)
    match = " AND ".join(
        [f"{table}.{_q(k)} = d.{_q(k)}" for k in spec.keys]
        + [f"{table}.{_q('day')} = d.{_q('s_month')}"]
    )
    # The same rows named on the monthly table too: its index finds them, where the
    # join alone made PostgreSQL read the whole table (3 s a block at 1.4 M rows).
    months, months_params = _block_months(block, spec.model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {sets} FROM ({sql}) d WHERE {match} AND {months}",
            params + months_params,
        )


def _months_add(spec: MonthSpec, block: Block) -> int:
    """Add the block's rebuilt daily rows to the monthly sums; drop rows left at zero."""
    sql, params = spec.sums_sql(block)
    written = _upsert_sums(spec.model, (*spec.keys, "day"), spec.cols, sql, params)
    table = _q(spec.model._meta.db_table)
    # The calendar months the block's days fall in.
    where, where_params = _block_months(block)
    all_zero = " AND ".join(f"{_q(c)} = 0" for c in spec.cols)
    with connection.cursor() as cursor:
        # A month whose rows all went (an edited or deleted record) keeps no zero row,
        # so an incremental run leaves the same rows as a full one.
        cursor.execute(f"DELETE FROM {table} WHERE {where} AND {all_zero}", where_params)
    return written


def _delete(model, block):
    qs = model.objects.all()
    if block.start:
        qs = qs.filter(day__gte=block.start)
    if block.end:
        qs = qs.filter(day__lte=block.end)
    if block.offices is not None:
        qs = qs.filter(office_id__in=sorted(block.offices))
    qs._raw_delete(qs.db)


def _lock():
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])


DETAIL_KEYS = {
    "office_id": "k_office",
    "day": "k_day",
    "procedure_id": "k_proc",
    "channel": "k_channel",
}


@dataclass(frozen=True)
class Grain:
    """A detail table computed from the raw rows and the per-office table summed from it."""

    detail: type
    day: type
    arms: object  # block -> the querysets whose union gives the detail rows (_*_arms)
    detail_keys: dict  # detail column -> arm alias
    day_keys: tuple[str, ...]
    cols: tuple[str, ...]


GRAINS = {
    "dossier": [
        Grain(
            rm.DossierDayDetail,
            rm.DossierDay,
            _dossier_arms,
            DETAIL_KEYS,
            ("office_id", "day"),
            tuple(DOSSIER_COLS),
        )
    ],
    "survey": [
        Grain(
            rm.ResponseDayDetail,
            rm.ResponseDay,
            _response_arms,
            DETAIL_KEYS,
            ("office_id", "day"),
            tuple(RESPONSE_COLS),
        ),
        Grain(
            rm.AnswerDayDetail,
            rm.AnswerDay,
            _answer_arms,
            {**DETAIL_KEYS, "question_id": "k_question"},
            ("office_id", "day", "question_id"),
            tuple(ANSWER_COLS),
        ),
    ],
    "complaint": [
        Grain(
            rm.ComplaintDayDetail,
            rm.ComplaintDay,
            _complaint_arms,
            {
                "office_id": "k_office",
                "day": "k_day",
                "due_on": "k_due",
                "procedure_id": "k_proc",
                "channel": "k_channel",
            },
            ("office_id", "day", "due_on"),
            tuple(COMPLAINT_COLS),
        )
    ],
}


def _refresh_block(block: Block) -> int:
    """Rebuild the roll-up rows of ``block`` in one locked transaction; return rows written."""
    if block.offices is not None and not block.offices:
        return 0
    full = block.start is None and block.end is None and block.offices is None
    with transaction.atomic():
        _lock()
        if full and "survey" in block.families:
            # Every queued new response is counted by this rebuild; one committed
            # after this statement stays queued and the rebuild leaves it out.
            queue = rm.ResponseChange.objects.all()
            queue._raw_delete(queue.db)
        if full and connection.vendor == "postgresql":
            return _rebuild_swapped(block.families)
        written = 0
        if not full:
            for family in block.families:
                for spec in MONTHS[family]:
                    _months_subtract(spec, block)
        for family in block.families:
            for grain in GRAINS[family]:
                _delete(grain.detail, block)
                _delete(grain.day, block)
                written += _insert_union(
                    grain.detail, grain.arms(block), grain.detail_keys, grain.cols
                )
                written += _insert_rollup_from_detail(
                    grain.day, grain.detail, grain.day_keys, grain.cols, block
                )
        for family in block.families:
            for spec in MONTHS[family]:
                written += _months_rebuild(spec) if full else _months_add(spec, block)
    return written


def _rebuild_swapped(families) -> int:
    """Full rebuild on PostgreSQL: build every table of ``families`` anew, then swap them in.

    See ``reports.swap``: the aggregations may run on parallel workers, each
    index is built once over finished rows, and readers keep the old rows
    until the commit. Every table is written in key order (ids too), so one
    office's rows share pages.
    """
    everything = Block(start=None, end=None)
    shapes, written = [], 0

    def build(model, sql, params, columns, order_by=()):
        """Build ``model``'s new table and give it its keys and indexes at once."""
        nonlocal written
        t0 = time.monotonic()
        shape, rows = swap.build(model._meta.db_table, sql, params, columns, order_by=order_by)
        t1 = time.monotonic()
        swap.finish(shape)
        logger.info(
            "full rebuild: %s, %d rows, %.1f s + keys and indexes %.1f s",
            shape.table,
            rows,
            t1 - t0,
            time.monotonic() - t1,
        )
        shapes.append(shape)
        written += rows

    with connection.cursor() as cursor:
        # No hash table of millions of groups spilled to disk (AnswerDay on 10 M
        # responses: 57 s instead of 82 s). For this transaction only.
        cursor.execute("SET LOCAL enable_hashagg = off")

    def same_names(keys, cols):
        """Columns read as the SELECT names them, rows in ``keys`` order."""
        return {c: f"s.{_q(c)}" for c in [*keys, *cols]}, [f"s.{_q(k)}" for k in keys]

    for family in families:
        for grain in GRAINS[family]:
            sql, params = _union_select(grain.arms(everything), grain.detail_keys, grain.cols)
            # Key order: one office's days share pages (reads and day blocks touch a
            # few pages per office), and measured faster to build: PostgreSQL then
            # aggregates by sorting and the indexes are built from sorted rows.
            build(grain.detail, sql, params, *same_names(grain.detail_keys, grain.cols))
            source = grain.detail._meta.db_table + swap.SUFFIX
            sql, params = _rollup_select(source, grain.day_keys, grain.cols, everything)
            with _along_the_key():
                build(grain.day, sql, params, *same_names(grain.day_keys, grain.cols))
        for spec in MONTHS[family]:
            source = spec.day_model._meta.db_table + swap.SUFFIX
            sql, params = spec.sums_sql(everything, source=source)
            with _along_the_key():
                build(
                    spec.model,
                    sql,
                    params,
                    {
                        **{k: f"s.{_q(k)}" for k in spec.keys},
                        "day": f"s.{_q('s_month')}",
                        **{c: f"s.{_q('s_' + c)}" for c in spec.cols},
                    },
                    order_by=[*(f"s.{_q(k)}" for k in spec.keys), f"s.{_q('s_month')}"],
                )
    t0 = time.monotonic()
    swap.swap(shapes)
    logger.info("full rebuild: swap (old tables dropped), %.1f s", time.monotonic() - t0)
    return written


@contextmanager
def _along_the_key():
    """Sum a new table along its unique key: one process, no full sort (PostgreSQL).

    The per-office and monthly tables are sums of a table just built and
    given its keys, by a prefix of its unique key (office, day, …). Reading
    that index in order and sorting only within each (office, day) group
    (an incremental sort, or none) beats a parallel external sort of the
    whole table and the merge of the workers' output: AnswerDay from 27.9 M
    detail rows 71 s instead of 99 s on a loaded machine. Restores the
    planner settings after (they are the transaction's).
    """
    values = {"enable_sort": "off", "max_parallel_workers_per_gather": "0"}
    with connection.cursor() as cursor:
        old = {}
        for name, value in values.items():
            cursor.execute("SELECT current_setting(%s)", [name])
            old[name] = cursor.fetchone()[0]
            cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for name, value in old.items():
                cursor.execute("SELECT set_config(%s, %s, true)", [name, value])


ROLLUP_MODELS = (
    rm.DossierDay,
    rm.DossierDayDetail,
    rm.DossierMonth,
    rm.ResponseDay,
    rm.ResponseDayDetail,
    rm.ResponseMonth,
    rm.AnswerDay,
    rm.AnswerDayDetail,
    rm.AnswerMonth,
    rm.ComplaintDay,
    rm.ComplaintDayDetail,
)


def _analyze():
    """Refresh PostgreSQL's planner statistics of the roll-ups after a bulk rebuild.

    Measured: right after a full refresh (before autovacuum got to it) the
    per-procedure answer read of one office took 3 s on a seq scan instead of
    15 ms on the office index. ANALYZE samples, so it costs about a second.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in ROLLUP_MODELS:
            cursor.execute(f"ANALYZE {_q(model._meta.db_table)}")


def _touched_blocks(since: datetime.datetime, touched=None) -> list[Block]:
    """Return the blocks to rebuild: the (office, day) keys of rows changed after ``since``.

    Dossiers and complaints by their ``updated_at``; responses come from the
    change queue instead (``touched``, from ``_queued_touches``), where only a
    counted response that changed appears, not a new one. Grouped into runs
    of consecutive days per family (``_day_runs``); aggregated in SQL.
    """
    touched = defaultdict(set, touched or {})

    def add(family, office_id, day):
        if office_id is not None and day is not None:
            touched[(family, day)].add(office_id)

    if since is None:
        return _blocks_of(touched)

    changed_dossiers = (
        Dossier.objects.filter(updated_at__gt=since)
        .order_by()
        .values_list("office_id", "received_on", "finished_on", "due_on")
        .distinct()
    )
    for office_id, received_on, finished_on, due_on in changed_dossiers:
        add("dossier", office_id, received_on)
        add("dossier", office_id, finished_on)
        if due_on is not None:
            add("dossier", office_id, due_on + datetime.timedelta(days=1))

    changed_complaints = FollowUp.objects.filter(updated_at__gt=since).order_by()
    for office_id, day in changed_complaints.values_list(
        "office_id", _local_day("opened_at")
    ).distinct():
        add("complaint", office_id, day)
    for office_id, day in (
        changed_complaints.filter(response__dossier__finished_on__isnull=False)
        .values_list("response__dossier__office_id", "response__dossier__finished_on")
        .distinct()
    ):
        add("dossier", office_id, day)
    return _blocks_of(touched)


def _blocks_of(touched: dict) -> list[Block]:
    """Return the blocks of {(family, day): offices}: runs of consecutive days per family."""
    blocks = []
    for family in FAMILIES:
        days = {day: offices for (fam, day), offices in touched.items() if fam == family}
        runs = _day_runs(days)
        if len(runs) > MAX_DAY_BLOCKS:
            # Many scattered days (a bulk import): one range block over the union of
            # offices is a superset, so still exact, and far fewer statements.
            runs = [(min(days), max(days), frozenset().union(*days.values()))]
        blocks.extend(
            Block(start=start, end=end, offices=offices, families=(family,))
            for start, end, offices in runs
        )
    return blocks


def _claim_queue() -> int | None:
    """Mark every queued response change committed so far as this run's; return its batch.

    Rows committed later keep ``batch`` NULL and wait for the next run. Only
    one refresh runs at a time (``_lock``) and a claim is deleted in the same
    transaction, so outside a refresh every row is unclaimed. None: nothing queued.
    """
    batch = time.time_ns()
    claimed = rm.ResponseChange.objects.filter(batch__isnull=True).update(batch=batch)
    return batch if claimed else None


def _upsert_sums(model, key_cols, cols, select, params) -> int:
    """Add the counts of ``select`` (keys then counts, one row per key) to ``model``'s rows."""
    table = _q(model._meta.db_table)
    keys, counts = [_q(k) for k in key_cols], [_q(c) for c in cols]
    updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in counts)
    # "WHERE true" keeps SQLite from reading ON CONFLICT as a join's ON.
    sql = (
        f"INSERT INTO {table} ({', '.join(keys + counts)}) SELECT * FROM ({select}) d "
        f"WHERE true ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _add_new_responses(batch: int) -> int:
    """Add the counts of ``batch``'s new responses to the survey roll-ups; return rows written.

    A delta instead of a rebuild: the detail, per-office and monthly rows of
    these responses' keys get their counts added (rows they lack are
    inserted), each from one grouped read of just these responses (their
    answers, the dossiers they rate) by primary key, so the cost follows the
    new responses, not the days they fall on. Exact because the roll-ups count every response except
    the queued new ones (``_counted``) and the claim is deleted in the same
    transaction.
    """
    everything = Block(start=None, end=None)
    deltas = [(grain, grain.arms(everything, batch=batch)) for grain in GRAINS["survey"]]
    deltas += [(grain, [_rating_arm(batch)]) for grain in GRAINS["dossier"]]
    written = 0
    for grain, arms in deltas:
        detail, params = _union_select(arms, grain.detail_keys, grain.cols)
        written += _upsert_sums(grain.detail, grain.detail_keys, grain.cols, detail, params)
        sums = ", ".join(f"SUM({_q(c)}) AS {_q(c)}" for c in grain.cols)
        keys = ", ".join(_q(k) for k in grain.day_keys)
        day = f"SELECT {keys}, {sums} FROM ({detail}) t GROUP BY {keys}"
        written += _upsert_sums(grain.day, grain.day_keys, grain.cols, day, params)
        spec = next(m for specs in MONTHS.values() for m in specs if m.day_model is grain.day)
        keys = ", ".join(_q(k) for k in spec.keys)
        month = _month_start_sql(_q("day"))
        monthly = (
            f"SELECT {keys}, {month} AS {_q('day')}, {sums} "
            f"FROM ({detail}) t GROUP BY {keys}, {month}"
        )
        written += _upsert_sums(spec.model, (*spec.keys, "day"), spec.cols, monthly, params)
    return written


def _queued_touches(batch: int) -> dict:
    """Return {(family, day): offices} to rebuild for ``batch``'s queued response changes.

    A changed or deleted response: its survey day, old and new (the ``"t"``
    rows carry both), and its dossier's finished day, old and new (evaluated
    and negative counts). New responses need none: ``_add_new_responses``
    adds their ratings too.
    """
    touched = defaultdict(set)
    changed = rm.ResponseChange.objects.filter(
        batch=batch, kind=rm.ResponseChange.TOUCHED
    ).order_by()
    for office_id, day in changed.values_list("office_id", _local_day("submitted_at")).distinct():
        touched[("survey", day)].add(office_id)
    rated = changed.filter(dossier_id__isnull=False).values("dossier_id")
    for office_id, day in (
        Dossier.objects.filter(pk__in=rated, finished_on__isnull=False)
        .order_by()
        .values_list("office_id", "finished_on")
        .distinct()
    ):
        touched[("dossier", day)].add(office_id)
    return touched


def _refresh_incremental(since: datetime.datetime | None, also=()) -> tuple[int, int, int]:
    """Count the queued new responses, rebuild what changed; return (new, blocks, rows).

    ``since``: also rebuild what the dossiers and complaints changed after it
    touched (None: only the queued responses' blocks). ``also``: more blocks
    to rebuild (a ranged refresh). One locked transaction: the claim, the
    delta, the queue rows' deletion and the block rebuilds commit together or
    not at all.
    """
    with transaction.atomic():
        _lock()
        batch = _claim_queue()
        new = written = 0
        touched = {}
        if batch is not None:
            new = rm.ResponseChange.objects.filter(batch=batch, kind=rm.ResponseChange.NEW).count()
            written += _add_new_responses(batch)
            touched = _queued_touches(batch)
            claimed = rm.ResponseChange.objects.filter(batch=batch)
            claimed._raw_delete(claimed.db)
        blocks = [*_touched_blocks(since, touched), *also]
        written += sum(_refresh_block(b) for b in blocks)
    return new, len(blocks), written


def _day_runs(days: dict) -> list[tuple[datetime.date, datetime.date, frozenset]]:
    """Group touched days into runs of consecutive days: (first, last, union of offices).

    One block per run rather than per day: the offices of a run's days are
    mostly the same ones (new ratings land on today and the days before), and
    each block's statements cost about the same whether it spans one day or
    three. The union makes the block a superset of what changed, so still exact.
    """
    runs = []
    for day in sorted(days):
        if runs and day - runs[-1][1] <= datetime.timedelta(days=1):
            first, _last, offices = runs[-1]
            runs[-1] = (first, day, offices | frozenset(days[day]))
        else:
            runs.append((day, day, frozenset(days[day])))
    return runs


def _to_date(value):
    if isinstance(value, str):
        return datetime.date.fromisoformat(value[:10])
    return value


def stats_refresh(
    *,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    full: bool = False,
) -> dict:
    """Rebuild roll-ups and return a summary (mode, blocks, new responses, rows, seconds).

    * ``full=True``: every row, all days.
    * ``start``/``end``: the days in that range (either may be open-ended).
    * neither: the new responses' counts are added (``_add_new_responses``) and
      the (office, day) pairs of changed rows are rebuilt: dossiers and
      complaints changed since the previous incremental run, responses changed
      or deleted since they were counted (a full refresh on the first run).

    Deleted dossiers and complaints are not seen by the incremental run; the
    nightly re-check of the last 60 days (``reports.tasks.stats_refresh_recent``)
    catches them, as does any ranged or full refresh.
    """
    started = timezone.now()
    t0 = time.monotonic()
    state, _ = rm.RefreshState.objects.get_or_create(name=INCREMENTAL)
    new = 0
    if full or (start is None and end is None and state.watermark is None):
        mode = "full"
        n_blocks, written = 1, _refresh_block(Block(start=None, end=None))
    elif start is not None or end is not None:
        if start and end and end < start:
            raise ValueError(f"end {end} is before start {start}")
        mode = "range"
        # The queued responses first: the range's rebuild leaves out new ones not yet
        # counted, and outside the range only a delta adds them.
        new, n_blocks, written = _refresh_incremental(None, also=[Block(start=start, end=end)])
    else:
        mode = "incremental"
        new, n_blocks, written = _refresh_incremental(state.watermark - WATERMARK_OVERLAP)
    if mode != "incremental":
        t_analyze = time.monotonic()
        _analyze()
        logger.info("stats_refresh: ANALYZE of the roll-ups, %.1f s", time.monotonic() - t_analyze)
    seconds = time.monotonic() - t0

    updates = {"last_run_at": timezone.now(), "last_blocks": n_blocks, "last_seconds": seconds}
    if mode == "full":
        updates["last_full_at"] = started
    rm.RefreshState.objects.filter(pk=state.pk).update(**updates)
    if mode in ("full", "incremental"):
        # Only ever move the watermark forward (another run may have gone further).
        rm.RefreshState.objects.filter(pk=state.pk).filter(
            Q(watermark__isnull=True) | Q(watermark__lt=started)
        ).update(watermark=started)
    summary = {
        "mode": mode,
        "blocks": n_blocks,
        "new_responses": new,
        "rows": written,
        "seconds": round(seconds, 3),
    }
    logger.info("stats_refresh %s", summary)
    return summary

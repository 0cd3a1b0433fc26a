"""Statistics for dashboards and the API, read from the roll-ups (``reports.models``).

``stats_compute`` and ``stats_grouped`` are the contract the dashboards use.
Counts come from SQL sums over roll-up rows (``_rollup_counts``); the same
counts can be computed straight from the raw rows (``raw_counts``, used to
prove the roll-ups exact and for groupings the roll-ups do not keep, such as
officers); rates are then computed from the summed counts by
``portal.lib.rates`` — never by averaging rates.
"""

import datetime
from collections import defaultdict

from django.conf import settings
from django.db.models import Count, DateField, Exists, F, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from offices.models import AdministrativeUnit, Channel, Dossier, Field, Office, Procedure
from portal.lib import rates
from portal.lib.periods import Period, month_buckets, month_end, month_key
from reports import models as rm
from surveys.models import Answer, FollowUp, Question, Response, ResponseChannel

GROUP_BY = ("none", "child", "office", "month", "criterion", "procedure", "field", "officer")
PROXY_766_THRESHOLD = 0.9
PROXY_766_MAX_POINTS = 6

FLOW_COLS = [
    "received",
    "excluded",
    "finished",
    "early",
    "on_time",
    "late",
    "late_without_apology",
    "evaluated",
    "negative",
]
COUNT_KEYS = FLOW_COLS + [
    "open_within",
    "open_overdue",
    "responses",
    "responses_flagged",
    "complaints",
    "complaints_answered_on_time",
    "complaints_answered_late",
    "complaints_open",
    "complaints_overdue",
]


def min_answers_default() -> int:
    return int(getattr(settings, "STATS_MIN_ANSWERS", 30))


def _empty_answer() -> dict:
    """Counts of one question: answers per level (levels with none left out), valid, satisfied."""
    return {"levels": {}, "valid": 0, "satisfied": 0}


def _empty_counts() -> dict:
    counts = dict.fromkeys(COUNT_KEYS, 0)
    counts["answers"] = {}
    return counts


def _add_counts(into: dict, other: dict) -> dict:
    for key in COUNT_KEYS:
        into[key] += other[key]
    for qid, entry in other["answers"].items():
        mine = into["answers"].setdefault(qid, _empty_answer())
        for level, n in entry["levels"].items():
            mine["levels"][level] = mine["levels"].get(level, 0) + n
        mine["valid"] += entry["valid"]
        mine["satisfied"] += entry["satisfied"]
    return into


def _channel_scope(channel: str | None) -> tuple[str | None, str | None]:
    """Return (dossier channel, response channel) for a ``channel`` filter value.

    Dossier channels (direct, online, postal) filter dossier figures, response
    channels (link, qr, kiosk, paper, api) filter survey and complaint
    figures; the other family is then left unfiltered.
    """
    if channel is None or channel == "":
        return None, None
    if channel in Channel.values:
        return channel, None
    if channel in ResponseChannel.values:
        return None, channel
    raise ValueError(f"unknown channel {channel!r}")


def _procedure_ids(field: Field | None, procedure: Procedure | None):
    if procedure is not None:
        return [procedure.pk]
    if field is not None:
        return Procedure.objects.filter(field=field).values("pk")
    return None


def _group_key(group):
    """Return the roll-up expression a ``group`` groups by (None: no grouping)."""
    return {
        "office": F("office_id"),
        "procedure": F("procedure_id"),
        "month": TruncMonth("day", output_field=DateField()),
        None: None,
    }[group]


# --- counts from the roll-ups -------------------------------------------------


def _cover(start: datetime.date | None, end: datetime.date) -> tuple[Q | None, Q | None]:
    """Split the days [start, end] (start None: from the first day) between two grains.

    Return (monthly Q, daily Q) on the ``day`` column: the ``*Month`` rows
    the first Q selects (keyed by the month's first day) and the ``*Day``
    rows the second selects together hold each day of the range exactly
    once. Whole months come from the monthly table, the partial months at
    the edges from the daily one. A None Q selects nothing.
    """
    if start is not None and start > end:
        return None, None
    first = start
    if start is not None and start.day != 1:
        first = month_end(start) + datetime.timedelta(days=1)
    last = end if month_end(end) == end else end.replace(day=1) - datetime.timedelta(days=1)
    if first is not None and first > last:
        return None, Q(day__gte=start, day__lte=end)
    monthly = Q(day__lte=last.replace(day=1))
    if first is not None:
        monthly &= Q(day__gte=first)
    edges = []
    if start is not None and start < first:
        edges.append(Q(day__gte=start, day__lt=first))
    if end > last:
        edges.append(Q(day__gt=last, day__lte=end))
    daily = None
    for edge in edges:
        daily = edge if daily is None else daily | edge
    return monthly, daily


def _sources(day_model, month_model, detail_model, detail, *ranges):
    """Return [(model, Q per range)] whose rows cover each (start, end) of ``ranges`` once.

    Filtered reads use the detail table alone; unfiltered ones the monthly
    table for whole months and the daily table for the days at the edges.
    A source whose every Q is None is left out.
    """
    if detail:
        return [
            (
                detail_model,
                [
                    Q(day__lte=end) & (Q(day__gte=start) if start else Q())
                    if start is None or start <= end
                    else None
                    for start, end in ranges
                ],
            )
        ]
    covers = [_cover(start, end) for start, end in ranges]
    out = []
    for index, model in enumerate((month_model, day_model)):
        qs = [cover[index] for cover in covers]
        if any(q is not None for q in qs):
            out.append((model, qs))
    return out


def _any_of(qs):
    """Return the OR of the Qs that are not None."""
    out = None
    for q in qs:
        if q is not None:
            out = q if out is None else out | q
    return out


def _rollup_counts(
    *,
    offices: QuerySet,
    start: datetime.date,
    end: datetime.date,
    field=None,
    procedure=None,
    channel=None,
    include_flagged=False,
    group: str | None = None,
    today: datetime.date | None = None,
) -> dict:
    """Return {group key: counts} summed from the roll-ups (5 to 8 queries).

    ``group`` is None (one key, None), "office", "procedure" or "month" (key:
    the first day of the month; one key per calendar month of [start, end],
    each month's figures those of its part of the period). Open counts are
    the snapshot at the end of ``end`` (of each month for "month"), or today
    while that day is still to come: Σ over days ≤ it of interval starts −
    ends. Unfiltered reads take whole months from the monthly roll-ups and
    the partial months at the period's edges from the daily ones.
    """
    today = today or timezone.localdate()
    proc_ids = _procedure_ids(field, procedure)
    d_channel, r_channel = _channel_scope(channel)
    detail = proc_ids is not None or channel not in (None, "") or group == "procedure"
    key = _group_key(group)
    out: dict = defaultdict(_empty_counts)

    def norm(k):
        # Detail rows store "no procedure" as 0; the raw rows say None.
        return None if group == "procedure" and k == 0 else k

    def scoped(model, chan):
        qs = model.objects.filter(office_id__in=offices.values("pk"))
        if proc_ids is not None:
            qs = qs.filter(procedure_id__in=proc_ids)
        if chan is not None:
            qs = qs.filter(channel=chan)
        return qs.order_by()

    def grouped(parts, cols):
        """Sum ``cols`` over each (queryset, aggregates) of ``parts``, by group key."""
        merged: dict = {}
        for qs, aggs in parts:
            if key is None:
                rows = [{**qs.aggregate(**aggs), "gkey": None}]
            else:
                rows = qs.values(gkey=key).annotate(**aggs)
            for row in rows:
                into = merged.setdefault(norm(row["gkey"]), dict.fromkeys(cols, 0))
                for c in cols:
                    into[c] += row[c] or 0
        if key is None:
            merged.setdefault(None, dict.fromkeys(cols, 0))
        return [{**row, "_key": k} for k, row in merged.items()]

    def zero():
        # aggregate() takes aggregates only: a sum of nothing for a range this source lacks.
        return Coalesce(Sum(Value(0)), 0)

    # Dossiers: flows in [start, end], interval events up to the snapshot day.
    # A period that is not over yet judges its open dossiers today, not on a
    # future last day (the roll-ups already hold "turns overdue" events there).
    snapshot = min(end, today)
    flow_cols = [c for c in FLOW_COLS if c not in ("evaluated", "negative")]
    parts = []
    for model, (in_period, upto) in _sources(
        rm.DossierDay,
        rm.DossierMonth,
        rm.DossierDayDetail,
        detail,
        (start, end),
        (None, snapshot),
    ):
        aggs = {}
        for c in flow_cols + ["evaluated", "negative"]:
            if in_period is None:
                aggs[c] = zero()
                continue
            expr = F(c)
            if c in ("evaluated", "negative") and include_flagged:
                expr = F(c) + F(f"{c}_flagged")
            aggs[c] = Coalesce(Sum(expr, filter=in_period), 0)
        if upto is None:
            aggs["open_within"] = aggs["open_overdue"] = zero()
        else:
            aggs["open_within"] = Coalesce(Sum(F("within_in") - F("within_out"), filter=upto), 0)
            aggs["open_overdue"] = Coalesce(Sum(F("overdue_in") - F("overdue_out"), filter=upto), 0)
        parts.append((scoped(model, d_channel).filter(_any_of([in_period, upto])), aggs))
    rows = grouped(parts, FLOW_COLS + ["open_within", "open_overdue"])
    if group == "month":
        # Months before the period only carry interval events; each month's
        # snapshot is the running sum up to it (rows after today are not in it).
        first = start.replace(day=1)
        months = [b.start.replace(day=1) for b in month_buckets(start, end)]
        by_month = {row["_key"]: row for row in rows}
        within = overdue = 0
        for month in sorted(set(by_month) | set(months)):
            row = by_month.get(month)
            if row is not None:
                within += row["open_within"]
                overdue += row["open_overdue"]
            if month < first:
                continue
            counts = out[month]
            if row is not None:
                for c in FLOW_COLS:
                    counts[c] += row[c]
            counts["open_within"], counts["open_overdue"] = within, overdue
    else:
        for row in rows:
            counts = out[row["_key"]]
            for c in FLOW_COLS + ["open_within", "open_overdue"]:
                counts[c] += row[c]

    # Responses.
    sources = _sources(rm.ResponseDay, rm.ResponseMonth, rm.ResponseDayDetail, detail, (start, end))
    aggs = {
        "responses": Coalesce(Sum("responses"), 0),
        "responses_flagged": Coalesce(Sum("responses_flagged"), 0),
    }
    for row in grouped(
        [(scoped(model, r_channel).filter(q), aggs) for model, (q,) in sources],
        ["responses", "responses_flagged"],
    ):
        out[row["_key"]]["responses"] += row["responses"]
        out[row["_key"]]["responses_flagged"] += row["responses_flagged"]

    # Answers per question: levels are columns of one row per question.
    names = [f"n_level_{level}" for level in rm.ANSWER_LEVELS] + ["valid", "satisfied"]
    ans_aggs = {
        c: Coalesce(Sum(F(c) + F(f"{c}_flagged")) if include_flagged else Sum(c), 0) for c in names
    }
    for model, (q,) in _sources(
        rm.AnswerDay, rm.AnswerMonth, rm.AnswerDayDetail, detail, (start, end)
    ):
        qs = scoped(model, r_channel).filter(q)
        for row in qs.values("question_id", **({"gkey": key} if key else {})).annotate(**ans_aggs):
            levels = {lv: row[f"n_level_{lv}"] for lv in rm.ANSWER_LEVELS if row[f"n_level_{lv}"]}
            if not levels:
                continue  # only flagged answers to this question
            entry = out[norm(row["gkey"]) if key else None]["answers"].setdefault(
                row["question_id"], _empty_answer()
            )
            for lv, n in levels.items():
                entry["levels"][lv] = entry["levels"].get(lv, 0) + n
            entry["valid"] += row["valid"]
            entry["satisfied"] += row["satisfied"]

    # Complaints opened in the period (few rows: read from the daily tables).
    model = rm.ComplaintDayDetail if detail else rm.ComplaintDay
    complaint_aggs = {
        "complaints": Coalesce(Sum("complaints"), 0),
        "on_time": Coalesce(Sum("answered_on_time"), 0),
        "late": Coalesce(Sum("answered_late"), 0),
        "open": Coalesce(Sum("unanswered"), 0),
        "open_overdue": Coalesce(Sum("unanswered", filter=Q(due_on__lt=today)), 0),
    }
    for row in grouped(
        [(scoped(model, r_channel).filter(day__gte=start, day__lte=end), complaint_aggs)],
        list(complaint_aggs),
    ):
        counts = out[row["_key"]]
        counts["complaints"] += row["complaints"]
        counts["complaints_answered_on_time"] += row["on_time"]
        counts["complaints_answered_late"] += row["late"]
        counts["complaints_open"] += row["open"]
        counts["complaints_overdue"] += row["late"] + row["open_overdue"]
    if key is None:
        out[None]  # noqa: B018 - make sure the single key exists
    return dict(out)


# --- the same counts from the raw rows ---------------------------------------


def raw_counts(
    *,
    offices: QuerySet,
    start: datetime.date,
    end: datetime.date,
    field=None,
    procedure=None,
    channel=None,
    include_flagged=False,
    group: str | None = None,
    today: datetime.date | None = None,
) -> dict:
    """Return {group key: counts} computed directly from dossiers, responses and answers.

    The reference the roll-ups are proved against; also serves groupings the
    roll-ups do not keep ("officer"). Several aggregate queries over raw rows.
    """
    today = today or timezone.localdate()
    tz = timezone.get_current_timezone()
    lo = timezone.make_aware(datetime.datetime.combine(start, datetime.time()), tz)
    hi = timezone.make_aware(
        datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time()), tz
    )
    proc_ids = _procedure_ids(field, procedure)
    d_channel, r_channel = _channel_scope(channel)
    key = {"office": "office_id", "procedure": "procedure_id", "officer": "officer_id", None: None}[
        group
    ]
    out: dict = defaultdict(_empty_counts)

    def grouped(qs, key_field, **aggs):
        if key is None:
            return [{**qs.aggregate(**aggs), "_key": None}]
        rows = qs.order_by().values(k=F(key_field)).annotate(**aggs)
        return [{**row, "_key": row["k"]} for row in rows]

    dossiers = Dossier.objects.filter(office_id__in=offices.values("pk"))
    if proc_ids is not None:
        dossiers = dossiers.filter(procedure_id__in=proc_ids)
    if d_channel:
        dossiers = dossiers.filter(channel=d_channel)
    ok = ~Q(status__in=Dossier.EXCLUDED_STATUSES)
    received = Q(received_on__gte=start, received_on__lte=end)
    fin = ok & Q(finished_on__gte=start, finished_on__lte=end)
    rated = Q(response__isnull=False) & (Q() if include_flagged else Q(response__flagged=False))
    negative = Q(response__follow_up__isnull=False) | Q(
        Exists(Answer.objects.filter(response_id=OuterRef("response__pk"), satisfied=False))
    )
    snapshot = min(end, today)  # open dossiers of an unfinished period are judged today
    open_at_end = (
        ok
        & Q(received_on__lte=snapshot)
        & (Q(finished_on__isnull=True) | Q(finished_on__gt=snapshot))
    )
    within = open_at_end & Q(due_on__gte=snapshot, supplement_requests__lte=1)
    for row in grouped(
        dossiers,
        key,
        received=Count("pk", filter=ok & received),
        excluded=Count("pk", filter=~ok & received),
        finished=Count("pk", filter=fin),
        early=Count("pk", filter=fin & Q(outcome="early")),
        on_time=Count("pk", filter=fin & Q(outcome="on_time")),
        late=Count("pk", filter=fin & Q(outcome="late")),
        late_without_apology=Count(
            "pk", filter=fin & Q(outcome="late", apology_issued_at__isnull=True)
        ),
        evaluated=Count("pk", filter=fin & rated),
        negative=Count("pk", filter=fin & rated & negative),
        open_within=Count("pk", filter=within),
        open_all=Count("pk", filter=open_at_end),
    ):
        counts = out[row["_key"]]
        for c in FLOW_COLS + ["open_within"]:
            counts[c] += row[c]
        counts["open_overdue"] += row["open_all"] - row["open_within"]

    responses = Response.objects.filter(
        office_id__in=offices.values("pk"), submitted_at__gte=lo, submitted_at__lt=hi
    )
    if proc_ids is not None:
        responses = responses.filter(procedure_id__in=proc_ids)
    if r_channel:
        responses = responses.filter(channel=r_channel)
    for row in grouped(
        responses,
        key,
        responses=Count("pk", filter=Q(flagged=False)),
        responses_flagged=Count("pk", filter=Q(flagged=True)),
    ):
        out[row["_key"]]["responses"] += row["responses"]
        out[row["_key"]]["responses_flagged"] += row["responses_flagged"]

    answers = Answer.objects.filter(
        response__in=responses if include_flagged else responses.filter(flagged=False),
        value_int__in=rm.ANSWER_LEVELS,
    )
    fields = ["question_id", "value_int"] + ([f"response__{key}"] if key else [])
    for row in (
        answers.order_by()
        .values(*fields)
        .annotate(
            n=Count("pk"),
            valid=Count("pk", filter=Q(satisfied__isnull=False)),
            sat=Count("pk", filter=Q(satisfied=True)),
        )
    ):
        k = row[f"response__{key}"] if key else None
        entry = out[k]["answers"].setdefault(row["question_id"], _empty_answer())
        entry["levels"][row["value_int"]] = entry["levels"].get(row["value_int"], 0) + row["n"]
        entry["valid"] += row["valid"]
        entry["satisfied"] += row["sat"]

    complaints = FollowUp.objects.filter(
        office_id__in=offices.values("pk"), opened_at__gte=lo, opened_at__lt=hi
    )
    if proc_ids is not None:
        complaints = complaints.filter(response__procedure_id__in=proc_ids)
    if r_channel:
        complaints = complaints.filter(response__channel=r_channel)
    today_start = timezone.make_aware(datetime.datetime.combine(today, datetime.time()), tz)
    replied = Q(replied_at__isnull=False)
    for row in grouped(
        complaints,
        f"response__{key}" if key and key != "office_id" else key,
        complaints=Count("pk"),
        on_time=Count("pk", filter=replied & Q(replied_at__lte=F("due_at"))),
        late=Count("pk", filter=replied & Q(replied_at__gt=F("due_at"))),
        open=Count("pk", filter=~replied),
        open_overdue=Count("pk", filter=~replied & Q(due_at__lt=today_start)),
    ):
        counts = out[row["_key"]]
        counts["complaints"] += row["complaints"]
        counts["complaints_answered_on_time"] += row["on_time"]
        counts["complaints_answered_late"] += row["late"]
        counts["complaints_open"] += row["open"]
        counts["complaints_overdue"] += row["late"] + row["open_overdue"]
    if key is None:
        out[None]  # noqa: B018
    return dict(out)


# --- counts → figures ---------------------------------------------------------


def _questions_meta(question_ids) -> dict:
    rows = Question.objects.filter(pk__in=list(question_ids)).select_related("criterion")
    return {q.pk: q for q in rows}


def _ci(successes, n):
    interval = rates.wilson_interval(successes, n)
    return [round(interval[0], 6), round(interval[1], 6)] if interval else None


def _r(value):
    return round(value, 6) if value is not None else None


def figures_from_counts(counts: dict, *, meta: dict | None = None) -> dict:
    """Return the published figures (rates as fractions, n, intervals) for ``counts``.

    Pure arithmetic except for reading question metadata when ``meta`` is
    not given (one query).
    """
    answers = counts["answers"]
    meta = meta if meta is not None else _questions_meta(answers.keys())
    questions: dict[str, dict] = {}
    criteria: dict[str, dict] = {}
    pooled_valid = pooled_sat = 0
    for qid, answer in answers.items():
        q = meta.get(qid)
        if q is None:
            continue
        n, sat = answer["valid"], answer["satisfied"]
        entry = questions.setdefault(
            q.code,
            {
                "code": q.code,
                "text_vi": q.text_vi,
                "text_en": q.text_en,
                "criterion": q.criterion.code if q.criterion_id else None,
                "n": 0,
                "satisfied": 0,
                "levels": {},
            },
        )
        entry["n"] += n
        entry["satisfied"] += sat
        for level, count in answer["levels"].items():
            entry["levels"][level] = entry["levels"].get(level, 0) + count
        pooled_valid += n
        pooled_sat += sat
        if q.criterion_id and n:
            c = criteria.setdefault(
                q.criterion.code,
                {
                    "code": q.criterion.code,
                    "name_vi": q.criterion.name_vi,
                    "name_en": q.criterion.name_en,
                    "order": q.criterion.order,
                    "weight": float(q.criterion.weight),
                    "n": 0,
                    "satisfied": 0,
                },
            )
            c["n"] += n
            c["satisfied"] += sat
    question_list = []
    for entry in sorted(questions.values(), key=lambda e: e["code"]):
        entry["rate"] = _r(rates.safe_rate(entry["satisfied"], entry["n"]))
        entry["ci"] = _ci(entry["satisfied"], entry["n"])
        entry["levels"] = dict(sorted(entry["levels"].items()))
        question_list.append(entry)
    criterion_list = []
    for c in sorted(criteria.values(), key=lambda e: (e["order"], e["code"])):
        c["rate"] = _r(rates.safe_rate(c["satisfied"], c["n"]))
        c["ci"] = _ci(c["satisfied"], c["n"])
        criterion_list.append(c)

    method = getattr(settings, "STATS_SATISFACTION_METHOD", "mean")
    pooled = rates.safe_rate(pooled_sat, pooled_valid)
    if method == "pooled" or not criterion_list:
        overall = pooled
    else:
        overall = rates.combine_rates(
            [(rates.safe_rate(c["satisfied"], c["n"]), c["weight"]) for c in criterion_list],
            method=method,
        )
    on_time_rate = rates.on_time_rate_766(
        early=counts["early"],
        on_time=counts["on_time"],
        finished=counts["finished"],
        open_within=counts["open_within"],
        open_overdue=counts["open_overdue"],
    )
    proxy = rates.proxy_766(
        late=counts["late"], negative=counts["negative"], finished=counts["finished"]
    )
    decided = counts["complaints_answered_on_time"] + counts["complaints_overdue"]
    return {
        "responses": counts["responses"],
        "responses_flagged": counts["responses_flagged"],
        "satisfaction_rate": _r(overall),
        "satisfaction_n": pooled_valid,
        "satisfaction_ci": _ci(overall * pooled_valid, pooled_valid)
        if overall is not None
        else None,
        "satisfaction_rate_pooled": _r(pooled),
        "satisfaction_method": "pooled" if method == "pooled" or not criterion_list else method,
        "criteria": criterion_list,
        "questions": question_list,
        "received": counts["received"],
        "finished": counts["finished"],
        "early": counts["early"],
        "on_time": counts["on_time"],
        "late": counts["late"],
        "open_within": counts["open_within"],
        "open_overdue": counts["open_overdue"],
        "excluded": counts["excluded"],
        "on_time_rate": _r(on_time_rate),
        "on_time_rate_simple": _r(
            rates.safe_rate(counts["early"] + counts["on_time"], counts["finished"])
        ),
        "evaluated": counts["evaluated"],
        "evaluation_rate": _r(rates.safe_rate(counts["evaluated"], counts["finished"])),
        "negative": counts["negative"],
        "late_without_apology": counts["late_without_apology"],
        "apology_coverage": _r(
            rates.safe_rate(counts["late"] - counts["late_without_apology"], counts["late"])
        ),
        "complaints": counts["complaints"],
        "complaints_answered_on_time": counts["complaints_answered_on_time"],
        "complaints_open": counts["complaints_open"],
        "complaints_overdue": counts["complaints_overdue"],
        "complaint_on_time_rate": _r(
            rates.safe_rate(counts["complaints_answered_on_time"], decided)
        ),
        "proxy_766_rate": _r(proxy),
        "proxy_766_points": _r(
            rates.rate_to_points(
                proxy, threshold=PROXY_766_THRESHOLD, max_points=PROXY_766_MAX_POINTS
            )
        ),
    }


# --- the contract ---------------------------------------------------------------


def stats_compute(
    *,
    offices: QuerySet,
    start: datetime.date,
    end: datetime.date,
    field: Field | None = None,
    procedure: Procedure | None = None,
    channel: str | None = None,
    include_flagged: bool = False,
    with_previous: bool = True,
) -> dict:
    """Return every figure for ``offices`` over the days [start, end] (inclusive).

    Keys: responses, responses_flagged, satisfaction_rate (combination of
    criterion rates, ``STATS_SATISFACTION_METHOD``: mean by default),
    satisfaction_n, satisfaction_ci, satisfaction_rate_pooled (all satisfied
    answers / all valid answers), criteria, questions, received, finished,
    early, on_time, late, open_within, open_overdue, excluded, on_time_rate
    (Decision 766), on_time_rate_simple, evaluated, evaluation_rate,
    late_without_apology, apology_coverage, complaints,
    complaints_answered_on_time, complaints_open, complaints_overdue,
    complaint_on_time_rate, proxy_766_rate, proxy_766_points, period and
    previous (the same figures for the period of equal length just before,
    without nesting) or None. Rates are fractions or None when n is 0.
    Reads only roll-ups: about 5 aggregate queries per period.
    """
    period = Period(start, end)
    filters = {
        "field": field,
        "procedure": procedure,
        "channel": channel,
        "include_flagged": include_flagged,
    }
    counts = _rollup_counts(offices=offices, start=start, end=end, **filters)[None]
    result = figures_from_counts(counts)
    result["period"] = period.as_dict()
    result["previous"] = None
    if with_previous:
        prev = period.previous()
        prev_counts = _rollup_counts(offices=offices, start=prev.start, end=prev.end, **filters)[
            None
        ]
        result["previous"] = {**figures_from_counts(prev_counts), "period": prev.as_dict()}
    return result


def _rank(rows: list[dict], min_answers: int) -> list[dict]:
    eligible = [
        r for r in rows if r["satisfaction_n"] >= min_answers and r["satisfaction_rate"] is not None
    ]
    eligible.sort(key=lambda r: -r["satisfaction_rate"])
    rank, previous = 0, None
    for i, row in enumerate(eligible, start=1):
        if row["satisfaction_rate"] != previous:
            rank, previous = i, row["satisfaction_rate"]
        row["rank"], row["small_sample"] = rank, False
    for row in rows:
        if "rank" not in row:
            row["rank"], row["small_sample"] = None, True
    return rows


def stats_grouped(
    *,
    offices: QuerySet,
    start: datetime.date,
    end: datetime.date,
    group_by: str,
    parent_unit: AdministrativeUnit | None = None,
    min_answers: int | None = None,
    office_counts: dict | None = None,
    **filters,
) -> list[dict]:
    """Return one row of figures per group (stats_compute keys without previous).

    group_by: "child" (child units of ``parent_unit``; key "district:450"),
    "office" (key office code), "month" (key "2025-03"), "criterion",
    "procedure", "field", "officer" (from raw rows: the roll-ups keep no
    officer). ``office_counts`` (from ``stats_office_counts`` with the same
    offices, period and filters) saves the per-office read of "child" and
    "office" when the caller has it already. Each row has "key", "label",
    figures, "rank" (1-based by
    satisfaction_rate among rows with ≥ ``min_answers`` valid answers,
    default ``STATS_MIN_ANSWERS``) or "rank": None and "small_sample": True.
    """
    if group_by not in GROUP_BY or group_by == "none":
        raise ValueError(f"unknown group_by {group_by!r}")
    min_answers = min_answers_default() if min_answers is None else min_answers
    rows: list[dict] = []
    if group_by == "month":
        # One grouped read per roll-up family for every month at once.
        by_month = _rollup_counts(offices=offices, start=start, end=end, group="month", **filters)
        meta = _questions_meta({qid for c in by_month.values() for qid in c["answers"]})
        for bucket in month_buckets(start, end):
            counts = by_month.get(bucket.start.replace(day=1)) or _empty_counts()
            rows.append(
                {
                    "key": month_key(bucket.start),
                    "label": month_key(bucket.start),
                    "period": bucket.as_dict(),
                    **figures_from_counts(counts, meta=meta),
                }
            )
        return _rank(rows, min_answers)
    if group_by == "criterion":
        figures = figures_from_counts(
            _rollup_counts(offices=offices, start=start, end=end, **filters)[None]
        )
        for c in figures["criteria"]:
            rows.append(
                {
                    "key": c["code"],
                    "label": c["name_vi"],
                    "label_en": c["name_en"],
                    "satisfaction_rate": c["rate"],
                    "satisfaction_n": c["n"],
                    "satisfaction_ci": c["ci"],
                    "satisfied": c["satisfied"],
                }
            )
        return _rank(rows, min_answers)
    if group_by == "officer":
        by_key = raw_counts(offices=offices, start=start, end=end, group="officer", **filters)
    elif office_counts is not None and group_by in ("child", "office"):
        by_key = office_counts
    else:
        group = "procedure" if group_by in ("procedure", "field") else "office"
        by_key = _rollup_counts(offices=offices, start=start, end=end, group=group, **filters)
    meta = _questions_meta({qid for c in by_key.values() for qid in c["answers"]})

    if group_by == "office":
        for office in offices.select_related("unit").order_by("name"):
            counts = by_key.get(office.pk, _empty_counts())
            rows.append(
                {
                    "key": office.code,
                    "label": office.name,
                    "office_id": office.pk,
                    "kind": office.kind,
                    **figures_from_counts(counts, meta=meta),
                }
            )
    elif group_by == "child":
        if parent_unit is None:
            raise ValueError("group_by=child needs parent_unit")
        children = list(AdministrativeUnit.objects.filter(parent=parent_unit).order_by("path"))
        buckets = {c.pk: _empty_counts() for c in children}
        for office_id, path in offices.values_list("pk", "unit__path"):
            for child in children:
                if path.startswith(child.path) and office_id in by_key:
                    _add_counts(buckets[child.pk], by_key[office_id])
                    break
        for child in children:
            rows.append(
                {
                    "key": child.key,
                    "label": child.name,
                    "unit_id": child.pk,
                    **figures_from_counts(buckets[child.pk], meta=meta),
                }
            )
    elif group_by == "procedure":
        procs = Procedure.objects.in_bulk([k for k in by_key if k])
        for pid, counts in sorted(by_key.items(), key=lambda kv: str(kv[0])):
            proc = procs.get(pid)
            rows.append(
                {
                    "key": proc.code if proc else "",
                    "label": proc.name if proc else "",
                    "procedure_id": pid or None,
                    **figures_from_counts(counts, meta=meta),
                }
            )
    elif group_by == "field":
        procs = Procedure.objects.select_related("field").in_bulk([k for k in by_key if k])
        buckets: dict = defaultdict(_empty_counts)
        fields = {}
        for pid, counts in by_key.items():
            f = procs[pid].field if pid in procs else None
            fields[f.pk if f else None] = f
            _add_counts(buckets[f.pk if f else None], counts)
        for fid, counts in buckets.items():
            f = fields[fid]
            rows.append(
                {
                    "key": f.code if f else "",
                    "label": f.name if f else "",
                    "field_id": fid,
                    **figures_from_counts(counts, meta=meta),
                }
            )
    else:  # officer
        from offices.models import Officer

        officers = Officer.objects.in_bulk([k for k in by_key if k])
        for oid, counts in by_key.items():
            o = officers.get(oid)
            rows.append(
                {
                    "key": o.code if o else "",
                    "label": o.full_name if o else "",
                    "officer_id": oid,
                    **figures_from_counts(counts, meta=meta),
                }
            )
    return _rank(rows, min_answers)


def stats_office_counts(
    *,
    offices: QuerySet,
    start: datetime.date,
    end: datetime.date,
    field: Field | None = None,
    procedure: Procedure | None = None,
    channel: str | None = None,
    include_flagged: bool = False,
) -> dict:
    """Return {office id: counts} over [start, end] (5 to 8 roll-up queries).

    For ``stats_grouped(office_counts=...)``: a page showing both the child
    units and the offices sums the offices once.
    """
    return _rollup_counts(
        offices=offices,
        start=start,
        end=end,
        field=field,
        procedure=procedure,
        channel=channel,
        include_flagged=include_flagged,
        group="office",
    )


def offices_in_unit(*, unit: AdministrativeUnit) -> QuerySet:
    """Return the offices of ``unit`` and every unit below it."""
    return Office.objects.filter(unit__unit_set=unit.unit_set, unit__path__startswith=unit.path)

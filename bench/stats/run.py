"""Measure the stats engine on the generated data (see bench/stats/generate.py).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helper_d_bench \
        .venv/bin/python -m bench.stats.run [--requests 50]

1. full refresh vs the same GROUP BY run as a plain SELECT (no writes);
   generate the data with ``bench.stats.generate`` (10 % full SIPAS responses);
2. incremental refresh after 10,000 new responses (with answers): once right
   after the full refresh, then (the writes of the rebuild settled) twice without
   a dossier and once rating the 10,000 most recently finished unrated dossiers;
3. GET /api/v1/stats/ for a province over 12 months (p50/p95) vs the same
   figures computed from the raw rows at request time.
"""

import argparse
import datetime as dt
import os
import statistics
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django.setup()

import numpy as np  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.stats.generate import _copy  # noqa: E402
from offices.models import AdministrativeUnit, Dossier  # noqa: E402
from reports import models as rm  # noqa: E402
from reports import services as s  # noqa: E402
from reports.selectors import _rollup_counts, offices_in_unit, raw_counts  # noqa: E402
from surveys.models import Question, Questionnaire, Response  # noqa: E402


def timed(fn):
    t0 = time.monotonic()
    out = fn()
    return time.monotonic() - t0, out


def baseline_group_by():
    """Run every detail table's GROUP BY over the raw rows as a SELECT count(*) (nothing written).

    The same statements a full refresh aggregates with (``_union_select``); the
    per-office and monthly tables are sums of these rows, not of the raw ones.
    ``WHERE t IS NOT NULL`` reads every column: with a bare ``count(*)``
    PostgreSQL drops the unused outputs of the subquery (EXPLAIN VERBOSE shows
    ``NULL::bigint`` in their place) and computes the groups without a single sum.
    """
    block = s.Block(start=None, end=None)
    with connection.cursor() as cursor:
        for family in s.FAMILIES:
            for grain in s.GRAINS[family]:
                sql, params = s._union_select(grain.arms(block), grain.detail_keys, grain.cols)
                cursor.execute(f"SELECT count(*) FROM ({sql}) t WHERE t IS NOT NULL", params)
                cursor.fetchone()


def add_responses(n=10_000, *, rated=False, seed=99):
    """COPY ``n`` new counter ratings (with answers) on 29–31 December 2025, as one batch.

    ``rated``: each rates one of the most recently finished dossiers that had
    no rating yet (the QR case: the dossiers' finished days are rebuilt too);
    otherwise no dossier, spread over every office (the link and kiosk case).
    """
    rng = np.random.default_rng(seed)
    import pandas as pd

    questionnaire = Questionnaire.objects.get(code="counter", is_current=True)
    question = Question.objects.get(questionnaire=questionnaire, code="rating")
    first = Response.objects.order_by("-id").values_list("id", flat=True).first() + 1
    ids = np.arange(first, first + n)
    now = timezone.now().isoformat()
    if rated:
        # The most recently finished dossiers without a rating (about the last two
        # weeks of 2025), each rated on 29–31 December or on its finished day if later.
        dossiers = list(
            Dossier.objects.filter(finished_on__isnull=False, response__isnull=True)
            .order_by("-finished_on")
            .values_list("id", "office_id", "finished_on")[:n]
        )
        assert len(dossiers) == n, f"only {len(dossiers)} unrated finished dossiers"
        dossier_ids = np.array([d[0] for d in dossiers])
        office_ids = np.array([d[1] for d in dossiers])
        finished = np.array([np.datetime64(d[2]) for d in dossiers])
        rated_on = np.datetime64("2025-12-29") + rng.integers(0, 3, n).astype("timedelta64[D]")
        day = np.maximum(finished, rated_on)
    else:
        offices = np.array(
            list(rm.DossierDay.objects.values_list("office_id", flat=True).distinct())
        )
        office_ids = offices[rng.integers(0, len(offices), n)]
        dossier_ids = None
        day = np.datetime64("2025-12-29") + rng.integers(0, 3, n).astype("timedelta64[D]")
    level = rng.choice([1, 2, 3], n, p=[0.04, 0.36, 0.60])
    responses = pd.DataFrame(
        {
            "id": ids,
            "client_id": [f"feed{seed:04x}{u:024x}" for u in ids],
            "questionnaire_id": questionnaire.pk,
            "office_id": office_ids,
            "channel": "qr",
            "submitted_at": pd.Series(np.datetime_as_string(day)) + " 10:00:00+07",
            "language": "vi",
            "ip_hash": "",
            "contact_requested": False,
            "contact_consent": False,
            "contact_phone": "",
            "contact_email": "",
            "flagged": False,
            "flag_reasons": "[]",
            "created_at": now,
            "updated_at": now,
        }
    )
    if dossier_ids is not None:
        responses["dossier_id"] = dossier_ids
    answers = pd.DataFrame(
        {
            "response_id": ids,
            "question_id": question.pk,
            "value_int": level,
            "value_text": "",
            "value_choices": "[]",
            "satisfied": level >= 2,
        }
    )
    with transaction.atomic():
        _copy("surveys_response", responses)
        _copy("surveys_answer", answers)


def settle():
    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")
        for model in s.ROLLUP_MODELS:
            cursor.execute(f"VACUUM (ANALYZE) {model._meta.db_table}")
        cursor.execute("CHECKPOINT")


def check_derived(sample=500):
    bad = 0
    for d in Dossier.objects.order_by("?")[:sample]:
        before = (d.received_on, d.due_on, d.finished_on, d.outcome)
        d.refresh_derived()
        bad += before != (d.received_on, d.due_on, d.finished_on, d.outcome)
    return bad


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--skip-full", action="store_true")
    parser.add_argument("--province", default="01", help="province code for the API timing")
    parser.add_argument("--start", default="2025-01-01")
    parser.add_argument("--end", default="2025-12-31")
    args = parser.parse_args()
    with connection.cursor() as cursor:
        for table in ("offices_dossier", "surveys_response", "surveys_answer"):
            cursor.execute(f"SELECT count(*) FROM {table}")
            print(f"{table}: {cursor.fetchone()[0]:,} rows")
    print(f"derived columns differing from refresh_derived in a sample of 500: {check_derived()}")

    if not args.skip_full:
        # Twice: the first run reads the raw tables from disk when the page cache has
        # lost them (the database is larger than it at 10 M rows), the second is the
        # warm baseline the refresh (which reads the same rows again) is compared with.
        t_cold, _ = timed(baseline_group_by)
        t_base, _ = timed(baseline_group_by)
        print(f"raw GROUP BY (same aggregates, SELECT only): {t_cold:.1f} s, again {t_base:.1f} s")
        t_full, summary = timed(lambda: s.stats_refresh(full=True))
        print(f"full refresh: {t_full:.1f} s ({summary['rows']:,} rows) = {t_full / t_base:.2f}x")
        for model in s.ROLLUP_MODELS:
            print(f"  {model.__name__}: {model.objects.count():,} rows")

    def incremental(label, *, rated, seed):
        add_responses(rated=rated, seed=seed)
        t_inc, summary = timed(s.stats_refresh)
        what = "rating finished dossiers" if rated else "without a dossier"
        print(f"incremental after 10,000 new responses {what}, {label}: {t_inc:.2f} s {summary}")

    seeds = iter(range(99, 0, -1))
    if not args.skip_full:
        incremental("cold, right after the full refresh", rated=False, seed=next(seeds))
    # A full refresh leaves 81 M freshly written rows that PostgreSQL's checkpoint
    # and autovacuum write back and set hint bits on for minutes after: settled first,
    # so the next figures are the refresh's own cost.
    t_settle, _ = timed(settle)
    print(f"settling (CHECKPOINT, VACUUM ANALYZE of the roll-ups, untimed): {t_settle:.1f} s")
    for rated in (False, False, True):
        incremental("settled", rated=rated, seed=next(seeds))

    province = AdministrativeUnit.objects.get(level="province", code=args.province)
    user, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_superuser": True, "is_staff": True}
    )
    client = Client()
    client.force_login(user)
    params = {"unit": f"province:{args.province}", "from": args.start, "to": args.end}
    times = []
    for i in range(args.requests + 3):
        t, res = timed(lambda: client.get("/api/v1/stats/", params))
        assert res.status_code == 200, res.content
        if i >= 3:  # warm-up
            times.append(t * 1000)
    times.sort()
    p95 = times[int(0.95 * (len(times) - 1))]
    print(f"API province 12 months: p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms")

    offices = offices_in_unit(unit=province)
    start, end = dt.date.fromisoformat(args.start), dt.date.fromisoformat(args.end)
    raw_times = []
    for _ in range(5):
        t, raw = timed(lambda: raw_counts(offices=offices, start=start, end=end))
        raw_times.append(t * 1000)
    roll = _rollup_counts(offices=offices, start=start, end=end)
    print(
        f"raw rows at request time (same counts): median {statistics.median(raw_times):.0f} ms; "
        f"roll-up counts equal raw counts: {roll == raw}"
    )
    body = res.json()
    print(
        f"  responses {body['responses']:,}, satisfaction {body['satisfaction_rate']}, "
        f"finished {body['finished']:,}, on_time_rate {body['on_time_rate']}"
    )


if __name__ == "__main__":
    main()

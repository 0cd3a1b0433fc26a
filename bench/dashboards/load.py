"""Load one synthetic province into a DEDICATED PostgreSQL database, then build the roll-ups.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helper_e \\
        .venv/bin/python bench/dashboards/load.py --responses 1000000

For when the stats benchmark data (``bench/stats/``) is not loaded: a 2025
province "BENCH" with ``--communes`` communes (one one-stop office each),
20 departments and a service centre; 50 procedures in 5 fields; over the 13
months ending ``--end``: ``--responses`` responses (85 % the 3-level counter
rating, 15 % full SIPAS, 2 % flagged, 3 % with a comment), as many dossiers
(5 % late, a third of those with an apology, 60 % rated) and a complaint for
1 % of responses. Rows are written with COPY, then ``stats_refresh(full=True)``.
Deterministic (seeded). Refuses to run on SQLite.
"""

import argparse
import datetime as dt
import io
import json
import os
import random
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")


def copy_rows(cursor, model, rows, columns):
    """COPY ``rows`` (tuples in ``columns`` order) into ``model``'s table."""
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(r"\N" if v is None else str(v) for v in row))
        buffer.write("\n")
    buffer.seek(0)
    table = model._meta.db_table
    cursor.copy_expert(f'COPY "{table}" ({", ".join(columns)}) FROM STDIN', buffer)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--communes", type=int, default=120)
    parser.add_argument("--end", type=dt.date.fromisoformat, default=dt.date(2025, 10, 31))
    parser.add_argument("--batch", type=int, default=200_000)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    if connection.vendor != "postgresql":
        sys.exit("bench/dashboards/load.py needs PostgreSQL (DATABASE_URL=postgres://…)")
    call_command("migrate", verbosity=0)

    from offices.models import AdministrativeUnit, Dossier, Field, Office, Procedure
    from reports.services import stats_refresh
    from surveys.models import Answer, FollowUp, Question, Questionnaire, Response

    rnd = random.Random(20250101)
    tz = timezone.get_current_timezone()
    start = (args.end.replace(day=1) - dt.timedelta(days=365)).replace(day=1)
    days = (args.end - start).days + 1

    with transaction.atomic():
        if AdministrativeUnit.objects.filter(unit_set="2025", level="province", code="99").exists():
            sys.exit("the BENCH province is already loaded; use a fresh database")
        province = AdministrativeUnit.objects.create(
            unit_set="2025", level="province", code="99", name="Tỉnh BENCH"
        )
        offices = [
            Office.objects.create(
                code="BENCH-TTPV",
                name="Trung tâm PVHCC BENCH",
                kind="service_centre",
                unit=province,
                slug="bench-ttpv",
            )
        ]
        for i in range(20):
            offices.append(
                Office.objects.create(
                    code=f"BENCH-SO{i:02d}",
                    name=f"Sở {i:02d} BENCH",
                    kind="department",
                    unit=province,
                    slug=f"bench-so{i:02d}",
                )
            )
        for i in range(args.communes):
            commune = AdministrativeUnit.objects.create(
                unit_set="2025",
                level="commune",
                code=f"99{i:03d}",
                name=f"Xã {i:03d} BENCH",
                parent=province,
            )
            offices.append(
                Office.objects.create(
                    code=f"BENCH-X{i:03d}",
                    name=f"Một cửa xã {i:03d}",
                    kind="commune_one_stop",
                    unit=commune,
                    slug=f"bench-x{i:03d}",
                )
            )
        fields = [
            Field.objects.get_or_create(code=f"bench-f{i}", defaults={"name": f"Lĩnh vực {i}"})[0]
            for i in range(5)
        ]
        procedures = [
            Procedure.objects.create(
                code=f"BENCH-P{i:03d}",
                name=f"Thủ tục {i:03d}",
                field=fields[i % 5],
                level="commune",
                legal_days=5,
            )
            for i in range(50)
        ]
    counter = Questionnaire.objects.get(code="counter", is_current=True)
    sipas = Questionnaire.objects.get(code="sipas", is_current=True)
    rating_q = Question.objects.get(questionnaire=counter, code="rating")
    counter_comment = Question.objects.get(questionnaire=counter, code="comment")
    sipas_items = list(Question.objects.filter(questionnaire=sipas, kind="scale5"))
    sipas_comment = Question.objects.get(questionnaire=sipas, code="comment")
    # Office quality varies so rankings mean something: p(satisfied) 0.70–0.99.
    quality = {o.pk: rnd.uniform(0.70, 0.99) for o in offices}
    weights = [rnd.paretovariate(1.5) for _ in offices]

    response_cols = [
        "client_id",
        "questionnaire_id",
        "office_id",
        "procedure_id",
        "dossier_id",
        "channel",
        "submitted_at",
        "language",
        "ip_hash",
        "contact_requested",
        "contact_consent",
        "contact_phone",
        "contact_email",
        "flagged",
        "flag_reasons",
        "created_at",
        "updated_at",
    ]
    answer_cols = [
        "response_id",
        "question_id",
        "value_int",
        "value_text",
        "value_choices",
        "satisfied",
    ]
    dossier_cols = [
        "code",
        "office_id",
        "procedure_id",
        "channel",
        "status",
        "received_at",
        "due_at",
        "finished_at",
        "supplement_days",
        "supplement_requests",
        "apology_issued_at",
        "apology_reason",
        "received_on",
        "due_on",
        "finished_on",
        "outcome",
        "created_at",
        "updated_at",
    ]
    now = timezone.now().isoformat()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [Dossier._meta.db_table])
        next_dossier = cursor.fetchone()[0]
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [Response._meta.db_table]
        )
        next_response = cursor.fetchone()[0]
        done = 0
        while done < args.responses:
            n = min(args.batch, args.responses - done)
            dossiers, responses, answers, complaints = [], [], [], []
            for i in range(n):
                office = rnd.choices(offices, weights=weights)[0]
                procedure = procedures[rnd.randrange(50)]
                day = start + dt.timedelta(days=rnd.randrange(days))
                received = dt.datetime.combine(
                    day, dt.time(8 + rnd.randrange(9), rnd.randrange(60))
                )
                received = received.replace(tzinfo=tz)
                due = received + dt.timedelta(days=7)
                roll = rnd.random()
                finish_days = 9 if roll < 0.05 else rnd.randrange(1, 8)
                finished = received + dt.timedelta(days=finish_days)
                is_open = finished.date() > args.end
                outcome = (
                    ""
                    if is_open
                    else (
                        "late"
                        if finished.date() > due.date()
                        else "on_time"
                        if finished.date() == due.date()
                        else "early"
                    )
                )
                apology = (
                    (due.date() + dt.timedelta(days=1)).isoformat()
                    if outcome == "late" and rnd.random() < 0.33
                    else None
                )
                dossier_id = next_dossier
                next_dossier += 1
                dossiers.append(
                    (
                        dossier_id,
                        f"BENCH-{done + i:09d}",
                        office.pk,
                        procedure.pk,
                        "direct",
                        4 if is_open else 10,
                        received.isoformat(),
                        due.isoformat(),
                        None if is_open else finished.isoformat(),
                        0,
                        0,
                        apology,
                        "",
                        received.date().isoformat(),
                        due.date().isoformat(),
                        None if is_open else finished.date().isoformat(),
                        outcome,
                        now,
                        now,
                    )
                )
                rated_dossier = not is_open and rnd.random() < 0.6
                submitted = (finished if rated_dossier else received) + dt.timedelta(minutes=30)
                if submitted.date() > args.end:
                    submitted = received
                use_sipas = rnd.random() < 0.15
                flagged = rnd.random() < 0.02
                response_id = next_response
                next_response += 1
                responses.append(
                    (
                        uuid.UUID(int=rnd.getrandbits(128), version=4),
                        (sipas if use_sipas else counter).pk,
                        office.pk,
                        procedure.pk,
                        dossier_id if rated_dossier else None,
                        rnd.choice(("kiosk", "qr", "link")),
                        submitted.isoformat(),
                        "vi",
                        "",
                        "f",
                        "f",
                        "",
                        "",
                        "t" if flagged else "f",
                        "[]",
                        now,
                        now,
                    )
                )
                p = quality[office.pk]
                if use_sipas:
                    for q in sipas_items:
                        level = rnd.choice((4, 5)) if rnd.random() < p else rnd.choice((1, 2, 3))
                        answers.append(
                            (response_id, q.pk, level, "", "[]", "t" if level >= 4 else "f")
                        )
                    comment_q = sipas_comment
                else:
                    level = rnd.choice((2, 3)) if rnd.random() < p else 1
                    answers.append(
                        (response_id, rating_q.pk, level, "", "[]", "t" if level >= 2 else "f")
                    )
                    comment_q = counter_comment
                if rnd.random() < 0.03:
                    answers.append(
                        (
                            response_id,
                            comment_q.pk,
                            None,
                            f"Góp ý thử nghiệm số {response_id}",
                            "[]",
                            None,
                        )
                    )
                if rnd.random() < 0.01:
                    complaints.append(
                        (
                            response_id,
                            office.pk,
                            "open",
                            "Phản ánh thử nghiệm",
                            submitted.isoformat(),
                            (submitted + dt.timedelta(days=21)).isoformat(),
                            "",
                            "",
                            now,
                        )
                    )
            with transaction.atomic():
                copy_rows(cursor, Dossier, dossiers, ["id", *dossier_cols])
                copy_rows(
                    cursor,
                    Response,
                    [
                        (rid, *row)
                        for rid, row in zip(
                            range(next_response - n, next_response), responses, strict=True
                        )
                    ],
                    ["id", *response_cols],
                )
                copy_rows(cursor, Answer, answers, answer_cols)
                copy_rows(
                    cursor,
                    FollowUp,
                    complaints,
                    [
                        "response_id",
                        "office_id",
                        "status",
                        "reason",
                        "opened_at",
                        "due_at",
                        "reply",
                        "reply_sent_via",
                        "updated_at",
                    ],
                )
            done += n
            print(f"{done:,} responses, {time.perf_counter() - started:.0f} s", flush=True)
        for model in (Dossier, Response):
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f'(SELECT max(id) FROM "{table}"))'
            )
        cursor.execute("ANALYZE")
    print(json.dumps({"loaded_seconds": round(time.perf_counter() - started)}))
    started = time.perf_counter()
    summary = stats_refresh(full=True)
    print(json.dumps({"stats_refresh": summary, "seconds": round(time.perf_counter() - started)}))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


if __name__ == "__main__":
    main()

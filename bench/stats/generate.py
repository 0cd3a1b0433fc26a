"""Generate N dossiers and N responses (with answers) over 3,000 offices and two years, by COPY.

By default 10 % of the responses answer the full SIPAS questionnaire (its
scale questions), the rest the one-question counter rating.

Usage (a throw-away PostgreSQL database, migrated first):

    bench/stats/reset.sh      # drops, creates and migrates $BENCH_DB (helper_d_bench)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helper_d_bench \
        .venv/bin/python -m bench.stats.generate --rows 10000000

Dossier derived columns (received_on, due_on, finished_on, outcome) are
computed with the same rules as ``Dossier.refresh_derived`` (vectorized);
``bench.stats.run`` checks a sample against ``refresh_derived``.
"""

import argparse
import datetime as dt
import io
import os
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django.setup()

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from offices.models import AdministrativeUnit, Field, Office, Procedure  # noqa: E402
from surveys.models import Question, Questionnaire  # noqa: E402

START = dt.date(2024, 1, 1)
DAYS = 731
CHUNK = 1_000_000
TZ = "+07"


def _catalogue(offices: int):
    """Create 63 provinces × 10 districts, ``offices`` offices, 10 fields × 5 procedures."""
    with transaction.atomic():
        provinces = AdministrativeUnit.objects.bulk_create(
            AdministrativeUnit(
                unit_set="2024",
                level="province",
                code=f"{p:02d}",
                name=f"Tỉnh {p}",
                path=f"/{p:02d}/",
                depth=0,
            )
            for p in range(1, 64)
        )
        districts = AdministrativeUnit.objects.bulk_create(
            AdministrativeUnit(
                unit_set="2024",
                level="district",
                code=f"{p.code}{d}",
                name=f"Huyện {p.code}{d}",
                parent=p,
                path=f"{p.path}{p.code}{d}/",
                depth=1,
            )
            for p in provinces
            for d in range(10)
        )
        Office.objects.bulk_create(
            Office(
                code=f"B{i:05d}",
                name=f"Office {i}",
                kind="district_one_stop",
                unit=districts[i % len(districts)],
                slug=f"b{i:05d}",
            )
            for i in range(offices)
        )
        fields = Field.objects.bulk_create(
            Field(name=f"Bench field {f}", code=f"bench-{f}") for f in range(10)
        )
        Procedure.objects.bulk_create(
            Procedure(
                code=f"B.{f}.{p}",
                name=f"Bench {f}.{p}",
                field=fields[f],
                level="district",
                legal_days=3 + 2 * p,
            )
            for f in range(10)
            for p in range(5)
        )
    office_ids = np.array(
        list(Office.objects.filter(code__startswith="B").values_list("pk", flat=True))
    )
    proc_ids = np.array(
        list(Procedure.objects.filter(code__startswith="B.").values_list("pk", flat=True))
    )
    return office_ids, proc_ids


def _copy(table: str, frame: pd.DataFrame):
    buf = io.StringIO()
    frame.to_csv(buf, index=False, header=False, na_rep="\\N")
    buf.seek(0)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            f"COPY {table} ({', '.join(frame.columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')",
            buf,
        )


def _fmt(days: np.ndarray, seconds: np.ndarray) -> pd.Series:
    base = np.datetime64(START) + days.astype("timedelta64[D]") + seconds.astype("timedelta64[s]")
    return pd.Series(np.datetime_as_string(base, unit="s")) + TZ


def _date(days: np.ndarray) -> pd.Series:
    return pd.Series(np.datetime_as_string(np.datetime64(START) + days.astype("timedelta64[D]")))


def dossiers_chunk(rng, first_id, n, office_ids, proc_ids, now, days=(0, DAYS)):
    """Return (frame, finished day, rated) for ``n`` dossiers received in ``days`` = [lo, hi).

    Ids follow the received day, as they do when the one-stop system sends
    dossiers as they arrive.
    """
    ids = np.arange(first_id, first_id + n)
    received = np.sort(rng.integers(days[0], days[1], n))
    legal = rng.integers(3, 16, n)
    supplement_days = np.where(rng.random(n) < 0.1, rng.integers(1, 4, n), 0)
    supplement_requests = np.where(supplement_days > 0, rng.integers(1, 3, n), 0)
    due = received + legal
    due_eff = due + supplement_days
    took = rng.integers(0, legal + 5)
    finished_day = received + took
    status = np.where(rng.random(n) < 0.03, 7, 10)
    open_ = (finished_day >= DAYS - 1) | (rng.random(n) < 0.02)
    status = np.where(open_ & (status == 10), 4, status)
    finished = ~open_
    outcome = np.where(
        supplement_requests > 1,
        "late",
        np.where(
            finished_day < due_eff, "early", np.where(finished_day == due_eff, "on_time", "late")
        ),
    )
    outcome = np.where(finished & (status == 10), outcome, "")
    frame = pd.DataFrame(
        {
            "id": ids,
            "code": pd.Series(ids).map("BD{:010d}".format),
            "office_id": office_ids[rng.integers(0, len(office_ids), n)],
            "procedure_id": proc_ids[rng.integers(0, len(proc_ids), n)],
            "channel": np.array(["direct", "online", "postal"])[rng.integers(0, 3, n)],
            "status": status,
            "received_at": _fmt(received, rng.integers(7 * 3600, 17 * 3600, n)),
            "due_at": _fmt(due, np.full(n, 17 * 3600)),
            "finished_at": _fmt(finished_day, rng.integers(7 * 3600, 17 * 3600, n)).where(finished),
            "supplement_days": supplement_days,
            "supplement_requests": supplement_requests,
            "apology_issued_at": _date(finished_day).where(
                finished & (outcome == "late") & (rng.random(n) < 0.7)
            ),
            "apology_reason": "",
            "received_on": _date(received),
            "due_on": _date(due_eff),
            "finished_on": _date(finished_day).where(finished),
            "outcome": outcome,
            "created_at": now,
            "updated_at": now,
        }
    )
    return frame, finished_day, finished & (status == 10)


def responses_chunk(
    rng,
    first_id,
    n,
    dossier_frame,
    finished_day,
    rated,
    questionnaire_id,
    question_id,
    now,
    linked_share=0.8,
    seed_tag=0xBE7C0000,
    sipas=None,
    sipas_share=0.0,
    days=(0, DAYS),
):
    """Return (responses, answers) frames for ``n`` responses.

    ``sipas`` = (questionnaire id, [(question id, satisfied-from level), …]):
    a ``sipas_share`` of the responses use it and answer every one of those
    scale questions (5 levels; each question its own distribution, so some
    criteria come out weaker than others); the rest are counter ratings.

    Unlinked responses fall in ``days`` = [lo, hi), linked ones on their
    dossier's finished day. Ids (and the answers' order) follow the submission
    time, as rows arrive in production, so one day's rows sit together.
    """
    ids = np.arange(first_id, first_id + n)
    full = rng.random(n) < sipas_share if sipas else np.zeros(n, dtype=bool)
    link = rated & (rng.random(n) < linked_share)
    day = np.where(link, np.minimum(finished_day, DAYS - 1), rng.integers(days[0], days[1], n))
    second = rng.integers(8 * 3600, 22 * 3600, n)
    order = np.lexsort((second, day))
    full, link, day, second = full[order], link[order], day[order], second[order]
    dossier_frame = dossier_frame.iloc[order]
    level = rng.choice([1, 2, 3], n, p=[0.04, 0.36, 0.60])
    flagged = rng.random(n) < 0.01
    responses = pd.DataFrame(
        {
            "id": ids,
            "client_id": [f"{seed_tag:08x}{u:024x}" for u in ids],
            "questionnaire_id": np.where(full, sipas[0], questionnaire_id)
            if sipas
            else questionnaire_id,
            "office_id": dossier_frame["office_id"].to_numpy(),
            "procedure_id": dossier_frame["procedure_id"].to_numpy(),
            "dossier_id": pd.Series(dossier_frame["id"].to_numpy()).astype("Int64").where(link),
            "channel": np.array(["link", "qr", "kiosk"])[rng.integers(0, 3, n)],
            "submitted_at": _fmt(day, second),
            "language": "vi",
            "ip_hash": "",
            "contact_requested": False,
            "contact_consent": False,
            "contact_phone": "",
            "contact_email": "",
            "flagged": flagged,
            "flag_reasons": "[]",
            "created_at": now,
            "updated_at": now,
        }
    )
    counter = ~full
    frames = [
        pd.DataFrame(
            {
                "response_id": ids[counter],
                "question_id": question_id,
                "value_int": level[counter],
                "value_text": "",
                "value_choices": "[]",
                "satisfied": level[counter] >= 2,
            }
        )
    ]
    full_ids = ids[full]
    for index, (sipas_question, satisfied_from) in enumerate(sipas[1] if sipas else ()):
        weak = 0.05 + 0.1 * (index % 4)  # share below "satisfied" differs by question
        levels = rng.choice(
            [1, 2, 3, 4, 5], len(full_ids), p=[weak / 3, weak / 3, weak / 3, 0.4, 0.6 - weak]
        )
        frames.append(
            pd.DataFrame(
                {
                    "response_id": full_ids,
                    "question_id": sipas_question,
                    "value_int": levels,
                    "value_text": "",
                    "value_choices": "[]",
                    "satisfied": levels >= satisfied_from,
                }
            )
        )
    answers = pd.concat(frames, ignore_index=True)
    return responses, answers.sort_values("response_id", kind="stable", ignore_index=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--offices", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--sipas-share",
        type=float,
        default=0.1,
        help="share of responses answering the full SIPAS questionnaire (default 0.1)",
    )
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    t0 = time.monotonic()
    office_ids, proc_ids = _catalogue(args.offices)
    questionnaire = Questionnaire.objects.get(code="counter", is_current=True)
    question = Question.objects.get(questionnaire=questionnaire, code="rating")
    sipas_questionnaire = Questionnaire.objects.get(code="sipas", is_current=True)
    sipas = (
        sipas_questionnaire.pk,
        [
            (q.pk, Question.SATISFIED_FROM[q.kind])
            for q in sipas_questionnaire.questions.filter(
                kind="scale5", counts_toward_satisfaction=True
            )
        ],
    )
    now = "2026-01-01 00:00:00+07"
    done = 0
    chunks = -(-args.rows // CHUNK)
    while done < args.rows:
        n = min(CHUNK, args.rows - done)
        # Each chunk covers the next stretch of days, so the tables fill in time order.
        index = done // CHUNK
        days = (DAYS * index // chunks, DAYS * (index + 1) // chunks)
        dossiers, finished_day, rated = dossiers_chunk(
            rng, done + 1, n, office_ids, proc_ids, now, days=days
        )
        responses, answers = responses_chunk(
            rng,
            done + 1,
            n,
            dossiers,
            finished_day,
            rated,
            questionnaire.pk,
            question.pk,
            now,
            sipas=sipas,
            sipas_share=args.sipas_share,
            days=days,
        )
        with transaction.atomic(), connection.cursor() as cursor:
            # The generated history stands for responses already counted, as in a
            # running portal before a full refresh: no queue rows for the roll-ups'
            # delta (reports.triggers). This transaction only; needs a superuser.
            cursor.execute("SET LOCAL session_replication_role = replica")
            _copy("offices_dossier", dossiers)
            _copy("surveys_response", responses)
            _copy("surveys_answer", answers)
        done += n
        print(f"{done:,} rows of each ({time.monotonic() - t0:.0f} s)", flush=True)
    with connection.cursor() as cursor:
        for table in ("offices_dossier", "surveys_response", "surveys_answer"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
            cursor.execute(f"ANALYZE {table}")
    print(f"generated in {time.monotonic() - t0:.0f} s")


if __name__ == "__main__":
    main()

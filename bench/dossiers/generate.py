"""Write a CSV of synthetic dossiers in the import format (docs/IMPORT.md).

    .venv/bin/python bench/dossiers/generate.py --rows 1000000 --out var/bench/dossiers.csv

Deterministic (seeded). Offices ``BENCH-O000``…, procedures ``BENCH-P000``…
(``bench/dossiers/run.py`` creates them). Dates fall in 2024–2025, ~5 % late,
~10 % still open; both date formats the import accepts appear.
"""

import argparse
import csv
import datetime as dt
import random
from pathlib import Path

HEADERS = [
    "code",
    "office",
    "procedure",
    "channel",
    "status",
    "received_at",
    "due_at",
    "finished_at",
    "returned_at",
    "supplement_days",
    "supplement_requests",
    "apology_issued_at",
]
OFFICES = 100
PROCEDURES = 200


def rows(n: int, *, seed: int = 20250601):
    rnd = random.Random(seed)
    start = dt.datetime(2024, 1, 2, 7, 30)
    span_minutes = 500 * 24 * 60
    channels = ("direct",) * 6 + ("online",) * 3 + ("postal",)
    for i in range(n):
        received = start + dt.timedelta(minutes=rnd.randrange(span_minutes))
        legal = rnd.choice((1, 3, 5, 7, 10, 15, 20))
        due = received + dt.timedelta(days=legal)
        requests = 0 if rnd.random() < 0.9 else rnd.choice((1, 1, 1, 2))
        waited = rnd.randint(1, 5) if requests else 0
        roll = rnd.random()
        finished = returned = None
        if roll < 0.10:
            status = rnd.choice((2, 4, 5, 6))
        elif roll < 0.12:
            status = rnd.choice((3, 7, 8))
        else:
            status = rnd.choice((9, 10))
            late = rnd.random() < 0.05
            offset = rnd.randint(1, 4) if late else -rnd.randint(0, legal)
            finished = max(received, due + dt.timedelta(days=waited + offset))
            finished = finished.replace(hour=rnd.randint(7, 16))
            if finished < received:
                finished = received
            if status == 10:
                returned = finished + dt.timedelta(hours=rnd.randint(0, 48))
        day_first = i % 4 == 0
        fmt = "%d/%m/%Y %H:%M" if day_first else "%Y-%m-%d %H:%M"
        yield (
            f"B-{i:08d}",
            f"BENCH-O{rnd.randrange(OFFICES):03d}",
            f"BENCH-P{rnd.randrange(PROCEDURES):03d}",
            rnd.choice(channels),
            status,
            received.strftime(fmt),
            due.strftime(fmt),
            finished.strftime(fmt) if finished else "",
            returned.strftime(fmt) if returned else "",
            waited,
            requests,
            "",
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=Path("var/bench/dossiers.csv"))
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADERS)
        writer.writerows(rows(args.rows))
    print(f"wrote {args.rows} rows to {args.out}")


if __name__ == "__main__":
    main()

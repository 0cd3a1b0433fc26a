"""Benchmark the dossier import on PostgreSQL against PostgreSQL's own COPY.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_dossiers \\
        .venv/bin/python bench/dossiers/run.py --rows 1000000

Steps: migrate the (dedicated!) database, create the bench offices and
procedures, generate the CSV if missing, empty the dossier table, then time

1. ``import_dossiers`` of the file into the empty table (validation included),
2. the same import again (every row unchanged),
3. ``COPY`` of the very same rows (as the table stores them, exported with
   ``COPY … TO``) into an empty copy of the dossier table with the same
   indexes and constraints.

Prints a Markdown table for docs/PERFORMANCE.md.
"""

import argparse
import io
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--csv", type=Path, default=None)
    args = parser.parse_args()
    csv_path = args.csv or ROOT / "var" / "bench" / f"dossiers-{args.rows}.csv"

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench.dossiers.generate import OFFICES, PROCEDURES
    from offices.models import AdministrativeUnit, Dossier, Field, Office, Procedure

    if connection.vendor != "postgresql":
        sys.exit("This benchmark needs DATABASE_URL pointing at a dedicated PostgreSQL database.")
    call_command("migrate", verbosity=0)
    unit, _ = AdministrativeUnit.objects.get_or_create(
        unit_set="2025", level="province", code="B99", defaults={"name": "Bench province"}
    )
    field, _ = Field.objects.get_or_create(name="Bench field", defaults={"code": "bench-field"})
    Office.objects.bulk_create(
        [
            Office(
                code=f"BENCH-O{i:03d}",
                name=f"Bench office {i}",
                kind="other",
                unit=unit,
                slug=f"bench-o{i:03d}",
            )
            for i in range(OFFICES)
        ],
        ignore_conflicts=True,
    )
    Procedure.objects.bulk_create(
        [
            Procedure(
                code=f"BENCH-P{i:03d}",
                name=f"Bench procedure {i}",
                field=field,
                level="province",
                legal_days=5,
            )
            for i in range(PROCEDURES)
        ],
        ignore_conflicts=True,
    )
    if not csv_path.exists():
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "bench/dossiers/generate.py"),
                "--rows",
                str(args.rows),
                "--out",
                str(csv_path),
            ],
            check=True,
        )
    table = Dossier._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {table} CASCADE")

    def timed(label, fn):
        started = time.perf_counter()
        fn()
        elapsed = time.perf_counter() - started
        print(f"{label}: {elapsed:.1f} s", flush=True)
        return elapsed

    t_import = timed("import (empty table)", lambda: call_command("import_dossiers", str(csv_path)))
    count = Dossier.objects.count()
    t_again = timed(
        "import again (unchanged)", lambda: call_command("import_dossiers", str(csv_path))
    )

    with connection.cursor() as cursor:
        dump = io.BytesIO()
        cursor.copy_expert(f"COPY {table} TO STDOUT", dump)
        cursor.execute("DROP TABLE IF EXISTS bench_copy")
        cursor.execute(f"CREATE TABLE bench_copy (LIKE {table} INCLUDING ALL)")

        def copy():
            dump.seek(0)
            cursor.copy_expert("COPY bench_copy FROM STDIN", dump)

        t_copy = timed("COPY of the same rows", copy)
        cursor.execute("DROP TABLE bench_copy")

    print()
    print("| rows | import | import again (unchanged) | COPY | import ÷ COPY |")
    print("|---:|---:|---:|---:|---:|")
    print(
        f"| {count:,} | {t_import:.1f} s | {t_again:.1f} s | {t_copy:.1f} s | "
        f"{t_import / t_copy:.1f}× |"
    )


if __name__ == "__main__":
    main()

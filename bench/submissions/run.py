"""Benchmark survey submissions through gunicorn on PostgreSQL against a one-row floor.

    .venv/bin/python bench/submissions/run.py \\
        --database-url postgres://postgres@127.0.0.1:5432/bench_submissions \\
        --redis-url redis://127.0.0.1:6379/3

Same machine, same run, same gunicorn (gthread, 2 workers × 4 threads by
default), same ``wrk`` settings on 127.0.0.1:

- floor: ``POST /bench/floor/``, a minimal Django view that parses the JSON
  body and inserts one row (``bench/submissions/views.py``);
- submission: ``POST /api/v1/responses/``, an anonymous web submission of the
  counter rating with the CSRF token, a fresh ``client_id`` per request: CSRF,
  rate limit (Redis cache), validation, response + answer in one statement;
  the checks run later (``responses_check_pending``, no worker runs here).

Rounds alternate floor / submission so both see the same machine state; the
best round of each is compared. Each round also counts the CPU time spent by
gunicorn and by the bench database's PostgreSQL backends per request (read
from /proc), which other sessions' load does not enter: on a shared machine
that ratio says more than req/s. Prints a Markdown table for
docs/PERFORMANCE.md and writes ``var/bench/submissions.json``. The database
must be a dedicated one: the script migrates it and adds rows.
In-process CPU per request and a profile: ``bench/submissions/cpu.py``.
"""

import argparse
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

RESULT_RE = re.compile(r"BENCH_RESULT (.*)")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_submissions"
        ),
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
    )
    parser.add_argument("--port", type=int, default=8199)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--duration", type=int, default=15, help="seconds per round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", default=str(ROOT / "var" / "bench" / "submissions.json"))
    return parser.parse_args()


def server_env(args):
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.submissions.settings",
            "DJANGO_ENV": "production",
            "SECRET_KEY": "bench-" + secrets.token_hex(16),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DEBUG": "false",
            "DATABASE_URL": args.database_url,
            "REDIS_URL": args.redis_url,
            "CELERY_BROKER_URL": args.redis_url,
            "SURVEY_RATE_LIMIT_IP": "100000000/m",
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


def prepare(env):
    """Migrate the bench database, create the floor table and the bench office."""
    python = str(ROOT / ".venv" / "bin" / "python")
    subprocess.run(
        [python, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    script = """
from django.db import connection
from bench.submissions.views import CREATE, TABLE
from offices.models import AdministrativeUnit, Office
from surveys.models import QuestionnaireAssignment
with connection.cursor() as c:
    c.execute(CREATE)
    c.execute(f"TRUNCATE {TABLE}")
unit, _ = AdministrativeUnit.objects.get_or_create(
    unit_set="2025", level="province", code="B99", defaults={"name": "Bench province"})
office, _ = Office.objects.get_or_create(slug="bench-office", defaults={
    "code": "BENCH-OFFICE", "name": "Bench office", "kind": "commune_one_stop", "unit": unit})
QuestionnaireAssignment.objects.filter(office=office).delete()
"""
    subprocess.run([python, "manage.py", "shell", "-c", script], cwd=ROOT, env=env, check=True)


def count_rows(env):
    python = str(ROOT / ".venv" / "bin" / "python")
    script = (
        "from django.db import connection\n"
        "from surveys.models import Response\n"
        "c = connection.cursor(); c.execute('SELECT count(*) FROM bench_floor')\n"
        "print(c.fetchone()[0], Response.objects.filter(office__slug='bench-office').count())"
    )
    out = subprocess.run(
        [python, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return int(out[-2]), int(out[-1])


def wait_ready(port, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not become ready")


def _cpu_seconds(pid):
    """Return user + system CPU seconds of process ``pid`` (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid):
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _backend_pids(database_url):
    import psycopg2

    with psycopg2.connect(database_url) as conn, conn.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cursor.fetchall()]


def cpu_snapshot(server_pid, database_url):
    """Return {pid: CPU seconds} of gunicorn (master + workers) and the bench database backends.

    Other sessions' load does not enter these counts, so CPU per request
    compares floor and submission even on a shared machine.
    """
    web = {pid: _cpu_seconds(pid) for pid in [server_pid, *_children(server_pid)]}
    db = {pid: _cpu_seconds(pid) for pid in _backend_pids(database_url)}
    return {"web": web, "db": db}


def cpu_per_request(before, after, requests):
    """Return CPU milliseconds per request of the web and database processes between snapshots."""
    result = {}
    for part in ("web", "db"):
        spent = sum(cpu - before[part].get(pid, 0.0) for pid, cpu in after[part].items())
        result[f"{part}_cpu_ms"] = round(spent * 1000 / max(requests, 1), 3)
    result["cpu_ms"] = round(result["web_cpu_ms"] + result["db_cpu_ms"], 3)
    return result


def run_wrk(args, path, duration, csrf):
    env = dict(os.environ, BENCH_OFFICE="bench-office", BENCH_CSRF=csrf)
    cmd = [
        shutil.which("wrk") or "/usr/bin/wrk",
        f"-t{args.wrk_threads}",
        f"-c{args.connections}",
        f"-d{duration}s",
        "--timeout",
        "5s",
        "-s",
        str(HERE / "post.lua"),
        f"http://127.0.0.1:{args.port}{path}",
    ]
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    match = RESULT_RE.search(out)
    if not match:
        raise SystemExit(f"wrk printed no result:\n{out}")
    values = dict(item.split("=") for item in match.group(1).split())
    values = {k: int(v) for k, v in values.items()}
    seconds = values["duration_us"] / 1e6
    errors = values["errors_status"] + values["errors_connect"] + values["errors_timeout"]
    return {
        "requests": values["requests"],
        "errors": errors,
        "rps": round((values["requests"] - errors) / seconds, 1),
        "p50_ms": round(values["p50_us"] / 1000, 1),
        "p90_ms": round(values["p90_us"] / 1000, 1),
        "p99_ms": round(values["p99_us"] / 1000, 1),
    }


def purge_queue(redis_url):
    import redis

    client = redis.Redis.from_url(redis_url)
    return client.delete("celery")


def main():
    args = parse_args()
    load_before = os.getloadavg()
    env = server_env(args)
    prepare(env)
    floor_before, responses_before = count_rows(env)
    gunicorn = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "portal.wsgi",
        "-b",
        f"127.0.0.1:{args.port}",
        "-w",
        str(args.workers),
        "-k",
        "gthread",
        "--threads",
        str(args.threads),
    ]
    server = subprocess.Popen(gunicorn, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    csrf = secrets.token_hex(16)  # 32 characters: cookie and header carry the same secret
    rounds = {"floor": [], "submission": []}
    try:
        wait_ready(args.port)
        run_wrk(args, "/bench/floor/", 3, csrf)  # warm-up: connections, imports, caches
        run_wrk(args, "/api/v1/responses/", 3, csrf)
        for _ in range(args.rounds):
            for name, path in (("floor", "/bench/floor/"), ("submission", "/api/v1/responses/")):
                before = cpu_snapshot(server.pid, args.database_url)
                result = run_wrk(args, path, args.duration, csrf)
                after = cpu_snapshot(server.pid, args.database_url)
                result.update(cpu_per_request(before, after, result["requests"]))
                rounds[name].append(result)
    finally:
        server.terminate()
        server.wait(timeout=30)
    purged = purge_queue(args.redis_url)
    floor_after, responses_after = count_rows(env)
    best = {name: max(items, key=lambda r: r["rps"]) for name, items in rounds.items()}
    ratio = best["submission"]["rps"] / best["floor"]["rps"]
    # CPU per request (web + database processes), the median round of each: a
    # database connection replaced during a round loses its CPU from the count.
    least = {name: statistics.median(r["cpu_ms"] for r in items) for name, items in rounds.items()}
    cpu_ratio = least["floor"] / least["submission"]
    stored = responses_after - responses_before
    sent_ok = sum(r["requests"] - r["errors"] for r in rounds["submission"])
    result = {
        "gunicorn": f"gthread {args.workers}×{args.threads}",
        "wrk": f"-t{args.wrk_threads} -c{args.connections} -d{args.duration}s × {args.rounds}",
        "rounds": rounds,
        "best": best,
        "ratio": round(ratio, 3),
        "cpu_ratio": round(cpu_ratio, 3),
        "load_before": load_before,
        "load_after": os.getloadavg(),
        "responses_stored": stored,
        "floor_rows_stored": floor_after - floor_before,
        "queue_purged": bool(purged),
        "cpus": os.cpu_count(),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2))
    print(
        "| endpoint | req/s | p50 ms | p90 ms | p99 ms | errors "
        "| CPU ms/request: gunicorn + PostgreSQL |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, label in (
        ("floor", "floor: 1-row insert view"),
        ("submission", "POST /api/v1/responses/"),
    ):
        for i, r in enumerate(rounds[name], start=1):
            print(
                f"| {label} (round {i}) | {r['rps']:.0f} | {r['p50_ms']} | {r['p90_ms']} | "
                f"{r['p99_ms']} | {r['errors']} | "
                f"{r['web_cpu_ms']} + {r['db_cpu_ms']} = {r['cpu_ms']} |"
            )
    print(
        f"\nSubmissions / floor (best rounds): {ratio:.0%}; "
        f"p99 at that load {best['submission']['p99_ms']} ms. "
        f"Responses stored: {stored} (of {sent_ok} accepted in measured rounds + warm-up)."
    )
    print(
        f"CPU per request (gunicorn + PostgreSQL backends, median round): floor "
        f"{least['floor']} ms, submission {least['submission']} ms; floor / submission "
        f"{cpu_ratio:.0%}. Load average before / after: "
        f"{' '.join(f'{x:.2f}' for x in load_before)} / "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}."
    )


if __name__ == "__main__":
    main()

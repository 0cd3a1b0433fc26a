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

Short rounds alternate floor / submission / floor / … (25 submission rounds
of 2 s by default, a floor round before and after each): this machine's
speed swings by half within seconds (a fixed loop takes 20 or 35 ms from one
second to the next, idle), so long rounds compared best against best say
more about the moment each ran in than about the code. The headline ratio is
the submissions' mean req/s over the floor's, both over the same interleaved
minute or two; the median of each submission round against the floor rounds
on either side, and the best round against the best round, are printed
beside it. Each round also counts the CPU time spent by gunicorn and by the
bench database's PostgreSQL backends (read from /proc), summed per endpoint.
Prints a Markdown table for docs/PERFORMANCE.md and writes
``var/bench/submissions.json``. The database must be a dedicated one: the
script migrates it and adds rows.
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
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

RESULT_RE = re.compile(r"BENCH_RESULT (.*)")
LATENCIES_RE = re.compile(r"BENCH_LATENCIES ([0-9:,]*)")


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
    parser.add_argument("--duration", type=int, default=2, help="seconds per round")
    parser.add_argument(
        "--rounds", type=int, default=25, help="submission rounds (floor rounds: one more)"
    )
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
    latencies = LATENCIES_RE.search(out)
    histogram = Counter()
    for item in latencies.group(1).split(",") if latencies and latencies.group(1) else []:
        value, count = item.split(":")
        histogram[int(value)] += int(count)
    seconds = values["duration_us"] / 1e6
    errors = values["errors_status"] + values["errors_connect"] + values["errors_timeout"]
    return {
        "requests": values["requests"],
        "errors": errors,
        "rps": round((values["requests"] - errors) / seconds, 1),
        "p50_ms": round(values["p50_us"] / 1000, 1),
        "p90_ms": round(values["p90_us"] / 1000, 1),
        "p99_ms": round(values["p99_us"] / 1000, 1),
        "latencies_us": histogram,
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
    paths = {"floor": "/bench/floor/", "submission": "/api/v1/responses/"}
    try:
        wait_ready(args.port)
        run_wrk(args, paths["floor"], 3, csrf)  # warm-up: connections, imports, caches
        run_wrk(args, paths["submission"], 3, csrf)
        order = ["floor", "submission"] * args.rounds + ["floor"]
        for name in order:
            before = cpu_snapshot(server.pid, args.database_url)
            result = run_wrk(args, paths[name], args.duration, csrf)
            after = cpu_snapshot(server.pid, args.database_url)
            result.update(cpu_per_request(before, after, result["requests"]))
            rounds[name].append(result)
    finally:
        server.terminate()
        server.wait(timeout=30)
    purged = purge_queue(args.redis_url)
    floor_after, responses_after = count_rows(env)
    result = summarize(args, rounds)
    stored = responses_after - responses_before
    result.update(
        {
            "load_before": load_before,
            "load_after": os.getloadavg(),
            "responses_stored": stored,
            "floor_rows_stored": floor_after - floor_before,
            "queue_purged": bool(purged),
            "cpus": os.cpu_count(),
        }
    )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2))
    report(result)


def percentile(histogram, p):
    """Return the ``p``-th percentile of a {value: count} histogram (0 when it is empty)."""
    total = sum(histogram.values())
    rank, seen = total * p / 100, 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    return 0


def summarize(args, rounds):
    """Return the ratios and per-endpoint figures of interleaved ``rounds``."""
    floor, submission = rounds["floor"], rounds["submission"]
    totals = {}
    for name, items in rounds.items():
        requests = sum(r["requests"] for r in items)
        ok = sum(r["requests"] - r["errors"] for r in items)
        cpu = {
            part: round(sum(r[part] * r["requests"] for r in items) / max(requests, 1), 3)
            for part in ("web_cpu_ms", "db_cpu_ms", "cpu_ms")
        }
        merged = Counter()
        for r in items:
            merged.update(r.pop("latencies_us"))
        totals[name] = {
            "rounds": len(items),
            "requests": requests,
            "errors": sum(r["errors"] for r in items),
            "mean_rps": round(statistics.fmean(r["rps"] for r in items), 1),
            "median_rps": round(statistics.median(r["rps"] for r in items), 1),
            "best_rps": max(r["rps"] for r in items),
            **{f"p{p}_ms": round(percentile(merged, p) / 1000, 1) for p in (50, 90, 99)},
            "p99_ms_median": round(statistics.median(r["p99_ms"] for r in items), 1),
            "p99_ms_max": max(r["p99_ms"] for r in items),
            "accepted": ok,
            **cpu,
        }
    # Each submission round against the mean of the floor rounds on either side.
    each = [
        s["rps"] / ((floor[i]["rps"] + floor[i + 1]["rps"]) / 2) for i, s in enumerate(submission)
    ]
    return {
        "gunicorn": f"gthread {args.workers}×{args.threads}",
        "wrk": f"-t{args.wrk_threads} -c{args.connections}, rounds of {args.duration}s: "
        f"{len(floor)} floor / {len(submission)} submission, alternating",
        "rounds": rounds,
        "totals": totals,
        "ratio": round(totals["submission"]["mean_rps"] / totals["floor"]["mean_rps"], 3),
        "ratio_median_round": round(statistics.median(each), 3),
        "ratio_best_rounds": round(
            totals["submission"]["best_rps"] / totals["floor"]["best_rps"], 3
        ),
        "cpu_ratio": round(totals["floor"]["cpu_ms"] / totals["submission"]["cpu_ms"], 3),
    }


def report(result):
    totals, rounds, stored = result["totals"], result["rounds"], result["responses_stored"]
    print(
        "| endpoint | rounds | mean req/s | median | best | p50 / p90 / p99 ms "
        "| p99 ms: median round / worst | errors | CPU ms/request: gunicorn + PostgreSQL |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, label in (
        ("floor", "floor: 1-row insert view"),
        ("submission", "POST /api/v1/responses/"),
    ):
        t = totals[name]
        print(
            f"| {label} | {t['rounds']} | {t['mean_rps']:.0f} | {t['median_rps']:.0f} | "
            f"{t['best_rps']:.0f} | {t['p50_ms']} / {t['p90_ms']} / {t['p99_ms']} | "
            f"{t['p99_ms_median']} / {t['p99_ms_max']} | {t['errors']} | "
            f"{t['web_cpu_ms']} + {t['db_cpu_ms']} = {t['cpu_ms']} |"
        )
    for name in ("floor", "submission"):
        print(f"{name} req/s by round: " + " ".join(f"{r['rps']:.0f}" for r in rounds[name]))
    print(
        f"\nSubmissions / floor, mean req/s over the interleaved rounds: {result['ratio']:.1%} "
        f"(median round against its neighbours {result['ratio_median_round']:.1%}, best round "
        f"against best round {result['ratio_best_rounds']:.1%}); submission p99 over all rounds "
        f"{totals['submission']['p99_ms']} ms (worst round "
        f"{totals['submission']['p99_ms_max']} ms). Responses stored: {stored} "
        f"(of {totals['submission']['accepted']} accepted in measured rounds + warm-up)."
    )
    print(
        f"CPU per request (gunicorn + PostgreSQL backends, all rounds): floor "
        f"{totals['floor']['cpu_ms']} ms, submission {totals['submission']['cpu_ms']} ms; "
        f"floor / submission {result['cpu_ratio']:.0%}. Load average before / after: "
        f"{' '.join(f'{x:.2f}' for x in result['load_before'])} / "
        f"{' '.join(f'{x:.2f}' for x in result['load_after'])}."
    )


if __name__ == "__main__":
    main()

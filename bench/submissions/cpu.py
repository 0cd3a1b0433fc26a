"""CPU per request of the floor and of a submission, in-process (no gunicorn, no wrk).

    .venv/bin/python bench/submissions/cpu.py \\
        --database-url postgres://postgres@127.0.0.1:5432/bench_submissions \\
        --redis-url redis://127.0.0.1:6379/3 --requests 2000 [--profile submission]

The same settings and database as ``run.py`` (run it once first, it migrates
and creates the bench office). Each request goes through Django's full
handler and middleware via the test client; the CPU time of this process
(``time.process_time``) is what the web worker would spend, minus the HTTP
parsing gunicorn does. Less sensitive to a loaded machine than wall-clock
throughput. ``--profile`` prints the top of a cProfile of that endpoint.
"""

import argparse
import cProfile
import json
import os
import pstats
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.submissions.run import server_env  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/bench_submissions"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/3")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--profile", choices=["floor", "submission"], default=None)
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--callers", help="also print who calls functions matching this")
    parser.add_argument("--sort", default="cumulative", help="cumulative or tottime")
    args = parser.parse_args()
    os.environ.update(server_env(args))
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"

    import django

    django.setup()
    from django.test import Client

    client = Client(enforce_csrf_checks=True, HTTP_HOST="127.0.0.1", secure=True)
    csrf = uuid.uuid4().hex
    client.cookies["csrftoken"] = csrf
    headers = {"X-CSRFToken": csrf, "Referer": "https://127.0.0.1/"}

    def post(path, i):
        body = {
            "client_id": str(uuid.uuid4()),
            "office": "bench-office",
            "answers": {"rating": 1 if i % 10 == 0 else (2 if i % 3 == 0 else 3)},
            "duration_seconds": 20 + i % 40,
            "language": "vi",
        }
        response = client.post(
            path, json.dumps(body), content_type="application/json", headers=headers
        )
        if response.status_code != 201:
            raise SystemExit(f"{path}: HTTP {response.status_code} {response.content[:300]!r}")

    paths = {"floor": "/bench/floor/", "submission": "/api/v1/responses/"}
    for path in paths.values():
        for i in range(50):  # warm-up: connection, imports, caches
            post(path, i)
    rounds = [*paths.items(), *paths.items()]  # twice, alternating; profile the second
    for number, (name, path) in enumerate(rounds):
        profiled = args.profile == name and number >= len(paths)
        profiler = cProfile.Profile(time.process_time) if profiled else None
        start_cpu, start_wall = time.process_time(), time.perf_counter()
        if profiler:
            profiler.enable()
        for i in range(args.requests):
            post(path, i)
        if profiler:
            profiler.disable()
        cpu = (time.process_time() - start_cpu) / args.requests * 1000
        wall = (time.perf_counter() - start_wall) / args.requests * 1000
        print(f"{name}: {cpu:.2f} ms CPU, {wall:.2f} ms wall per request ({args.requests})")
        if profiler:
            stats = pstats.Stats(profiler).sort_stats(args.sort)
            stats.print_stats(args.top)
            if args.callers:
                stats.print_callers(args.callers)


if __name__ == "__main__":
    main()
